"""The sandbox: Firebell without a Slack workspace (`firebell sandbox`).

The real bot (bot/app.py, unchanged) is pointed through SLACK_API_URL at `standin` (its
`server.SlackDouble`), a stand-in for Slack's Web API that is also the tests' Slack double.
`client` plays the part of Slack's clients: it sends the bot signed slash commands, clicks,
modal submissions and App Home events (`signing`, `block_kit`) for what a person does in the
page (`page`, `static/`), which follows the workspace's changes (`workspace`).
`runner` puts them together in one process, and `config` reads config/sandbox.yml.
"""
