"""Limits (issue "Hostile sources and inputs", item 2) fetched from a local feed server: entries
handled per feed per poll and characters per article. Body size (compressed and not, gzip
bombs), time per fetch (dripping servers) and redirects are in tests/test_fetch.py, and in
bench/hostile.py's catalogue."""

from __future__ import annotations

from bench.hostile import articles_of, bench_settings, fetch_cases, gzip_bomb, rss_document
from bench.hostile import run_fetch_cases as run_cases
from bot.ingest.fetch import Fetcher
from tests.fakes.feed_server import FeedServer


def _item(i: int, body: str) -> str:
    return (
        f"<item><title>Story {i}</title><link>https://e.example/{i}</link>"
        f"<guid>g{i}</guid><description>{body}</description></item>"
    )


async def test_entries_per_poll_and_characters_per_article_are_capped() -> None:
    settings = bench_settings(max_entries_per_poll=7, max_article_chars=500)
    document = rss_document([_item(i, "word " * 50_000) for i in range(40)])
    async with FeedServer() as server, Fetcher(settings) as fetcher:
        server.add("/big.xml", document)
        result = await fetcher.fetch(server.url("/big.xml"))
    articles = articles_of(result.body, settings, url=result.url)
    assert [a.guid for a in articles] == [f"g{i}" for i in range(7)]
    assert all(len(a.text) == 500 for a in articles)


async def test_every_hostile_fetch_is_refused_as_designed() -> None:
    outcomes = await run_cases(gzip_bomb(20_000_000))
    assert len(outcomes) == len(fetch_cases(b""))
    assert [f"{o.case}: {o.detail}" for o in outcomes if not o.handled] == []


def test_the_bomb_is_a_thousandth_of_what_it_inflates_to() -> None:
    assert len(gzip_bomb(20_000_000)) < 100_000
