"""Scale benchmark: 1 and then 2 poller+sender pairs (`nashra run --role poller|sender`) on
one PostgreSQL database, 1,000 sources and 20,000 chats.

    python -m bench.scale [--sources 1000] [--chats 20000] [--stories 2] [--politics N]
                          [--pairs 1,2]

Each run gets a fresh PostgreSQL database (server from NASHRA_BENCH_POSTGRES, as
bench/databases.py says) with the chats (each subscribed to politics) and the sources (each
polled before, so its entry is new). The feed server (tests/fakes/feed_server.py) and the
fake Bot API (tests/fakes/telegram_server.py, driven as bench/deliver.py drives it) run in
processes of their own on 127.0.0.1, Telegram's limits off there and (very high) in the
senders, so the work itself is measured. Every feed carries one new article; the articles
tell `--stories` stories (the same headline in every outlet that tells it). The chats follow
politics; `--politics` sources (default: as many as the stories, one outlet per story) are in
politics, the others in categories no chat follows. Each chat is owed one post per story
told in politics: chats x min(stories, politics) deliveries.

Why not every source in politics: the fan-out of an article whose story every chat already
has still tries one insert per subscriber (each a conflict, ignored) under the story lock,
which all pollers share; with 20,000 subscribers that, not the polling, sets the pace (about
11 polls/s on 2 cores with `--politics 1000`). Pass `--politics` to measure that case.

When every worker is up, all sources fall due at once. polls/s: sources over the time until
every one of them is polled (recorded in the database); deliveries/s: deliveries over the
time from the first send to the last, as the fake Bot API saw them (every delivery recorded
as sent before the run ends). On 2 cores the servers and PostgreSQL compete with the
workers for CPU, so more workers cannot add much there: the ratio shows what they add on
this machine. Ends with:

    scale: polls_per_s_1=… polls_per_s_2=… deliveries_per_s_1=… deliveries_per_s_2=…
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.children import ChildServer
from bench.databases import fresh_database
from bench.deliver import Server as TelegramServer
from bench.deliver import add_chats
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Category, Delivery, DeliveryState, Source
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss
from tests.processes import run_environment, start_run

STORIES = [
    ("مجلس النواب يقر قانون الانتخابات الجديد بعد جلسة طويلة", "صوت لصالحه أغلب النواب."),
    ("وزير الخارجية يزور باريس لبحث التعاون الاقتصادي مع فرنسا", "ويوقع اتفاقيات للطاقة."),
    ("الحكومة تعلن خطة لإصلاح قطاع الكهرباء خلال عامين", "تشمل محطات توليد جديدة."),
    ("قمة عربية طارئة في الرياض لبحث الأوضاع الإقليمية", "يشارك فيها القادة العرب."),
    ("مجلس الأمن يمدد مهمة بعثة حفظ السلام عاما آخر", "صدر القرار بإجماع الأعضاء."),
]
UNLIMITED = "100000"
IN_FLIGHT = 200
READY = "nashra running as"


def feed_path(number: int) -> str:
    return f"/feeds/{number}.xml"


def feed_body(number: int, stories: int) -> bytes:
    story = number % stories
    title, lead = STORIES[story]
    item = Item(
        title,
        link=f"https://outlet{number}.example/news/{story}",
        description=f"{title}. {lead}",
        published=datetime.now(UTC),
    )
    return rss([item], title=f"outlet {number}", language="ar")


# -- the feed server's process ---------------------------------------------------------------


async def serve_feeds(sources: int, stories: int) -> None:
    """Prints its base URL, then answers `stats` (requests since the start) until stdin ends."""
    loop = asyncio.get_running_loop()
    async with FeedServer() as server:
        for number in range(sources):
            server.add(feed_path(number), feed_body(number, stories))
        print(json.dumps({"base_url": server.url("/")}), flush=True)
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            answer: dict[str, Any] = {}
            if line.strip() == "stats":
                answer = {"requests": len(server.requests)}
            print(json.dumps(answer), flush=True)


class Feeds(ChildServer):
    """The feed server's process, seen from the bench."""

    @classmethod
    async def launch(cls, sources: int, stories: int) -> Feeds:
        return await cls.start(
            "bench.scale", "--serve-feeds", "--sources", str(sources), "--stories", str(stories)
        )

    async def requests(self) -> int:
        return int((await self.ask("stats"))["requests"])


