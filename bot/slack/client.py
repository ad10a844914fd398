"""A Slack Web API client that counts failed calls by method (for `GET /metrics`), and one
aiohttp session per client for its calls (`keep_alive`): slack_sdk without a session opens a
session, a connection and (to Slack) a TLS handshake for every call. Bolt's listeners are
handed such a client too (`SharedClientApp`), not the session-less one Bolt makes for each
request."""

from __future__ import annotations

import aiohttp
from slack_bolt.async_app import AsyncApp
from slack_bolt.logger import get_bolt_app_logger
from slack_bolt.request.async_request import AsyncBoltRequest
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


class SharedClientApp(AsyncApp):
    """Bolt's app, whose listeners are handed `shared` (kept alive, metered) as `client`.

    Bolt's own `_init_context` builds an AsyncWebClient for every request (since Bolt 1.15,
    so that a listener may change its token), and that constructor reads the proxy
    variables from the environment and the platform for a user agent: 3% of the process's
    samples while declaring at c50 (py-spy), for a client Firebell would replace at once. Firebell serves one
    workspace with one token and never changes it. Bolt has no public way in; the context
    set here is otherwise Bolt's own, which tests/slack/test_listener_client.py checks key
    by key against the installed Bolt, so an upgrade that adds to it fails there."""

    def __init__(self, *, shared: MeteredClient, **kwargs) -> None:
        super().__init__(**kwargs)
        self.shared = shared

    def _init_context(self, req: AsyncBoltRequest) -> None:
        req.context["logger"] = get_bolt_app_logger(
            app_name=self.name, base_logger=self._base_logger
        )
        req.context["token"] = self._token
        req.context["client"] = self.shared
        req.context["listener_runner"] = self.listener_runner


def keep_alive(client: AsyncWebClient) -> None:
    """`client`'s calls share one session, and its kept-alive connections, until `release`.
    Inside the running loop; each call is still bounded by the client's timeout."""
    if client.session is None or client.session.closed:
        client.session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=client.timeout))


async def release(client: AsyncWebClient) -> None:
    session, client.session = client.session, None
    if session is not None:
        await session.close()
