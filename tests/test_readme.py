"""The README is one screen that points into docs/: its two commands, which CI relies on, and
links that lead somewhere (the docs site checks its own with `mkdocs build --strict`)."""

from __future__ import annotations

from tests.support.docs_reference import ROOT, anchors, broken_links, slug

README = ROOT / "README.md"


def test_the_readme_links_lead_to_files_and_headings_that_exist():
    assert broken_links(README) == []


def test_the_readme_links_into_every_page_of_the_docs():
    linked = {target.name for target in (ROOT / "docs").glob("*.md")}
    text = README.read_text()
    assert {name for name in linked if f"docs/{name}" in text} == linked


def test_the_readme_keeps_its_two_commands():
    text = README.read_text()
    assert "\nmake run     # " in text
    assert "\nmake test    # " in text


def test_a_broken_link_or_anchor_is_found(tmp_path):
    (tmp_path / "other.md").write_text("# Other\n\n## The `firebell check`: gaps\n")
    page = tmp_path / "page.md"
    page.write_text(
        "[ok](other.md#the-firebell-check-gaps) [web](https://example.com/x.md) "
        "[gone](missing.md) [no anchor](other.md#nope) [here](#page)\n\n# Page\n"
    )
    assert broken_links(page) == ["missing.md", "other.md#nope"]


def test_headings_in_code_blocks_are_no_anchors(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("# Real\n\n```sh\n# a comment\n```\n")
    assert anchors(page) == {"real"}
    assert slug("Alerts in: Alertmanager, Grafana") == "alerts-in-alertmanager-grafana"
