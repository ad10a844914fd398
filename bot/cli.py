"""`firebell` / `python -m bot`: serve (default), migrate, check, oncall, sandbox, audit
(verify, export), watchdog; `--config PATH` on each (as FIREBELL_CONFIG, which it overrides) and
`firebell --version`.

Plain `firebell` with no Slack credentials at all starts the sandbox instead of refusing;
`firebell serve` always means Slack, and refuses without its credentials.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import os
import signal
import sys
from datetime import datetime
from importlib import metadata
from pathlib import Path
from zoneinfo import ZoneInfo

import structlog
from pydantic import ValidationError

from bot import audit_cli, cli_config, logs
from bot.cli_config import Loaded
from bot.clock import SystemClock
from bot.config import Config
from bot.config_source import ConfigError
from bot.core.durations import format_duration
from bot.services import config_report
from bot.settings import Settings
from bot.watchdog import cli as watchdog_cli

EXIT_CONFIG = 2
EXIT_SLACK = 1  # `check --slack`: the workspace lacks something the config names
CONFIG_HELP = "the config file (default: FIREBELL_CONFIG, else config/firebell.yml)"

log = structlog.get_logger("firebell.cli")


def version() -> str:
    """`firebell <version>`, from the installed package's metadata."""
    try:
        return f"firebell {metadata.version('firebell')}"
    except metadata.PackageNotFoundError:
        return "firebell (version unknown: the package is not installed; pip install .)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firebell", description=__doc__)
    parser.add_argument("--version", action="version", version=version())
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH", help=CONFIG_HELP)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser(
        "serve",
        parents=[common],
        help="run the bot (default; plain `firebell` with no Slack credentials at all starts "
        "the sandbox instead)",
    )
    sub.add_parser("migrate", parents=[common], help="bring the database schema up to date")
    check = sub.add_parser(
        "check",
        parents=[common],
        help="validate the config file, print coverage gaps and warnings, and exit",
    )
    check.add_argument(
        "--slack",
        action="store_true",
        help="also ask Slack whether every channel, person and user group the config names "
        "is there (needs SLACK_BOT_TOKEN)",
    )
    oncall = sub.add_parser(
        "oncall", parents=[common], help="print who is on call now, until when, and who is next"
    )
    oncall.add_argument("rotation", nargs="?", help="only this rotation (default: all)")
    oncall.add_argument(
        "--calendar-links",
        action="store_true",
        help="also print each rotation's calendar feed URL, token included",
    )
    audit_cli.add_parser(sub, [common])
    watchdog_cli.add_parser(sub, [common])
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
    if getattr(args, "config", None):  # the flag wins over FIREBELL_CONFIG
        settings = settings.model_copy(update={"firebell_config": Path(args.config)})
    command = args.command or "serve"
    if command == "migrate":
        return asyncio.run(_migrate(settings))
    if command == "audit":
        return audit_cli.run(settings, args)
    if command == "watchdog":
        return watchdog_cli.run(settings, args)
    loaded = _config(settings, command)
    if loaded is None:
        return EXIT_CONFIG
    if command == "check":
        return _check(settings, loaded, args.slack)
    if command == "oncall":
        return _oncall(settings, loaded.config, args.rotation, args.calendar_links)
    return _serve(settings, loaded)


def _config(settings: Settings, command: str) -> Loaded | None:
    try:
        loaded = cli_config.load(settings.firebell_config, command)
    except ConfigError as exc:
        print(
            f"Firebell cannot start: {len(exc.problems)} problem(s) in the config:", file=sys.stderr
        )
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return None
    if loaded.sandbox:
        print(f"{loaded.source}: {cli_config.SANDBOX_NOTE}", file=sys.stderr)
    return loaded


