"""Log lines: JSON, one a line, whichever writer (orjson, or json.dumps for what it refuses)
made it, for Firebell's own events and library records alike."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
import structlog

from bot import logs


@pytest.fixture
def lines(capsys):
    """Logging set up as `firebell serve` sets it up; the lines written since, parsed. The
    process's logging is put back afterwards."""
    saved = structlog.get_config()
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    logs.setup("info")

    def read() -> list[dict]:
        out = capsys.readouterr().out
        assert out.endswith("\n")
        return [json.loads(line) for line in out.splitlines()]

    yield read
    structlog.configure(**saved)
    root.handlers[:], root.level = handlers, level


def test_a_line_is_compact_json_with_its_event_level_time_and_replica(lines):
    structlog.get_logger("t").info("alert_received", source="alertmanager", alerts=1, ms=1.5)
    [line] = lines()
    assert line["event"] == "alert_received" and line["level"] == "info"
    assert line["source"] == "alertmanager" and line["alerts"] == 1 and line["ms"] == 1.5
    assert line["replica"] == logs.REPLICA and line["timestamp"].endswith("Z")


def test_what_orjson_refuses_is_written_by_json_and_reads_back_the_same(lines):
    """An integer past 64 bits and a lone surrogate (either may come in a webhook body and
    be logged) are written, not dropped or refused; keys that are not strings become
    strings; other text is kept as it was."""
    log = structlog.get_logger("t")
    log.info("big", value=2**64 + 1)
    log.info("surrogate", title="a\ud800b")
    log.info("plain", keys={1: "one"}, title='naïve ‘quotes’ "and" \\ \n newline')
    big, surrogate, plain = lines()
    assert big["value"] == 2**64 + 1
    assert surrogate["title"] == "a\ud800b"
    assert plain["keys"] == {"1": "one"}
    assert plain["title"] == 'naïve ‘quotes’ "and" \\ \n newline'


def test_a_datetime_reads_the_same_whichever_writer_wrote_the_line(lines):
    """json.dumps has no datetime: it is written as its repr, and orjson is told to do the
    same, so a line does not change shape when another value sends it to json."""
    at = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
    log = structlog.get_logger("t")
    log.info("by_orjson", at=at)
    log.info("by_json", at=at, value=2**64)
    by_orjson, by_json = lines()
    assert by_orjson["at"] == by_json["at"] == repr(at)


def test_library_records_are_lines_of_the_same_shape(lines):
    logging.getLogger("aiohttp.client").warning("pool at %d%%", 90)
    [line] = lines()
    assert line["event"] == "pool at 90%" and line["level"] == "warning"
    assert line["logger"] == "aiohttp.client" and line["replica"] == logs.REPLICA
