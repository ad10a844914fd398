"""A Slack Web API client that counts failed calls by method (for `GET /metrics`)."""

from __future__ import annotations

from slack_sdk.web.async_client import AsyncWebClient

from bot.services.telemetry import Telemetry
from bot.slack.errors import classify


class MeteredClient(AsyncWebClient):
    """Every Web API method goes through `api_call`; a failure is counted, then re-raised."""

    def __init__(self, *args, telemetry: Telemetry, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.telemetry = telemetry

    async def api_call(self, api_method: str, **kwargs):
        try:
            return await super().api_call(api_method, **kwargs)
        except Exception as exc:
            failure = classify(exc)
            if failure is not None:
                self.telemetry.slack_error(api_method, failure.error)
            raise
