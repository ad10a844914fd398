"""Block Kit, built in one place and only here: pure functions of records and config, one
module per surface people see (the incident card and its thread, on call, alerts and
maintenance, stakeholders, App Home, the forms, the answers to commands about incidents), over
the shared elements in `kit`. Ids Slack sends back come from `bot.slack.ids`.

Every piece of user text goes through `escape` (mrkdwn) or into plain_text objects.
"""
