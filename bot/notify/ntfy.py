"""Pages by push through ntfy (ntfy.sh or a self-hosted server): a `Page` as the JSON ntfy
publishes (`body`; `notice` for a push that is no page), publishing it (`publish`, `post`),
and what a failure means for the outbox sender (`classify`).

ntfy's JSON publishing (docs.ntfy.sh/publish/#publish-as-json): POST the message to the
server's root URL with the topic in the body; the answer is the message as stored (`id`,
`time`, `event: "message"`, ...). Errors answer `{"code": 40101, "http": 401, "error":
"unauthorized", "link": ...}`: 401 for a token ntfy does not know, 403 for a topic the caller
may not write, 429 for a rate limit or a daily quota. Priority 5 ("max", for the config's most
severe severity) breaks through Android's Do-Not-Disturb; everything else is 4 ("high").
"""

from __future__ import annotations

from typing import Any

import aiohttp

from bot.core.paging import Page
from bot.notify import http_refusal, network_failure, one_line, refusal_of
from bot.slack.errors import Failure

TIMEOUT = 15.0  # seconds for the whole request
TITLE = 200  # characters of the incident's title in the push
RATE_LIMIT_WAIT = 5.0  # seconds, when a 429 says nothing (ntfy refills a request every 5 s)


class NtfyError(Exception):
    """ntfy refused a publish, or answered with something that is not a published message."""

    def __init__(
        self, status: int, code: int | None = None, error: str = "", retry_after: float = 0.0
    ) -> None:
        self.status, self.code, self.error, self.retry_after = status, code, error, retry_after
        super().__init__(f"ntfy {status}" + (f" {code}" if code else "") + f": {error}")


def body(page: Page, topic: str) -> dict[str, Any]:
    """The JSON published for one page to `topic`."""
    severity = one_line(page.severity, 20).upper()
    team = one_line(page.team, 100)
    return {
        "topic": topic,
        "title": f"{page.ref} {severity} · {team}",
        "message": f"{one_line(page.title, TITLE)}\nAcknowledge: {page.link}",
        "priority": 5 if page.most_severe else 4,
        "tags": ["rotating_light" if page.most_severe else "warning"],
        "click": page.link,
        "actions": [
            {
                "action": "http",
                "label": "Acknowledge",
                "url": page.link,
                "method": "POST",
                "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                "body": "action=ack",
                "clear": True,
            }
        ],
    }


async def publish(
    session: aiohttp.ClientSession,
    base_url: str,
    token: str | None,
    page: Page,
    topic: str,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - aiohttp's, for the whole request
) -> dict[str, Any]:
    """Publish one page to `topic` on the ntfy server at `base_url` (FIREBELL_NTFY_URL)."""
    return await post(session, base_url, token, body(page, topic), timeout)


def notice(topic: str, title: str, message: str) -> dict[str, Any]:
    """The JSON of a push that is no page (a test page): high priority, as a page has."""
    return {"topic": topic, "title": title, "message": message, "priority": 4, "tags": ["bell"]}


async def post(
    session: aiohttp.ClientSession,
    base_url: str,
    token: str | None,
    published: dict[str, Any],
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - aiohttp's, for the whole request
) -> dict[str, Any]:
    """Publish `published` (its topic inside), with `Authorization: Bearer <token>` when a
    token is set; the message as ntfy stored it. Raises NtfyError when ntfy refuses,
    aiohttp's errors or TimeoutError on the way."""
    headers = {"Accept": "application/json"}
    if token and token.strip():
        headers["Authorization"] = f"Bearer {token.strip()}"
    async with session.post(
        base_url.strip().rstrip("/") + "/",
        json=published,
        headers=headers,
        timeout=aiohttp.ClientTimeout(total=timeout),
        allow_redirects=False,  # a redirected POST comes back as a GET: never published
    ) as response:
        try:
            answer = await response.json(content_type=None)
        except ValueError:
            answer = None
        if response.status >= 300:
            raise _refusal(response, answer)
        if not isinstance(answer, dict) or answer.get("event") != "message":
            raise NtfyError(response.status, error="the answer is not a published ntfy message")
        return answer


def _refusal(response: aiohttp.ClientResponse, answer: Any) -> NtfyError:
    return NtfyError(response.status, *refusal_of(response, answer, "error", RATE_LIMIT_WAIT))


def classify(exc: BaseException) -> Failure | None:
    """What a failed `publish` means: 429 -> RATE_LIMITED (Retry-After when ntfy sends one);
    5xx, the network or a timeout -> TRANSIENT; 401/403 (the token or the topic's access) and
    a server that is not ntfy -> FATAL; other 4xx -> PERMANENT; None for anything else."""
    if isinstance(exc, NtfyError):
        error = f"ntfy_{exc.code}" if exc.code else f"http_{exc.status}"
        return http_refusal(exc.status, error, "ntfy", wait=exc.retry_after or RATE_LIMIT_WAIT)
    return network_failure(exc, "ntfy")
