"""Soak: `nashra run` as a real process for N minutes (default 10) against 2,000 feeds that
gain entries over time and a fake Bot API with 10,000 subscribed chats, then a check that
nothing was lost, nothing arrived twice, memory held flat and the log holds no surprise.

    python -m bench.soak [--minutes 10] [--sources 2000] [--chats 10000] [--rate 300]
                         [--db sqlite|postgres] [--seed 1] [--keep] [--trace-memory]

The world (bench/soak_plan.py) is drawn from --seed: sources of every kind (regular, busy,
slow, flaky with 5xx, hanging past the timeout, teasers with article pages, dead), stories
retold by several outlets, chats of every kind following one to three categories, and chats
that block the bot, are deleted, kick it, remove it or migrate to a supergroup during the
run. The feed server (bench/soak_feeds.py) and the fake Bot API (bench/soak_telegram.py)
run in processes of their own on 127.0.0.1. The Bot API enforces Telegram's limits — 1
message/s per private chat, 20/min per group or channel, and --rate overall, which the bot
is configured for as paid broadcast (Telegram allows up to 1000/s; at the free 30/s, 10,000
chats following 2,000 busy feeds cannot be kept up with, and the backlog only grows) — and
fails 0.45 % of the sends at random (500, 502, 503 and a 429 now and then).

Publishing lasts N minutes. Then the soak waits until every answering feed was asked for
again, closes the feed server (every feed answers 503), and waits until every entry served
is stored and nothing waits to be sent to an active chat; then it stops the bot (SIGTERM).
Memory and CPU are sampled with psutil every 2 s; rss_start is the RSS one minute after the
bot was ready, rss_end the last sample before it stopped. Short runs keep every number and
every check: `--minutes 2` is the same soak, shorter. Prints its figures, then

    soak: minutes=… articles=… deliveries=… lost=… duplicates=… rss_start_mb=… rss_end_mb=… errors=…

articles: entries served and stored as new articles; deliveries: articles that reached a
chat (each item of a digest counts); lost: (chat, story) pairs owed and never received;
duplicates: stories a chat received more than once; errors: ERROR lines in the bot's log not
explained by an injected fault. Exits 1 when anything was lost, duplicated or misdelivered, a
chat that left was not excluded, RSS grew more than 10 %, an unexpected ERROR appeared, the
drain did not finish, or the bot did not stop cleanly.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench import soak_db, soak_feeds, soak_memory, soak_plan, soak_report, soak_telegram
from bench.children import ChildServer
from bench.databases import fresh_database
from bench.soak_check import Received, Truth, read_log, verdict
from bench.soak_plan import Kind
from bench.soak_report import Sampler
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from tests.processes import run_environment, start_run

READY = "nashra running as"
INTERVAL = 60  # POLL_INTERVAL_SECONDS: the shortest the settings allow
TICK = 5
DRAIN_SECONDS = 300.0
FAULTY = frozenset({Kind.SLOW, Kind.FLAKY, Kind.TIMEOUT, Kind.TEASER, Kind.DEAD})


def environment(url: str, api_base_url: str, rate: int) -> dict[str, str]:
    return run_environment(
        url,
        api_base_url,
        LOG_FORMAT="json",
        LOG_LEVEL="INFO",
        FETCH_ALLOW_NETWORKS="127.0.0.1/32",
        # Every feed lives on 127.0.0.1 (one site, one address): the limits are the pool's.
        FETCH_PER_HOST="32",
        FETCH_PER_ADDRESS="32",
        POLL_INTERVAL_SECONDS=str(INTERVAL),
        POLL_TICK_SECONDS=str(TICK),
        FULLTEXT_MIN_CHARS="400",
        POST_PHOTOS="true",
        PAID_BROADCAST="true",
        PAID_BROADCAST_PER_SECOND=str(rate),
        SEND_MAX_IN_FLIGHT=str(max(100, rate)),
    )


class Soak:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args = args
        self.workdir = workdir
        self.sources = soak_plan.sources(args.sources, args.seed)
        self.chats = soak_plan.chats(args.chats, args.seed)
        self.events = soak_plan.chat_events(self.chats, args.seed)
        self.window = args.minutes * 60.0
        self.log = workdir / "nashra.log"
        self.served: set[soak_db.Key] = set()
        self.stored: dict[soak_db.Key, soak_db.StoredArticle] = {}

    async def children(self) -> tuple[ChildServer, ChildServer]:
        common = ["--sources", str(self.args.sources), "--chats", str(self.args.chats)]
        common += ["--seed", str(self.args.seed), "--rate", str(self.args.rate)]
        feeds = await ChildServer.start("bench.soak", "--serve-feeds", *common)
        records = str(self.workdir / "telegram.jsonl")
        telegram = await ChildServer.start("bench.soak", "--serve-telegram", records, *common)
        return feeds, telegram

    async def progress(
        self,
        minute: float,
        sampler: Sampler,
        feeds: ChildServer,
        telegram: ChildServer,
        sessions: async_sessionmaker[AsyncSession],
    ) -> None:
        _, rss, cpu = sampler.samples[-1]
        fed = await feeds.ask("stats")
        sent = await telegram.ask("stats")
        messages = sum(v for k, v in sent.items() if k.startswith("send") and k.endswith(":200"))
        states = await soak_db.state_counts(sessions)
        shown = " ".join(f"{state} {count}" for state, count in sorted(states.items()))
        print(
            f"  {minute:4.1f} min: rss {rss:.0f} MB, cpu {cpu:.0f} s; entries published "
            f"{fed['published']}, served {fed['served']}; deliveries {shown or '-'}; "
            f"messages {messages}",
            flush=True,
        )

    async def settled(
        self, feeds: ChildServer, sessions: async_sessionmaker[AsyncSession]
    ) -> tuple[int, int]:
        """(entries served and not yet stored, deliveries waiting for active chats)."""
        self.served.update(tuple(k) for k in (await feeds.ask("served"))["served"])
        last = max((a.id for a in self.stored.values()), default=0)
        self.stored |= await soak_db.articles(sessions, after=last)
        return len(self.served - self.stored.keys()), await soak_db.waiting(sessions)

    async def drain(
        self, feeds: ChildServer, sessions: async_sessionmaker[AsyncSession]
    ) -> tuple[bool, str]:
        started = time.monotonic()
        deadline = started + 3 * INTERVAL
        while unasked := (await feeds.ask("unasked"))["unasked"]:
            if time.monotonic() > deadline:
                kinds = Counter(self.sources[n].kind.value for n in unasked)
                print(f"  {len(unasked)} feeds not asked for since publishing stopped: {kinds}")
                print(f"  {await soak_db.schedule_of(sessions, unasked[:5])}")
                break
            await asyncio.sleep(1)
        asked = time.monotonic() - started
        await feeds.ask("close")
        deadline = time.monotonic() + DRAIN_SECONDS
        unstored, waiting = await self.settled(feeds, sessions)
        while (unstored or waiting) and time.monotonic() < deadline:
            await asyncio.sleep(2)
            unstored, waiting = await self.settled(feeds, sessions)
        done = not (unstored or waiting)
        note = (
            f"drain: every answering feed asked for again {asked:.0f} s after publishing "
            f"stopped; {'everything stored and sent' if done else 'NOT DONE'} "
            f"{time.monotonic() - started:.0f} s after"
        )
        if not done:
            note += f" ({unstored} entries served and not stored, {waiting} deliveries waiting)"
        return done, note

    async def run(self) -> int:
        args = self.args
        url, cleanup = await fresh_database(args.db, "nashra_soak")
        feeds, telegram = await self.children()
        engine = create_engine(url)
        process: asyncio.subprocess.Process | None = None
        try:
            await upgrade(engine)
            sessions = create_sessionmaker(engine)
            started = time.perf_counter()
            await soak_db.seed(
                sessions,
                feeds.base_url,
                self.sources,
                self.chats,
                interval=INTERVAL,
                seed=args.seed,
            )
            print(
                f"setup: db={args.db} {len(self.sources)} sources, {len(self.chats)} chats "
                f"({sum(len(c.categories) for c in self.chats)} subscriptions), "
                f"{len(self.events)} chat events, rate {args.rate}/s; seeded in "
                f"{time.perf_counter() - started:.1f} s; files in {self.workdir}",
                flush=True,
            )
            env = environment(url, telegram.base_url, args.rate)
            module = "bot.cli"
            if args.trace_memory:
                env["NASHRA_SOAK_SNAPSHOTS"] = str(self.workdir)
                module = "bench.soak_memory"
            process = await start_run(env, self.log, module=module)
            await self.ready(process)
            sampler = Sampler(process.pid)
            sampling = asyncio.create_task(sampler.run())
            planned = (await feeds.ask(f"start {self.window}"))["planned"]
            await telegram.ask(f"start {self.window}")
            print(f"publishing {planned} entries over {args.minutes} min", flush=True)
            for minute in range(1, args.minutes + 1):
                await asyncio.sleep(max(0.0, sampler.started + 60 * minute - time.monotonic()))
                await self.progress(minute, sampler, feeds, telegram, sessions)
                if args.trace_memory and minute == 1:
                    await self.snapshot(process, 1)
            await feeds.ask("stop")
            drained, note = await self.drain(feeds, sessions)
            sampler.sample()
            sampling.cancel()
            print(note, flush=True)
            if args.trace_memory:
                await self.snapshot(process, 2)
                print("memory grown since the first minute, by line (tracemalloc):")
                for line in soak_memory.growth(self.workdir / "1.snap", self.workdir / "2.snap"):
                    print(f"  {line}")
            code = await stop(process)
            process = None
            await telegram.ask("flush")
            await feeds.ask(f"dump {self.workdir / 'feeds.json'}")
            return await self.report(sampler, sessions, drained, code)
        finally:
            if process is not None and process.returncode is None:
                process.kill()
                await process.wait()
            await feeds.stop()
            await telegram.stop()
            await engine.dispose()
            if not args.keep:
                await cleanup()

    async def snapshot(self, process: asyncio.subprocess.Process, number: int) -> None:
        """Have the traced bot write its tracemalloc snapshot `number`, and wait for it."""
        path = self.workdir / f"{number}.snap"
        process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 120
        while not path.exists() or path.stat().st_size == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"no tracemalloc snapshot in {path}")
            await asyncio.sleep(0.5)
        await asyncio.sleep(2)  # the dump may still be being written

    async def ready(self, process: asyncio.subprocess.Process) -> None:
        deadline = time.monotonic() + 120
        while READY not in self.log.read_text(encoding="utf-8", errors="replace"):
            if process.returncode is not None or time.monotonic() > deadline:
                tail = self.log.read_text(encoding="utf-8", errors="replace")[-3000:]
                raise RuntimeError(f"nashra run did not start:\n{tail}")
            await asyncio.sleep(0.2)

    async def report(
        self,
        sampler: Sampler,
        sessions: async_sessionmaker[AsyncSession],
        drained: bool,
        code: int | None,
    ) -> int:
        categories = {p.number: p.category for p in self.sources}
        truth = Truth.read(self.workdir / "feeds.json", categories)
        received = Received.read(self.workdir / "telegram.jsonl")
        result = await verdict(truth, received, self.chats, sessions)
        numbers = await soak_db.source_numbers(sessions)
        faulty = {row for row, n in numbers.items() if self.sources[n].kind in FAULTY}
        logged = read_log(self.log, faulty, received.injected_chats)
        rss_start = sampler.at(60)[1]
        _, rss_end, cpu = sampler.samples[-1]
        soak_report.print_figures(truth, received, result, logged, sampler, cpu)
        problems = soak_report.problems(result, logged, rss_start, rss_end, drained, code)
        for problem in problems:
            print(f"FAIL: {problem}")
        print(
            f"soak: minutes={self.args.minutes} articles={result.articles} "
            f"deliveries={result.delivered} lost={sum(result.lost.values())} "
            f"duplicates={sum(result.duplicates.values())} rss_start_mb={rss_start:.0f} "
            f"rss_end_mb={rss_end:.0f} errors={len(logged.unexpected)}"
        )
        return 1 if problems else 0


async def stop(process: asyncio.subprocess.Process) -> int | None:
    process.send_signal(signal.SIGTERM)
    try:
        return await asyncio.wait_for(process.wait(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--minutes", type=int, default=10, help="publishing lasts this long")
    parser.add_argument("--sources", type=int, default=2000)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--rate", type=int, default=300, help="messages/s overall (paid)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument(
        "--trace-memory",
        action="store_true",
        help="run the bot under tracemalloc and print which lines grew (slower)",
    )
    parser.add_argument("--serve-feeds", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--serve-telegram", metavar="RECORDS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not (2 <= args.minutes <= 600 and args.sources >= 50 and args.chats >= 100):
        parser.error("--minutes must be 2..600, --sources at least 50, --chats at least 100")
    if not 30 <= args.rate <= 1000:
        parser.error("--rate must be 30..1000 (Telegram's free and paid-broadcast limits)")
    if args.serve_feeds:
        asyncio.run(soak_feeds.serve(soak_plan.sources(args.sources, args.seed), args.seed))
        return 0
    if args.serve_telegram:
        chats = soak_plan.chats(args.chats, args.seed)
        events = soak_plan.chat_events(chats, args.seed)
        with open(args.serve_telegram, "w", encoding="utf-8") as records:
            asyncio.run(soak_telegram.serve(chats, events, args.rate, args.seed, records))
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="nashra-soak-"))
    return asyncio.run(Soak(args, workdir).run())


if __name__ == "__main__":
    sys.exit(main())
