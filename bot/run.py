"""`nashra run`: the parts of Nashra this process runs, by role, until SIGINT or SIGTERM.

    all     the poll scheduler, the bot (handlers) and the outbox's sender
    poller  the poll scheduler (polls, stores, queues deliveries)
    sender  the outbox's sender
    bot     the bot: Telegram updates by long polling or webhook

Several pollers and senders can share one PostgreSQL database: sources and deliveries are
claimed under leases (FOR UPDATE SKIP LOCKED), per-chat pacing lives in the chats' rows, and
the overall Telegram rate is one budget in the database that every sender reserves from.
Every role serves /healthz and /metrics when HEALTH_PORT is set (and, in webhook mode, on the
webhook's server).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable
from datetime import UTC, datetime
from enum import StrEnum

from bot.app import build_application, open_bot_api, running
from bot.deliver.send import Transport
from bot.deliver.sender import Sender
from bot.health import Health
from bot.ingest.ssrf import too_wide
from bot.leases import release_dead_local_leases
from bot.memory import limit_malloc_arenas
from bot.pipeline.poller import Poller
from bot.pipeline.schedule import PollLoop
from bot.runtime import Runtime, open_runtime
from bot.services import search as search_service
from bot.services.sources import source_count
from bot.settings import Settings
from bot.web import WebServer

log = logging.getLogger(__name__)

NO_TOKEN = (
    "TELEGRAM_BOT_TOKEN is not set, so the bot does not start: sources are polled and nothing"
    " is sent. To start it, open @BotFather in Telegram, send /newbot, put the token it gives"
    " you in .env as TELEGRAM_BOT_TOKEN=…, and run `nashra run` again (README: Quick start)."
)
WIDE_ALLOWLIST = (
    "FETCH_ALLOW_NETWORKS allows %s: the guard that keeps fetches off private, loopback and"
    " cloud-metadata addresses is off for that whole range"
)
NO_SOURCES = (
    "there are no sources yet: add one with `nashra sources add URL` (a feed, or a site's"
    " page), or /addsource URL in Telegram as an admin; until then nothing is polled."
)


class Role(StrEnum):
    ALL = "all"
    BOT = "bot"
    POLLER = "poller"
    SENDER = "sender"


class RoleError(ValueError):
    """The role cannot run with these settings; the message says why."""


async def run(settings: Settings, role: Role = Role.ALL) -> int:
    """Run `role` until SIGINT or SIGTERM; 0 on a clean stop."""
    limit_malloc_arenas()
    token = settings.telegram_bot_token
    if token is None and role in (Role.BOT, Role.SENDER):
        raise RoleError(f"--role {role} needs TELEGRAM_BOT_TOKEN")
    polls = role in (Role.ALL, Role.POLLER)
    sends = role in (Role.ALL, Role.SENDER) and token is not None
    answers = role in (Role.ALL, Role.BOT) and token is not None
    async with open_runtime(settings) as runtime, contextlib.AsyncExitStack() as stack:
        await release_dead_local_leases(runtime.sessions, now=datetime.now(UTC))
        stop = asyncio.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)

        sender: Sender | None = None
        transport: Transport | None = None
        if sends or answers:
            # One Bot API client for the outbox and the posts the bot sends in answers.
            transport = Transport(await stack.enter_async_context(open_bot_api(settings)))
        if sends:
            assert transport is not None
            sender = Sender(
                settings,
                runtime.sessions,
                transport,
                categories=runtime.categories,
                translator=runtime.translator,
            )
        loop: PollLoop | None = None
        if polls:
            loop = PollLoop(settings, make_poller(runtime, sender.wake if sender else None))
        health = Health(
            runtime.sessions, scheduler_alive=(lambda: loop.alive) if loop is not None else None
        )
        webhook_server = _webhook_server(settings, health) if answers else None
        if settings.health_port and not (webhook_server and _health_on_webhook(settings)):
            health_server = WebServer(settings.health_listen, settings.health_port)
            health.add_routes(health_server)
            await stack.enter_async_context(health_server)

        if loop is not None:
            loop.start()
            stack.push_async_callback(loop.stop)
            backlog = asyncio.create_task(_index_backlog(runtime))
            stack.push_async_callback(_cancel, backlog)
            log.info("polling: looking for due sources every %.0f s", settings.poll_tick_seconds)
        if answers:
            application = build_application(
                settings,
                runtime.sessions,
                categories=runtime.categories,
                pipeline=runtime.pipeline,
                transport=transport,
            )
            await stack.enter_async_context(running(application, web=webhook_server))
        elif webhook_server is not None:
            await stack.enter_async_context(webhook_server)
        if sender is not None:
            sending = asyncio.create_task(sender.run(stop))
            stack.push_async_callback(_finish, sending, stop)
        for network in too_wide(settings.fetch_allow_networks):
            log.warning(WIDE_ALLOWLIST, network)
        if token is None:
            log.warning(NO_TOKEN)
        if polls:
            async with runtime.sessions() as session:
                if not await source_count(session):
                    log.warning(NO_SOURCES)
        log.info("nashra running as %s", role)
        await stop.wait()
        log.info("stopping")
    return 0


def make_poller(runtime: Runtime, on_queued: Callable[[], None] | None = None) -> Poller:
    """The runtime's poller; `on_queued` is called when a poll queued deliveries."""
    return Poller(
        runtime.settings,
        runtime.sessions,
        runtime.fetcher,
        composer=runtime.composer,
        categories=runtime.categories,
        on_queued=on_queued,
    )


def _webhook_server(settings: Settings, health: Health) -> WebServer | None:
    """In webhook mode, the webhook's server, serving /healthz and /metrics too when no
    HEALTH_PORT of their own is set (or the same one)."""
    if settings.webhook_url is None:
        return None
    server = WebServer(settings.webhook_listen, settings.webhook_port)
    if _health_on_webhook(settings):
        health.add_routes(server)
    return server


def _health_on_webhook(settings: Settings) -> bool:
    """Whether /healthz and /metrics go on the webhook's server: no HEALTH_PORT of their
    own, or the same address."""
    return not settings.health_port or (
        settings.health_port == settings.webhook_port
        and settings.health_listen == settings.webhook_listen
    )


async def _index_backlog(runtime: Runtime) -> None:
    """Search: index the posts stored before the index existed (once, in the background)."""
    try:
        await search_service.index_missing(runtime.sessions)
    except Exception:
        log.exception("search: could not index the older posts (`nashra search --reindex`)")


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _finish(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    stop.set()  # already, unless something else failed first
    await task
