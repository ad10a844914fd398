"""The reference pages cannot drift from the code: docs/environment.md lists every environment
variable the code reads, and nothing else."""

from __future__ import annotations

import pytest

from bot.settings import Settings
from tests.support.docs_reference import (
    DOCS,
    ROOT,
    compose_reads,
    environment_reads,
    makefile_reads,
    python_reads,
    table_names,
)

ENVIRONMENT = DOCS / "environment.md"


def firebell_reads() -> set[str]:
    """Settings' fields (pydantic-settings reads each by its name) and every read in bot/."""
    fields = {name.upper() for name in Settings.model_fields}
    return fields | python_reads(sorted((ROOT / "bot").rglob("*.py")))


def test_the_environment_page_lists_what_firebell_reads():
    assert table_names(ENVIRONMENT)["Firebell"] == firebell_reads()


def test_the_environment_page_lists_what_the_tests_and_make_read():
    read = python_reads(sorted((ROOT / "tests").rglob("*.py")))
    read |= makefile_reads((ROOT / "Makefile").read_text())
    assert table_names(ENVIRONMENT)["Tests and CI"] == read


def test_the_environment_page_lists_what_the_compose_file_reads():
    read = compose_reads((ROOT / "docker-compose.yml").read_text())
    assert table_names(ENVIRONMENT)["docker compose"] == read


def test_every_kind_of_read_is_found():
    source = """
import os
ENV = "FROM_A_CONSTANT"
os.environ.get("BY_GET", "x")
os.environ["BY_INDEX"]
os.getenv("BY_GETENV")
if "BY_IN" in os.environ: pass
os.environ.get(ENV)
os.environ["SET_NOT_READ"] = "1"
"""
    assert environment_reads(source, "x.py") == {
        "FROM_A_CONSTANT",
        "BY_GET",
        "BY_INDEX",
        "BY_GETENV",
        "BY_IN",
    }


def test_a_read_by_a_computed_name_is_refused():
    with pytest.raises(ValueError, match=r"x\.py:3: an environment read"):
        environment_reads('import os\nname = "A" + "B"\nos.environ.get(name)\n', "x.py")


def test_make_and_compose_reads_are_found():
    makefile = 'PG_TEST_URL ?= postgresql://x\nFOO := 1\nt:\n\t@[ -n "$$REQUIRED" ]\n'
    assert makefile_reads(makefile) == {"PG_TEST_URL", "REQUIRED"}
    compose = "a: ${A:?set A}\nb: ${B:-3000}\nc: $${NOT_ME}\nd: ${D}\n"
    assert compose_reads(compose) == {"A", "B", "D"}


def test_a_table_row_may_name_several_variables(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "## One\n\n| variable | meaning |\n|---|---|\n| `A`, `B` | x `NOT_A_NAME` |\n\n"
        "## Two\n\n| variable | meaning |\n|---|---|\n| `C` | y |\n"
    )
    assert table_names(page) == {"One": {"A", "B"}, "Two": {"C"}}
