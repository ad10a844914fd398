"""Sentry's webhooks as Sentry documents and signs them, and a bot that takes them.

Shapes from docs.sentry.io/organization/integrations/integration-platform/webhooks/:
- issue alerts (`Sentry-Hook-Resource: event_alert`): `action: triggered`, `data.event` with
  `title`, `level`, `project` (numeric id), `url` (API URL `.../api/0/projects/<org>/<slug>/
  events/<id>/`), `web_url`, `issue_url`, `issue_id`, `culprit`, and `data.triggered_rule`,
  `data.issue_alert`;
- metric alerts (`metric_alert`): `action` `critical`/`warning`/`resolved`, `data.metric_alert`
  (`alert_rule` with `id`, `name`, `projects`; `date_started`, `projects`, ...),
  `data.description_title`, `data.description_text`, `data.web_url`;
- issues (`issue`): `action` `created`/`resolved`/`assigned`/`archived`/`unresolved`,
  `data.issue` with `id`, `title`, `level`, `project` {`id`, `name`, `slug`}, `status`, ...

Every request carries `Sentry-Hook-Signature`: the hex HMAC-SHA256 of the body keyed with the
integration's client secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

from bot.sandbox.standin.server import SlackDouble
from tests.support.alerts import ALERTS_CONFIG, AlertBot

CLIENT_SECRET = "3d0f1c9e8b7a65f4e3d2c1b0a9f8e7d6c5b4a3928170f6e5d4c3b2a1908f7e6d"
INSTALLATION = {"uuid": "a8e5d37a-696c-4c54-adb5-b3f28d64c7de"}
ACTOR = {"id": "sentry", "name": "Sentry", "type": "application"}

SENTRY_CONFIG = ALERTS_CONFIG.replace(
    "  reopen_within: 30m\n",
    """  reopen_within: 30m
  sentry_projects:
    front-end: web
    "42": api
""",
)


def sign(raw: bytes, secret: str = CLIENT_SECRET) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


class SentryBot(AlertBot):
    """The harness bot with the Sentry client secret set (and the alert token, as usual)."""

    def __init__(self, *args: Any, env: dict[str, Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("config", SENTRY_CONFIG)
        if env is None:
            env = {"firebell_sentry_client_secret": CLIENT_SECRET}
        super().__init__(*args, env=env, **kwargs)

    async def sentry(
        self,
        body: Any = None,
        *,
        resource: str | None = None,
        raw: bytes | None = None,
        signature: str | None = "sign",
        secret: str = CLIENT_SECRET,
    ) -> tuple[int, dict]:
        """POST a Sentry webhook, signed over exactly the bytes sent unless `signature` says
        otherwise (None: no signature header); (status, JSON answer)."""
        data = raw if raw is not None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Request-ID": "8c2b6a1e"}
        if resource is None and isinstance(body, dict):
            resource = resource_of(body)
        if resource:
            headers["Sentry-Hook-Resource"] = resource
            headers["Sentry-Hook-Timestamp"] = "1566248777"
        if signature == "sign":
            headers["Sentry-Hook-Signature"] = sign(data, secret)
        elif signature is not None:
            headers["Sentry-Hook-Signature"] = signature
        return await self.post_alert("sentry", data, headers)


async def start(
    tmp_path: Path, double: SlackDouble, config: str = SENTRY_CONFIG, **kwargs: Any
) -> SentryBot:
    bot = SentryBot(tmp_path, double, config=config, **kwargs)
    await bot.start()
    return bot


def resource_of(body: dict) -> str | None:
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    for key, resource in (("event", "event_alert"), ("metric_alert", "metric_alert")):
        if key in data:
            return resource
    return "issue" if "issue" in data else None


# -- issue alerts -----------------------------------------------------------------------------


def issue_alert(
    *,
    issue_id: str = "1117540176",
    title: str = "ReferenceError: heck is not defined",
    level: str = "error",
    project: int = 1,
    org: str = "test-org",
    slug: str = "front-end",
    rule: str = "Very Important Alert Rule!",
    event_id: str = "e4874d664c3540c1a32eab185f12c5ab",
) -> dict[str, Any]:
    """An issue alert webhook, as Sentry's docs show one (the stack trace shortened)."""
    return {
        "action": "triggered",
        "actor": ACTOR,
        "data": {
            "event": {
                "_ref": project,
                "_ref_version": 2,
                "contexts": {"browser": {"name": "Chrome", "type": "browser"}},
                "culprit": "?(<anonymous>)",
                "datetime": "2019-08-19T21:06:17.677000Z",
                "dist": None,
                "event_id": event_id,
                "exception": {
                    "values": [
                        {
                            "mechanism": {"handled": False, "type": "onerror"},
                            "stacktrace": {"frames": [{"filename": "<anonymous>", "lineno": 3}]},
                            "type": "ReferenceError",
                            "value": "heck is not defined",
                        }
                    ]
                },
                "fingerprint": ["{{ default }}"],
                "hashes": ["29f7ffc4903a8a990408b80a3b4c95a2"],
                "issue_url": f"https://sentry.io/api/0/issues/{issue_id}/",
                "issue_id": issue_id,
                "key_id": "667532",
                "level": level,
                "location": "<anonymous>",
                "logger": "",
                "message": "",
                "metadata": {"type": "ReferenceError", "value": "heck is not defined"},
                "platform": "javascript",
                "project": project,
                "received": 1566248777.677,
                "release": None,
                "tags": [["browser", "Chrome 75.0.3770"], ["level", level]],
                "timestamp": 1566248777.677,
                "title": title,
                "type": "error",
                "url": f"https://sentry.io/api/0/projects/{org}/{slug}/events/{event_id}/",
                "user": {"ip_address": "162.218.85.90"},
                "version": "7",
                "web_url": (
                    f"https://sentry.io/organizations/{org}/issues/{issue_id}/events/{event_id}/"
                ),
            },
            "triggered_rule": rule,
            "issue_alert": {
                "title": rule,
                "settings": [{"name": "channel", "value": "#general"}],
            },
        },
        "installation": INSTALLATION,
    }


