"""Composition root: builds the database, services, Slack app, web server and sender."""

from __future__ import annotations

import asyncio
import contextlib
import socket

import structlog
from aiohttp import web
from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler

from bot import logs
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.services import audit
from bot.services.container import Services
from bot.settings import Settings
from bot.slack import credentials, usergroups
from bot.slack.client import MeteredClient, SharedClientApp, keep_alive, release
from bot.slack.delivery.kinds import Deliveries
from bot.slack.delivery.pacing import Pacer
from bot.slack.delivery.pages import media_of
from bot.slack.delivery.sender import Senders
from bot.slack.delivery.table import coalescing, delivery_table
from bot.slack.directory import refresh_people
from bot.slack.listeners import register
from bot.store.db import Database
from bot.store.migrate import upgrade
from bot.web import (
    alerts,
    calendar,
    health,
    heartbeats,
    metrics,
    pages,
    phone,
    postmortem,
    slack_events,
)
from bot.worker.timers import TimerWorker

log = structlog.get_logger("firebell")


class Firebell:
    """One running bot. `run_workers=False` lets tests drive delivery and timers step by step."""

    def __init__(
        self,
        settings: Settings,
        config: Config,
        clock: Clock | None = None,
        *,
        run_workers: bool = True,
        pacer: Pacer | None = None,
        slack_timeout: float | None = None,
        identity: credentials.Identity | None = None,
    ) -> None:
        """`slack_timeout`: seconds the sender waits for Slack's answer to one call
        (default: FIREBELL_SLACK_TIMEOUT). `identity`: what the start-up token check learnt."""
        self.settings = settings
        self.config = config
        self.clock = clock or SystemClock()
        self.run_workers = run_workers
        self.db = Database(settings.database_url)
        self.replica = logs.REPLICA  # in every log line and in /readyz
        token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
        api_url = settings.slack_api_url.rstrip("/") + "/"
        self.services = Services.build(
            self.db, config, self.clock, self._wake_sender, settings=settings
        )
        telemetry = self.services.telemetry  # this app's own Prometheus registry
        table = delivery_table()
        deliveries = Deliveries(
            slack=MeteredClient(
                token=token,
                base_url=api_url,
                retry_handlers=[],
                timeout=slack_timeout or settings.firebell_slack_timeout,
                telemetry=telemetry,
            ),
            services=self.services,
            coalesce=coalescing(table),
            media=media_of(settings),
        )
        self.media = deliveries.media
        self.sender = Senders(
            self.services.outbox,
            table,
            deliveries,
            self.clock,
            telemetry,
            pacer=pacer
            or Pacer(
                rate=settings.firebell_channel_rate,
                burst=max(3.0, settings.firebell_channel_rate * 3),
            ),
        )
        self.timers = TimerWorker(self.services.timers, self.clock)
        secret = settings.slack_signing_secret
        # for calls outside the outbox (listeners, the people lookup), counted in /metrics
        self.slack = MeteredClient(token=token, base_url=api_url, timeout=10, telemetry=telemetry)
        groups = self.services.groups  # user groups, as the permission checks read them
        groups.fetch = usergroups.fetcher(self.slack)
        self.groups = usergroups.GroupRefresher(self.slack, groups, config, self.clock)
        # Bolt is given the token, not a client: it reads SLACK_BOT_TOKEN from the environment
        # itself and warns that the token goes unused when a client comes with it
        self.bolt = SharedClientApp(
            shared=self.slack,
            # the name Bolt would work out itself (this file's), given: its inspect.stack()
            # reads the source of every frame, ~0.1 s of start-up
            name="app.py",
            token=token,
            signing_secret=secret.get_secret_value() if secret else "",
            # HTTP: web/slack_events.py checks the signature before the body is parsed (Bolt's
            # own check would log the signature and body in full when it fails); Socket Mode
            # has no signatures
            request_verification_enabled=False,
            process_before_response=True,
        )
        self.bolt.client.base_url = api_url  # Socket Mode opens its connections with this one
        self.bolt.client.timeout = 10
        self._slack_clients = (deliveries.slack, self.slack)
        credentials.trust(self.bolt, identity)
        register(self.bolt, self.services)
        self.web = web.Application(client_max_size=1024 * 1024)
        routes = health.routes(self.services, self.replica) + calendar.routes(self.services)
        routes += alerts.routes(self.services, settings)
        routes += heartbeats.routes(self.services, settings)
        routes += metrics.routes(self.services) + postmortem.routes(self.services)
        routes += pages.routes(self.services) + phone.routes(self.services, settings)
        if not settings.socket_mode:  # in Socket Mode nothing may arrive unsigned over HTTP
            routes += slack_events.routes(
                self.bolt, self.services.handled, secret.get_secret_value()
            )
        self.web.add_routes(routes)
        self._runner: web.AppRunner | None = None
        self._tasks: list[asyncio.Task] = []
        self._socket: AsyncSocketModeHandler | None = None
        self.port: int | None = None

    def _wake_sender(self) -> None:
        self.sender.wake()

    async def start(
        self, host: str | None = None, port: int | None = None, sock: socket.socket | None = None
    ) -> None:
        """Listen on `host`:`port` (the settings' by default), or on `sock`, a socket bound
        already (the sandbox keeps one across its resets, so the bot's address stays)."""
        await upgrade(self.db)
        config, path, now = (
            self.services.config,
            str(self.settings.firebell_config),
            self.clock.now(),
        )
        with audit.origin("startup"):
            await self.db.write(lambda conn: audit.config_loaded(conn, now, config, path))
        for client in self._slack_clients:  # kept-alive connections to Slack
            keep_alive(client)
        self._runner = web.AppRunner(self.web, access_log=None)
        await self._runner.setup()
        if sock is not None:
            site: web.BaseSite = web.SockSite(self._runner, sock)
        else:
            site = web.TCPSite(
                self._runner,
                host or self.settings.firebell_host,
                self.settings.port if port is None else port,
            )
        await site.start()
        self.port = self._runner.addresses[0][1]
        if self.run_workers:
            self._tasks.append(asyncio.create_task(self.sender.run(), name="outbox-sender"))
            self._tasks.append(asyncio.create_task(self.timers.run(), name="timers"))
            self._tasks.append(asyncio.create_task(refresh_people(self), name="people-lookup"))
            self._tasks.append(asyncio.create_task(self.groups.run(), name="usergroups"))
        if self.settings.socket_mode:
            self._socket = AsyncSocketModeHandler(
                self.bolt, self.settings.slack_app_token.get_secret_value()
            )
            await self._socket.connect_async()
        log.info(
            "firebell_started",
            replica=self.replica,
            port=self.port,
            mode="socket" if self.settings.socket_mode else "http",
            database=self.db.url.get_backend_name(),
        )

    async def stop(self) -> None:
        self.sender.stop()
        self.timers.stop()
        self.groups.stop()
        if self._socket:
            await self._socket.close_async()
        for task in self._tasks:  # finish the round in hand; past 10 s, cancel it
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, timeout=10)
        if self._runner:
            await self._runner.cleanup()
        await self.services.outbox.close()
        await self.media.close()
        for client in self._slack_clients:
            await release(client)
        await self.db.close()
        log.info("firebell_stopped", replica=self.replica)
