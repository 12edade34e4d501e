"""Delivery benchmark: one article to 10,000 subscribed chats through the outbox's sender.

    python -m bench.deliver [--chats 10000] [--scale 10] [--db sqlite|postgres]
                            [--in-flight 200]

The fake Bot API server (tests/fakes/telegram_server.py) runs in a process of its own on
127.0.0.1, so that neither its CPU nor its memory counts as the sender's; it is driven by
lines on its standard input (stats, limits off) and answers in JSON on its standard output.
The chats are 90 % private, 9 % groups (half of them supergroups), 1 % channels.

Phase 1: the server enforces Telegram's limits scaled up by `--scale` (k): 30·k messages/s
overall, 1·k/s per private chat, 20·k/min per group or channel, answering 429 past them; the
sender is configured with the same limits. Each chat gets one message, so the overall limit
binds: the ratio is the achieved rate (messages sent divided by the time from the first
accepted send to the last, as the server saw them) over 30·k (goal >= 0.95), with the 429s
answered (goal 0) and the peak RSS of this process, which runs the sender (goal <= 200 MB).

Phase 2: limits off on the server and (very high) in the sender; a second article goes to the
same chats through the sender, then a plain aiohttp client (one ClientSession, as many
requests in flight as the sender's SEND_MAX_IN_FLIGHT, --in-flight, default 200: sized for
high rates, as docs/delivery.md advises) posts the same sendMessage request to every chat;
sender_vs_plain is the sender's messages/s over the plain client's (goal >= 0.5). On 2 cores
the server competes with the sender for CPU, so phase 2 figures are floors. Ends with:

    deliver: ratio=… http_429=… peak_rss_mb=… sender_vs_plain=…
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import logging
import resource
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.children import ChildServer
from bench.databases import fresh_database
from bot.app import open_bot_api
from bot.deliver.send import Transport
from bot.deliver.sender import Sender
from bot.runtime import open_database
from bot.settings import Settings, load_settings
from bot.text.filters import admitter
from storage import deliveries as delivery_store
from storage.models import (
    Article,
    ArticleStatus,
    Category,
    Chat,
    ChatKind,
    DeliveryState,
    Source,
    Story,
    Subscription,
)
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram

IN_FLIGHT = 200
UNLIMITED = 100_000.0

log = logging.getLogger("bench.deliver")


def chat_layout(count: int) -> list[tuple[int, ChatKind]]:
    """The chats' Telegram ids and kinds: every 100th a channel, every other 10th a group
    (alternately a basic group and a supergroup), the rest private; kinds interleaved."""
    chats: list[tuple[int, ChatKind]] = []
    for i in range(count):
        if i % 100 == 0:
            chats.append((-1_002_000_000_000 - i, ChatKind.CHANNEL))
        elif i % 10 == 0:
            if (i // 10) % 2:
                chats.append((-1_001_000_000_000 - i, ChatKind.SUPERGROUP))
            else:
                chats.append((-2_000_000 - i, ChatKind.GROUP))
        else:
            chats.append((1_000_000 + i, ChatKind.PRIVATE))
    return chats


@dataclass(frozen=True)
class Limits:
    """Telegram's limits scaled up by one factor."""

    scale: float

    @property
    def overall_per_s(self) -> float:
        return 30 * self.scale

    @property
    def private_per_s(self) -> float:
        return 1 * self.scale

    @property
    def group_per_min(self) -> float:
        return 20 * self.scale


# -- the server process ----------------------------------------------------------------------


def _window(tg: FakeTelegram, start: int, cpu: float) -> dict[str, Any]:
    """What the server answered since request number `start`."""
    requests = tg.requests[start:]
    ok = [r for r in requests if r.method == "sendMessage" and r.status == 200]
    sample = dict(ok[-1].params) if ok else {}
    sample.pop("chat_id", None)
    return {
        "requests": len(requests),
        "sent": len(ok),
        "first": ok[0].time if ok else 0.0,
        "last": ok[-1].time if ok else 0.0,
        "statuses": {
            str(s): sum(1 for r in requests if r.status == s) for s in {r.status for r in requests}
        },
        "throttled": dict(tg.throttled),
        "cpu": time.process_time() - cpu,
        "sample": sample,
    }


async def serve(chats: int, limits: Limits) -> None:
    """The server process: prints its base URL, then answers one JSON line per command line
    (`stats`: what was answered since the last `mark`; `mark`; `nolimits`) until stdin ends."""
    loop = asyncio.get_running_loop()
    async with FakeTelegram() as tg:
        for telegram_id, kind in chat_layout(chats):
            tg.add_chat(telegram_id, kind.value)
            if kind is ChatKind.CHANNEL:
                tg.set_member(telegram_id, tg.bot_id, "administrator", can_post_messages=True)
        tg.limits(
            overall_per_s=limits.overall_per_s,
            per_chat_per_s=limits.private_per_s,
            per_group_per_min=limits.group_per_min,
        )
        print(json.dumps({"base_url": tg.base_url}), flush=True)
        mark, cpu = 0, time.process_time()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            command = line.strip()
            answer: dict[str, Any] = {}
            if command == "mark":
                mark, cpu = len(tg.requests), time.process_time()
                tg.throttled.clear()
            elif command == "nolimits":
                tg.limits()
            elif command == "stats":
                answer = _window(tg, mark, cpu)
            print(json.dumps(answer), flush=True)


