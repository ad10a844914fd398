"""Every bench records its figures the same way, with the machine they were measured on."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path


def machine() -> dict:
    """The machine the figures were measured on."""
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


def save(path: Path, figures: dict) -> None:
    """Write `figures` to `path` as indented JSON, creating its directory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, indent=2, default=str) + "\n")
