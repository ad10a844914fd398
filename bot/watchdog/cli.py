"""`firebell watchdog`'s flags, and starting it: the routes checked against the environment
before the first check, then the loop until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.core.durations import parse_duration
from bot.settings import Settings, e164

EXIT_USAGE = 2
ROUTE_FLAGS = {
    "page_email": "email",
    "page_sms": "sms",
    "page_voice": "voice",
    "page_ntfy": "ntfy",
    "page_apprise": "apprise",
}


def duration(text: str) -> timedelta:
    try:
        return parse_duration(text, timedelta(days=1))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def phone(text: str) -> str:
    number = e164(text)
    if number is None:
        raise argparse.ArgumentTypeError("must be a phone number in E.164, like +4915112345678")
    return number


def base_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            "must be Firebell's base URL, like http://firebell.internal:3000"
        )
    return text.strip().rstrip("/")


def address(text: str) -> str:
    """An e-mail address, ntfy topic or Apprise URL: an empty one (a variable left unset in a
    compose file) is refused here rather than paging nowhere."""
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty")
    return text.strip()


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} must be a whole number of at least 1")
    return value


def add_parser(sub: Any, parents: list[argparse.ArgumentParser]) -> None:
    """`watchdog` under the `firebell` command's subparsers (`parents`: `--config`, accepted
    and unused: the watchdog reads no config file and no database)."""
    watchdog = sub.add_parser(
        "watchdog",
        parents=parents,
        help="watch a Firebell from another machine and page outside Slack when it is down",
        description="Poll Firebell's /readyz; page by e-mail, SMS, voice, ntfy or Apprise "
        "(the FIREBELL_SMTP_*, FIREBELL_TWILIO_*, FIREBELL_VONAGE_*, FIREBELL_NTFY_* "
        "variables) when it is unreachable, not ready, failing to deliver to Slack or its "
        "outbox is stuck; once per outage, and once more when it recovers.",
    )
    watchdog.add_argument("--url", required=True, type=base_url, help="Firebell's base URL")
    watchdog.add_argument("--every", type=duration, default="30s", help="check this often (30s)")
    watchdog.add_argument(
        "--failures", type=count, default=3, help="failed checks in a row before paging (3)"
    )
    watchdog.add_argument(
        "--timeout", type=duration, default="10s", help="a check without an answer by then fails"
    )
    watchdog.add_argument(
        "--outbox-age",
        type=duration,
        default="10m",
        help="page when the oldest undelivered message is older than this (10m)",
    )
    routes = watchdog.add_argument_group("where pages go (repeatable; at least one)")
    routes.add_argument("--page-email", action="append", type=address, metavar="ADDR", default=[])
    routes.add_argument("--page-sms", action="append", type=phone, metavar="+E164", default=[])
    routes.add_argument("--page-voice", action="append", type=phone, metavar="+E164", default=[])
    routes.add_argument("--page-ntfy", action="append", type=address, metavar="TOPIC", default=[])
    routes.add_argument("--page-apprise", action="append", type=address, metavar="URL", default=[])
    watchdog.add_argument(
        "--state",
        type=Path,
        default=Path("firebell-watchdog.json"),
        help="where it remembers an outage across restarts (firebell-watchdog.json)",
    )


def run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.clock import SystemClock
    from bot.slack.delivery.pages import media_of
    from bot.watchdog.notify import Notifier, Route, problems
    from bot.watchdog.run import Options, Watchdog

    routes = [
        Route(medium, address)
        for flag, medium in ROUTE_FLAGS.items()
        for address in getattr(args, flag)
    ]
    if not routes:
        print(
            "firebell watchdog: say where to page: --page-email, --page-sms, --page-voice, "
            "--page-ntfy or --page-apprise (each repeatable)",
            file=sys.stderr,
        )
        return EXIT_USAGE
    media = media_of(settings)
    lacking = problems(routes, media)
    if lacking:
        for line in lacking:
            print(f"firebell watchdog: {line}", file=sys.stderr)
        return EXIT_USAGE
    options = Options(
        url=args.url,
        every=args.every,
        failures=args.failures,
        timeout=args.timeout,
        outbox_age=args.outbox_age,
        state=args.state,
    )
    return asyncio.run(_watch(Watchdog(options, Notifier(routes, media), SystemClock())))


async def _watch(watchdog) -> int:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, watchdog.stop)
    await watchdog.run()
    return 0
