"""`firebell` / `python -m bot`: serve (default), migrate, check."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from pydantic import ValidationError

from bot import logs
from bot.config import Config, ConfigError, load_config
from bot.core.durations import format_duration
from bot.settings import Settings

EXIT_CONFIG = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="firebell", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="run the bot (default)")
    sub.add_parser("migrate", help="bring the database schema up to date")
    sub.add_parser("check", help="validate the config file and exit")
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
    command = args.command or "serve"
    if command == "migrate":
        return asyncio.run(_migrate(settings))
    config = _config(settings)
    if config is None:
        return EXIT_CONFIG
    if command == "check":
        return _check(settings, config)
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
    print(f"{settings.firebell_config}: OK")
    print(f"  incident channel {config.incident_channel}, timezone {config.timezone}")
    for severity in config.severities:
        print(
            f"  {severity.name}: ack within {format_duration(severity.ack_within)}, "
            f"update every {severity.update_every}"
        )
    print(f"  escalation: {len(config.escalation)} level(s), repeat {config.repeat}")
    return 0


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
        return EXIT_CONFIG
    asyncio.run(_run(settings, config))
    return 0


async def _run(settings: Settings, config: Config) -> None:
    from bot.app import Firebell

    app = Firebell(settings, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.stop()


if __name__ == "__main__":
    sys.exit(main())
