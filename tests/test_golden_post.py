"""Golden test: the sample article, polled from a local feed named for enabbaladi.net and
fetched on 2026-01-28, becomes the sample's post."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.compose.post import post_for
from bot.ingest.fetch import Fetcher
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.poller import Poller
from bot.services.audit import CLI
from bot.services.catalog import load_categories
from bot.services.sources import add_source
from bot.settings import Settings
from bot.text.sentences import split_sentences
from storage import sources as source_store
from storage.models import Article, ArticleStatus, Source
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "sample-post-ar.txt"
TITLE = "ما الملفات التي يناقشها الشرع مع بوتين في روسيا؟"
FETCHED = datetime(2026, 1, 28, 9, 30, tzinfo=UTC)


def sample_lines() -> list[str]:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} is absent (../shared/seed is not beside this checkout)")
    return [line for line in SAMPLE.read_text(encoding="utf-8").splitlines() if line.strip()]


async def test_the_sample_article_becomes_the_sample_post(database: Database) -> None:
    lines = sample_lines()
    attribution, disclaimer = lines[1], lines[2]
    body_paragraphs = [line for line in lines[3:] if line != "سياسة"]
    settings = Settings(database_url=database.url, fulltext_min_chars=0, backfill_count=1)
    async with FeedServer() as server, Fetcher(settings) as fetcher:
        entry = Item(
            TITLE,
            link="https://www.enabbaladi.net/778899/",
            description="\n".join(f"<p>{p}</p>" for p in body_paragraphs),
            published=FETCHED,
            categories=("سياسة",),
        )
        feed = rss([entry], title="عنب بلدي", link="https://www.enabbaladi.net/", language="ar")
        server.add("/feed", feed)
        async with database.sessions.begin() as session:
            source = await add_source(
                session, SourceSpec(url=server.url("/feed"), name="enabbaladi.net"), actor=CLI
            )
            await source_store.make_all_due(session, now=FETCHED)
        [outcome] = await Poller(
            settings, database.sessions, fetcher, clock=lambda: FETCHED
        ).poll_due()
        assert outcome.new == 1

    async with database.sessions() as session:
        article = await session.scalar(select(Article))
        stored_source = await session.get(Source, source.id)
        categories = await load_categories(session)
    assert article is not None
    assert stored_source is not None
    assert article.status is ArticleStatus.READY
    assert article.language == "ar"
    assert categories.slug_of(article.category_id) == "politics"

    post = post_for(article, stored_source, categories=categories, settings=settings)
    assert attribution in post.text
    assert disclaimer in post.text
    assert "#سياسة" in post.text
    assert f"<b>{TITLE}</b>" in post.text
    assert post.button_url == "https://www.enabbaladi.net/778899/"

    body_sentences = {s for p in body_paragraphs for s in split_sentences(p, "ar")}
    summary_sentences = split_sentences(article.summary or "", "ar")
    assert summary_sentences
    assert all(sentence in body_sentences for sentence in summary_sentences)
    assert len(article.summary or "") <= settings.summary_max_chars
