"""Reading a config file: the line of every key path, and problems that point at it."""

from __future__ import annotations

import pytest

from bot.config_source import ConfigError, dotted, locate, read_source, read_yaml

TEXT = "a: 1\nb:\n  - c: 2\n    d: 3\n  - e: &x [4]\nf: *x\n"


def test_every_key_path_has_its_line():
    data, lines = read_yaml(TEXT, "cfg.yml")
    assert data["b"][0]["d"] == 3
    assert lines[("a",)] == 1
    assert lines[("b", 0)] == 3
    assert lines[("b", 0, "d")] == 4
    assert lines[("b", 1, "e")] == 5
    assert lines[("f",)] == 6  # an alias is located where it is used


def test_a_self_referencing_alias_is_indexed_once():
    data, lines = read_yaml("a: &x {b: *x}\n", "cfg.yml")
    assert data["a"]["b"] is data["a"]
    assert lines[("a", "b")] == 1


def test_a_key_given_twice_is_named_with_its_line():
    with pytest.raises(ConfigError) as caught:
        read_yaml("a:\n  b: 1\n  b: 2\n", "cfg.yml")
    assert caught.value.problems == ["cfg.yml:3: a.b: key given twice"]


@pytest.mark.parametrize("text", ["- a\n", "just text\n", ""])
def test_a_document_that_is_not_a_mapping_is_refused(text):
    with pytest.raises(ConfigError, match="must be a mapping of keys"):
        read_yaml(text, "cfg.yml")


def test_yaml_that_cannot_be_read_names_its_line():
    with pytest.raises(ConfigError) as caught:
        read_yaml("a: 1\nb: [\n", "cfg.yml")
    assert caught.value.problems[0].startswith("cfg.yml:")
    assert "not valid YAML" in caught.value.problems[0]


def test_locate_uses_the_deepest_key_that_exists():
    _, lines = read_yaml(TEXT, "cfg.yml")
    assert locate(("b", 0, "z"), "is odd", "cfg.yml", lines) == "cfg.yml:3: b[0].z: is odd"
    assert locate((), "is empty", "cfg.yml", {}) == "cfg.yml: (top level): is empty"


def test_dotted_key_paths():
    assert dotted(("severities", 2, "ack_within")) == "severities[2].ack_within"
    assert dotted(()) == ""


def test_a_missing_file_says_what_to_do(tmp_path):
    with pytest.raises(ConfigError) as caught:
        read_source(tmp_path / "nope.yml", "copy the example")
    assert caught.value.problems == [f"{tmp_path / 'nope.yml'}: no such file (copy the example)"]