def _check(settings: Settings, loaded: Loaded, slack: bool) -> int:
    """The config's summary, then `config_report`'s coverage and warnings; 0 even with
    warnings, as they are advice (a config that cannot run never gets here). The example's
    placeholders still in it are problems (2); with `slack`, so is anything the workspace
    lacks (1)."""
    placeholders = loaded.placeholders()
    if placeholders:
        print(
            f"{loaded.source}: {len(placeholders)} key(s) still hold the example's "
            "placeholders; replace them with your workspace's:",
            file=sys.stderr,
        )
        for problem in placeholders:
            print(f"  {problem}", file=sys.stderr)
        return EXIT_CONFIG
    config = loaded.config
    print(f"{loaded.source}: OK")
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
    return asyncio.run(_check_slack(settings, loaded)) if slack else 0


async def _check_slack(settings: Settings, loaded: Loaded) -> int:
    """`check --slack`: the token first, then everything the config names."""
    from bot.slack import credentials, preflight

    needed = dict(settings.missing_for_slack()).get("SLACK_BOT_TOKEN")
    if needed:
        print(f"firebell check --slack needs SLACK_BOT_TOKEN: {needed}", file=sys.stderr)
        return EXIT_CONFIG
    malformed = dict(settings.malformed_tokens()).get("SLACK_BOT_TOKEN")
    if malformed:
        print(f"firebell check --slack: SLACK_BOT_TOKEN {malformed}", file=sys.stderr)
        return EXIT_CONFIG
    bot_token = settings.slack_bot_token.get_secret_value()
    try:
        identity = await credentials.check(settings.slack_api_url, bot_token)
    except credentials.Refused as exc:
        print(f"firebell check --slack cannot ask Slack: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if identity is None:
        print("Slack did not answer: nothing was checked against it", file=sys.stderr)
        return EXIT_SLACK
    problems = await preflight.check(settings.slack_api_url, bot_token, loaded.config)
    if not problems:
        print(f"Slack ({identity.team}): every channel, person and group the config names is there")
        return 0
    print(
        f"Slack ({identity.team}): {len(problems)} problem(s) with what the config names:",
        file=sys.stderr,
    )
    for line in _described(loaded, problems):
        print(f"  {line}", file=sys.stderr)
    return EXIT_SLACK


def _described(loaded: Loaded, problems) -> list[str]:
    """Each problem as `file:line: key: what` in the order of the file, then those naming no
    key as `Slack: what`."""
    keyed = sorted((p for p in problems if p.key is not None), key=lambda p: loaded.line(p.key))
    return [loaded.where(p.key, p.text) for p in keyed] + [
        f"Slack: {p.text}" for p in problems if p.key is None
    ]


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


def _serve(settings: Settings, loaded: Loaded) -> int:
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
    return asyncio.run(_run(settings, loaded))


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
    logs.setup(level, readable=True)
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
        "/healthz, /readyz; Reset keeps it there. Stop it all with Ctrl+C.)",
        flush=True,
    )
    print("What people do in the page, in sandbox time:", flush=True)
    sandbox.workspace.narrate = functools.partial(print, flush=True)
    try:
        await stop.wait()
    finally:
        await sandbox.stop()
    return 0


async def _run(settings: Settings, loaded: Loaded) -> int:
    from bot.app import Firebell
    from bot.slack import credentials, preflight

    bot_token = settings.slack_bot_token.get_secret_value()
    try:  # before anything starts: a refused token leaves no schema and no open port
        identity = await credentials.check(
            settings.slack_api_url,
            bot_token,
            settings.slack_app_token.get_secret_value() if settings.socket_mode else None,
        )
    except credentials.Refused as exc:
        print(f"Firebell cannot start: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    if identity is not None:  # Slack answered: does it have what the config names?
        problems = await preflight.check(settings.slack_api_url, bot_token, loaded.config)
        if any(p.stops_start for p in problems):
            print("Firebell cannot start: its incident channel is not in Slack:", file=sys.stderr)
            for line in _described(loaded, problems):
                print(f"  {line}", file=sys.stderr)
            return EXIT_CONFIG
        for line in _described(loaded, problems):
            log.warning("slack_config_problem", problem=line)
    app = Firebell(settings, loaded.config, identity=identity)
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
