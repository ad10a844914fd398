"""`firebell watchdog`: the pager for the pager. Run on another machine, it polls Firebell's
`/readyz` and pages by e-mail, SMS, voice, ntfy or Apprise (never Slack) when Firebell is
unreachable, not ready, failing to deliver to Slack, or leaving its outbox undelivered; and
says when it recovered and how long the outage lasted.

`probe` (one check -> a verdict), `outage` (the pure decision: page, recover or wait),
`state` (the small JSON file that survives a restart of the watchdog), `notify` (the routes,
through `bot/notify`'s clients), `run` (the loop, with an injected clock and sleep) and
`cli` (the subcommand's flags). It keeps no database.
"""
