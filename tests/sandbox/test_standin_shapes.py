"""The Slack stand-in answers in Slack's shapes: each Web API method the bot uses, compared
with the example response Slack documents for it (tests/fixtures/slack/<method>.json).

A fixture holds the documented example, the documented keys the stand-in deliberately leaves
out (`not_modelled`, each with the reason) and the keys it sends that the example lacks
(`also_sent`, each with the reason). Everything else must match: the same key paths, and the
same JSON type at each (null matches anything, as Slack documents most fields as nullable).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.sandbox.standin.server import SlackDouble

ROOT = Path(__file__).parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "slack"
TOKEN = "xoxb-test-token"
CHANNEL = "C0INCIDENTS"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hello*"}}]
MODAL = {
    "type": "modal",
    "callback_id": "declare_modal",
    "title": {"type": "plain_text", "text": "Declare incident"},
    "submit": {"type": "plain_text", "text": "Declare"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "private_metadata": "C0INCIDENTS",
    "blocks": [
        {
            "type": "input",
            "block_id": "title",
            "label": {"type": "plain_text", "text": "Title"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}


def fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def paths(value: Any, prefix: str = "", found: dict[str, set[str]] | None = None):
    """Every key path in a JSON value with the types seen there; list items share `[]`."""
    found = {} if found is None else found
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.setdefault(path, set()).add(json_type(item))
            paths(item, path, found)
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict | list):
                paths(item, f"{prefix}[]", found)
    return found


def under(path: str, roots) -> bool:
    return any(path == r or path.startswith((f"{r}.", f"{r}[]")) for r in roots)


def compare(documented: dict, answer: dict, not_modelled, also_sent) -> list[str]:
    """Differences between Slack's documented example and the stand-in's answer."""
    theirs, ours = paths(documented), paths(answer)
    # blocks and views' contents are what the app sent: only their presence is compared, and
    # Slack's own examples differ on whether a plain_text object shows its `emoji` flag
    opaque = [p for p in set(theirs) | set(ours) if p.rsplit(".", 1)[-1] in ("blocks", "values")]
    for found in (theirs, ours):
        for path in [p for p in found if p.endswith(".emoji")]:
            del found[path]
    problems = []
    for path in sorted(theirs):
        if under(path, opaque) and path not in opaque:
            continue
        if path not in ours and not under(path, not_modelled):
            problems.append(f"missing {path} (documented as {sorted(theirs[path])})")
    for path in sorted(ours):
        if under(path, opaque) and path not in opaque:
            continue
        if path not in theirs and not under(path, also_sent):
            problems.append(f"not documented: {path} ({sorted(ours[path])})")
        elif path in theirs:
            a, b = theirs[path] - {"null"}, ours[path] - {"null"}
            if a and b and not a & b:
                problems.append(f"{path}: documented {sorted(a)}, sent {sorted(b)}")
    return problems


async def call(http: aiohttp.ClientSession, slack: SlackDouble, method: str, token=TOKEN, **params):
    async with http.post(
        f"{slack.url}{method}",
        json=params,
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        assert response.status == 200
        return await response.json()


async def scenario(http: aiohttp.ClientSession, slack: SlackDouble, name: str) -> dict:
    """Call `name` the way the bot does, with whatever state it needs first."""
    slack.add_user("spengler@example.com", "U0EGON", real_name="Egon Spengler")
    slack.add_usergroup("S0PRODUCT", ["U0EGON", "U0LEAD"])

    async def post(**extra):
        return await call(http, slack, "chat.postMessage", channel=CHANNEL, text="hi", **extra)

    if name == "auth.test":
        return await call(http, slack, name)
    if name == "error":
        slack.missing_channels.add("C0GONE")
        return await call(http, slack, "chat.postMessage", channel="C0GONE", text="hi")
    if name == "chat.postMessage":
        return await post(blocks=BLOCKS)
    if name == "chat.update":
        posted = await post(blocks=BLOCKS)
        return await call(
            http, slack, "chat.update", channel=CHANNEL, ts=posted["ts"], text="new", blocks=BLOCKS
        )
    if name == "chat.delete":
        posted = await post()
        return await call(http, slack, "chat.delete", channel=CHANNEL, ts=posted["ts"])
    if name == "chat.postEphemeral":
        return await call(http, slack, name, channel=CHANNEL, user="U0EGON", text="only you")
    if name == "chat.getPermalink":
        posted = await post()
        return await call(http, slack, name, channel=CHANNEL, message_ts=posted["ts"])
    if name in ("views.open", "views.push"):
        return await call(http, slack, name, trigger_id=slack.issue_trigger("U0EGON"), view=MODAL)
    if name == "views.update":
        opened = await call(
            http, slack, "views.open", trigger_id=slack.issue_trigger("U0EGON"), view=MODAL
        )
        return await call(http, slack, name, view_id=opened["view"]["id"], view=MODAL)
    if name == "views.publish":
        return await call(
            http, slack, name, user_id="U0EGON", view={"type": "home", "blocks": BLOCKS}
        )
    if name == "users.info":
        return await call(http, slack, name, user="U0EGON")
    if name == "users.lookupByEmail":
        return await call(http, slack, name, email="spengler@example.com")
    if name in ("conversations.info", "conversations.join"):
        if name == "conversations.join":
            await call(http, slack, name, channel=CHANNEL)  # the second join warns
        return await call(http, slack, name, channel=CHANNEL)
    if name == "conversations.open":
        return await call(http, slack, name, users="U0EGON")
    if name in ("conversations.history", "conversations.replies"):
        await call(http, slack, "conversations.join", channel=CHANNEL)  # reading needs it
    if name == "conversations.history":
        await post(blocks=BLOCKS)
        await post()
        return await call(http, slack, name, channel=CHANNEL, limit=1)
    if name == "conversations.replies":
        parent = await post(blocks=BLOCKS)
        await post(thread_ts=parent["ts"])
        return await call(http, slack, name, channel=CHANNEL, ts=parent["ts"])
    if name == "usergroups.list":
        return await call(http, slack, name)
    if name == "usergroups.users.list":
        return await call(http, slack, name, usergroup="S0PRODUCT")
    if name == "files.getUploadURLExternal":
        return await call(http, slack, name, filename="INC-1.md", length=12)
    if name == "files.completeUploadExternal":
        upload = await call(http, slack, "files.getUploadURLExternal", filename="a.md", length=1)
        files = [{"id": upload["file_id"], "title": "INC-1 postmortem"}]
        slack.joined.add(CHANNEL)  # a file is shared only where the bot is a member
        return await call(http, slack, name, files=json.dumps(files), channel_id=CHANNEL)
    if name == "apps.connections.open":
        return await call(http, slack, name, token="xapp-test")
    raise AssertionError(f"no scenario for {name}")


NAMES = sorted(p.stem for p in FIXTURES.glob("*.json"))


@pytest.mark.parametrize("name", NAMES)
async def test_the_stand_in_answers_in_slacks_documented_shape(name, double):
    spec = fixture(name)
    async with aiohttp.ClientSession() as http:
        answer = await scenario(http, double, name)
    assert answer["ok"] is spec["response"]["ok"], answer
    problems = compare(spec["response"], answer, spec["not_modelled"], spec["also_sent"])
    assert problems == [], f"{name}: {problems}"


def test_the_comparison_catches_a_missing_key_a_new_key_and_a_wrong_type():
    documented = {"ok": True, "channel": "C1", "message": {"ts": "1.2", "text": "hi"}}
    answer = {"ok": True, "channel": 5, "message": {"ts": "1.2", "extra": 1}}
    assert compare(documented, answer, {}, {}) == [
        "missing message.text (documented as ['string'])",
        "channel: documented ['string'], sent ['number']",
        "not documented: message.extra (['number'])",
    ]
    assert compare(documented, answer, {"message.text": ""}, {"message.extra": ""}) == [
        "channel: documented ['string'], sent ['number']"
    ]


def _methods_the_bot_calls() -> set[str]:
    """Web API methods named in the bot's code: `client.chat_postMessage(`,
    `ctx.slack.chat_update(` and the like."""
    found = set()
    for source in (ROOT / "bot").rglob("*.py"):
        if "sandbox" in source.parts:
            continue
        for name in re.findall(r"(?:client|slack)\.([a-z]+_[A-Za-z_0-9]+)\(", source.read_text()):
            if name == "files_upload_v2":  # slack_sdk's upload is these two calls
                found |= {"files.getUploadURLExternal", "files.completeUploadExternal"}
            else:
                found.add(name.replace("_", "."))
    return found


def test_every_method_the_bot_calls_has_a_documented_shape_and_a_stand_in():
    methods = _methods_the_bot_calls()
    assert {"chat.postMessage", "chat.update", "views.open", "views.publish"} <= methods
    stand_in = SlackDouble()
    missing = sorted(m for m in methods if not (FIXTURES / f"{m}.json").exists())
    unserved = sorted(m for m in methods if m not in stand_in._handlers)
    assert missing == [] and unserved == [], (missing, unserved)
