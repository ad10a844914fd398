"""The chart's drawing and alt text, apart from Slack: a PNG of the stated size for a period of
one day or ninety, alt text within Slack's limit in whole sentences, and no picture of nothing."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from bot.core.metrics import Timing
from bot.core.report_series import daily
from bot.slack import charts

END = datetime(2026, 3, 9, 8, 0, tzinfo=UTC)
UTC_ZONE = ZoneInfo("UTC")


def series(days: int, severities: list[str], per_day: int = 2):
    start = END - timedelta(days=days)
    items, number = [], 0
    for day in range(days):
        for i, severity in enumerate(severities * per_day):
            number += 1
            declared = (start + timedelta(days=day, minutes=30 + i)).timestamp()
            items.append(Timing(number, "t", severity, declared, None, declared + 60 * i, None))
    targets = {s: timedelta(minutes=15 * (n + 1)) for n, s in enumerate(severities)}
    return daily(items, start, END, UTC_ZONE, targets, severities)


@pytest.mark.parametrize("days", [1, 90])
def test_a_png_of_the_stated_size(days):
    picture = charts.png(series(days, ["SEV1", "SEV2"]), "Incident report")
    image = Image.open(io.BytesIO(picture))
    image.load()
    expected = (round(charts.WIDTH * charts.DPI), round(charts.HEIGHT * charts.DPI))
    assert (image.format, image.size) == ("PNG", expected)
    assert len(picture) < 1_000_000


def test_alt_text_stays_within_slacks_limit_in_whole_sentences():
    many = [f"SEVERITY{n}" for n in range(20)]
    text = charts.alt_text(series(7, many, per_day=1), "Weekly incident report · " + "x" * 60)
    assert len(text) <= charts.ALT_LIMIT and text.endswith(".")
    assert text.startswith("Chart: Weekly incident report")
    assert "SEVERITY0 median time to acknowledge per day: 0s to 0s" in text


def test_a_period_without_incidents_has_no_picture():
    with pytest.raises(ValueError):
        charts.png(series(7, []), "Incident report")
