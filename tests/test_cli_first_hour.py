"""The `firebell` command in the first hour (#17), run as users run it: `--config` on every
subcommand, `--version`, the example's placeholders refused by `check`, and the sandbox's
config accepted by the commands that only read it."""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

import pytest

from bot import config_placeholders
from bot.cli_config import SANDBOX_NOTE
from tests.support.cli import EXAMPLE, edited_example, run

SANDBOX = Path(__file__).parents[1] / "config" / "sandbox.yml"


async def test_version_comes_from_the_package_metadata(tmp_path):
    code, out, _ = await run(tmp_path, "--version")
    assert code == 0 and out.strip() == f"firebell {metadata.version('firebell')}"


async def test_the_config_flag_wins_over_the_environment(tmp_path):
    good = str(edited_example(tmp_path))
    nowhere = str(tmp_path / "nope.yml")
    code, out, err = await run(tmp_path, "check", "--config", good, FIREBELL_CONFIG=nowhere)
    assert code == 0, err
    assert out.startswith(f"{good}: OK")
    code, _, err = await run(tmp_path, "check", "--config", nowhere, FIREBELL_CONFIG=good)
    assert code == 2 and f"{nowhere}: no such file" in err
    code, out, err = await run(tmp_path, "oncall", "--config", good, FIREBELL_CONFIG=nowhere)
    assert code == 0 and out.startswith("primary: "), err
    code, _, err = await run(
        tmp_path, "serve", "--config", nowhere, SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET="s"
    )
    assert code == 2 and f"{nowhere}: no such file" in err


@pytest.mark.parametrize(
    "args",
    [("migrate",), ("audit", "verify"), ("audit", "export")],
    ids=["migrate", "audit verify", "audit export"],
)
async def test_every_subcommand_takes_the_config_flag(tmp_path, args):
    """Commands reading the database alone accept it, as they accept FIREBELL_CONFIG."""
    assert (await run(tmp_path, "migrate"))[0] == 0
    code, _, err = await run(tmp_path, *args, "--config", str(edited_example(tmp_path)))
    assert code == 0, err


async def test_check_refuses_the_examples_placeholders_naming_each_key(tmp_path):
    code, out, err = await run(tmp_path, "check", "--config", str(EXAMPLE))
    assert code == 2 and "OK" not in out
    lines = err.splitlines()
    assert lines[0] == (
        f"{EXAMPLE}: 10 key(s) still hold the example's placeholders; replace them with your "
        "workspace's:"
    )
    channel = "put the id of a channel in your workspace here: in Slack, open the channel"
    user = "put a real user id here: in Slack, open the person's profile, click ⋮ (More) and Copy"
    assert f"  {EXAMPLE}:5: incident_channel: C0INCIDENTS is the example's placeholder: " in err
    assert (
        f"{EXAMPLE}:6: broadcast_channel: C0STATUS is the example's placeholder: {channel}" in err
    )
    assert (
        f"{EXAMPLE}:22: rotations[0].members[0]: U0AAA is the example's placeholder: {user}" in err
    )
    assert f"{EXAMPLE}:22: rotations[0].members[2]: alice@example.com is an example address" in err
    assert f"{EXAMPLE}:36: escalation[1].notify[1]: U0LEAD is the example's placeholder" in err
    assert f"{EXAMPLE}:37: escalation[2].notify[0]: group:S0PRODUCT is the example's" in err
    assert [int(line.split(":")[1]) for line in lines[1:]] == sorted(
        int(line.split(":")[1]) for line in lines[1:]
    )  # in the order of the file


async def test_a_config_partly_edited_names_only_what_is_left(tmp_path):
    path = edited_example(tmp_path)
    path.write_text(path.read_text().replace("C07STATUS01", "C0STATUS"))
    code, _, err = await run(tmp_path, "check", "--config", str(path))
    assert code == 2 and "1 key(s) still hold" in err and err.count("placeholder:") == 1
    assert f"{path}:6: broadcast_channel: C0STATUS is the example's placeholder" in err


def test_every_id_in_the_example_is_a_known_placeholder():
    """Commented keys too: someone who uncomments `teams:` must still be told."""
    text = EXAMPLE.read_text()
    ids = set(re.findall(r"\b[UWCGS]0[A-Z0-9]{2,}\b", text))
    known = config_placeholders.CHANNELS | config_placeholders.USERS | config_placeholders.GROUPS
    assert ids and ids == known, ids ^ known
    addresses = set(re.findall(r"[\w.+-]+@([\w.-]+)", text))
    assert addresses and all(a in config_placeholders.EXAMPLE_DOMAINS for a in addresses)


async def test_check_and_oncall_take_the_sandbox_config_with_a_note(tmp_path):
    code, out, err = await run(tmp_path, "check", "--config", str(SANDBOX))
    assert code == 0, err  # its ids belong to the pretend workspace: no placeholders
    assert out.startswith(f"{SANDBOX}: OK")
    assert err.strip() == f"{SANDBOX}: {SANDBOX_NOTE}"
    code, out, err = await run(tmp_path, "oncall", FIREBELL_CONFIG=str(SANDBOX))
    assert code == 0, err
    assert out.startswith("primary: ") and SANDBOX_NOTE in err


async def test_a_broken_sandbox_block_is_named_by_check(tmp_path):
    broken = tmp_path / "sandbox.yml"
    broken.write_text(SANDBOX.read_text().replace("clock_starts: mon 08:50", "clock_starts: 9"))
    code, _, err = await run(tmp_path, "check", "--config", str(broken))
    assert code == 2 and "sandbox.clock_starts" in err


async def test_serve_refuses_the_sandbox_config_saying_what_runs_it(tmp_path):
    code, _, err = await run(
        tmp_path,
        "serve",
        "--config",
        str(SANDBOX),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
    )
    assert code == 2
    assert f"run it with `firebell sandbox --config {SANDBOX}`" in err
