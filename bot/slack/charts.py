"""The report's chart as one PNG, and its alt text: incidents declared per day by severity
(stacked bars) over the median times to acknowledge (per severity, against its target as a
dashed line) and to resolve, per day.

Drawn from a `bot.core.report_series.Daily` with matplotlib's object API (a `Figure` of its
own, never pyplot's global state), so charts may be drawn in worker threads side by side;
callers run `png` off the event loop (`asyncio.to_thread`): it is CPU work, a few hundred
milliseconds. matplotlib is imported on the first drawing, not with the app: it costs about
half a second and 40 MB that a replica which never sends a report need not pay.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence

from bot.core.metrics import span
from bot.core.report_series import Daily

WIDTH, HEIGHT, DPI = 12.0, 7.5, 120  # inches: 1440 x 900 pixels
# Okabe and Ito's palette, told apart with any colour vision; a severity's colour is its
# place in the config's order
COLOURS = ("#D55E00", "#E69F00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#F0E442")
RESOLVE = "#444444"
ALT_LIMIT = 1000  # characters of alt text Slack takes
STEPS = (5, 15, 60, 300, 900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 7 * 86400)
"""The time axis' ticks (log scale), those within its range: 5s, 15s, 1m, 5m ... 7d."""


def colour(daily: Daily, severity: str) -> str:
    return COLOURS[daily.severities.index(severity) % len(COLOURS)]


def png(daily: Daily, title: str) -> bytes:
    """The chart of a period with incidents (`daily.empty` has nothing to draw)."""
    if daily.empty:
        raise ValueError("a period without incidents has no chart")
    from matplotlib.figure import Figure  # on first use: see the module's docstring

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI, layout="constrained")
    bars, times = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.2))
    figure.suptitle(title, fontsize=14, fontweight="bold")
    x = range(len(daily.days))
    _bars(bars, daily, x)
    _times(times, daily, x)
    labels = [f"{d:%a} {d.day} {d:%b}" for d in daily.days]
    every = max(1, math.ceil(len(labels) / 15))  # at most 15 day labels
    times.set_xticks(list(x)[::every], labels[::every], rotation=30, ha="right")
    times.set_xlim(-0.6, len(labels) - 0.4)
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _bars(ax, daily: Daily, x: range) -> None:
    from matplotlib.ticker import MaxNLocator

    bottom = [0] * len(daily.days)
    for severity in daily.severities:
        counts = daily.declared[severity]
        ax.bar(x, counts, bottom=bottom, color=colour(daily, severity), label=severity)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    ax.set_title("Incidents declared per day, by severity", loc="left", fontsize=11)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("incidents")
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)


def _times(ax, daily: Daily, x: range) -> None:
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    drawn: list[float] = []
    for severity in daily.severities:
        values = daily.acknowledge[severity]
        shade = colour(daily, severity)
        if any(v is not None for v in values):
            ax.plot(x, _gaps(values), marker="o", color=shade, label=f"{severity} MTTA")
            drawn += [v for v in values if v]
        target = daily.targets.get(severity)
        if target is not None:
            label = f"{severity} target {span(target)}"
            ax.axhline(target, linestyle="--", linewidth=1.2, color=shade, label=label)
            drawn.append(target)
    if any(v is not None for v in daily.resolve):
        ax.plot(x, _gaps(daily.resolve), marker="s", color=RESOLVE, linewidth=2, label="MTTR")
        drawn += [v for v in daily.resolve if v]
    ax.set_title(
        "Median time to acknowledge (MTTA) and to resolve (MTTR), by day declared",
        loc="left",
        fontsize=11,
    )
    low, high = max(min(drawn, default=60) / 2, 1.0), max(max(drawn, default=3600) * 2, 120.0)
    ax.set_yscale("log")
    ax.set_ylim(low, high)
    ax.yaxis.set_major_locator(FixedLocator([s for s in STEPS if low <= s <= high]))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: span(value)))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def _gaps(values: Sequence[float | None]) -> list[float]:
    """None (nothing measured that day) as NaN: a gap in the line."""
    return [math.nan if v is None else v for v in values]


def alt_text(daily: Daily, title: str) -> str:
    """What the picture shows, for a screen reader, in at most `ALT_LIMIT` characters."""
    per_day = daily.per_day()
    busiest = max(range(len(per_day)), key=lambda i: (per_day[i], -i))
    by_severity = ", ".join(f"{s} {sum(daily.declared[s])}" for s in daily.severities)
    lines = [
        f"Chart: {title}. {daily.total} incidents declared over {len(daily.days)} days "
        f"({by_severity}); the busiest day was {daily.days[busiest]:%a %d %b} with "
        f"{per_day[busiest]}."
    ]
    for severity in daily.severities:
        measured = [v for v in daily.acknowledge[severity] if v is not None]
        target = daily.targets.get(severity)
        if not measured:
            continue
        line = f"{severity} median time to acknowledge per day: {span(min(measured))} to "
        line += f"{span(max(measured))}"
        if target is not None:
            within = sum(1 for v in measured if v <= target)
            line += f", within its {span(target)} target on {within} of {len(measured)} days"
        lines.append(line + ".")
    fixed = [v for v in daily.resolve if v is not None]
    if fixed:
        lines.append(f"Median time to resolve per day: {span(min(fixed))} to {span(max(fixed))}.")
    text = lines[0][:ALT_LIMIT]
    for line in lines[1:]:  # whole sentences only, as many as fit
        if len(text) + 1 + len(line) > ALT_LIMIT:
            break
        text += " " + line
    return text
