"""Slack: Bolt listeners, Block Kit rendering, mrkdwn escaping, and the outbox's delivery."""
