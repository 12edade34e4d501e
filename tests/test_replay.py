"""Replaying real feed snapshots in time order yields exactly the new items of each step."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import feedparser
import pytest
from sqlalchemy import select

from bot.ingest.fetch import Fetcher
from bot.ingest.normalize import canonical_url
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.poller import Poller
from bot.services.audit import CLI
from bot.services.sources import add_source
from bot.settings import Settings
from storage.models import Article, ArticleStatus
from tests.conftest import Database, evalset
from tests.fakes.feed_server import FeedServer

# New entry links per step, as the evalset's README states them (an outside oracle), with one
# correction: the README counts links absent from the *previous* snapshot, and one India Today
# item left the feed at step 1 and came back at step 2 — already stored, so not new (9 → 8).
EXPECTED_NEW = {
    "aljazeera.xml": [2, 1, 19, 2],
    "bbc_world.xml": [0, 2, 2, 0],
    "nyt_home.xml": [0, 0, 3, 2],
    "mehr.xml": [0, 0, 7, 0],
    "indiatoday.xml": [14, 8, 58, 17],
}


def snapshot_dirs() -> list[Path]:
    root = evalset("feeds", "real", "git-scraped-snapshots")
    return sorted(p for p in root.iterdir() if p.is_dir() and p.name[0].isdigit())


def links_of(document: bytes) -> set[str]:
    """The entry links of a snapshot, read by feedparser (independently of our parser)."""
    parsed = feedparser.parse(document)
    return {c for e in parsed.entries if (c := canonical_url(e.get("link", ""))) is not None}


@pytest.mark.evalset
@pytest.mark.parametrize("name", sorted(EXPECTED_NEW))
async def test_replaying_snapshots_yields_exactly_the_new_items(
    database: Database, name: str
) -> None:
    steps = [directory / name for directory in snapshot_dirs()]
    assert len(steps) == 5
    clock_now = datetime.now(UTC) + timedelta(seconds=1)
    settings = Settings(
        _env_file=None,
        database_url=database.url,
        fulltext_min_chars=0,
        poll_interval_seconds=60,
    )

    def clock() -> datetime:
        return clock_now

    async with FeedServer() as server, Fetcher(settings) as fetcher:
        server.add(f"/{name}", steps[0].read_bytes())
        async with database.sessions.begin() as session:
            source = await add_source(session, SourceSpec(url=server.url(f"/{name}")), actor=CLI)
        poller = Poller(settings, database.sessions, fetcher, clock=clock)
        [first] = await poller.poll_due()
        assert first.new == 0

        seen_links = links_of(steps[0].read_bytes())
        counts = []
        for step in steps[1:]:
            document = step.read_bytes()
            server.add(f"/{name}", document)
            clock_now += timedelta(minutes=5)
            [outcome] = await poller.poll_due()
            assert outcome.error is None
            async with database.sessions() as session:
                new_urls = set(
                    await session.scalars(
                        select(Article.url).where(
                            Article.source_id == source.id,
                            Article.status != ArticleStatus.SEEN,
                            Article.fetched_at == clock_now,
                        )
                    )
                )
            links = links_of(document)
            assert new_urls == links - seen_links, step
            seen_links |= links
            counts.append(outcome.new)
    assert counts == EXPECTED_NEW[name]