# -- one run ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    pairs: int
    sources: int
    polls_s: float
    feed_requests: int
    deliveries: int
    send_window_s: float
    delivered_s: float
    sent: int

    @property
    def polls_per_s(self) -> float:
        return self.sources / self.polls_s

    @property
    def deliveries_per_s(self) -> float:
        return self.sent / self.send_window_s if self.send_window_s > 0 else 0.0


async def seed_sources(
    sessions: async_sessionmaker[AsyncSession], base_url: str, sources: int, politics: int
) -> None:
    """The sources, polled before (their entries are new), due only tomorrow: the first
    `politics` in politics, the others in the other categories in turn."""
    later = datetime.now(UTC) + timedelta(days=1)
    async with sessions.begin() as session:
        rows = await session.execute(select(Category.id, Category.slug).order_by(Category.id))
        ids = {slug: category_id for category_id, slug in rows}
        others = [category_id for slug, category_id in ids.items() if slug != "politics"]
        await session.execute(
            insert(Source),
            [
                {
                    "url": f"{base_url}{feed_path(n).lstrip('/')}",
                    "name": f"outlet{n}.example",
                    "language": "ar",
                    "category_id": ids["politics"] if n < politics else others[n % len(others)],
                    "first_polled": True,
                    "next_poll_at": later,
                }
                for n in range(sources)
            ],
        )


def worker_environment(url: str, api_base_url: str) -> dict[str, str]:
    return run_environment(
        url,
        api_base_url,
        FETCH_ALLOW_NETWORKS="127.0.0.1/32",
        FETCH_PER_HOST="64",  # every feed lives on one host here
        FETCH_PER_ADDRESS="64",
        POLL_INTERVAL_SECONDS="3600",
        SEND_PER_SECOND=UNLIMITED,
        SEND_PRIVATE_PER_SECOND=UNLIMITED,
        SEND_GROUP_PER_MINUTE=UNLIMITED + "00",
        SEND_MAX_IN_FLIGHT=str(IN_FLIGHT),
        LOG_LEVEL="INFO",
    )


async def count(sessions: async_sessionmaker[AsyncSession], query: Any) -> int:
    async with sessions() as session:
        return int(await session.scalar(query) or 0)


async def wait_until(
    sessions: async_sessionmaker[AsyncSession], query: Any, target: int, budget: float, what: str
) -> float:
    """Seconds until `query` counts `target`, checked every 50 ms."""
    started = time.perf_counter()
    while await count(sessions, query) < target:
        if time.perf_counter() - started > budget:
            raise TimeoutError(f"{what}: not done after {budget:.0f} s")
        await asyncio.sleep(0.05)
    return time.perf_counter() - started


def owed(args: argparse.Namespace) -> int:
    """The posts each chat is owed: the stories the politics sources tell."""
    return int(min(args.stories, args.politics))


