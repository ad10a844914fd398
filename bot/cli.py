"""`firebell` / `python -m bot`: serve (default), migrate, check, oncall, sandbox, audit
(verify, export).

Plain `firebell` with no Slack credentials at all starts the sandbox instead of refusing;
`firebell serve` always means Slack, and refuses without its credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot import audit_cli, logs
from bot.clock import SystemClock
from bot.config import Config, load_config
from bot.config_source import ConfigError
from bot.core.durations import format_duration
from bot.services import config_report
from bot.settings import Settings

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firebell", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "serve",
        help="run the bot (default; plain `firebell` with no Slack credentials at all starts "
        "the sandbox instead)",
    )
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser(
        "check", help="validate the config file, print coverage gaps and warnings, and exit"
    )
    oncall = sub.add_parser("oncall", help="print who is on call now, until when, and who is next")
    oncall.add_argument("rotation", nargs="?", help="only this rotation (default: all)")
    oncall.add_argument(
        "--calendar-links",
        action="store_true",
        help="also print each rotation's calendar feed URL, token included",
    )
    audit_cli.add_parser(sub)
    sandbox = sub.add_parser(
        "sandbox", help="try Firebell without Slack: the bot and a stand-in for Slack in a browser"
    )
    sandbox.add_argument("--config", help="the sandbox's config (default: config/sandbox.yml)")
    sandbox.add_argument("--host", default="127.0.0.1", help="address of the page (127.0.0.1)")
    sandbox.add_argument("--port", type=int, help="port of the page (default: PORT, else 3000)")
    sandbox.add_argument(
        "--rate", type=float, default=1.0, help="start the fast clock at this speed (1)"
    )
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        for err in exc.errors():
            print(
                f"environment: {'.'.join(map(str, err['loc'])).upper()}: {err['msg']}",
                file=sys.stderr,
            )
        return EXIT_CONFIG
    logs.setup(settings.firebell_log_level)
    if args.command == "sandbox":
        return _sandbox(settings, args.config, args.host, args.port, args.rate)
    if args.command is None and _no_slack_credentials(settings):
        print(SANDBOX_INSTEAD, file=sys.stderr)
        return _sandbox(settings)
    command = args.command or "serve"
    if command == "migrate":
        return asyncio.run(_migrate(settings))
    if command == "audit":
        return audit_cli.run(settings, args)
    config = _config(settings)
    if config is None:
        return EXIT_CONFIG
    if command == "check":
        return _check(settings, config)
    if command == "oncall":
        return _oncall(settings, config, args.rotation, args.calendar_links)
    return _serve(settings, config)


def _config(settings: Settings) -> Config | None:
    try:
        return load_config(settings.firebell_config)
    except ConfigError as exc:
        print(
            f"Firebell cannot start: {len(exc.problems)} problem(s) in the config:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None


def _check(settings: Settings, config: Config) -> int:
    """The config's summary, then `config_report`'s coverage and warnings; 0 even with
    warnings, as they are advice (a config that cannot run never gets here)."""
    print(f"{settings.firebell_config}: OK")
    print(f"  incident channel {config.incident_channel}, timezone {config.timezone}")
    for severity in config.severities:
        print(
            f"  {severity.name}: ack within {format_duration(severity.ack_within)}, "
            f"update every {format_duration(severity.update_every)}"
        )
    print(f"  escalation: {len(config.escalation)} level(s), repeat {config.repeat}")
    print(f"coverage over the next {config_report.GAP_WEEKS} weeks ({config.timezone}):")
    for line in config_report.coverage(config, SystemClock().now()):
        print(f"  {line}")
    for finding in config_report.findings(config):
        print(f"warning: {finding}")
    return 0


# -- who is on call ---------------------------------------------------------------------------


def _oncall(settings: Settings, config: Config, rotation: str | None, links: bool) -> int:
    names = [r.name for r in config.rotations]
    if rotation is not None and rotation not in names:
        known = ", ".join(names) or "none"
        print(f"no rotation named {rotation!r} in the config (rotations: {known})", file=sys.stderr)
        return EXIT_CONFIG
    if not names:
        print("the config has no rotations")
        return 0
    return asyncio.run(_print_oncall(settings, config, [rotation] if rotation else names, links))


async def _print_oncall(settings: Settings, config: Config, names: list[str], links: bool) -> int:
    from bot.services.container import Services
    from bot.store.db import Database
    from bot.store.migrate import upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db)
        calendars = Services.build(db, config, SystemClock(), settings=settings).calendars
        for name in names:
            current, upcoming = await calendars.now_and_next(name)
            zone = calendars.rotations.specs[name].zone
            print(
                f"{name}: {_person(current)} on call until {_when(current.ends_at, zone)}, "
                f"then {_person(upcoming)} until {_when(upcoming.ends_at, zone)}"
            )
            if links:
                token = calendars.token(name)
                if token is None:
                    print(
                        "  calendar: no token: set FIREBELL_CALENDAR_SECRET (or the rotation's "
                        "calendar_token)"
                    )
                else:
                    print(f"  calendar: {settings.public_url()}/calendar/{name}.ics?token={token}")
    finally:
        await db.close()
    return 0


def _person(entry) -> str:
    who = entry.user
    if entry.email and entry.user != entry.email:
        who = f"{entry.user} ({entry.email})"
    elif entry.email:
        who = f"{entry.email} (no Slack user known for it yet)"
    return f"{who} [override]" if entry.shift.is_override else who


def _when(at: datetime, zone: ZoneInfo) -> str:
    return at.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")


async def _migrate(settings: Settings) -> int:
    from bot.store.db import Database
    from bot.store.migrate import current_revision, upgrade

    db = Database(settings.database_url)
    try:
        await upgrade(db)
        current, _ = await current_revision(db)
        print(f"database at revision {current}")
    finally:
        await db.close()
    return 0


def _serve(settings: Settings, config: Config) -> int:
    missing = settings.missing_for_slack()
    if missing:
        print("Firebell cannot connect to Slack; set these environment variables:", file=sys.stderr)
        for name, where in missing:
            print(f"  {name}: {where}", file=sys.stderr)
        print(
            "Create the app from manifest.yml first (see README: 'Create the Slack app').",
            file=sys.stderr,
        )
        print("To try Firebell without Slack, run `firebell sandbox`.", file=sys.stderr)
        return EXIT_CONFIG
    malformed = settings.malformed_tokens()
    if malformed:
        print("Firebell cannot start: a Slack token is in the wrong place:", file=sys.stderr)
        for name, problem in malformed:
            print(f"  {name} {problem}", file=sys.stderr)
        return EXIT_CONFIG
    return asyncio.run(_run(settings, config))


def _no_slack_credentials(settings: Settings) -> bool:
    """None of the Slack variables is set (a half-set one means Slack was meant)."""
    values = (settings.slack_bot_token, settings.slack_signing_secret, settings.slack_app_token)
    return not any(v and v.get_secret_value().strip() for v in values)


SANDBOX_INSTEAD = """\
No Slack credentials are set, so Firebell is starting its sandbox: the real bot, wired to a
stand-in for Slack that you use in your browser (data/sandbox.db, fresh on every start).
To connect to real Slack instead: create the app from manifest.yml (README: "Create the Slack
app"), set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode), and
run this again. `firebell serve` never starts the sandbox."""


def _sandbox(
    settings: Settings,
    config: str | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    rate: float = 1.0,
) -> int:
    from bot.sandbox.runner import Sandbox, default_config

    path = config or default_config()
    level = os.environ.get("FIREBELL_LOG_LEVEL", "error")  # the page is the interface
    logs.setup(level)
    try:
        sandbox = Sandbox(
            path,
            host=host,
            port=settings.port if port is None else port,
            rate=rate,
            log_level=level,
        )
    except ConfigError as exc:
        print(f"The sandbox cannot start: {len(exc.problems)} problem(s):", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    except ValueError as exc:  # e.g. a --rate out of range
        print(f"The sandbox cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    return asyncio.run(_run_sandbox(sandbox))


async def _run_sandbox(sandbox) -> int:
    try:
        await sandbox.start()
    except OSError as exc:
        print(
            f"The sandbox cannot listen on {sandbox.host}:{sandbox.port}: {exc.strerror or exc}. "
            "Stop whatever uses that port, or pick another with --port (or PORT).",
            file=sys.stderr,
        )
        return 1
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print(f"Open {sandbox.url}", flush=True)
    print(
        f"(Firebell itself listens on http://127.0.0.1:{sandbox.bot.port}: POST /slack/events, "
        "/healthz, /readyz. Stop it all with Ctrl+C.)",
        flush=True,
    )
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0


async def _run(settings: Settings, config: Config) -> int:
    from bot.app import Firebell
    from bot.slack import credentials

    try:  # before anything starts: a refused token leaves no schema and no open port
        identity = await credentials.check(
            settings.slack_api_url,
            settings.slack_bot_token.get_secret_value(),
            settings.slack_app_token.get_secret_value() if settings.socket_mode else None,
        )
    except credentials.Refused as exc:
        print(f"Firebell cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    app = Firebell(settings, config, identity=identity)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
