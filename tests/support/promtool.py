"""Prometheus' `promtool`, for the tests that check contrib/prometheus's rules and the
dashboard's queries: found as FIREBELL_PROMTOOL or on PATH. Without it those tests are skipped
with the reason, unless FIREBELL_REQUIRE_PROMTOOL is set (CI sets it, and puts the promtool of
Debian's `prometheus` package on PATH: `.ci/run`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL = (
    "apt-get download prometheus && dpkg-deb -x prometheus_*.deb /tmp/prometheus && "
    "cp /tmp/prometheus/usr/bin/promtool /usr/local/bin/"
)


def promtool() -> str:
    """The promtool to run; skips (or fails, when it is required) without one."""
    found = os.environ.get("FIREBELL_PROMTOOL") or shutil.which("promtool")
    if found:
        return found
    reason = "promtool is not installed"
    if os.environ.get("FIREBELL_REQUIRE_PROMTOOL"):
        pytest.fail(f"FIREBELL_REQUIRE_PROMTOOL is set, but {reason}")
    pytest.skip(f"{reason} ({INSTALL})")


def check_rules(path: Path) -> subprocess.CompletedProcess:
    """`promtool check rules path`: exit 0 and `SUCCESS: N rules found` when they are sound."""
    return subprocess.run(
        [promtool(), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
