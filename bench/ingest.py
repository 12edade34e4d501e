"""Ingest benchmark: 500 feeds built from the real feeds, polled into a fresh database.

    python -m bench.ingest [--feeds 500] [--entries 30] [--db sqlite|postgres|both]
                           [--profile FILE]

Each database runs in its own child process so that its peak RSS is the poller's own; the
feed server (which builds the feeds from the real ones) runs in a process of its own too, as
the web would. Pass 1 polls every feed into an empty database (articles stored per second);
pass 2 polls them all again with nothing changed (milliseconds per unchanged feed:
conditional GETs answered 304). All traffic stays on 127.0.0.1; per-host limits are lifted
because every feed lives on one host here. On 2 cores the server competes with the poller
for CPU, so the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import resource
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, insert, select

from bench.databases import fresh_database
from bot.ingest.fetch import Fetcher
from bot.ingest.parse import FeedParseError, parse_feed
from bot.pipeline.poller import Poller
from bot.settings import Settings
from storage import sources as source_store
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Article, Source
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss

REAL_FEEDS = Path(__file__).resolve().parents[2] / "shared" / "evalsets" / "feeds" / "real"


@dataclass(frozen=True)
class Figures:
    db: str
    feeds: int
    articles: int
    pass1_s: float
    pass2_s: float
    peak_rss_mb: float

    @property
    def articles_per_s(self) -> float:
        return self.articles / self.pass1_s

    @property
    def unchanged_ms_per_feed(self) -> float:
        return self.pass2_s * 1000 / self.feeds


def real_entries() -> list[Item]:
    """Every entry of the real feeds that has a title, as a feed item to re-serve."""
    pool: list[Item] = []
    for path in sorted(REAL_FEEDS.rglob("*")):
        if not path.is_file() or path.suffix not in {".xml", ".rss", ".atom", ".json", ".rdf"}:
            continue
        try:
            feed = parse_feed(path.read_bytes())
        except FeedParseError:
            continue
        for entry in feed.entries:
            if entry.title.strip():
                body = entry.content or entry.summary
                pool.append(
                    Item(title=entry.title, description=body[:4000], published=entry.published)
                )
    return pool


def build_feeds(count: int, per_feed: int) -> list[bytes]:
    pool = real_entries()
    feeds = []
    for f in range(count):
        chosen = [pool[(f * per_feed + i) % len(pool)] for i in range(per_feed)]
        entries = [
            Item(
                title=item.title,
                link=f"https://feed{f}.example.org/articles/{i}",
                guid=f"feed{f}-{i}",
                description=item.description,
                published=item.published,
            )
            for i, item in enumerate(chosen)
        ]
        feeds.append(rss(entries, title=f"Bench feed {f}", link=f"https://feed{f}.example.org/"))
    return feeds


async def poll_until_done(poller: Poller) -> None:
    while await poller.poll_due():
        pass


async def serve(feeds: int, per_feed: int) -> None:
    """The feed server process: prints its port, serves until its standard input closes."""
    documents = build_feeds(feeds, per_feed)
    async with FeedServer() as server:
        for i, body in enumerate(documents):
            server.add(f"/feeds/{i}.xml", body)

        async def stats(_request: web.Request) -> web.Response:
            statuses = Counter(r.status for r in server.requests if r.path != "/stats")
            return web.json_response({str(k): v for k, v in statuses.items()})

        server.add_handler("/stats", stats)
        print(server.port, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def start_server(feeds: int, per_feed: int) -> tuple[asyncio.subprocess.Process, int]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.ingest",
        "--serve",
        "--feeds",
        str(feeds),
        "--entries",
        str(per_feed),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    port = int((await process.stdout.readline()).decode())
    return process, port


async def server_stats(fetcher: Fetcher, port: int) -> dict[str, int]:
    result = await fetcher.fetch(f"http://127.0.0.1:{port}/stats")
    counts: dict[str, int] = json.loads(result.body)
    return counts


async def run_one(db: str, feeds: int, per_feed: int) -> Figures:
    process, port = await start_server(feeds, per_feed)
    url, cleanup = await fresh_database(db, "nashra_bench")
    settings = Settings(
        _env_file=None,
        database_url=url,
        fulltext_min_chars=0,
        fetch_concurrency=32,
        fetch_per_host=32,
        fetch_per_address=32,  # every feed lives on one address here
        poll_batch_size=200,
        fetch_allow_networks="127.0.0.1/32",  # the local feed server; private by default
    )
    engine = create_engine(url)
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        async with Fetcher(settings) as fetcher:
            async with sessions.begin() as session:
                await session.execute(
                    insert(Source),
                    [{"url": f"http://127.0.0.1:{port}/feeds/{i}.xml"} for i in range(feeds)],
                )
            poller = Poller(settings, sessions, fetcher)
            started = time.perf_counter()
            await poll_until_done(poller)
            pass1 = time.perf_counter() - started
            async with sessions.begin() as session:
                articles = await session.scalar(select(func.count()).select_from(Article)) or 0
                await source_store.make_all_due(session, now=datetime.now(UTC) - timedelta(1))
            started = time.perf_counter()
            await poll_until_done(poller)
            pass2 = time.perf_counter() - started
            not_modified = (await server_stats(fetcher, port)).get("304", 0)
            if not_modified != feeds:
                print(f"warning: {not_modified} of {feeds} second-pass answers were 304")
    finally:
        await engine.dispose()
        await cleanup()
        assert process.stdin is not None
        process.stdin.close()
        await process.wait()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return Figures(db, feeds, articles, pass1, pass2, peak)


def child(db: str, feeds: int, per_feed: int, profile: str | None) -> None:
    profiler = cProfile.Profile() if profile else None
    if profiler is not None:
        profiler.enable()
    figures = asyncio.run(run_one(db, feeds, per_feed))
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(f"{profile}.{db}")
    print(json.dumps(figures.__dict__))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=500)
    parser.add_argument("--entries", type=int, default=30)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument(
        "--profile", metavar="FILE", help="write cProfile stats of each run to FILE.<db>"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not REAL_FEEDS.exists():
        print(f"bench/ingest: skipped: {REAL_FEEDS} is absent (../shared/evalsets missing)")
        return 0
    if args.serve:
        asyncio.run(serve(args.feeds, args.entries))
        return 0
    if args.child:
        child(args.db, args.feeds, args.entries, args.profile)
        return 0
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    for db in databases:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.ingest",
                "--child",
                "--db",
                db,
                "--feeds",
                str(args.feeds),
                "--entries",
                str(args.entries),
                *(["--profile", args.profile] if args.profile else []),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            print(f"ingest: db={db} failed:\n{result.stderr[-3000:]}")
            continue
        lines = result.stdout.strip().splitlines()
        for line in lines[:-1]:
            print(line)
        f = Figures(**json.loads(lines[-1]))
        print(
            f"{db}: {f.feeds} feeds, {f.articles} articles; pass 1 {f.pass1_s:.1f} s, "
            f"pass 2 {f.pass2_s:.2f} s"
        )
        print(
            f"ingest: db={db} articles_per_s={f.articles_per_s:.0f} "
            f"unchanged_ms_per_feed={f.unchanged_ms_per_feed:.2f} peak_rss_mb={f.peak_rss_mb:.0f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
