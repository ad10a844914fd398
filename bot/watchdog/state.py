"""The watchdog's memory: the current outage (`outage.State`) in a small JSON file, written
whole to a temporary file beside it and renamed over it, so a crash leaves the old file or
the new one, never half of one. A missing file is a watchdog with nothing to remember; an
unreadable one is logged and forgotten (the worst that does is one page more)."""

from __future__ import annotations

import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog

from bot.watchdog.outage import State

log = structlog.get_logger("firebell.watchdog")
VERSION = 1


def load(path: Path) -> State:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return State()
    except (OSError, ValueError) as exc:
        log.warning("watchdog_state_unreadable", path=str(path), error=type(exc).__name__)
        return State()
    try:
        return State(
            started_at=_instant(data.get("started_at")),
            failures=int(data.get("failures") or 0),
            paged=bool(data.get("paged")),
            problem=data.get("problem"),
            checked_at=_instant(data.get("checked_at")),
        )
    except (AttributeError, TypeError, ValueError) as exc:
        log.warning("watchdog_state_unreadable", path=str(path), error=type(exc).__name__)
        return State()


def save(path: Path, state: State) -> None:
    """Replace the file with `state`, atomically."""
    data: dict[str, Any] = {
        "version": VERSION,
        "started_at": _text(state.started_at),
        "failures": state.failures,
        "paged": state.paged,
        "problem": state.problem,
        "checked_at": _text(state.checked_at),
    }
    folder = path.parent if str(path.parent) else Path(".")
    fd, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w") as file:
            json.dump(data, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _text(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _instant(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) else None