# -- issues -----------------------------------------------------------------------------------


def issue(
    action: str = "resolved",
    *,
    issue_id: str = "1117540176",
    title: str = "ReferenceError: heck is not defined",
    level: str = "error",
    project_id: str = "1",
    slug: str = "front-end",
) -> dict[str, Any]:
    """An issue webhook, as Sentry's docs show one."""
    return {
        "action": action,
        "actor": {"id": 1, "name": "Jane Doe", "type": "user"},
        "data": {
            "issue": {
                "annotations": [],
                "assignedTo": None,
                "count": "1",
                "culprit": "?(<anonymous>)",
                "firstSeen": "2019-08-19T20:58:37.391000Z",
                "hasSeen": True,
                "id": issue_id,
                "isBookmarked": False,
                "isPublic": False,
                "isSubscribed": False,
                "lastSeen": "2019-08-19T21:06:17.677000Z",
                "level": level,
                "logger": None,
                "metadata": {"type": "ReferenceError", "value": "heck is not defined"},
                "numComments": 0,
                "permalink": None,
                "platform": "javascript",
                "project": {"id": project_id, "name": slug, "platform": "", "slug": slug},
                "shareId": None,
                "shortId": "FRONT-END-9",
                "status": "resolved" if action == "resolved" else "unresolved",
                "statusDetails": {},
                "subscriptionDetails": None,
                "substatus": None if action == "resolved" else "new",
                "title": title,
                "type": "error",
                "userCount": 1,
                "url": f"https://sentry.io/api/0/issues/{issue_id}/",
                "web_url": f"https://sentry.io/organizations/test-org/issues/{issue_id}/",
                "project_url": f"https://sentry.io/api/0/projects/test-org/{slug}/",
            }
        },
        "installation": INSTALLATION,
    }


# -- metric alerts ----------------------------------------------------------------------------


def metric_alert(
    action: str = "critical",
    *,
    rule_id: str = "7",
    name: str = "Too many errors",
    projects: list[str] | None = None,
    started: str = "2020-09-13T12:26:40.000000Z",
) -> dict[str, Any]:
    """A metric alert webhook, as Sentry's docs show one."""
    projects = ["bar"] if projects is None else projects
    word = {"critical": "Critical", "warning": "Warning", "resolved": "Resolved"}[action]
    return {
        "action": action,
        "actor": ACTOR,
        "data": {
            "description_text": "1000 events in the last 10 minutes\nFilter: level:error",
            "description_title": f"{word}: {name}",
            "metric_alert": {
                "alert_rule": {
                    "aggregate": "count()",
                    "created_by": None,
                    "dataset": "events",
                    "date_created": "2020-09-13T12:26:40.000000Z",
                    "date_modified": "2020-09-13T12:26:40.000000Z",
                    "environment": None,
                    "id": rule_id,
                    "include_all_projects": False,
                    "name": name,
                    "organization_id": "5",
                    "projects": projects,
                    "query": "level:error",
                    "resolution": 1,
                    "resolve_threshold": None,
                    "status": 0,
                    "threshold_period": 1,
                    "threshold_type": 0,
                    "time_window": 10,
                    "triggers": [],
                },
                "date_closed": None,
                "date_created": started,
                "date_detected": started,
                "date_started": started,
                "id": "4",
                "identifier": "1",
                "organization_id": "5",
                "projects": projects,
                "status": 2 if action == "resolved" else (20 if action == "critical" else 10),
                "status_method": 3,
                "title": "Sacred Marmot",
                "type": 2,
            },
            "web_url": "https://sentry.io/organizations/baz/alerts/1/",
        },
        "installation": INSTALLATION,
    }
