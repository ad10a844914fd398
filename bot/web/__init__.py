"""aiohttp routes: Slack's endpoint, alert webhooks, health, metrics, calendars, postmortems."""
