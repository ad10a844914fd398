"""The reference pages cannot drift from the code: docs/environment.md lists every environment
variable the code reads, and nothing else; docs/configuration.md every key the config's models
take (and which are required), and nothing else; docs/slack.md the manifest's scopes."""

from __future__ import annotations

from typing import Literal

import pytest
import yaml
from pydantic import BaseModel, Field

from bot.config import Config
from bot.sandbox.config import SandboxSpec
from bot.settings import Settings
from tests.support.docs_reference import (
    DOCS,
    ROOT,
    compose_reads,
    config_keys,
    documented_keys,
    environment_reads,
    makefile_reads,
    python_reads,
    table_names,
    table_rows,
)

ENVIRONMENT = DOCS / "environment.md"
CONFIGURATION = DOCS / "configuration.md"


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


def test_the_configuration_reference_lists_every_key_and_whether_it_is_required():
    documented = documented_keys(table_rows(CONFIGURATION)["Reference"])
    assert documented == config_keys(Config)


def test_the_sandbox_keys_are_listed_too():
    documented = documented_keys(table_rows(CONFIGURATION)["The sandbox's keys"])
    assert documented == config_keys(SandboxSpec, "sandbox.")


def test_keys_are_found_in_nested_models_lists_maps_and_aliases():
    class Leaf(BaseModel):
        start: str = Field(alias="from")
        note: str = ""

    class Root(BaseModel):
        one: Leaf | None = None
        many: list[Leaf] = []
        named: dict[str, Leaf] = {}
        mode: Literal["a", "b"]

    assert config_keys(Root) == {
        "one": False,
        "one.from": True,
        "one.note": False,
        "many": False,
        "many[].from": True,
        "many[].note": False,
        "named": False,
        "named.<name>.from": True,
        "named.<name>.note": False,
        "mode": True,
    }


def test_a_reference_row_says_required_in_its_last_column(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "## Reference\n\n### Part\n\n| key | meaning | default |\n|---|---|---|\n"
        "| `a` | x \\| y | required, at least one |\n| `b` | z | `1h` |\n"
    )
    assert documented_keys(table_rows(page)["Reference"]) == {"a": True, "b": False}


def test_the_scopes_table_lists_the_manifest_s_scopes():
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text())
    scopes = {row[0].strip("`") for row in table_rows(DOCS / "slack.md")["Scopes"]}
    assert scopes == set(manifest["oauth_config"]["scopes"]["bot"])
