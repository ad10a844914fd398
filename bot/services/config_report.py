"""What `firebell check` reports about a config that loaded: when each team's first line
promises a response, and ownership that the config allows but probably did not mean.

The findings are advice, not errors: Firebell runs such a config as written (an unowned
service's incidents go to the default team, an unused rotation just sits there), so `check`
prints them as warnings and still exits 0. What Firebell cannot run is refused by
`bot.config_checks` before this module is reached.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.core.coverage import gaps
from bot.services.oncall import Rotations

GAP_WEEKS = 4
MAX_GAP_PATTERNS = 8
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def coverage(config: Config, now: datetime) -> list[str]:
    """The coverage section: one line per severity; with `teams:`, each team's lines under a
    heading naming its channel, the default team first, since each team has its own chain."""
    if not config.teams:
        return coverage_report(config, now)
    lines = []
    for team in config.team_names:
        lines.append(f"team {team} (channel {config.channel_of(team)}):")
        lines += [f"  {line}" for line in coverage_report(config, now, team)]
    return lines


def coverage_report(config: Config, now: datetime, team: str | None = None) -> list[str]:
    """One line per severity: who promises a response to `team` (None: the default team)
    and when nobody does, in local time."""
    rotations = Rotations(config)
    zone = config.zone
    lines = []
    for severity in config.severities:
        names = rotations.first_line(severity.name, team)
        if not names:
            lines.append(f"{severity.name}: no rotation in its first line, so no coverage promise")
            continue
        found = weekly_gaps([rotations.coverage[n] for n in names], now, zone)
        if not found:
            lines.append(f"{severity.name}: covered around the clock")
            continue
        shown = found[:MAX_GAP_PATTERNS]
        more = f"; and {len(found) - len(shown)} more" if len(found) > len(shown) else ""
        then = "pages anyway" if severity.outside_coverage == "page" else "waits until covered"
        lines.append(
            f"{severity.name}: nobody covers {'; '.join(shown)}{more} ({config.timezone}); "
            f"outside coverage it {then}"
        )
    return lines


def findings(config: Config) -> list[str]:
    """Advice: who on call cannot be paged outside Slack (once anyone can), and with `teams:`
    ownership (services no team owns, teams whose chain names no rotation, rotations that
    nothing pages)."""
    return unreachable(config) + ownership(config)


def unreachable(config: Config) -> list[str]:
    """Rotation members with no `people:` address outside Slack, per rotation; nothing while
    nobody has one (paging outside Slack is not in use)."""
    reachable = {
        p.user.value.lower() for p in config.people if p.email or p.ntfy or p.phone or p.apprise
    }
    if not reachable:
        return []
    return [
        f"rotation {rotation.name}: {', '.join(missing)} can be paged only in Slack "
        "(no email, ntfy, phone or apprise under `people:`)"
        for rotation in config.rotations
        if (missing := [m.value for m in rotation.members if m.value.lower() not in reachable])
    ]


def ownership(config: Config) -> list[str]:
    if not config.teams:
        return []
    found = [
        f"service {name}: no team owns it, so its incidents belong to the default team"
        for name in config.service_names
        if (service := config.services.get(name)) is None or service.team is None
    ]
    chains = {team: config.chain_rotations(team) for team in config.team_names}
    found += [
        f"team {team}: its escalation names no rotation, so it pages the same people at any "
        "hour; only rotations in the severities' `page:` lists cover it"
        for team, named in chains.items()
        if not named
    ]
    paged = {name for named in chains.values() for name in named}
    paged |= {t.value for s in config.severities for t in s.page if t.kind == "rotation"}
    found += [
        f"rotation {rotation.name}: no team's escalation and no severity's `page:` names it, "
        "so it is never paged"
        for rotation in config.rotations
        if rotation.name not in paged
    ]
    return found


def weekly_gaps(coverages: list, now: datetime, zone: ZoneInfo) -> list[str]:
    """The distinct uncovered stretches of the next GAP_WEEKS weeks as local weekly times,
    repeats merged: `Mon-Thu 17:00 – 09:00 next day`, `Fri 17:00 – Mon 09:00`."""
    week = timedelta(weeks=1)
    start, end = now, now + GAP_WEEKS * week
    # look a week further each way, so the gaps that cross `start` or `end` are seen whole
    wide = gaps(coverages, start - week, end + week)
    patterns: dict[tuple[int, int, int], set[int]] = {}
    order: list[tuple[int, int, int]] = []
    for s, e in wide:
        if e <= start or s >= end:
            continue
        local_s, local_e = s.astimezone(zone), e.astimezone(zone)
        begins = local_s.hour * 60 + local_s.minute
        ends = local_e.hour * 60 + local_e.minute
        days_later = (local_e.date() - local_s.date()).days
        if ends == 0 and days_later == 1:  # an end at midnight reads as 24:00 the day before
            days_later, ends = 0, 1440
        key = (begins, days_later, ends)
        if key not in patterns:
            patterns[key] = set()
            order.append(key)
        patterns[key].add(local_s.weekday())
    found: list[tuple[tuple[int, ...], str]] = []  # sorted by weekday, then time
    for begins, days_later, ends in order:
        days = patterns[(begins, days_later, ends)]
        if days_later == 0:
            text = f"{_day_list(days)} {_hhmm(begins)}–{_hhmm(ends)}"
            found.append(((min(days), begins, days_later, ends), text))
        elif days_later == 1 and len(days) > 1:
            text = f"{_day_list(days)} {_hhmm(begins)} – {_hhmm(ends)} next day"
            found.append(((min(days), begins, days_later, ends), text))
        else:
            for day in sorted(days):
                later = _DAYS[(day + days_later) % 7]
                if days_later >= 7:  # all but an hour or so of the week
                    later = f"next {later}"
                text = f"{_DAYS[day]} {_hhmm(begins)} – {later} {_hhmm(ends)}"
                found.append(((day, begins, days_later, ends), text))
    return [text for _, text in sorted(found)]


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day_list(days: set[int]) -> str:
    """`Mon-Thu`, `Sat,Sun`, `Mon,Wed-Fri`: days as users write them."""
    if len(days) == 7:
        return "every day"
    parts, run = [], []
    for day in range(7):
        if day in days:
            run.append(day)
            continue
        parts.append(run)
        run = []
    parts.append(run)
    if len(parts) > 1 and parts[0] and parts[-1] and parts[0][0] == 0 and parts[-1][-1] == 6:
        parts[0] = parts.pop() + parts[0]  # a run over the weekend: Fri-Mon
    text = []
    for run in (r for r in parts if r):
        if len(run) >= 3:
            text.append(f"{_DAYS[run[0]]}-{_DAYS[run[-1]]}")
        else:
            text.extend(_DAYS[d] for d in run)
    return ",".join(text)
