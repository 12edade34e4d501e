"""The poller, end to end, for readers: a new article passes each chat's word filter or not
(and is counted), and it is searchable once stored, in the same transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.ingest.fetch import Fetcher
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.poller import Poller
from bot.services import search as search_service
from bot.services.audit import CLI
from bot.services.search import parse_query
from bot.services.sources import add_source
from bot.settings import Settings
from bot.text.filters import parse_filter
from storage import counters as counter_store
from storage import subscriptions as subscription_store
from storage.filtered import FILTERED_COUNTER
from storage.models import Article, ArticleStatus, Delivery
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss
from tests.outboxes import Seeder

T0 = datetime(2026, 1, 28, 9, 0, tzinfo=UTC)
TITLES = ["Syria talks resume in Geneva", "Football: Damascus derby tonight", "Oil prices fall"]


def items(titles: list[str]) -> list[Item]:
    return [
        Item(
            title=title,
            link=f"https://news.example.com/{n}",
            guid=f"item-{n}",
            description=f"{title}. A report on the day's events. " * 5,
            published=T0 - timedelta(hours=n),
        )
        for n, title in enumerate(titles)
    ]


@pytest.fixture
async def poller(database: Database) -> AsyncIterator[Poller]:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=database.url,
        fulltext_min_chars=0,
        fetch_total_timeout=5.0,
        backfill_count=len(TITLES),
    )
    fetcher = Fetcher(settings)
    yield Poller(settings, database.sessions, fetcher)
    await fetcher.close()


async def test_a_poll_filters_per_chat_and_indexes_for_search(
    database: Database, poller: Poller
) -> None:
    seed = Seeder(database)
    everything = await seed.chat(101)
    syria_only = await seed.chat(102)
    no_football = await seed.chat(103)
    politics = await seed.category("politics")
    async with database.sessions.begin() as session:
        for chat, typed in ((syria_only, "+syria +Damascus"), (no_football, "-football")):
            stored = parse_filter(typed).stored()
            assert await subscription_store.set_filter(session, chat, politics, stored)
    async with FeedServer() as server:
        server.add("/feed.xml", rss(items(TITLES)))
        async with database.sessions.begin() as session:
            spec = SourceSpec(url=server.url("/feed.xml"), category="politics", language="en")
            await add_source(session, spec, actor=CLI)
        [outcome] = await poller.poll_due()
    assert outcome.new == len(TITLES)
    async with database.sessions() as session:
        rows = await session.execute(
            select(Article.title, Delivery.chat_id).join(
                Delivery, Delivery.article_id == Article.id
            )
        )
        got = {(title, chat) for title, chat in rows}
        ready = await session.scalar(
            select(Article.id).where(Article.status == ArticleStatus.READY).limit(1)
        )
        counts = await counter_store.counts_on(session, datetime.now(UTC).date())
        found = await search_service.search(session, parse_query("derby"), limit=5)
    assert ready is not None
    assert got == {
        *((title, everything) for title in TITLES),
        (TITLES[0], syria_only),
        (TITLES[1], syria_only),
        (TITLES[0], no_football),
        (TITLES[2], no_football),
    }
    assert counts[FILTERED_COUNTER] == 2
    assert [article.title for article, _ in found.posts] == [TITLES[1]]
