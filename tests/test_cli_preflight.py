"""`firebell check --slack` and `firebell serve` asking Slack whether the workspace has what
the config names, run as users run them against the Slack double: each problem named by file,
line and key; `check --slack` exits 1 on any, `serve` refuses to start only without its
incident channel and logs the rest as warnings."""

from __future__ import annotations

from tests.support.cli import count_tables, env, run
from tests.support.serve import Serve
from tests.support.workspace import CONFIG, line_of, populate, write

BOT_TOKEN = "xoxb-firebell-preflight-token"
BROKEN = frozenset({"C07PAYMENTS", "U07LEAD0001", "S07PAYMENT1"})


def slack(double) -> dict[str, str]:
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": "secret",
        "SLACK_API_URL": double.url,
        "PORT": "0",
        "FIREBELL_HOST": "127.0.0.1",
    }


def expected(path) -> list[str]:
    """The problems BROKEN (with the private channel uninvited) makes, as printed."""
    at = lambda needle: f"{path}:{line_of(CONFIG, needle)}"  # noqa: E731
    return [
        f"{at('private_channel')}: private_channel: G07SECRET01: Slack has no channel",
        f"{at('page: [')}: severities[0].page[0]: lead@acme.test: nobody in the workspace",
        f"{at('@U07LEAD0001')}: escalation[1].notify[0]: U07LEAD0001: Slack has no user",
        f"{at('@U07LEAD0001')}: escalation[1].notify[1]: group:S07ONCALL01",
        f"{at('S07PAYMENT1')}: teams[0].members[1]: group:S07PAYMENT1: Slack has no enabled",
        f"{at('channel: C07PAYMENTS')}: teams[0].channel: C07PAYMENTS: Slack has no channel",
    ]


async def test_check_slack_passes_a_config_whose_workspace_has_everything(tmp_path, double):
    populate(double)
    path = write(tmp_path)
    code, out, err = await run(tmp_path, "check", "--slack", "--config", str(path), **slack(double))
    assert code == 0, err
    assert out.splitlines()[-1] == (
        "Slack (Firebell Test): every channel, person and group the config names is there"
    )
    assert BOT_TOKEN not in out + err


async def test_check_slack_names_each_key_the_workspace_lacks(tmp_path, double):
    populate(double, missing=BROKEN | {"S07ONCALL01"}, uninvited=True)
    path = write(tmp_path)
    code, _, err = await run(tmp_path, "check", "--slack", "--config", str(path), **slack(double))
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == "Slack (Firebell Test): 6 problem(s) with what the config names:"
    for line, start in zip(lines[1:], expected(path), strict=True):
        assert line.startswith(f"  {start}"), (line, start)
    assert "type `/invite @Firebell` in the channel" in lines[1]


async def test_check_slack_needs_the_bot_token(tmp_path, double):
    path = write(tmp_path)
    code, _, err = await run(tmp_path, "check", "--slack", "--config", str(path))
    assert code == 2
    assert err.startswith("firebell check --slack needs SLACK_BOT_TOKEN: the Bot User OAuth Token")
    assert double.calls == []


async def test_serve_starts_with_what_is_missing_logged_as_warnings(tmp_path, double):
    populate(double, missing=BROKEN | {"S07ONCALL01"}, uninvited=True)
    path = write(tmp_path)
    process = Serve(
        env(tmp_path, FIREBELL_CONFIG=str(path), **slack(double)),
        tmp_path,
        tmp_path / "serve.stderr",
    )
    try:
        await process.start()
        assert await process.terminate() == 0
    finally:
        await process.cleanup()
    warned = [r["problem"] for r in process.events("slack_config_problem")]
    assert [r["level"] for r in process.events("slack_config_problem")] == ["warning"] * 6
    for line, start in zip(warned, expected(path), strict=True):
        assert line.startswith(start), (line, start)


async def test_serve_refuses_to_start_without_its_incident_channel(tmp_path, double):
    populate(double, missing=frozenset({"C07INCDNT01", "U07ADMIN001"}))
    path = write(tmp_path)
    code, out, err = await run(tmp_path, "serve", "--config", str(path), **slack(double))
    assert code == 2
    lines = err.splitlines()
    assert lines[0] == "Firebell cannot start: its incident channel is not in Slack:"
    assert lines[1].startswith(f"  {path}:1: incident_channel: C07INCDNT01: Slack has no channel")
    assert lines[2].startswith(f"  {path}:{line_of(CONFIG, 'admins')}: admins[0]: U07ADMIN001")
    assert "firebell_started" not in out and count_tables(tmp_path) == 0