def read_log(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


async def run_pairs(
    pairs: int,
    args: argparse.Namespace,
    telegram: TelegramServer,
    feeds: Feeds,
    logs: Path,
) -> Figures:
    url, drop = await fresh_database("postgres", f"nashra_bench_scale_{pairs}")
    engine = create_engine(url)
    workers: list[tuple[asyncio.subprocess.Process, Path]] = []
    try:
        await upgrade(engine)
        sessions = create_sessionmaker(engine)
        await add_chats(sessions, args.chats)
        await seed_sources(sessions, feeds.base_url, args.sources, args.politics)
        env = worker_environment(url, telegram.base_url)
        for n in range(pairs):
            for role in ("poller", "sender"):
                log = logs / f"pairs{pairs}-{role}{n + 1}.log"
                workers.append((await start_run(env, log, role), log))
        deadline = time.perf_counter() + 60
        while not all(READY in read_log(log) for _, log in workers):
            for process, log in workers:
                if process.returncode is not None:
                    raise RuntimeError(f"a worker exited early:\n{read_log(log)[-2000:]}")
            if time.perf_counter() > deadline:
                raise TimeoutError("the workers did not start within 60 s")
            await asyncio.sleep(0.1)

        await telegram.ask("mark")
        requests_before = await feeds.requests()
        async with sessions.begin() as session:
            await session.execute(update(Source).values(next_poll_at=func.now()))
        started = time.perf_counter()
        polled = select(func.count()).select_from(Source).where(Source.last_polled_at.is_not(None))
        polls_s = await wait_until(sessions, polled, args.sources, 600, "polls")
        deliveries = args.chats * owed(args)
        sent = (
            select(func.count()).select_from(Delivery).where(Delivery.state == DeliveryState.SENT)
        )
        await wait_until(sessions, sent, deliveries, 600, "deliveries")
        delivered_s = time.perf_counter() - started
        stats = await telegram.ask("stats")
        feed_requests = await feeds.requests() - requests_before
        total = await count(sessions, select(func.count()).select_from(Delivery))
        if total != deliveries:
            print(f"  warning: {total} deliveries fanned out, {deliveries} expected")
        return Figures(
            pairs=pairs,
            sources=args.sources,
            polls_s=polls_s,
            feed_requests=feed_requests,
            deliveries=total,
            send_window_s=stats["last"] - stats["first"],
            delivered_s=delivered_s,
            sent=stats["sent"],
        )
    finally:
        for process, _ in workers:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
        for process, log in workers:
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
            if process.returncode not in (0, -signal.SIGTERM):
                print(f"  warning: a worker exited with {process.returncode}; see {log}")
        await engine.dispose()
        await drop()


def report(figures: Figures) -> None:
    print(
        f"{figures.pairs} pair(s): {figures.sources} sources polled in {figures.polls_s:.1f} s: "
        f"{figures.polls_per_s:.0f} polls/s ({figures.feed_requests} feed requests); "
        f"{figures.sent} of {figures.deliveries} deliveries sent in {figures.send_window_s:.1f} s "
        f"(first to last send): {figures.deliveries_per_s:.0f}/s; all recorded as sent "
        f"{figures.delivered_s:.1f} s after the sources fell due"
    )


async def bench(args: argparse.Namespace) -> int:
    telegram = await TelegramServer.launch(args.chats, 1000.0)
    feeds = await Feeds.launch(args.sources, args.stories)
    logs = Path(tempfile.mkdtemp(prefix="nashra-bench-scale-"))
    results: dict[int, Figures] = {}
    try:
        await telegram.ask("nolimits")
        print(
            f"setup: {args.sources} sources ({args.politics} in politics), {args.chats} chats "
            f"(in politics), {args.stories} stories ({args.chats * owed(args)} deliveries per "
            f"run); {os.cpu_count()} cores; "
            f"worker logs in {logs}"
        )
        for pairs in args.pairs:
            results[pairs] = await run_pairs(pairs, args, telegram, feeds, logs)
            report(results[pairs])
    finally:
        await feeds.stop()
        await telegram.stop()
    one, two = results.get(1), results.get(2)
    if one is not None and two is not None:
        print(
            f"ratio (2 pairs / 1 pair): polls {two.polls_per_s / one.polls_per_s:.2f}, "
            f"deliveries {two.deliveries_per_s / one.deliveries_per_s:.2f}"
        )

    def figure(pairs: int, name: str) -> str:
        result = results.get(pairs)
        return "-" if result is None else f"{getattr(result, name):.0f}"

    print(
        f"scale: polls_per_s_1={figure(1, 'polls_per_s')} polls_per_s_2={figure(2, 'polls_per_s')} "
        f"deliveries_per_s_1={figure(1, 'deliveries_per_s')} "
        f"deliveries_per_s_2={figure(2, 'deliveries_per_s')}"
    )
    return 0


def pairs_list(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",")]
    except ValueError as exc:
        raise argparse.ArgumentTypeError("pairs: a comma-separated list such as 1,2") from exc
    if not values or any(not 1 <= value <= 8 for value in values):
        raise argparse.ArgumentTypeError("pairs: each 1..8")
    return values


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sources", type=int, default=1000, help="sources (feeds)")
    parser.add_argument("--chats", type=int, default=20_000, help="subscribed chats")
    parser.add_argument(
        "--stories", type=int, default=2, help=f"stories the feeds tell (1..{len(STORIES)})"
    )
    parser.add_argument(
        "--politics",
        type=int,
        help="sources in politics, the chats' category (default: --stories); the others are "
        "in the other categories, which no chat follows",
    )
    parser.add_argument(
        "--pairs", type=pairs_list, default=[1, 2], help="poller+sender pairs per run: 1,2"
    )
    parser.add_argument("--serve-feeds", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (1 <= args.sources <= 100_000 and 100 <= args.chats <= 1_000_000):
        parser.error("--sources must be 1..100000, --chats 100..1000000")
    if not 1 <= args.stories <= len(STORIES):
        parser.error(f"--stories must be 1..{len(STORIES)}")
    if args.politics is None:
        args.politics = args.stories
    if not 1 <= args.politics <= args.sources:
        parser.error("--politics must be 1..--sources")
    if args.serve_feeds:
        asyncio.run(serve_feeds(args.sources, args.stories))
        return 0
    return asyncio.run(bench(args))


if __name__ == "__main__":
    sys.exit(main())
