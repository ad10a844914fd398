"""`/p/<token>`: the acknowledge link every page carries, a small page to act from anywhere.

`GET` shows the incident (its number, severity, title, status, owning team, who else was
paged) with Acknowledge and Escalate buttons while it is open, and changes nothing: mail
scanners and link previews open links. `POST` with `action=ack` or `action=escalate` acts as
the person the link names (see `bot.services.page_links`) and answers with the page again and
one line saying what happened, or why not.

Answers: 200 with the page (a resolved incident's says by whom and when, without buttons;
a POST to it changes nothing); 404 with one short body for a link that is forged, altered,
expired or of an incident that is gone, so a prober learns nothing; 400 for any other
`action`; 411/413 for a POST without a length or over `MAX_FORM` bytes. The page is plain
HTML5 with inline CSS, no script and nothing fetched from elsewhere; every value is escaped.
Only the token's first characters are logged.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import structlog
from aiohttp import web

from bot.services.container import Services
from bot.services.page_links import ACTIONS, PageView

log = structlog.get_logger("firebell.pages")

MAX_FORM = 1024  # bytes; the form is one short field
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}
BUTTONS = (("ack", "Acknowledge"), ("escalate", "Escalate"))
STYLE = """
body{font:16px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:1rem;
color:#1d1c1d;background:#f8f8f8}
main{max-width:32rem;margin:0 auto;background:#fff;border-radius:8px;padding:1rem 1.25rem;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.3rem;margin:.2rem 0}
.sev{display:inline-block;font-size:.85rem;padding:.1rem .45rem;border-radius:4px;
background:#e01e5a;color:#fff;vertical-align:middle}
.title{font-size:1.1rem;margin:.4rem 0 1rem;overflow-wrap:anywhere}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem .8rem;margin:0 0 1rem}
dt{color:#616061}dd{margin:0;overflow-wrap:anywhere}
.result{padding:.6rem .8rem;border-radius:6px;background:#eef6ff;border:1px solid #b6d4fe}
.done{background:#eaf7ee;border-color:#a3d9b1}
form{display:inline-block;margin:.25rem .5rem .25rem 0}
button{font-size:1.05rem;padding:.7rem 1.2rem;border-radius:6px;border:1px solid #1d1c1d;
background:#fff;cursor:pointer;min-width:9rem}
button.primary{background:#007a5a;border-color:#007a5a;color:#fff}
.who{color:#616061;font-size:.9rem;margin-top:1rem}
""".strip()
NOT_VALID = "This link is not valid or has expired."
_MENTION = re.compile(r"<[@#!]([A-Za-z0-9_^-]+)(?:\|[^>]*)?>")  # Slack's mrkdwn mentions


def routes(services: Services) -> list[web.RouteDef]:
    links = services.page_links

    async def show(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        view = await links.view(token)
        if view is None:
            log.info("page_link_refused", link=_short(token), method="GET")
            return _not_valid()
        log.info("page_link_shown", link=_short(token), incident=view.incident.id, user=view.user)
        return _page(view, None)

    async def act(request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if request.content_length is None:
            return _plain(411, "A form needs a Content-Length.")
        if request.content_length > MAX_FORM:
            return _plain(413, "That form is too large.")
        form = await request.post()
        action = form.get("action")
        if links.claim(token) is None:
            log.info("page_link_refused", link=_short(token), method="POST")
            return _not_valid()
        if not isinstance(action, str) or action not in ACTIONS:
            return _plain(400, "Unknown action: use Acknowledge or Escalate.")
        done = await links.act(token, action)
        if done is None:  # expired, or its incident gone, since the check above
            return _not_valid()
        view, message = done
        log.info(
            "page_link_acted",
            link=_short(token),
            incident=view.incident.id,
            user=view.user,
            action=action,
        )
        return _page(view, message)

    return [web.get("/p/{token}", show), web.post("/p/{token}", act)]


def render(view: PageView, message: str | None = None) -> str:
    """The page for `view`; `message`: the one-line result of a POST."""
    incident = view.incident
    ref = incident.ref
    rows = [("Status", _status(view)), ("Team", incident.owner)]
    if incident.acknowledged_by and incident.is_open:
        rows.append(("Acknowledged by", _by(incident.acknowledged_by, incident.acknowledged_at)))
    rows.append(("Also paged", ", ".join(view.others) or "nobody else"))
    parts = []
    if message is not None:
        parts.append(f'<p class="result" role="status">{_text(_plain_mentions(message))}</p>')
    parts.append(f'<h1>{_text(ref)} <span class="sev">{_text(incident.severity)}</span></h1>')
    title = "(private incident)" if incident.hidden else incident.title
    parts.append(f'<p class="title">{_text(title)}</p>')
    if view.resolved:
        parts.append(f'<p class="result done">{_text(_resolved_line(view))}</p>')
    elif view.stale:
        parts.append(
            f'<p class="result">This link was issued before {_text(ref)} was resolved '
            "and reopened; it no longer acts. Use the newest page instead.</p>"
        )
    parts.append(
        "<dl>" + "".join(f"<dt>{_text(k)}</dt><dd>{_text(v)}</dd>" for k, v in rows) + "</dl>"
    )
    if view.actionable:
        for value, label in BUTTONS:
            kind = ' class="primary"' if value == "ack" else ""
            parts.append(
                '<form method="post">'
                f'<input type="hidden" name="action" value="{_text(value)}">'
                f'<button type="submit"{kind}>{_text(label)}</button></form>'
            )
    parts.append(f'<p class="who">This link acts as {_text(view.user)}.</p>')
    return _document(f"{ref} · Firebell", "\n".join(parts))


def _page(view: PageView, message: str | None) -> web.Response:
    return web.Response(
        text=render(view, message), content_type="text/html", charset="utf-8", headers=HEADERS
    )


def _not_valid() -> web.Response:
    body = f'<p class="result">{_text(NOT_VALID)}</p>'
    return web.Response(
        status=404,
        text=_document("Link not valid · Firebell", body),
        content_type="text/html",
        charset="utf-8",
        headers=HEADERS,
    )


def _plain(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", headers=HEADERS)


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        f"<title>{_text(title)}</title>\n<style>{STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def _status(view: PageView) -> str:
    status = view.incident.status
    return status[:1].upper() + status[1:]


def _resolved_line(view: PageView) -> str:
    incident = view.incident
    who = incident.resolved_by or "someone"
    when = f" at {_utc(incident.resolved_at)}" if incident.resolved_at else ""
    return f"{incident.ref} was resolved by {who}{when}."


def _by(user: str, at: datetime | None) -> str:
    return f"{user} at {_utc(at)}" if at else user


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _plain_mentions(text: str) -> str:
    """A use case's answer, written for Slack, as plain text: `<@U0AAA>` becomes U0AAA."""
    return _MENTION.sub(r"\1", text)


def _text(value: object) -> str:
    return html.escape(str(value), quote=True)


def _short(token: str) -> str:
    """Enough of a token to tell log lines apart, never enough to use it."""
    return token[:8] + "…" if len(token) > 8 else "…"
