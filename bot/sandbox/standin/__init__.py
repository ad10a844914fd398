"""The stand-in for Slack: the tests' Slack double and the sandbox's Slack, served over HTTP.

Built in layers, each module one concept on top of the one before: `shapes` (Slack's objects
as its API returns them), `state` (what the workspace holds and what people do in it),
`web_api` (the Web API methods the bot calls, the token check and the record of calls),
`socket_mode` (the websocket apps connect to instead), `server` (`SlackDouble`: all of it on a
real port, with the faults a test queues from `faults`).
"""
