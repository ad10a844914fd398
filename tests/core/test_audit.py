"""The audit chain: every edit, deletion, reordering or cut-off is found at the row it starts."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.core.audit import FIELDS, GENESIS, PRUNE, digest, plain, stamp, verify

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def chain(count: int, start: int = 1, prev: str = GENESIS) -> list[dict]:
    rows = []
    for seq in range(start, start + count):
        row = {
            "seq": seq,
            "at": stamp(T0 + timedelta(seconds=seq)),
            "actor": "U0ALICE",
            "source": "command",
            "action": "resolve",
            "target": f"INC-{seq}",
            "outcome": "done",
            "before": {"status": "open"},
            "after": {"status": "resolved", "summary": "ünïcode ✓"},
            "prev_hash": prev,
        }
        row["hash"] = prev = digest(prev, row)
        rows.append(row)
    return rows


def head_of(rows: list[dict]) -> tuple[int, str]:
    return rows[-1]["seq"], rows[-1]["hash"]


def test_a_fresh_chain_and_an_empty_log_check():
    rows = chain(5)
    assert verify(rows, head_of(rows)) is None
    assert verify([], (0, GENESIS)) is None


def test_an_edited_row_is_named():
    rows = chain(5)
    rows[2]["after"] = {"status": "resolved", "summary": "nothing to see"}
    broken = verify(rows, head_of(rows))
    assert (broken.seq, broken.why) == (3, "its content does not match its hash")


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link():
    rows = chain(5)
    rows[2]["actor"] = "U0MALLORY"
    rows[2]["hash"] = digest(rows[2]["prev_hash"], rows[2])
    assert verify(rows, head_of(rows)).seq == 4


def test_a_deleted_row_is_named():
    rows = chain(5)
    del rows[1]
    broken = verify(rows, (5, chain(5)[-1]["hash"]))
    assert (broken.seq, broken.why) == (2, "row 2 is missing (next is 3)")


def test_reordered_rows_are_found():
    rows = chain(5)
    rows[1], rows[2] = rows[2], rows[1]
    assert verify(rows, (5, chain(5)[-1]["hash"])).seq == 2


def test_renumbered_rows_after_a_deletion_are_found():
    rows = chain(5)
    del rows[1]
    for row in rows[1:]:
        row["seq"] -= 1
    assert verify(rows, (4, rows[-1]["hash"])).seq == 2


def test_rows_cut_off_the_end_are_found_through_the_head():
    rows = chain(5)
    broken = verify(rows[:3], head_of(rows))
    assert (broken.seq, broken.why) == (4, "rows 4 to 5 are missing")


def test_rows_cut_off_the_start_without_a_prune_record_are_found():
    rows = chain(5)
    assert verify(rows[2:], head_of(rows)).seq == 3


def test_a_prune_record_anchors_the_rows_it_kept():
    rows = chain(5)
    kept = rows[3:]
    record = chain(1, start=6, prev=rows[-1]["hash"])[0]
    record["action"], record["after"] = PRUNE, {"first_seq": 4, "prev_hash": rows[2]["hash"]}
    record["hash"] = digest(record["prev_hash"], record)
    assert verify([*kept, record], head_of([record])) is None
    # an attacker deleting one more row than the prune did is still caught
    assert verify([kept[1], record], head_of([record])).seq == 5


def test_a_first_row_that_does_not_start_from_genesis_is_named():
    rows = chain(3, prev="f" * 64)
    assert verify(rows, head_of(rows)).seq == 1


def test_values_are_hashed_as_stored():
    value = plain({"at": T0, "who": ("U0B",), "n": 3})
    assert value == {"at": "2026-12-05T09:00:00.000000Z", "who": ["U0B"], "n": 3}
    assert plain(None) is None


_KEYS = st.one_of(st.text(max_size=6), st.integers(), st.booleans(), st.none())
_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),  # past 64 bits: orjson refuses those
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
    st.datetimes(timezones=st.just(UTC)),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(_KEYS, inner, max_size=4),
    ),
    max_leaves=12,
)


@given(st.dictionaries(_KEYS, _VALUES, max_size=5))
def test_plain_values_are_what_a_json_round_trip_gives(value):
    def times_as_stamps(v):
        return stamp(v) if isinstance(v, datetime) else str(v)

    assert plain(value) == json.loads(json.dumps(value, default=times_as_stamps))


@given(st.integers(min_value=1, max_value=12), st.data())
def test_any_single_change_to_any_row_is_found_at_or_before_it(count, data):
    rows = chain(count)
    index = data.draw(st.integers(min_value=0, max_value=count - 1))
    field = data.draw(st.sampled_from(["at", "actor", "action", "target", "outcome", "after"]))
    rows[index][field] = "tampered" if field != "after" else {"tampered": True}
    broken = verify(rows, head_of(chain(count)))
    assert broken is not None and broken.seq <= index + 1


@given(
    st.dictionaries(
        st.text(max_size=8),
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(), st.lists(st.text())),
        max_size=5,
    )
)
def test_the_hash_is_sha256_of_the_canonical_json_anyone_can_rebuild(after):
    row = {**chain(1)[0], "after": after}
    canonical = {name: row[name] for name in FIELDS} | {"prev_hash": GENESIS}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert digest(GENESIS, row) == hashlib.sha256(text.encode()).hexdigest()
