"""The layer rules of ARCHITECTURE.md, checked on the source: no import circles, `core` pure,
the Slack and web layers through services only, and modules small enough to read."""

from __future__ import annotations

import ast
from pathlib import Path

BOT = Path(__file__).parents[1] / "bot"
LONGEST = 450  # lines; the command grammar is one table and may be longer
LONGER_ALLOWED = {"bot.core.commands"}


def module_name(path: Path) -> str:
    parts = path.relative_to(BOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in BOT.rglob("*.py") if "migrations" not in p.parts}


def imports(path: Path, known: set[str]) -> set[str]:
    """Every module of bot/ that `path` imports, wherever the import statement stands
    (inside functions and `if TYPE_CHECKING:` too: a circle dodged is still a circle)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {name for name in names if name in known}
    return found


def graph() -> dict[str, set[str]]:
    found = modules()
    known = set(found)
    return {name: imports(path, known) - {name} for name, path in found.items()}


def test_no_import_circles():
    edges = graph()
    circles, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                circles.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = "done"

    for name in sorted(edges):
        if name not in state:
            visit(name, [name])
    assert circles == []


def layer_breaks(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    return sorted(
        f"{name} imports {target}"
        for name, targets in graph().items()
        if name.startswith(layer)
        for target in targets
        if target.startswith(forbidden)
    )


def test_core_is_pure():
    rest = ("bot.store", "bot.services", "bot.slack", "bot.web", "bot.worker", "bot.sandbox")
    assert layer_breaks("bot.core", (*rest, "bot.app", "bot.cli", "bot.config", "bot.clock")) == []


def test_slack_and_web_reach_the_database_only_through_services():
    assert layer_breaks("bot.slack", ("bot.store",)) == []
    assert layer_breaks("bot.web", ("bot.store",)) == []


def test_services_and_store_know_nothing_of_slack_or_http():
    outer = ("bot.slack", "bot.web", "bot.worker", "bot.sandbox", "bot.app", "bot.cli")
    assert layer_breaks("bot.services", outer) == []
    assert layer_breaks("bot.store", ("bot.services", *outer)) == []


def test_the_watchdog_keeps_no_database_and_builds_no_firebell():
    """`firebell watchdog` runs apart from Firebell: only the media's clients and its own."""
    inner = ("bot.store", "bot.services", "bot.web", "bot.worker", "bot.app", "bot.sandbox")
    assert layer_breaks("bot.watchdog", inner) == []


def test_the_sender_imports_no_delivery_family():
    families = tuple(
        f"bot.slack.delivery.{name}"
        for name in ("incident", "alerts", "stakeholders", "timeline", "oncall")
    )
    edges = graph()
    assert not edges["bot.slack.delivery.sender"] & set(families)
    assert not {target for target in edges["bot.slack.delivery.sender"] if "blocks" in target}


def test_modules_stay_short_enough_to_read():
    long = {
        name: length
        for name, path in modules().items()
        if (length := len(path.read_text().splitlines())) > LONGEST and name not in LONGER_ALLOWED
    }
    assert long == {}


def test_every_module_says_what_it_holds():
    silent = [
        name
        for name, path in modules().items()
        if path.read_text().strip() and ast.get_docstring(ast.parse(path.read_text())) is None
    ]
    assert silent == []


def test_no_test_module_imports_another():
    """Shared test helpers live in tests/support, never in a test module."""
    tests = Path(__file__).parent
    borrowed = [
        f"{path.relative_to(tests)}: {node.module}"
        for path in tests.rglob("test_*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("tests.")
        and node.module.rsplit(".", 1)[-1].startswith("test_")
    ]
    assert borrowed == []
