"""Every surface, rendered from arbitrary unicode and hostile text of any length, is one Slack
takes (its documented limits, after escaping: tests/support/sendable.py holds it against the
stand-in's rules) and pings nobody from user text.

Titles, descriptions, summaries, updates, reasons, services, tenants, rotation names and alert
labels are drawn from any unicode, Slack markup (`<!channel>`, `<@U…>`, links, escapes) and
sizes up to hundreds of thousands of characters; people, channels and groups are the known ids
below, the only mentions allowed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import parse_config
from bot.core.calendar_days import days, touched
from bot.core.heartbeats import State
from bot.core.maintenance import Maintenance
from bot.core.metrics import Longest, Report, Row, Times
from bot.core.rotation import Override, Shift
from bot.services import calendar
from bot.services.alerts import AlertCard, NotificationRecord
from bot.services.handover import OpenIncident, Summary
from bot.services.heartbeats import HeartbeatView
from bot.services.maintenance import Ended, Listed, Started
from bot.services.models import EventRecord, IncidentRecord, OverrideRecord
from bot.services.my_paging_view import Change, Contact, MyPaging
from bot.services.overrides import Added, Home, OverrideList, Refused, Removed, RotationNow
from bot.slack import mrkdwn as md
from bot.slack.blocks import (
    alerts,
    answers,
    card,
    home,
    kit,
    modals,
    my_paging,
    oncall,
    pages,
    stakeholders,
)
from tests.support import harness
from tests.support.sendable import message_problems, mrkdwn_problems, view_problems

CONFIG = parse_config(harness.CONFIG + "broadcast_channel: C0STATUS\n")
ALLOWED = {
    "users": {"U0ALICE", "U0BOB", "U0LEAD", "U0AAA", "U0BBB", "U0PRODUCT"},
    "channels": {"C0INCIDENTS"},
    "groups": {"S0PLATFORM", "S0PRODUCT"},
}
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
HOSTILE = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<!subteam^S0EVIL|@evil>",
    "<@U0EVIL>",
    "<@W0EVIL|mallory>",
    "<#C0EVIL>",
    "<https://evil.example/?a=1&b=2|your bank>",
    "<!date^1^{time}|x>",
    "&",
    "&amp;",
    "&lt;",
    "<",
    ">",
    "|",
    "*",
    "_",
    "`",
    "```",
    "~",
    "\n",
    ":rotating_light:",
    "\u200b",
    "\u202e",
    "🔥",
    "\U0001f469\u200d\U0001f4bb",
]
piece = st.one_of(st.text(max_size=20), st.sampled_from(HOSTILE))
TEXT = st.builds(
    lambda parts, times: "".join(parts) * times,
    st.lists(piece, max_size=6),
    st.sampled_from([1, 1, 1, 3, 40, 400, 3000]),
)
PEOPLE = st.sampled_from(sorted(ALLOWED["users"]))
SOME = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
POLICY = {"levels": [{"targets": ["rotation:primary"], "after": None}], "repeat": 0}


def incident(texts: dict, status: str = "declared", number: int = 1) -> IncidentRecord:
    acked = status != "declared"
    return IncidentRecord(
        id=number,
        title=texts["title"],
        description=texts["description"],
        severity="SEV1",
        status=status,
        service=texts["service"],
        team=texts["team"],
        tenants=texts["tenants"],
        source="alertmanager",
        declared_by="U0ALICE",
        commander="U0BOB",
        comms_lead=None,
        acknowledged_by="U0LEAD" if acked else None,
        resolved_by="U0LEAD" if status == "resolved" else None,
        summary=texts["summary"] if status == "resolved" else None,
        channel_id="C0INCIDENTS",
        thread_ts="1700000000.000100",
        declared_at=AT,
        acknowledged_at=AT + timedelta(minutes=5) if acked else None,
        resolved_at=AT + timedelta(hours=1) if status == "resolved" else None,
        escalated_at=None,
        ack_due_at=AT + timedelta(minutes=15),
        last_update_at=AT + timedelta(minutes=20),
        eta_at=AT + timedelta(hours=2),
        escalation_level=0,
        escalation_policy=POLICY,
        version=1,
        escalation_fence=0,
        waiting_until=None,
    )


INCIDENT_TEXTS = st.fixed_dictionaries(
    {
        "title": TEXT,
        "description": st.one_of(st.none(), TEXT),
        "summary": TEXT,
        "service": st.one_of(st.none(), st.just("api"), TEXT),
        "team": st.one_of(st.none(), TEXT),
        "tenants": st.lists(TEXT, max_size=4),
    }
)
STATUS = st.sampled_from(["declared", "acknowledged", "resolved"])


def change(name: str, label: str) -> dict:
    return {
        "kind": "new",
        "name": name,
        "labels": {"alertname": name, "service": label, "severity": label},
        "summary": label,
        "values": label,
        "links": {"source": "https://prom.example/graph?g0.expr=up&x=1", "dashboard": label},
    }


def events(text: str, label: str) -> list[EventRecord]:
    """One event of each kind a thread reply is rendered for, carrying `text`."""
    targets = ["rotation:primary", "@U0LEAD", "group:S0PRODUCT"]
    kinds = {
        "declared": {"targets": targets, "page": ["@U0PRODUCT"], "on_call": {"primary": "U0AAA"}},
        "paged": {"targets": targets},
        "exhausted": {"steps": 3},
        "acknowledged": {},
        "escalated": {"level": 1, "targets": targets},
        "severity": {"from": "SEV2", "to": "SEV1"},
        "update": {"eta": (AT + timedelta(hours=1)).isoformat(), "share": True},
        "resolved": {},
        "reopened": {"targets": targets},
        "assigned": {"user": "U0BOB", "role": "commander"},
        "alerts": {"changes": [change(text, label)] * 3, "firing": 1, "total": 3},
        "reminder": {"since": AT.isoformat(), "every": 1800, "mention": "U0LEAD"},
        "eta_passed": {"eta": AT.isoformat(), "mention": "U0LEAD"},
        "snoozed": {"until": (AT + timedelta(minutes=30)).isoformat()},
        "note": {"author": "U0BOB"},
        "something_new": {},
    }
    actor = {"alerts": "alertmanager"}
    return [
        EventRecord(n, 1, AT + timedelta(minutes=n), actor.get(k, "U0LEAD"), k, text, data)
        for n, (k, data) in enumerate(kinds.items(), start=1)
    ]


def check(text, blocks=None) -> None:
    found = message_problems(text, blocks, ALLOWED)
    assert not found, found[:5]


@SOME
@given(INCIDENT_TEXTS, STATUS, TEXT, TEXT, TEXT)
def test_the_card_and_its_thread(texts, status, text, label, name):
    shown = incident(texts, status)
    alert = AlertCard("alertmanager", 2, 3, [(label, text), ("service", name)], {"source": label})
    check(card.card_text(shown), card.card(shown, CONFIG, alert))
    for event in events(text, label):
        check(*card.thread_reply(event, shown, CONFIG, AT + timedelta(hours=3)))
    check(*pages.page_dm(shown, CONFIG))
    check(*pages.bundle_dm([replace(shown, id=n) for n in range(1, 61)], CONFIG))
    check(alerts.alert_reply(events(text, label)[10:11], shown, CONFIG))


@SOME
@given(INCIDENT_TEXTS, STATUS, TEXT, st.lists(INCIDENT_TEXTS, min_size=1, max_size=20))
def test_answers_about_incidents(texts, status, text, many):
    shown = incident(texts, status)
    check(card.card_text(shown), answers.show(shown, events(text, text), CONFIG))
    listed = [incident(t, "declared", n) for n, t in enumerate(many, start=1)]
    check(None, answers.open_list(listed, len(listed) + 7, CONFIG))
    check(answers.usage_answer(text, "/incident update INC-42 <text>"))
    check(answers.help_text())
    check(answers.postmortem_answer(shown, "https://firebell.example/pm?token=a&b"))
    check(answers.postmortem_needs_invite(shown))


@SOME
@given(INCIDENT_TEXTS, STATUS, TEXT, st.lists(INCIDENT_TEXTS, min_size=1, max_size=20))
def test_what_stakeholders_see(texts, status, text, many):
    shown = incident(texts, status)
    link = "https://firebell-test.slack.com/archives/C0INCIDENTS/p1700000000000100"
    for event in events(text, text):
        check(*stakeholders.broadcast(event, shown, CONFIG, link))
        check(*stakeholders.broadcast(event, shown, CONFIG, None))
    listed = [incident(t, "acknowledged", n) for n, t in enumerate(many, start=1)]
    check(*stakeholders.digest(listed, 40, CONFIG, AT, {1: link}))
    rows = [Row(text, 3, 1, Times(3, 60.0, 90.0), Times(2, 600.0, 900.0), 2, 3)]
    longest = [Longest(n, t["title"], text, 3600.0, n % 2 == 0) for n, t in enumerate(many)]
    names = [(t["title"], n) for n, t in enumerate(many)]
    figures = Report(AT - timedelta(days=7), AT, rows, rows[0], longest, names, names)
    check(*stakeholders.report(figures, CONFIG))


def now(rotation: str, user: str) -> RotationNow:
    shift = Shift(rotation, user, AT, AT + timedelta(days=7), 0)
    following = Shift(rotation, "U0BBB", AT + timedelta(days=7), AT + timedelta(days=14), 1, 7)
    return RotationNow(rotation, BERLIN, AT, shift, AT + timedelta(days=7), following, "inside")


@SOME
@given(st.lists(TEXT, min_size=1, max_size=60), PEOPLE, TEXT, st.lists(INCIDENT_TEXTS, max_size=8))
def test_on_call_answers_and_the_handover(rotations, person, text, many):
    statuses = [now(name, person) for name in rotations]
    check(*oncall.on_call(statuses))
    record = OverrideRecord(7, rotations[0], person, AT, AT + timedelta(hours=4), "U0ALICE", AT)
    added = Added(record, BERLIN, ["U0AAA", "U0BBB"], [AT + timedelta(hours=1)], [record], True)
    check(oncall.override_added(added))
    check(oncall.override_removed(Removed(record, BERLIN, True, "U0AAA")))
    check(*oncall.override_list(OverrideList(rotations[0], AT, [record] * 60, 90), CONFIG))
    refused = Refused("unknown_rotation", {"name": text, "rotations": rotations})
    check(oncall.refusal(refused, CONFIG))
    refused = Refused("not_allowed", {"rotation": text, "message": f"Only {text} may."})
    check(oncall.refusal(refused, CONFIG))
    opened = [
        OpenIncident(incident(t, "acknowledged", n), (AT, text)) for n, t in enumerate(many, 1)
    ]
    overrides = [Override(1, rotations[0], person, AT, AT + timedelta(hours=2), AT)]
    summaries = [
        Summary(name, AT, statuses[0].current, "U0AAA", opened, overrides) for name in rotations
    ]
    check(*oncall.handover(summaries[0], CONFIG, personal=True))
    check(*oncall.handover_answer(summaries, CONFIG))


def _row(rotation: str, n: int, columns) -> calendar.Row:
    """The n-th six-hour stretch of a rotation, every other one an override."""
    starts = AT + timedelta(hours=6 * n)
    shift = Shift(rotation, ("U0AAA", "U0BBB")[n % 2], starts, starts + timedelta(hours=6), n)
    if n % 2:
        shift = Shift(shift.rotation, shift.user, shift.starts_at, shift.ends_at, n, n)
    entry = calendar.Entry(shift, shift.user, None, f"{n}")
    return calendar.Row(entry, touched(shift, columns))


@SOME
@given(st.lists(TEXT, min_size=1, max_size=30), TEXT, st.lists(INCIDENT_TEXTS, max_size=60))
def test_app_home_and_the_forms(rotations, text, many):
    listed = [incident(t, "declared", n) for n, t in enumerate(many, start=1)]
    mine = [Shift(rotations[0], "U0AAA", AT, AT + timedelta(hours=8), n) for n in range(30)]
    state = Home(AT, [now(name, "U0AAA") for name in rotations], mine)
    columns = days(AT, 14, BERLIN)
    grids = [
        calendar.Grid(name, BERLIN, AT, columns, [_row(name, n, columns) for n in range(40)])
        for name in rotations
    ]
    beats = [
        HeartbeatView(f"beat-{n}", "5m", list(State)[n % 4], AT if n % 2 else None, n or None)
        for n in range(40)
    ]
    view = home.home(listed, len(listed), CONFIG, state, beats=beats, grids=grids, viewer="U0AAA")
    found = view_problems(view, ALLOWED)
    assert not found, found[:5]
    for shown in listed[:3]:
        view = modals.update_modal(shown, share=True)
        assert not view_problems(view, ALLOWED)
    declare = modals.declare_modal(CONFIG)
    declare["private_metadata"] = "C0INCIDENTS"
    assert not view_problems(declare, ALLOWED)


@SOME
@given(
    st.lists(TEXT, min_size=3, max_size=3),
    st.lists(TEXT, max_size=10),
    TEXT,
    TEXT,
    st.lists(INCIDENT_TEXTS, min_size=1, max_size=3),
)
def test_my_paging_in_app_home_and_its_forms(addresses, rules, notice, said, texts):
    contacts = tuple(
        Contact(medium, address[:64] or None, n % 2 == 0, address[:16], state, AT)
        for n, (medium, address, state) in enumerate(
            zip(("email", "phone", "ntfy"), addresses, ("coming", "sent", "void"), strict=True)
        )
    )
    rows = [
        ("paging.contact.set", "done", None, {"medium": "email", "pending": said}),
        ("paging.contact.remove", "done", {"medium": "ntfy", "address": said}, None),
        ("paging.verify", "invalid", None, {"medium": "phone", "tries": 5, "void": True}),
        ("paging.rules.set", "done", None, {"rules": rules}),
        ("paging.test", "done", None, {"media": ["slack", said]}),
    ]
    changes = tuple(Change(AT, *row) for row in rows)
    mine = MyPaging("U0AAA", contacts, 20, tuple(r[:100] for r in rules), "mine", changes)
    listed = [incident(texts[n % len(texts)], "declared", n) for n in range(1, 61)]
    view = home.home(listed, len(listed), CONFIG, None, mine, notice)
    assert not view_problems(view, ALLOWED)
    assert [b for b in view["blocks"] if b["type"] == "header"][-1]["text"]["text"] == "My paging"
    for form in (my_paging.contacts_modal(mine), my_paging.rules_modal(mine)):
        assert not view_problems(form, ALLOWED)
    assert not view_problems(my_paging.code_modal(contacts[1]), ALLOWED)


@SOME
@given(TEXT, TEXT, TEXT, st.integers(1, 80))
def test_alert_posts_and_maintenance(title, label, reason, count):
    window = {
        "service": label,
        "until": (AT + timedelta(hours=2)).isoformat(),
    }
    notes = [
        NotificationRecord(
            n,
            1,
            AT,
            "firing",
            3,
            "maintenance",
            None,
            [change(title, label)] * count,
            {"title": title, "severity": label, "source": "grafana", "maintenance": window},
        )
        for n in range(1, count % 7 + 2)
    ]
    check(*alerts.alert_post(notes, CONFIG))
    start = {"service": label, "ends_at": window["until"], "by": "U0ALICE", "reason": reason}
    check(alerts.maintenance_post({**start, "id": 3}, CONFIG))
    check(alerts.maintenance_post({"service": label, "phase": "end", "ended_by": "U0BOB"}, CONFIG))
    span = Maintenance(AT, AT + timedelta(hours=2), label, reason, 3, created_by="U0ALICE")
    check(alerts.maintenance_started(Started(span, [span] * count), CONFIG))
    check(alerts.maintenance_ended(Ended(span), CONFIG))
    check(*alerts.maintenance_list(Listed(AT, [span] * count), CONFIG))


MANY_SERVICES = parse_config(
    harness.CONFIG.replace(
        "runbooks:\n  api: https://docs.example.com/ops/api\n",
        "runbooks:\n"
        + "".join(f"  svc-{n:03d}-{'x' * 140}: https://docs.example.com/{n}\n" for n in range(120)),
    )
)


def test_the_declare_form_takes_any_number_of_services_of_any_length():
    declare = modals.declare_modal(MANY_SERVICES)
    declare["private_metadata"] = "C0INCIDENTS"
    assert not view_problems(declare, ALLOWED)


MARKUP = st.one_of(
    TEXT.map(md.escape),
    st.sampled_from(["<@U0ALICE>", "<#C0INCIDENTS>", "<!date^1700000000^{time}|09:00>"]),
    st.builds(md.link, st.just("https://grafana.example/d/1?a=1&b=2"), TEXT),
)


@SOME
@given(st.lists(MARKUP, max_size=12), st.integers(1, 4000), st.sampled_from(["", "`x`"]))
def test_cutting_never_splits_an_escape_or_a_link(parts, limit, where):
    whole = " ".join(parts)
    for cut in (kit.clip(whole, limit, where), kit.fit(whole, limit, where)):
        assert len(cut) <= limit
        assert not mrkdwn_problems(cut, ALLOWED), cut[-80:]
        if len(whole) <= limit:
            assert cut == whole
        else:
            assert "…" in cut[-80:]


def test_only_slack_ids_become_mentions_and_only_web_addresses_links():
    assert md.user("U0ALICE") == "<@U0ALICE>"
    assert md.user("<!channel>") == "&lt;!channel&gt;"
    assert md.user("ann@example.com") == "ann@example.com"
    assert md.link("@U0EVIL", "Source") == "Source"
    assert md.link("!here", "<Dashboard>") == "&lt;Dashboard&gt;"
    assert md.link("https://x.example/a|b", "Panel") == "<https://x.example/a%7Cb|Panel>"
