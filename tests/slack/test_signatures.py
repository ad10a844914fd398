"""The signature is checked before anything reads the body: whatever an unsigned, forged or
malformed request holds, the answer is 401 with one log line and no traceback, and neither the
signature nor the body reaches the log."""

from __future__ import annotations

import hashlib
import hmac
import re
import time

from tests.support import signing
from tests.support.db import count
from tests.support.harness import SECRET


def db(bot):
    return bot  # its database, SQLite or PostgreSQL


async def post(bot, body: bytes | str, headers: dict[str, str]):
    response = await bot.http.post(f"{bot.base}/slack/events", data=body, headers=headers)
    return response.status, await response.text()


def refusals(logged: str) -> list[str]:
    return [line for line in logged.splitlines() if "slack_request_refused" in line]


async def test_a_timestamp_that_is_no_number_is_401_logged_once_without_a_traceback(bot, capsys):
    body = signing.slash_command_body("declare sev1 Clockwork")
    headers = signing.sign(SECRET, body, int(time.time()))
    for stamp in ("yesterday", "1e9", "-5", "17.5", "9" * 40):
        status, answer = await post(bot, body, {**headers, "X-Slack-Request-Timestamp": stamp})
        assert (status, answer) == (401, '{"error": "invalid request"}'), stamp
    assert count(db(bot), "incidents") == 0
    out = capsys.readouterr()
    logged = out.out + out.err
    lines = refusals(logged)
    assert len(lines) == 5 and all("malformed_timestamp" in line for line in lines)
    assert "Traceback" not in logged and "[error" not in logged
    assert headers["X-Slack-Signature"][3:] not in logged and "Clockwork" not in logged


async def test_forged_bodies_are_refused_before_anything_parses_them(bot, capsys):
    stamp = int(time.time())
    forged = [
        ("{not json", "application/json"),  # Bolt would parse it as JSON and fail
        ("payload=%7Bnot-json", "application/x-www-form-urlencoded"),  # an interaction's form
        ("[1, 2]", "application/json"),
    ]
    for body, content_type in forged:
        headers = signing.sign("not-the-secret", body, stamp, content_type=content_type)
        assert await post(bot, body, headers) == (401, '{"error": "invalid request"}'), body
    # not UTF-8, though signed over its bytes with the right secret: no Slack request
    raw = b"command=%2Fincident&text=\xff\xfe"
    digest = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + raw, hashlib.sha256)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": str(stamp),
        "X-Slack-Signature": f"v0={digest.hexdigest()}",
    }
    assert await post(bot, raw, headers) == (401, '{"error": "invalid request"}')
    out = capsys.readouterr()
    logged = out.out + out.err
    lines = refusals(logged)
    assert [line.count("bad_signature") for line in lines] == [1, 1, 1, 0]
    assert "body_not_utf8" in lines[-1]
    assert "Traceback" not in logged and digest.hexdigest() not in logged


async def test_every_kind_of_refusal_says_why_in_one_line_without_the_signature(bot, capsys):
    body = signing.slash_command_body("declare sev2 Refused")
    stamp = int(time.time())
    good = signing.sign(SECRET, body, stamp)
    cases = {
        "unsigned": {"Content-Type": good["Content-Type"]},
        "malformed_signature": {**good, "X-Slack-Signature": "v1=" + good["X-Slack-Signature"][3:]},
        "stale": signing.sign(SECRET, body, stamp - 6 * 60),
        "bad_signature": signing.sign("not-the-secret", body, stamp),
    }
    for reason, headers in cases.items():
        assert (await post(bot, body, headers))[0] == 401, reason
    out = capsys.readouterr()
    logged = out.out + out.err
    lines = refusals(logged)
    assert len(lines) == len(cases)
    assert [next(r for r in cases if r in line) for line in lines] == list(cases)
    assert re.search(r"skew_s=36[01]\b", lines[2])  # 6 minutes late, in seconds
    for headers in cases.values():
        signature = headers.get("X-Slack-Signature", "v0=")[3:]
        assert not signature or signature not in logged
    assert count(db(bot), "incidents") == 0
