"""What the reference pages in docs/ list, and what the code reads, for the tests that keep
them in step: the environment variables (docs/environment.md), the config's keys
(docs/configuration.md), the Slack scopes (docs/slack.md); and the links of a page."""

from __future__ import annotations

import ast
import re
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).parents[2]
DOCS = ROOT / "docs"

_NAME = re.compile(r"`([A-Z][A-Z0-9_]*)`")
_CELL = re.compile(r"(?<!\\)\|")  # a cell border: a | not written as \|
_RULE = re.compile(r"^\|\s*-")


def table_rows(page: Path) -> dict[str, list[list[str]]]:
    """The body rows of the tables under each `## ` heading (subheadings included), each as
    its cells, stripped; header rows are left out."""
    found: dict[str, list[list[str]]] = {}
    heading = ""
    header = True  # a table's first line is its header row
    for line in page.read_text().splitlines():
        if line.startswith("## "):
            heading, header = line[3:].strip(), True
        elif not line.startswith("|"):
            header = True
        elif _RULE.match(line):
            header = False
        elif not header:
            cells = [cell.strip() for cell in _CELL.split(line.strip())[1:-1]]
            found.setdefault(heading, []).append(cells)
    return found


def table_names(page: Path) -> dict[str, set[str]]:
    """The names in the first column of each table, by the `## ` heading the table is under:
    every `UPPER_CASE` name in backticks there (a row may list several)."""
    return {
        heading: set().union(*(_NAME.findall(row[0]) for row in rows))
        for heading, rows in table_rows(page).items()
    }


def _unwrap(annotation: Any) -> Any:
    """The type inside `Annotated[...]` and `X | None`."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) == 1:
                annotation = args[0]
                continue
        return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    found = _unwrap(annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


def config_keys(model: type[BaseModel], prefix: str = "") -> dict[str, bool]:
    """Every key a config model takes, as written in YAML (`from`, not `start_time`), with
    whether it is required: `a.b` inside a model, `a[].b` in each item of a list of models,
    `a.<name>.b` in each entry of a map of them."""
    keys = {}
    for name, field in model.model_fields.items():
        key = prefix + (field.alias or name)
        keys[key] = field.is_required()
        annotation = _unwrap(field.annotation)
        origin, args = typing.get_origin(annotation), typing.get_args(annotation)
        if (inner := _model(annotation)) is not None:
            keys |= config_keys(inner, f"{key}.")
        elif origin is list and (inner := _model(args[0])) is not None:
            keys |= config_keys(inner, f"{key}[].")
        elif origin is dict and (inner := _model(args[1])) is not None:
            keys |= config_keys(inner, f"{key}.<name>.")
    return keys


def documented_keys(rows: list[list[str]]) -> dict[str, bool]:
    """key -> required, from a reference table's rows: the key in backticks in the first
    column, "required" starting the last one when it is."""
    return {row[0].strip("`"): row[-1].startswith("required") for row in rows}


def _os(node: ast.AST) -> bool:
    return isinstance(node, ast.Name) and node.id == "os"


def _environ(node: ast.AST) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ" and _os(node.value)


def _read_key(node: ast.AST) -> ast.AST | None:
    """The expression naming the variable when `node` reads one from the environment:
    `os.environ.get(X)`, `os.environ[X]`, `os.getenv(X)`, `X in os.environ`."""
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "get" and _environ(func.value):
            return node.args[0]
        if isinstance(func, ast.Attribute) and func.attr == "getenv" and _os(func.value):
            return node.args[0]
    if isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and _environ(node.value):
        return node.slice
    if (
        isinstance(node, ast.Compare)
        and isinstance(node.ops[0], ast.In | ast.NotIn)
        and _environ(node.comparators[0])
    ):
        return node.left
    return None


def environment_reads(source: str, where: str) -> set[str]:
    """The variables `source` reads from the environment by name. A name given by a
    module-level string constant is followed; anything else is an error naming `where`, so a
    read cannot hide from the reference."""
    tree = ast.parse(source)
    constants = {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    found = set()
    for node in ast.walk(tree):
        key = _read_key(node)
        if key is None:
            continue
        if isinstance(key, ast.Constant) and isinstance(key.value, str):
            found.add(key.value)
        elif isinstance(key, ast.Name) and key.id in constants:
            found.add(constants[key.id])
        else:
            raise ValueError(
                f"{where}:{node.lineno}: an environment read by a name not spelled out"
            )
    return found


def python_reads(paths: Iterable[Path]) -> set[str]:
    return set().union(*(environment_reads(p.read_text(), str(p.relative_to(ROOT))) for p in paths))


def makefile_reads(text: str) -> set[str]:
    """Variables a Makefile takes from the environment: `NAME ?= default` (set only when the
    environment has not) and `$$NAME` in recipes (the shell's)."""
    defaults = re.findall(r"^([A-Z][A-Z0-9_]*)\s*\?=", text, re.MULTILINE)
    shell = re.findall(r"\$\$\{?([A-Z][A-Z0-9_]*)", text)
    return set(defaults) | set(shell)


def compose_reads(text: str) -> set[str]:
    """Variables a compose file interpolates: `${NAME}`, `${NAME:-default}`, `${NAME:?error}`."""
    return set(re.findall(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)", text))


_LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """A heading's anchor, as MkDocs (Python-Markdown's toc) and GitHub make it alike for
    plain headings: markup and punctuation dropped, lowercase, spaces to hyphens."""
    text = re.sub(r"[`*_]", "", heading)
    text = re.sub(r"[^\w\s-]", "", text).strip().lower()
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.MULTILINE | re.DOTALL)
    return {slug(line.lstrip("#")) for line in text.splitlines() if re.match(r"#{1,6} ", line)}


def broken_links(page: Path) -> list[str]:
    """The relative links of `page` whose file, or whose anchor in a Markdown file, is not
    there (web addresses are not followed)."""
    broken = []
    for target in _LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        file = (page.parent / path).resolve() if path else page
        if not file.exists() or anchor and file.suffix == ".md" and anchor not in anchors(file):
            broken.append(target)
    return broken