class Server(ChildServer):
    """The fake Bot API server's process, seen from the bench."""

    @classmethod
    async def launch(cls, chats: int, scale: float) -> Server:
        return await cls.start(
            "bench.deliver", "--serve", "--chats", str(chats), "--scale", str(scale)
        )


# -- the database ----------------------------------------------------------------------------


async def add_chats(sessions: async_sessionmaker[AsyncSession], chats: int) -> int:
    """The chats, each subscribed to politics; returns the category's id."""
    async with sessions.begin() as session:
        category = await session.scalar(select(Category.id).where(Category.slug == "politics"))
        assert category is not None, "the migrations seed the categories"
        layout = chat_layout(chats)
        await session.execute(
            insert(Chat), [{"telegram_id": tid, "kind": kind} for tid, kind in layout]
        )
        ids = list(await session.scalars(select(Chat.id).order_by(Chat.id)))
        await session.execute(
            insert(Subscription), [{"chat_id": i, "category_id": category} for i in ids]
        )
    return category


async def publish(sessions: async_sessionmaker[AsyncSession], category: int, number: int) -> int:
    """A ready article of a new story in `category`, fanned out; returns the deliveries."""
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        source = await session.scalar(select(Source).where(Source.name == "bench.example"))
        if source is None:
            source = Source(url="https://bench.example/feed", name="bench.example")
            session.add(source)
            await session.flush()
        story = Story(source_id=source.id, language="ar")
        session.add(story)
        await session.flush()
        article = Article(
            source_id=source.id,
            guid_key=f"bench-{number}",
            url=f"https://bench.example/news/{number}",
            title=f"عنوان الخبر رقم {number}",
            language="ar",
            category_id=category,
            status=ArticleStatus.READY,
            published_at=now,
            fetched_at=now,
            headline=f"مجلس الوزراء يقر الموازنة العامة للعام المقبل ({number})",
            summary=(
                "أقر مجلس الوزراء في جلسته اليوم مشروع الموازنة العامة للعام المقبل، "
                "مع زيادة في مخصصات التعليم والصحة وخفض في النفقات الجارية."
            ),
            story_id=story.id,
        )
        session.add(article)
        await session.flush()
        return await delivery_store.fan_out(session, [article.id], now=now, admit=admitter)


# -- the phases ------------------------------------------------------------------------------


def sender_settings(
    url: str, base_url: str, limits: Limits | None, in_flight: int | None = None
) -> Settings:
    """The sender's settings: Telegram's limits scaled, or (None) limits out of the way."""
    extra = {} if in_flight is None else {"send_max_in_flight": in_flight}
    return load_settings(
        _env_file=None,
        **extra,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_base_url=base_url,
        database_url=url,
        send_per_second=limits.overall_per_s if limits else UNLIMITED,
        send_private_per_second=limits.private_per_s if limits else UNLIMITED,
        send_group_per_minute=limits.group_per_min if limits else UNLIMITED * 60,
        log_level="WARNING",
    )


@dataclass
class Run:
    seconds: float
    cpu: float
    counts: dict[str, int]
    states: dict[str, int]


async def send_all(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    budget: float,
    profile: str | None = None,
) -> Run:
    async with open_bot_api(settings) as api:
        sender = Sender(settings, sessions, Transport(api))
        profiler = cProfile.Profile() if profile else None
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        async with asyncio.timeout(budget):
            await sender.run_until_idle(horizon=5.0)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if profiler and profile:
            profiler.disable()
            profiler.dump_stats(profile)
    async with sessions() as session:
        states = await delivery_store.state_counts(session)
    return Run(seconds, cpu, dict(sender.counts), {s.value: n for s, n in states.items()})


async def plain_client(
    base_url: str, params: dict[str, Any], chat_ids: list[int], concurrency: int
) -> tuple[float, int]:
    """The same sendMessage to every chat over one plain aiohttp session; (seconds, sent)."""
    url = f"{base_url}{DEFAULT_TOKEN}/sendMessage"
    todo = iter(chat_ids)
    sent = 0

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal sent
        for chat_id in todo:
            async with session.post(url, json={**params, "chat_id": chat_id}) as response:
                body = await response.json()
                if body.get("ok"):
                    sent += 1

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
        return time.perf_counter() - started, sent


def _cpu(seconds: float, wall: float) -> str:
    return f"{seconds:.1f} s ({seconds / wall:.0%} of a core)"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _counts(counts: dict[str, int]) -> str:
    return " ".join(f"{k}={v}" for k, v in sorted(counts.items())) or "-"


