"""Firebell: a self-hosted Slack bot for incident response and on-call."""
