"""`firebell watchdog` against a real `python -m bot serve` (#16): killed (SIGKILL), hung
(SIGSTOP: it accepts and never answers) and stuck with Slack refusing every post. Each
outage is paged exactly once per route, through a real SMTP server and the ntfy double, and
its end once more; a watchdog restarted during the outage does not page it again."""

from __future__ import annotations

import asyncio
import contextlib
import signal

from bot.watchdog.run import Watchdog
from tests.support.ntfy import NtfyDouble
from tests.support.serve import Serve, serve_env
from tests.support.smtp import MailServer
from tests.support.watchdog import declare, titles, until, watchdog

DOWN = "[firebell watchdog] Firebell is down"
UP = "[firebell watchdog] Firebell recovered"


@contextlib.asynccontextmanager
async def running(dog: Watchdog):
    task = asyncio.create_task(dog.run())
    try:
        yield dog
    finally:
        dog.stop()
        await asyncio.wait_for(task, timeout=15)


async def checks(dog: Watchdog, count: int) -> None:
    """Wait for `count` more checks."""
    seen = []

    def counted() -> bool:
        if dog.state.checked_at not in seen:
            seen.append(dog.state.checked_at)
        return len(seen) > count

    await until(counted, within=count * 4 + 10, what=f"{count} checks")


async def test_a_killed_firebell_is_paged_once_and_its_recovery_once(tmp_path, double):
    env = serve_env(tmp_path, double)
    first = Serve(env, tmp_path, tmp_path / "first.stderr")
    second: Serve | None = None
    state = tmp_path / "firebell-watchdog.json"
    try:
        async with MailServer() as mail, NtfyDouble() as ntfy:
            await first.start()
            port = first.port
            async with running(watchdog(first.base, state, mail, ntfy)) as dog:
                await checks(dog, 3)
                assert titles(mail, ntfy) == ([], [])  # nothing at its start, nothing while fine
                await first.kill()
                await until(lambda: mail.received and ntfy.published, within=20, what="a page")
                await checks(dog, 3)
            assert titles(mail, ntfy) == ([DOWN], ["Firebell is down"])
            [page] = mail.received
            assert "unreachable: cannot connect" in page.message.get_content()
            assert page.rcpt_tos == ["oncall@example.com"]

            # the watchdog restarts during the outage: it remembers, and pages nothing more
            async with running(watchdog(first.base, state, mail, ntfy)) as dog:
                assert dog.state.paged
                await checks(dog, 3)
                assert titles(mail, ntfy) == ([DOWN], ["Firebell is down"])
                second = Serve(serve_env(tmp_path, double, port), tmp_path, tmp_path / "2.stderr")
                await second.start()
                await until(lambda: len(mail.received) == 2, within=20, what="the recovery")
                await checks(dog, 3)
            assert titles(mail, ntfy) == ([DOWN, UP], ["Firebell is down", "Firebell recovered"])
            recovery = mail.received[1].message.get_content()
            assert "recovered" in recovery and "The outage lasted " in recovery
    finally:
        await first.cleanup()
        if second is not None:
            await second.cleanup()


async def test_a_hung_firebell_fails_by_timeout(tmp_path, double):
    served = Serve(serve_env(tmp_path, double), tmp_path, tmp_path / "serve.stderr")
    state = tmp_path / "firebell-watchdog.json"
    try:
        async with MailServer() as mail, NtfyDouble() as ntfy:
            await served.start()
            async with running(watchdog(served.base, state, mail, ntfy, timeout=1.0)) as dog:
                await checks(dog, 2)
                served.process.send_signal(signal.SIGSTOP)  # its port still accepts
                await until(lambda: mail.received and ntfy.published, within=20, what="a page")
                await checks(dog, 3)
                assert titles(mail, ntfy) == ([DOWN], ["Firebell is down"])
                assert "unreachable: no answer within 1s" in ntfy.published[0]["message"]
                served.process.send_signal(signal.SIGCONT)
                await until(lambda: len(ntfy.published) == 2, within=20, what="the recovery")
                await checks(dog, 2)
            assert titles(mail, ntfy) == ([DOWN, UP], ["Firebell is down", "Firebell recovered"])
    finally:
        if served.process and served.process.returncode is None:
            served.process.send_signal(signal.SIGCONT)
        await served.cleanup()


async def test_slack_refusing_every_post_is_paged_once(tmp_path, double):
    double.inject("chat.postMessage", status=503, times=1_000_000)
    served = Serve(serve_env(tmp_path, double), tmp_path, tmp_path / "serve.stderr")
    state = tmp_path / "firebell-watchdog.json"
    try:
        async with MailServer() as mail, NtfyDouble() as ntfy:
            await served.start()
            for n in range(5):
                await declare(served.base, f"Outage number {n}")
            async with running(watchdog(served.base, state, mail, ntfy)) as dog:
                await until(lambda: mail.received and ntfy.published, within=30, what="a page")
                await checks(dog, 3)
                assert titles(mail, ntfy) == ([DOWN], ["Firebell is down"])
                text = mail.received[0].message.get_content()
                assert "Slack delivery failing:" in text
                assert "none since Firebell started" in text
                double.clear_faults()  # Slack is back: the retries go through
                await until(lambda: len(mail.received) == 2, within=60, what="the recovery")
                await checks(dog, 2)
            assert titles(mail, ntfy) == ([DOWN, UP], ["Firebell is down", "Firebell recovered"])
    finally:
        await served.cleanup()
