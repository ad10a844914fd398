"""Pure transformations of the pending outbox queue: lanes, and what one delivery covers.

The sender delivers rows in order per lane and coalesces by these rules; the outbox service
applies the same rule to rows still in the database, so both agree on what a render covers.
A kind coalesces in one of these ways:

- `LATEST`: the row is rendered from current state at send time (an incident's card), so
  one render stands for every later row of that kind in the lane;
- `RUN`: consecutive rows of the kind are rendered together into one message (a storm of
  alert notifications); rows of a `LATEST` kind in between do not break the run (they are
  rendered on their own), any other kind does;
- `BUNDLE`: a person's rows of the kind have a lane of their own, and one message carries
  every due row of it, most urgent first (`bundle`): a storm pages a person with one DM
  listing its incidents instead of one DM per incident;
- `ALL`: rendered from current state like `LATEST`, but every row of the kind shares one
  lane whatever its incident, so one delivery stands for all that wait: after a storm's
  acknowledgements, a page DM listing thirty incidents is re-rendered once, not thirty times.

When more lanes wait than can go at once, the most urgent go first (`ordered`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol, TypeVar


class OutboxKind(StrEnum):
    """Every kind of outbox row: what the services write, what the delivery table delivers."""

    CARD = "card"  # (re-)render an incident's card
    REPLY = "reply"  # a thread reply about one timeline event
    DM = "dm"  # a page by direct message
    PAGES_TAKEN = "pages_taken"  # the incident's page DMs re-rendered: acknowledged, resolved
    TRANSFERRED = "transferred"  # a line in the new team's channel linking to the thread
    EPHEMERAL = "ephemeral"  # a private answer to one person
    HANDOVER = "handover"  # the shift handover summary
    HANDOVER_DM = "handover_dm"  # the incoming person's handover DM
    # the same by e-mail, for someone on call by an address Slack does not know (their
    # page e-mails' lane, `email:~<digest>`)
    HANDOVER_EMAIL = "handover_email"
    ALERT_REPLY = "alert_reply"  # a thread reply about alert notifications
    ALERT_POST = "alert_post"  # a quiet post about alerts that open no incident
    MAINTENANCE = "maintenance"  # a maintenance window starts or ends
    BROADCAST = "broadcast"  # a stakeholder summary of one change
    DIGEST = "digest"  # the open incidents, for stakeholders
    REPORT = "report"  # the weekly report
    REPORT_CHART = "report_chart"  # a report's chart, uploaded after its text (channel or DM)
    POSTMORTEM = "postmortem"  # the draft uploaded into the thread
    TIMELINE_FETCH = "timeline_fetch"  # read a reacted-to message into the timeline
    PAGE_EMAIL = "page_email"  # a page by e-mail (channel `email:<user>`)
    PAGE_NTFY = "page_ntfy"  # a page by ntfy push (channel `ntfy:<user>`)
    PAGE_SMS = "page_sms"  # a page by SMS (channel `sms:<user>`; `attempt`: which provider)
    PAGE_VOICE = "page_voice"  # a page by phone call (channel `voice:<user>`)
    PAGE_APPRISE = "page_apprise"  # a page through Apprise (channel `apprise:<user>`)
    # My paging: a verification code for a new address, and a person's test pages (no
    # incident; the same channels as their pages)
    PAGE_CODE_EMAIL = "page_code_email"  # a code by e-mail (channel `email:<user>`)
    PAGE_CODE_SMS = "page_code_sms"  # a code by SMS (channel `sms:<user>`)
    PAGE_TEST_DM = "page_test_dm"  # a test page by Slack DM (channel `<user>`)
    PAGE_TEST_EMAIL = "page_test_email"
    PAGE_TEST_NTFY = "page_test_ntfy"
    PAGE_TEST_SMS = "page_test_sms"
    PAGE_TEST_APPRISE = "page_test_apprise"


class Coalesce(StrEnum):
    LATEST = "latest"
    RUN = "run"
    BUNDLE = "bundle"
    ALL = "all"


class Row(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def kind(self) -> str: ...


class LaneRow(Row, Protocol):
    @property
    def incident_id(self) -> int | None: ...

    @property
    def channel(self) -> str | None: ...


R = TypeVar("R", bound=Row)
L = TypeVar("L", bound=LaneRow)
K = TypeVar("K", bound=Hashable)


def lane_of(
    row: LaneRow,
    unpaced: Collection[str] = (),
    bundled: Collection[str] = (),
    merged: Collection[str] = (),
) -> tuple[str, Hashable]:
    """Per incident (a thread reply waits for its card), else per channel. Rows of an
    `unpaced` kind (private answers, pages outside Slack) wait for no channel post: a lane per
    channel and incident of their own, so one person's pages about different incidents go
    side by side while each incident's steps keep their order. Rows of a `bundled` kind (page
    DMs) have one lane per channel (the person), whatever their incident; rows of a `merged`
    kind (`Coalesce.ALL`) one lane in all."""
    if row.kind in merged:
        return ("kind", row.kind)
    if row.kind in bundled:
        return ("bundle", row.channel)
    if row.kind in unpaced:
        return ("private", f"{row.channel}#{row.incident_id}" if row.incident_id else row.channel)
    if row.incident_id:
        return ("incident", row.incident_id)
    return ("channel", row.channel)


def lanes(
    rows: Iterable[L],
    unpaced: Collection[str] = (),
    bundled: Collection[str] = (),
    merged: Collection[str] = (),
) -> dict[tuple[str, Hashable], list[L]]:
    """Rows by lane, in the order given (id order) within each."""
    found: dict[tuple[str, Hashable], list[L]] = defaultdict(list)
    for row in rows:
        found[lane_of(row, unpaced, bundled, merged)].append(row)
    return dict(found)


def ordered(by_lane: Mapping[K, Sequence[R]], rank: Callable[[R], Any]) -> list[K]:
    """The lanes most urgent first, by `rank` of the row each would deliver next (its first):
    when a storm queues more posts than a channel's pace lets out, a severe incident's card
    goes before a minor one's, and both before informational replies."""
    return sorted((key for key in by_lane if by_lane[key]), key=lambda key: rank(by_lane[key][0]))


def covered(rows: Sequence[R], row: Row, modes: Mapping[str, Coalesce]) -> list[R]:
    """The later rows of one lane (`rows`, in id order) that the delivery of `row` stands for."""
    mode = modes.get(row.kind)
    if mode in (Coalesce.LATEST, Coalesce.BUNDLE, Coalesce.ALL):  # bundle, all: a lane of their own
        return [r for r in rows if r.kind == row.kind and r.id > row.id]
    if mode is not Coalesce.RUN:
        return []
    run = []
    for other in rows:
        if other.id <= row.id:
            continue
        if other.kind == row.kind:
            run.append(other)
        elif modes.get(other.kind) is not Coalesce.LATEST:
            break
    return run


def bundle(rows: Sequence[L], rank: Callable[[L], Any], most: int) -> list[L]:
    """The rows one bundled message carries: the first of `rows` (the lane's oldest, whose
    delivery it is) and the rows of the other most urgent incidents by `rank`, `most`
    incidents in all, first the first's; every row of a carried incident comes along (one
    line per incident). The rest wait for the next message."""
    if not rows:
        return []
    first = rows[0]
    others = sorted(rows[1:], key=rank)
    chosen = [first.incident_id]
    for row in others:
        if len(chosen) >= most:
            break
        if row.incident_id not in chosen:
            chosen.append(row.incident_id)
    carried = set(chosen)
    return [first, *sorted((r for r in others if r.incident_id in carried), key=rank)]
