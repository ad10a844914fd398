"""The `firebell` command as users run it: a real subprocess, real files."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import aiohttp

from bot.store.migrate import head
from tests.support.cli import EXAMPLE, count_tables, edited_example, env, run, table_names

ROOT = Path(__file__).parent.parent


async def test_serve_without_credentials_names_what_is_missing(tmp_path):
    code, _, err = await run(tmp_path, "serve")
    assert code == 2
    assert "SLACK_BOT_TOKEN" in err and "SLACK_SIGNING_SECRET" in err
    assert "OAuth & Permissions" in err and "Signing Secret" in err
    # never starts half-configured: not even the schema was created
    assert count_tables(tmp_path) == 0


async def test_socket_mode_needs_no_signing_secret(tmp_path):
    code, _, err = await run(tmp_path, SLACK_APP_TOKEN="xapp-test")
    assert code == 2
    assert "SLACK_BOT_TOKEN" in err and "SLACK_SIGNING_SECRET" not in err


async def test_bad_config_stops_start_up_naming_file_line_and_key(tmp_path):
    bad = tmp_path / "firebell.yml"
    bad.write_text(EXAMPLE.read_text().replace("ack_within: 4h", "ack_within: 4 hours"))
    code, _, err = await run(
        tmp_path,
        "serve",
        FIREBELL_CONFIG=str(bad),
        SLACK_BOT_TOKEN="xoxb-1",
        SLACK_SIGNING_SECRET="s",
    )
    assert code == 2
    assert f"{bad}:17: severities[2].ack_within: '4 hours' is not a duration" in err


async def test_check_validates_without_starting(tmp_path):
    code, out, err = await run(tmp_path, "check", FIREBELL_CONFIG=str(edited_example(tmp_path)))
    assert code == 0, err
    assert "OK" in out and "SEV1: ack within 15m" in out
    missing = await run(tmp_path, "check", FIREBELL_CONFIG=str(tmp_path / "nope.yml"))
    assert missing[0] == 2 and "no such file" in missing[2]


async def test_migrate_creates_the_schema(tmp_path):
    code, out, _ = await run(tmp_path, "migrate")
    assert code == 0 and f"revision {head()}" in out
    tables = table_names(tmp_path)
    assert {"incidents", "events", "outbox", "timers", "alembic_version"} <= tables


async def test_serve_starts_answers_health_and_stops_on_sigterm(tmp_path, double):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "serve",
        env=env(
            tmp_path,
            SLACK_BOT_TOKEN="xoxb-1",
            SLACK_SIGNING_SECRET="secret",
            SLACK_API_URL=double.url,
            PORT="0",
            FIREBELL_HOST="127.0.0.1",
        ),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        started = None
        while started is None:
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line, (await process.stderr.read()).decode()
            record = json.loads(line)
            if record.get("event") == "firebell_started":
                started = record
        assert "xoxb" not in line.decode()
        async with aiohttp.ClientSession() as http:
            base = f"http://127.0.0.1:{started['port']}"
            async with http.get(f"{base}/healthz") as response:
                assert response.status == 200
            async with http.get(f"{base}/readyz") as response:
                body = await response.json()
                assert response.status == 200 and body["migrations"]["current"] == head()
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_plain_firebell_without_any_slack_credentials_starts_the_sandbox(tmp_path):
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        env=env(tmp_path, PORT="0"),
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        line = b""
        while not line.startswith(b"Open "):
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line, (await process.stderr.read()).decode()
        url = line.decode().strip().removeprefix("Open ")
        assert url.startswith("http://127.0.0.1:") and url.endswith("/sandbox")
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=30) == 0
        said = (await process.stderr.read()).decode()
        assert "starting its sandbox" in said
        assert "SLACK_BOT_TOKEN" in said and "`firebell serve` never starts the sandbox" in said
        assert (tmp_path / "data" / "sandbox.db").exists()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_sandbox_with_a_broken_config_names_the_line(tmp_path):
    broken = tmp_path / "sandbox.yml"
    shipped = ROOT / "config" / "sandbox.yml"
    broken.write_text(shipped.read_text().replace("ack_within: 10m", "ack_within: soon"))
    code, _, err = await run(tmp_path, "sandbox", "--config", str(broken), "--port", "0")
    line = next(i for i, t in enumerate(broken.read_text().splitlines(), 1) if "soon" in t)
    assert code == 2 and f"{broken}:{line}: severities[1].ack_within" in err
