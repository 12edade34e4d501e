"""The poll tick: a slow source never holds back the others or the next tick."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.ingest.fetch import Fetcher
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.poller import Poller
from bot.pipeline.schedule import PollLoop
from bot.services.audit import CLI
from bot.services.sources import add_source
from bot.settings import Settings
from storage.models import Article, Source
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss


async def count_articles(database: Database, source_id: int) -> int:
    async with database.sessions() as session:
        query = select(func.count()).select_from(Article).where(Article.source_id == source_id)
        return await session.scalar(query) or 0


async def test_a_slow_source_does_not_delay_the_others(database: Database) -> None:
    settings = Settings(
        _env_file=None,
        database_url=database.url,
        poll_tick_seconds=0.1,
        fetch_total_timeout=30,
        fetch_read_timeout=30,
        fulltext_min_chars=0,
    )
    async with FeedServer() as server, Fetcher(settings) as fetcher:
        server.add_drip("/slow.xml", rss([Item("slow", link="https://e.com/s")]), interval=0.5)
        async with database.sessions.begin() as session:
            slow = await add_source(session, SourceSpec(url=server.url("/slow.xml")), actor=CLI)
        loop = PollLoop(settings, Poller(settings, database.sessions, fetcher))
        loop.start()
        try:
            await asyncio.sleep(0.3)
            assert loop.in_flight == 1
            server.add("/fast.xml", rss([Item("fast", link="https://e.com/f")]))
            async with database.sessions.begin() as session:
                fast = await add_source(session, SourceSpec(url=server.url("/fast.xml")), actor=CLI)
            for _ in range(50):
                if await count_articles(database, fast.id):
                    break
                await asyncio.sleep(0.1)
            assert await count_articles(database, fast.id) == 1
            assert await count_articles(database, slow.id) == 0
            assert loop.in_flight == 1
        finally:
            await loop.stop()


async def test_the_schedule_survives_a_restart(database: Database) -> None:
    settings = Settings(_env_file=None, database_url=database.url)  # type: ignore[call-arg]
    async with FeedServer() as server:
        server.add("/a.xml", rss([Item("a", link="https://e.com/a")]))
        async with database.sessions.begin() as session:
            await add_source(session, SourceSpec(url=server.url("/a.xml")), actor=CLI)
        async with Fetcher(settings) as fetcher:
            assert len(await Poller(settings, database.sessions, fetcher).poll_due()) == 1
        async with Fetcher(settings) as fetcher:  # a new process would start like this
            assert await Poller(settings, database.sessions, fetcher).poll_due() == []
        async with database.sessions() as session:
            source = await session.scalar(select(Source))
            assert source is not None
            assert source.lease_until is None
            assert source.last_success_at is not None
            assert source.next_poll_at > source.last_success_at