async def bench(chats: int, scale: float, db: str, in_flight: int, profile: str | None) -> int:
    limits = Limits(scale)
    server = await Server.launch(chats, scale)
    url, cleanup = await fresh_database(db, "nashra_bench_deliver")
    try:
        settings = sender_settings(url, server.base_url, limits)
        async with open_database(settings) as (_engine, sessions):
            started = time.perf_counter()
            category = await add_chats(sessions, chats)
            created = await publish(sessions, category, 1)
            print(
                f"setup: db={db} {chats} chats subscribed, {created} deliveries fanned out "
                f"in {time.perf_counter() - started:.1f} s; rss {rss_mb():.0f} MB"
            )

            # Phase 1: Telegram's limits, scaled.
            await server.ask("mark")
            budget = 3 * chats / limits.overall_per_s + 60
            run1 = await send_all(settings, sessions, budget, profile and f"{profile}.phase1")
            stats1 = await server.ask("stats")
            peak1 = rss_mb()
            span = stats1["last"] - stats1["first"]
            achieved = stats1["sent"] / span if span > 0 else 0.0
            ratio = achieved / limits.overall_per_s
            http_429 = sum(stats1["throttled"].values())
            print(
                f"phase 1 (limits x{scale:g}: {limits.overall_per_s:g}/s overall, "
                f"{limits.private_per_s:g}/s per private chat, {limits.group_per_min:g}/min "
                f"per group): {stats1['sent']} sent in {span:.1f} s "
                f"(first to last, as the server saw them; {run1.seconds:.1f} s in the sender)"
            )
            print(
                f"  achieved {achieved:.1f}/s of {limits.overall_per_s:g}/s: ratio {ratio:.3f}; "
                f"429s answered {http_429} {stats1['throttled'] or ''}; peak rss {peak1:.0f} MB"
            )
            print(f"  sender counts: {_counts(run1.counts)}; deliveries: {_counts(run1.states)}")
            print(
                f"  cpu: {_cpu(run1.cpu, run1.seconds)} here, {stats1['cpu']:.1f} s in the server"
            )

            # Phase 2: limits off on both sides; the sender, then a plain client.
            await server.ask("nolimits")
            await server.ask("mark")
            created = await publish(sessions, category, 2)
            fast = sender_settings(url, server.base_url, None, in_flight)
            run2 = await send_all(
                fast, sessions, 3 * chats / 100 + 60, profile and f"{profile}.phase2"
            )
            stats2 = await server.ask("stats")
            sender_rate = stats2["sent"] / run2.seconds
            print(
                f"phase 2 (no limits): sender {stats2['sent']} of {created} sent in "
                f"{run2.seconds:.1f} s: {sender_rate:.0f}/s; counts: {_counts(run2.counts)}"
            )
            print(
                f"  cpu: {_cpu(run2.cpu, run2.seconds)} here, {stats2['cpu']:.1f} s in the server"
            )
            await server.ask("mark")
            chat_ids = [tid for tid, _ in chat_layout(chats)]
            cpu = time.process_time()
            plain_s, plain_sent = await plain_client(
                server.base_url, stats2["sample"], chat_ids, in_flight
            )
            cpu = time.process_time() - cpu
            stats3 = await server.ask("stats")
            plain_rate = plain_sent / plain_s
            vs = sender_rate / plain_rate
            print(
                f"  plain aiohttp client: {plain_sent} sent in {plain_s:.1f} s: "
                f"{plain_rate:.0f}/s; sender/plain {vs:.2f}"
            )
            print(f"  cpu: {_cpu(cpu, plain_s)} here, {stats3['cpu']:.1f} s in the server")
            peak = rss_mb()
            print(
                f"peak rss of the sender's process: {peak1:.0f} MB after phase 1, "
                f"{peak:.0f} MB at the end"
            )
            unsent = chats - run1.states.get(DeliveryState.SENT.value, 0)
            if unsent:
                print(f"FAILED: phase 1 left {unsent} deliveries unsent: {_counts(run1.states)}")
            if stats2["sent"] < created:
                unsent += created - stats2["sent"]
                print(f"FAILED: phase 2 left {created - stats2['sent']} deliveries unsent")
    finally:
        await server.stop()
        await cleanup()
    print(
        f"deliver: ratio={ratio:.3f} http_429={http_429} peak_rss_mb={peak:.0f} "
        f"sender_vs_plain={vs:.2f} unsent={unsent}"
    )
    return 1 if unsent else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--chats", type=int, default=10_000, help="subscribed chats")
    parser.add_argument("--scale", type=float, default=10.0, help="Telegram's limits times k")
    parser.add_argument(
        "--in-flight",
        type=int,
        default=IN_FLIGHT,
        help="phase 2: the sender's SEND_MAX_IN_FLIGHT and the plain client's concurrency",
    )
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="write cProfile stats of the sender to FILE.phase1 and FILE.phase2",
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (100 <= args.chats <= 1_000_000 and 0 < args.scale <= 1000):
        parser.error("--chats must be 100..1000000, --scale 0..1000")
    if args.serve:
        asyncio.run(serve(args.chats, Limits(args.scale)))
        return 0
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(bench(args.chats, args.scale, args.db, args.in_flight, args.profile))


if __name__ == "__main__":
    sys.exit(main())
