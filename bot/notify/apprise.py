"""Pages through Apprise, the long tail of push and chat services (Telegram, Teams, Matrix,
Pushover, Discord...): a person's `apprise:` URLs. A `Page` as a title and a plain-text body
(`title`, `body`), sent to every URL at once (`send`; `notify` for any text), and what a
failure means for the outbox sender (`classify`).

Apprise does not raise when a service fails: its answer is falsy, and why is only in its log.
So a failed notify is TRANSIENT (retried with the sender's backoff; every URL gets the page
again, as Apprise sends them in one call), and a URL that Apprise cannot load (a typo, a
scheme it has no plugin for) is PERMANENT; the person's other URLs still get the page first.

The URLs hold tokens (`tgram://<bot token>/<chat id>`). They stay in the config: never in an
outbox row, and never in an error, which names only their schemes. Apprise logs to the
`apprise` logger, which is set here to WARNING (its INFO and DEBUG lines, URLs among them,
are never even made), with a filter on what it still logs: every `scheme://...` cut down to
`scheme://…`, every piece of a URL sent (a token a plugin quotes as invalid) to `…`, and no
tracebacks.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from urllib.parse import unquote

from bot.core.paging import Page
from bot.notify import one_line
from bot.slack.errors import Category, Failure

TIMEOUT = 30.0  # seconds for the whole notify (Apprise's services wait 4 s + 4 s per request)
TITLE = 200  # characters of the incident's title
SCHEME = re.compile(r"\s*([A-Za-z][A-Za-z0-9+.-]{0,31})://")
_URL = re.compile(r"\b([A-Za-z][A-Za-z0-9+.-]{0,31})://\S*")


class _NoSecrets(logging.Filter):
    """What the `apprise` logger still logs, without secrets: every `scheme://...` as its
    scheme alone, every piece of a URL ever sent (a token Apprise calls invalid, quoted in its
    warning) as `…`, and no traceback."""

    pieces: tuple[str, ...] = ()  # longest first; replaced whole, as worker threads log

    def remember(self, urls: Sequence[str]) -> None:
        known = set(self.pieces)
        for url in urls:
            rest = url[found.end() :] if (found := SCHEME.match(url)) else url
            for piece in _PIECES.split(rest):
                known |= {p for p in (piece, unquote(piece)) if len(p) >= 4}
        self.pieces = tuple(sorted(known, key=len, reverse=True))

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit: Apprise's bug, not a reason to leak
            message = str(record.msg)
        if record.exc_info or record.exc_text:
            kind = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
            message = f"{message} ({kind or 'exception'})"
            record.exc_info, record.exc_text = None, None
        for piece in self.pieces:
            message = message.replace(piece, "…")
        record.msg, record.args = _URL.sub(r"\1://…", message), ()
        return True


_PIECES = re.compile(r"[/:@?&=#,;+\s]+")
_FILTER = _NoSecrets()
_LOG = logging.getLogger("apprise")
_LOG.setLevel(logging.WARNING)
_LOG.addFilter(_FILTER)


class AppriseFailed(Exception):
    """Apprise could not page: `permanent` when a URL cannot be loaded (never retried)."""

    def __init__(self, message: str, *, permanent: bool = False, schemes: Sequence[str] = ()):
        self.permanent, self.schemes = permanent, tuple(schemes)
        super().__init__(f"apprise: {message}")


def scheme(url: str) -> str:
    """What a URL may show of itself anywhere: its scheme (`tgram`), or `?`."""
    found = SCHEME.match(url)
    return found.group(1).lower() if found else "?"


def title(page: Page) -> str:
    severity = one_line(page.severity, 20).upper()
    return f"{page.ref} {severity} · {one_line(page.team, 100)}"


def body(page: Page) -> str:
    """The text, whole on its own: some services show no title (SMS-like ones)."""
    severity = one_line(page.severity, 20).upper()
    return (
        f"{page.ref} {severity} · {one_line(page.team, 100)}: {one_line(page.title, TITLE)}\n"
        f"Acknowledge: {page.link}"
    )


async def send(
    urls: Sequence[str],
    page: Page,
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - the whole notify, every URL at once
) -> None:
    """Page through every URL (see `notify`)."""
    await notify(
        urls, title(page), body(page), "failure" if page.most_severe else "warning", timeout
    )


async def notify(
    urls: Sequence[str],
    heading: str,
    text: str,
    kind: str = "info",
    timeout: float = TIMEOUT,  # noqa: ASYNC109 - the whole notify, every URL at once
) -> None:
    """Send `heading` and `text` through every URL (a page, or a test page); `kind` is an
    Apprise NotifyType's value. Raises AppriseFailed: TRANSIENT when a service failed or the
    whole took longer than `timeout`, PERMANENT when a URL cannot be loaded (after the others
    got it) or there is none."""
    import apprise  # here, not at the top: its plugins take ~50 ms to import, at start-up

    _FILTER.remember(urls)
    notifier = apprise.Apprise()
    unloaded = [scheme(url) for url in urls if not notifier.add([url])]  # a list: never split
    if len(notifier) == 0:
        raise AppriseFailed(_unloaded(unloaded) or "no URL", permanent=True, schemes=unloaded)
    try:
        async with asyncio.timeout(timeout):
            result = await notifier.async_notify(
                body=text,
                title=heading,
                notify_type=apprise.NotifyType(kind),
                body_format=apprise.NotifyFormat.TEXT,
            )
    except TimeoutError:
        raise AppriseFailed(f"no answer within {timeout:g}s") from None
    if not result:
        failed = [r.name for r in getattr(result, "results", ()) if not r]  # Apprise 2
        raise AppriseFailed(f"{', '.join(failed) or 'a service'} failed")
    if unloaded:
        raise AppriseFailed(_unloaded(unloaded), permanent=True, schemes=unloaded)


def _unloaded(schemes: Sequence[str]) -> str:
    return "cannot load " + ", ".join(f"{s}://…" for s in dict.fromkeys(schemes)) if schemes else ""


def classify(exc: BaseException) -> Failure | None:
    """What a failed `send` means: a URL Apprise cannot load -> PERMANENT; a failed notify or
    a timeout -> TRANSIENT (Apprise cannot tell why a service failed); None for anything
    else (a bug: let it propagate)."""
    if isinstance(exc, AppriseFailed) and exc.permanent:
        error = "apprise_url:" + ",".join(exc.schemes) if exc.schemes else "apprise_no_url"
        return Failure(Category.PERMANENT, error, method="apprise")
    if isinstance(exc, AppriseFailed | TimeoutError):
        return Failure(Category.TRANSIENT, "apprise", detail=str(exc), method="apprise")
    return None
