"""aiohttp routes: Slack's endpoint, health and readiness (alerts, metrics, calendar later)."""
