"""Sources benchmark: the new source kinds served from 127.0.0.1.

    python -m bench.sources [--rounds 5] [--articles 60]

* Telegram: every saved `/s/` page of ../shared/evalsets/telegram is served at /s/NAME and
  read with poll_channel (fetch + parse), `--rounds` times; the figure is pages per second.
  The parse alone (no HTTP) is printed beside it.
* Sitemap: a generated news sitemap lists `--articles` real article pages (the
  scrapinghub benchmark's, ../shared/evalsets/pages, read in place) served on the same
  server; poll_sitemap then fetch_articles (page fetch + trafilatura extraction) for all of
  them. The figure is articles extracted per second, the sitemap's own read included.
* Section: the same pages linked from a generated listing page, read with poll_section then
  fetch_articles.

The server runs in the benchmark's process and competes with it for the 2 cores, so the
figures are floors; compare them as ratios within one run.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.extract import PAGES, aeb_pages
from bot.ingest.article_page import fetch_articles, nothing_seen
from bot.ingest.extract import extract_article
from bot.ingest.fetch import Fetcher
from bot.ingest.section_poll import poll_section
from bot.ingest.sitemap_poll import poll_sitemap
from bot.ingest.telegram_page import parse_channel_page
from bot.ingest.telegram_poll import poll_channel
from bot.settings import Settings
from tests.fakes.feed_server import FeedServer

TELEGRAM = Path(__file__).resolve().parents[2] / "shared" / "evalsets" / "telegram"
HTML = "text/html; charset=utf-8"
AGENT = "Nashra-bench/1.0"


@dataclass(frozen=True)
class Figures:
    telegram_pages: int
    telegram_s: float
    telegram_parse_s: float
    sitemap_articles: int
    sitemap_s: float
    section_articles: int
    section_s: float

    def lines(self) -> list[str]:
        return [
            f"telegram: {self.telegram_pages} pages fetched and parsed in {self.telegram_s:.2f}s; "
            f"parse alone {self.telegram_pages / self.telegram_parse_s:.1f} pages/s",
            f"sitemap: {self.sitemap_articles} articles in {self.sitemap_s:.2f}s",
            f"section: {self.section_articles} articles in {self.section_s:.2f}s",
            "sources: "
            f"telegram_pages_per_s={self.telegram_pages / self.telegram_s:.1f} "
            f"sitemap_articles_per_s={self.sitemap_articles / self.sitemap_s:.1f} "
            f"section_articles_per_s={self.section_articles / self.section_s:.1f}",
        ]


def telegram_pages() -> dict[str, bytes]:
    """Channel name → its saved newest page (every page with message history)."""
    pages: dict[str, bytes] = {}
    for folder in ("pages", "pages_edited_by_source_repo"):
        for path in sorted((TELEGRAM / folder).glob("*__s__*.html")):
            pages[path.name.split("__")[0]] = path.read_bytes()
    return pages


def article_pages(count: int) -> list[bytes]:
    return [page.html for page, _ in aeb_pages()][:count]


async def bench_telegram(
    fetcher: Fetcher, server: FeedServer, pages: dict[str, bytes], rounds: int
) -> tuple[int, float, float]:
    for name, body in pages.items():
        server.add(f"/s/{name}", body, content_type=HTML)
    started = time.perf_counter()
    for _ in range(rounds):
        for name in pages:
            await poll_channel(fetcher, name, base_url=server.url(""))
    fetched = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(rounds):
        for name, body in pages.items():
            parse_channel_page(body, name=name)
    return rounds * len(pages), fetched, time.perf_counter() - started


def serve_articles(server: FeedServer, prefix: str, pages: Sequence[bytes]) -> list[str]:
    paths = [f"/{prefix}/2024/05/{index}/story-number-{index}" for index in range(len(pages))]
    for path, body in zip(paths, pages, strict=True):
        server.add(path, body, content_type=HTML)
    return paths


async def bench_sitemap(
    fetcher: Fetcher, server: FeedServer, pages: Sequence[bytes]
) -> tuple[int, float]:
    paths = serve_articles(server, "news", pages)
    rows = "".join(
        f"<url><loc>{server.url(path)}</loc><news:news><news:publication><news:name>Bench"
        f"</news:name><news:language>en</news:language></news:publication>"
        f"<news:publication_date>2024-05-01T{index % 24:02d}:00:00Z</news:publication_date>"
        f"<news:title>Story {index}</news:title></news:news></url>"
        for index, path in enumerate(paths)
    )
    server.add(
        "/news-sitemap.xml",
        (
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{rows}</urlset>'
        ).encode(),
        content_type="application/xml",
    )
    started = time.perf_counter()
    poll = await poll_sitemap(
        fetcher,
        server.url("/news-sitemap.xml"),
        seen=nothing_seen,
        user_agent=AGENT,
        limit=len(paths),
    )
    results = await fetch_articles(fetcher, poll.entries, robots=poll.robots)
    return sum(result.entry is not None for result in results), time.perf_counter() - started


async def bench_section(
    fetcher: Fetcher, server: FeedServer, pages: Sequence[bytes]
) -> tuple[int, float]:
    paths = serve_articles(server, "politics", pages)
    items = "".join(
        f'<article><h2><a href="{path}">Story {path}</a></h2></article>' for path in paths
    )
    listing = f"<html><body><nav><a href='/'>Home</a></nav><main>{items}</main></body></html>"
    server.add("/politics/", listing.encode(), content_type=HTML)
    started = time.perf_counter()
    poll = await poll_section(
        fetcher, server.url("/politics/"), seen=nothing_seen, user_agent=AGENT, limit=len(paths)
    )
    results = await fetch_articles(fetcher, poll.entries, robots=poll.robots)
    return sum(result.entry is not None for result in results), time.perf_counter() - started


async def run(rounds: int, articles: int) -> Figures:
    settings = Settings(
        _env_file=None,
        fetch_allow_networks="127.0.0.1/32",
        fetch_concurrency=8,
        fetch_per_host=8,  # every source lives on one host here
    )
    pages = article_pages(articles)
    extract_article(pages[0])  # trafilatura's first call loads what later calls reuse
    async with FeedServer() as server, Fetcher(settings) as fetcher:
        telegram = await bench_telegram(fetcher, server, telegram_pages(), rounds)
        sitemap = await bench_sitemap(fetcher, server, pages)
        section = await bench_section(fetcher, server, pages)
    return Figures(*telegram, *sitemap, *section)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="passes over the Telegram pages")
    parser.add_argument("--articles", type=int, default=60, help="article pages per kind")
    args = parser.parse_args(argv)
    for needed in (TELEGRAM, PAGES):
        if not needed.exists():
            print(f"bench/sources: skipped: {needed} is absent (../shared/evalsets missing)")
            return 0
    figures = asyncio.run(run(args.rounds, args.articles))
    for line in figures.lines():
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
