"""The outbox queue's pure transformations: lanes and what one delivery covers."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.outbox import Coalesce, bundle, covered, lane_of, lanes, ordered

MODES = {"card": Coalesce.LATEST, "alert_reply": Coalesce.RUN, "alert_post": Coalesce.RUN}


@dataclass(frozen=True)
class Row:
    id: int
    kind: str
    incident_id: int | None = None
    channel: str | None = None


def queue(*kinds: str) -> list[Row]:
    return [Row(n, kind, incident_id=1) for n, kind in enumerate(kinds, start=1)]


def ids(rows) -> list[int]:
    return [r.id for r in rows]


def test_rows_of_an_incident_share_a_lane_whatever_their_channel():
    rows = [Row(1, "card", 7, "C1"), Row(2, "dm", 7, "U1"), Row(3, "post", None, "C1")]
    found = lanes(rows)
    assert found == {("incident", 7): rows[:2], ("channel", "C1"): rows[2:]}
    assert lane_of(Row(4, "post", None, "C2")) == ("channel", "C2")


def test_a_card_render_covers_every_later_card_in_the_lane():
    rows = queue("card", "reply", "card", "dm", "card")
    assert ids(covered(rows, rows[0], MODES)) == [3, 5]
    assert ids(covered(rows, rows[2], MODES)) == [5]
    assert covered(rows, rows[4], MODES) == []


def test_a_run_covers_consecutive_rows_of_its_kind_and_cards_do_not_break_it():
    rows = queue("alert_reply", "card", "alert_reply", "alert_reply", "reply", "alert_reply")
    assert ids(covered(rows, rows[0], MODES)) == [3, 4]  # the reply ends the run


def test_a_run_is_not_continued_by_another_coalescing_kind():
    rows = queue("alert_reply", "alert_post", "alert_reply")
    assert covered(rows, rows[0], MODES) == []


def test_kinds_that_do_not_coalesce_cover_nothing():
    rows = queue("reply", "reply", "reply")
    assert covered(rows, rows[0], MODES) == []
    assert covered(rows, rows[0], {}) == []


@settings(deadline=None)  # pure and fast; a loaded CI machine must not make it flaky
@given(st.lists(st.sampled_from(["card", "reply", "alert_reply", "dm"]), max_size=30))
def test_covered_rows_are_later_rows_of_the_same_kind_in_order(kinds):
    rows = queue(*kinds)
    for row in rows:
        found = covered(rows, row, MODES)
        assert all(r.kind == row.kind and r.id > row.id for r in found)
        assert ids(found) == sorted(ids(found))


def test_rows_of_an_unpaced_kind_have_a_lane_apart_and_keep_their_order():
    rows = [
        Row(1, "post", None, "C1"),
        Row(2, "ephemeral", None, "C1"),
        Row(3, "post", None, "C1"),
        Row(4, "ephemeral", None, "C1"),
    ]
    found = lanes(rows, unpaced={"ephemeral"})
    assert found == {("channel", "C1"): [rows[0], rows[2]], ("private", "C1"): [rows[1], rows[3]]}


def test_one_persons_pages_about_different_incidents_go_side_by_side():
    rows = [
        Row(1, "page_ntfy", 7, "ntfy:U1"),
        Row(2, "page_ntfy", 8, "ntfy:U1"),
        Row(3, "page_ntfy", 7, "ntfy:U1"),
        Row(4, "page_ntfy", 7, "ntfy:U2"),
    ]
    found = lanes(rows, unpaced={"page_ntfy"})
    assert found == {
        ("private", "ntfy:U1#7"): [rows[0], rows[2]],
        ("private", "ntfy:U1#8"): [rows[1]],
        ("private", "ntfy:U2#7"): [rows[3]],
    }


@dataclass(frozen=True)
class Page:
    id: int
    incident_id: int
    rank: int  # lower: more urgent
    kind: str = "dm"
    channel: str = "U1"


def test_a_persons_pages_share_one_lane_whatever_their_incident():
    rows = [Row(1, "dm", 7, "U1"), Row(2, "dm", 8, "U1"), Row(3, "dm", 8, "U2")]
    found = lanes(rows, unpaced={"dm"}, bundled={"dm"})
    assert found == {("bundle", "U1"): rows[:2], ("bundle", "U2"): rows[2:]}
    assert ids(covered(rows[:2], rows[0], {"dm": Coalesce.BUNDLE})) == [2]


def test_rows_of_a_merged_kind_share_one_lane_and_the_first_covers_the_rest():
    rows = [Row(1, "taken", 7), Row(2, "card", 7), Row(3, "taken", 8), Row(4, "taken", 7)]
    found = lanes(rows, unpaced={"taken"}, merged={"taken"})
    assert found == {("kind", "taken"): [rows[0], rows[2], rows[3]], ("incident", 7): [rows[1]]}
    mine = found[("kind", "taken")]
    assert ids(covered(mine, mine[0], {"taken": Coalesce.ALL})) == [3, 4]


def test_a_bundle_carries_the_first_and_the_most_urgent_others_up_to_most_incidents():
    rows = [Page(1, 10, 3), Page(2, 11, 2), Page(3, 12, 0), Page(4, 11, 2), Page(5, 13, 1)]
    assert ids(bundle(rows, lambda r: (r.rank, r.id), most=3)) == [1, 3, 5]
    assert ids(bundle(rows, lambda r: (r.rank, r.id), most=4)) == [1, 3, 5, 2, 4]  # both of 11
    assert ids(bundle(rows[:1], lambda r: r.rank, most=1)) == [1]
    assert bundle([], lambda r: r.rank, most=5) == []


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(1, 6), st.integers(0, 3)), min_size=1, max_size=30))
def test_a_bundle_never_exceeds_most_incidents_and_leaves_no_more_urgent_page(pairs):
    rows = [Page(n, incident, rank) for n, (incident, rank) in enumerate(pairs, start=1)]
    carried = bundle(rows, lambda r: (r.rank, r.id), most=3)
    assert carried[0] == rows[0] and len(set(ids(carried))) == len(carried)
    chosen = {r.incident_id for r in carried}
    assert len(chosen) <= 3
    assert all(r in carried for r in rows if r.incident_id in chosen)  # an incident whole
    if len(chosen) == 3:
        best = {}  # each chosen incident's most urgent row chose it
        for r in carried[1:]:
            if r.incident_id != rows[0].incident_id:
                best[r.incident_id] = min(best.get(r.incident_id, (9, 0)), (r.rank, r.id))
        worst = max(best.values())
        assert all((r.rank, r.id) > worst for r in rows if r.incident_id not in chosen)


def test_lanes_go_most_urgent_first_and_empty_ones_not_at_all():
    by_lane = {"a": [Page(1, 1, 2)], "b": [Page(2, 2, 0)], "c": [], "d": [Page(3, 3, 1)]}
    assert ordered(by_lane, lambda r: r.rank) == ["b", "d", "a"]
