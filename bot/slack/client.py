"""A Slack Web API client that counts failed calls by method (for `GET /metrics`), and one
aiohttp session per client for its calls (`keep_alive`): slack_sdk without a session opens a
session, a connection and (to Slack) a TLS handshake for every call. Bolt's listeners are
handed such a client too (`Shared`), not the session-less one Bolt makes for each request."""

from __future__ import annotations

import aiohttp
from slack_bolt.middleware.async_middleware import AsyncMiddleware
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

    def __deepcopy__(self, memo) -> MeteredClient:
        """Itself: Bolt deep-copies each request, its client with it, for lazy listeners, and
        a kept session (its event loop) cannot be copied; the client holds nothing of one
        request (one token, one workspace)."""
        return self


class Shared(AsyncMiddleware):
    """Hands every listener `client`, kept alive and metered, in place of the client Bolt
    made for the request (no session: a connection per call, uncounted failures)."""

    def __init__(self, client: MeteredClient) -> None:
        self.client = client

    async def async_process(self, *, req, resp, next):  # noqa: A002 (Bolt's name)
        req.context["client"] = self.client
        return await next()


def keep_alive(client: AsyncWebClient) -> None:
    """`client`'s calls share one session, and its kept-alive connections, until `release`.
    Inside the running loop; each call is still bounded by the client's timeout."""
    if client.session is None or client.session.closed:
        client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))


async def release(client: AsyncWebClient) -> None:
    session, client.session = client.session, None
    if session is not None:
        await session.close()
