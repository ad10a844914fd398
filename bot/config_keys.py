"""Where a config names Slack's things: every channel id and every person or user group, each
with its key path (`teams[0].channel`, `rotations[1].members[2]`).

They are found through the config's models, by type: a field declared `ChannelId` holds a
channel, a `Target` value names a person, a group or a rotation. A key added later with one of
those types is found without changing this module. Key paths use the names written in YAML
(a field's alias), so `config_source.locate` finds their lines.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bot.config_source import KeyPath
from bot.config_values import ChannelId
from bot.core.targets import Target

_CHANNEL = ChannelId.__metadata__[0]  # the validator that marks a channel id


def channels(config: BaseModel) -> list[tuple[KeyPath, str]]:
    """Every channel id the config names, with its key path, in the order written."""
    return [(path, value) for path, value, channel in _leaves(config, ()) if channel and value]


def targets(config: BaseModel) -> list[tuple[KeyPath, Target]]:
    """Every person, user group and rotation the config names, with its key path."""
    return [(path, value) for path, value, _ in _leaves(config, ()) if isinstance(value, Target)]


def _leaves(
    value: Any, path: KeyPath, channel: bool = False
) -> Iterator[tuple[KeyPath, Any, bool]]:
    """(key path, value, whether the key holds a channel id) for every value that is not a
    section, list or mapping."""
    if isinstance(value, BaseModel):
        for name, field in type(value).model_fields.items():
            key = field.alias or name
            yield from _leaves(getattr(value, name), (*path, key), _holds_channel(field))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _leaves(item, (*path, i), channel)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key), channel)
    else:
        yield path, value, channel


def _holds_channel(field: FieldInfo) -> bool:
    """The field is declared `ChannelId`, alone or in an optional, a list or a mapping."""
    return _CHANNEL in field.metadata or _mentions_channel(field.annotation)


def _mentions_channel(annotation: Any) -> bool:
    if _CHANNEL in getattr(annotation, "__metadata__", ()):
        return True
    return any(_mentions_channel(arg) for arg in get_args(annotation))
