"""The config's value types (durations, targets, channel ids, zones, weekly times, roles),
each validated with a message in the config's own words, and `Model`, the base of every
config section: unknown keys refused, values frozen."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, PlainValidator

from bot.core.durations import MAX as MAX_DURATION
from bot.core.durations import format_duration, parse_duration
from bot.core.targets import Target, parse_target


def _duration(value: Any, longest: timedelta = MAX_DURATION) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration like 15m, 4h or 1d")
    return parse_duration(value, longest)


def _target(value: Any) -> Target:
    if isinstance(value, Target):
        return value
    if not isinstance(value, str):
        raise ValueError(f'{value!r} is not a target (a quoted string like "@U0ABC")')
    return parse_target(value)


def _channel(value: Any) -> str:
    text = str(value).strip()
    if not re.fullmatch(r"[CG][A-Z0-9]{2,}", text):
        raise ValueError(
            f"{value!r} is not a channel id: use the id (C0...), not the name; in Slack, "
            "open the channel's details and copy the Channel ID at the bottom"
        )
    return text


def _zone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError, OSError):  # "Europe" is a tzdata directory
        raise ValueError(f"{value!r} is not an IANA time zone like Europe/Berlin") from None
    return str(value)


Duration = Annotated[timedelta, PlainValidator(_duration), PlainSerializer(format_duration)]
TargetRef = Annotated[Target, PlainValidator(_target), PlainSerializer(str)]
ChannelId = Annotated[str, PlainValidator(_channel)]
ZoneName = Annotated[str, PlainValidator(_zone)]


SERVICE = r"^[a-z0-9][a-z0-9_.-]{0,63}$"  # service names, as alerts label them
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _roles(value: Any) -> Any:
    """`access:` values: one role or a list of them."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{value!r} is not a role or a list of roles")
    return value


def _optional_duration(value: Any, longest: timedelta = MAX_DURATION) -> timedelta | None:
    """A duration, or `off` (YAML reads a bare `off` as false) to turn the thing off."""
    if value is None or value is False or (isinstance(value, str) and value.lower() == "off"):
        return None
    return _duration(value, longest)


def _weekly(value: Any) -> str | None:
    """`mon 09:00`: a weekday and a local time; `off` turns it off."""
    if value is None or value is False or (isinstance(value, str) and value.lower() == "off"):
        return None
    text = " ".join(str(value).lower().split())
    if not re.fullmatch(r"(mon|tue|wed|thu|fri|sat|sun) ([01]\d|2[0-3]):[0-5]\d", text):
        raise ValueError(f"{value!r} is not a weekday and time like `mon 09:00`, or `off`")
    return text


OptionalDuration = Annotated[
    timedelta | None,
    PlainValidator(_optional_duration),
    PlainSerializer(lambda v: format_duration(v) if v else "off"),
]
Weekly = Annotated[str | None, PlainValidator(_weekly)]


RETENTION_MAX = timedelta(days=3650)
Retention = Annotated[
    timedelta | None,
    PlainValidator(lambda v: _optional_duration(v, RETENTION_MAX)),
    PlainSerializer(lambda v: format_duration(v) if v else "off"),
]
Roles = Annotated[list[str], BeforeValidator(_roles)]


def _offset(value: Any) -> timedelta:
    """A step's `after`: a duration, or zero (`0m`, `0s`, `0`: at once)."""
    if isinstance(value, timedelta):
        return value
    if str(value).strip().lower() in ("0", "0s", "0m", "0h"):
        return timedelta(0)
    return _duration(value)


Offset = Annotated[timedelta, PlainValidator(_offset), PlainSerializer(format_duration)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
