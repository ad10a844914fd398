"""A config file read as YAML, keeping the line of every key so each problem can name it.

Problems are `ConfigError`s whose lines read `file:line: key.path: what is wrong`; a missing
file, YAML that cannot be read, a document that is not a mapping and a key given twice are
caught here, before the config is validated. So is a `${NAME}` in a string whose variable is
not set: every `${NAME}` is replaced from the environment (`$${` writes a literal `${`), so
secrets such as an Apprise URL's token stay out of the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

KeyPath = tuple[Any, ...]  # ("severities", 2, "ack_within")


class ConfigError(Exception):
    """A config that must not be started with; `problems` are ready to print, one a line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_source(path: Path | str, hint: str) -> str:
    """A config file's text; a missing file is a ConfigError that says what to do (`hint`)."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: no such file ({hint})"]) from None


def read_yaml(text: str, source: str) -> tuple[dict[str, Any], dict[KeyPath, int]]:
    """The config's mapping and the 1-based line of each key path in it."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise ConfigError([f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"{source}: the config must be a mapping of keys (see the example)"])
    lines: dict[KeyPath, int] = {}
    duplicates: list[str] = []
    _index_lines(node, (), lines, duplicates, set())
    if duplicates:
        raise ConfigError([f"{source}:{d}" for d in duplicates])
    return data, lines


_VARIABLE = re.compile(r"\$\$\{|\$\{([^}]*)\}")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def substitute(
    data: Any, environ: Mapping[str, str], source: str, lines: dict[KeyPath, int]
) -> Any:
    """`data` with every `${NAME}` in its strings replaced from `environ`; a variable that is
    not set (or a malformed one) is a ConfigError naming the key and the variable, never its
    value."""
    problems: list[str] = []
    inside: set[int] = set()  # the containers being walked: a recursive alias stays as it is

    def walk(value: Any, path: KeyPath) -> Any:
        if isinstance(value, dict | list):
            if id(value) in inside:
                return value  # validation refuses it, naming the key
            inside.add(id(value))
            try:
                if isinstance(value, dict):
                    return {k: walk(v, (*path, k)) for k, v in value.items()}
                return [walk(v, (*path, i)) for i, v in enumerate(value)]
            finally:
                inside.discard(id(value))
        if not isinstance(value, str) or "${" not in value:
            return value

        def one(match: re.Match) -> str:
            if match.group(0) == "$${":
                return "${"
            name = match.group(1)
            if not _NAME.fullmatch(name):
                problems.append(locate(path, f"${{{name}}} is not a variable name", source, lines))
            elif name not in environ:
                problems.append(
                    locate(
                        path,
                        f"${{{name}}}: the environment variable {name} is not set",
                        source,
                        lines,
                    )
                )
            return environ.get(name, "")

        return _VARIABLE.sub(one, value)

    result = walk(data, ())
    if problems:
        raise ConfigError(problems)
    return result


def _index_lines(
    node: yaml.Node,
    path: KeyPath,
    lines: dict[KeyPath, int],
    duplicates: list[str],
    walked: set[int],
) -> None:
    """Line of every key path; aliases are walked once (a recursive alias cannot loop)."""
    lines[path] = node.start_mark.line + 1
    if id(node) in walked:
        return
    walked.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in keys:
                duplicates.append(
                    f"{key_node.start_mark.line + 1}: {dotted((*path, key))}: key given twice"
                )
            keys.add(key)
            _index_lines(value_node, (*path, key), lines, duplicates, walked)
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_lines(item, (*path, i), lines, duplicates, walked)


def locate(loc: KeyPath, message: str, source: str, lines: dict[KeyPath, int]) -> str:
    """`file:line: key.path: message`, the line of the deepest key that exists."""
    line = line_of(loc, lines)
    where = f"{source}:{line}" if line else source
    key = dotted(loc) or "(top level)"
    return f"{where}: {key}: {message}"


def line_of(loc: KeyPath, lines: dict[KeyPath, int]) -> int | None:
    """The line of `loc`, else of the deepest key above it that is in the file."""
    return next((lines[loc[:n]] for n in range(len(loc), -1, -1) if loc[:n] in lines), None)


def dotted(path: KeyPath) -> str:
    """A key path as written in messages: `severities[2].ack_within`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
