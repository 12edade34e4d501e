"""Several workers on one PostgreSQL database: `nashra run --role poller|sender|bot`.

Two pollers, two senders and the bot run as real processes against one database, 200
sources (on a local feed server) and 2,000 chats subscribed to politics (known to a fake Bot
API). Each feed carries one new politics article; the 200 articles tell 5 stories (40 outlets
each, the same headline), so each chat is owed 5 posts (a chat gets a story once), 10,000
deliveries in all. One poller and one sender are killed with SIGKILL mid-run;
nothing is restarted.

Promises checked (docs: bot/run.py, bot/leases.py, SEND_MAX_IN_FLIGHT in .env.example):
- the pollers share the sources, every source is polled, and no source is fetched twice
  within its interval, counting fetches at the feed server; the only exception allowed is a
  source the killed poller held (claimed, maybe fetched, never recorded);
- every chat gets every story; only deliveries the killed sender had claimed and not
  recorded (at most its SEND_MAX_IN_FLIGHT) may reach a chat twice; nothing is left pending;
- the bot process still answers /start.

A source the killed poller held stays leased until its lease (2 minutes, renewed while a
poll runs) runs out: the test checks that lease (the evidence that no live poller touches it
meanwhile), then moves its end into the past, as those minutes passing would, and checks that
a live poller takes it over.
A killed sender's deliveries are taken over for real, after SEND_LEASE_SECONDS (5 s).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import signal
import socket
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, insert, select, text, update

from bot.pipeline.poller import LEASE_SECONDS
from storage.db import create_engine, create_sessionmaker
from storage.models import (
    Article,
    Chat,
    Delivery,
    DeliveryState,
    Source,
)
from tests.conftest import Database
from tests.databases import PostgresTemplate
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.outboxes import add_subscribed_chats, chat_plan
from tests.processes import run_environment, start_run

pytestmark = pytest.mark.postgres

SOURCES = 200
CHATS = 2_000
MAX_IN_FLIGHT = 100
POLL_BATCH = 5
INTERVAL = 60  # POLL_INTERVAL_SECONDS, its minimum
SPREAD = 8.0  # the sources fall due one after another over this many seconds
FEED_DELAY = 0.05  # each feed answers after this long
BOT_USER = 777_000_001  # a private chat that is not among the subscribers

STORIES = [
    "مجلس النواب يقر قانون الانتخابات الجديد بعد جلسة طويلة",
    "وزير الخارجية يزور باريس لبحث التعاون الاقتصادي مع فرنسا",
    "الحكومة تعلن خطة لإصلاح قطاع الكهرباء خلال عامين",
    "رئيس الوزراء يستقبل وفد صندوق النقد الدولي في العاصمة",
    "البرلمان الأوروبي يناقش ملف اللاجئين في دورته المقبلة",
]
LEADS = [
    "صوت لصالح القانون أغلب النواب الحاضرين بعد نقاش استمر حتى منتصف الليل.",
    "يلتقي الوزير نظيره الفرنسي ويوقع اتفاقيات في مجالات الطاقة والنقل والزراعة.",
    "تشمل الخطة بناء محطات توليد جديدة وتحديث شبكات التوزيع في المحافظات.",
    "يبحث الجانبان برنامج القرض الجديد وشروط التمويل والإصلاحات المالية المطلوبة.",
    "ينتظر أن يصوت النواب الأوروبيون على مقترح لتقاسم أعباء الاستقبال بين الدول.",
]


def story_of(source_number: int) -> int:
    return source_number % len(STORIES)


def feed_path(source_number: int) -> str:
    return f"/feeds/{source_number}.xml"


def feed_body(source_number: int) -> bytes:
    story = story_of(source_number)
    item = Item(
        STORIES[story],
        link=f"https://outlet{source_number}.example/news/{story}",
        description=f"{STORIES[story]}. {LEADS[story]}",
        published=datetime.now(UTC),
    )
    return rss([item], title=f"outlet {source_number}", language="ar")


@pytest.fixture
async def database(postgres_template: PostgresTemplate) -> AsyncIterator[Database]:
    """A fresh migrated PostgreSQL database (SKIP LOCKED is what the workers share by)."""
    url = await postgres_template.new_url()
    engine = create_engine(url)
    try:
        yield Database(url, engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()
        await postgres_template.drop(url)


class Feeds:
    """The feed server's routes, each logging when it was fetched."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.fetches: dict[int, list[float]] = defaultdict(list)
        for number in range(SOURCES):
            server.add_handler(feed_path(number), self._handler(number))

    def _handler(self, number: int) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        body = feed_body(number)

        async def serve(request: web.Request) -> web.StreamResponse:
            self.fetches[number].append(time.monotonic())
            await asyncio.sleep(FEED_DELAY)
            return web.Response(body=body, content_type="application/rss+xml", charset="utf-8")

        return serve

    def fetched(self) -> int:
        """How many feeds were fetched at least once."""
        return len(self.fetches)

    def double_polls(self) -> dict[int, list[float]]:
        """The feeds fetched twice within the poll interval: their gaps in seconds."""
        doubles: dict[int, list[float]] = {}
        for number, times in self.fetches.items():
            gaps = [b - a for a, b in itertools.pairwise(times)]
            short = [round(gap, 2) for gap in gaps if gap < INTERVAL - 1]
            if short:
                doubles[number] = short
        return doubles


async def seed(db: Database, tg: FakeTelegram, feeds: FeedServer) -> dict[int, int]:
    """The chats (subscribed to politics, known to the fake server) and the sources (polled
    before, so their entries are new; due in a day); {source id: source number}."""
    politics = await add_subscribed_chats(db, tg, chat_plan(CHATS))
    later = datetime.now(UTC) + timedelta(days=1)
    async with db.sessions.begin() as session:
        await session.execute(
            insert(Source),
            [
                {
                    "url": feeds.url(feed_path(n)),
                    "name": f"outlet{n}.example",
                    "language": "ar",
                    "category_id": politics,
                    "first_polled": True,
                    "next_poll_at": later,
                }
                for n in range(SOURCES)
            ],
        )
        rows = await session.execute(select(Source.id, Source.url))
        numbers = {feeds.url(feed_path(n)): n for n in range(SOURCES)}
        return {source_id: numbers[url] for source_id, url in rows}


async def make_due(db: Database, numbers: dict[int, int]) -> None:
    """Source number n falls due n/SOURCES x SPREAD seconds from now."""
    now = datetime.now(UTC)
    async with db.sessions.begin() as session:
        for source_id, n in numbers.items():
            due = now + timedelta(seconds=SPREAD * n / SOURCES)
            await session.execute(
                update(Source).where(Source.id == source_id).values(next_poll_at=due)
            )


def environment(db: Database, tg: FakeTelegram) -> dict[str, str]:
    return run_environment(
        db.url,
        tg.base_url,
        POLL_INTERVAL_SECONDS=str(INTERVAL),
        POLL_BATCH_SIZE=str(POLL_BATCH),
        SEND_PER_SECOND="100000",
        SEND_PRIVATE_PER_SECOND="1000",
        SEND_GROUP_PER_MINUTE="60000",
        SEND_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT),
        SEND_LEASE_SECONDS="5",
        DIGEST_THRESHOLD="0",
        LOG_LEVEL="INFO",
        LOG_FORMAT="json",
    )


def owner(process: asyncio.subprocess.Process) -> str:
    """The lease owner a worker process writes (bot/leases.py: host:pid)."""
    return f"{socket.gethostname()}:{process.pid}"


def read_log(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


def log_lines(path: Path) -> list[dict[str, object]]:
    lines = []
    for line in read_log(path).splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(record, dict):
            lines.append(record)
    return lines


def messages_in(path: Path, prefix: str) -> list[dict[str, object]]:
    return [r for r in log_lines(path) if str(r.get("message", "")).startswith(prefix)]


async def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.05)


async def wait_for_db(
    db: Database, query: Callable[[], Awaitable[bool]], seconds: float, what: str
) -> None:
    deadline = time.monotonic() + seconds
    while not await query():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.5)


def received(tg: FakeTelegram) -> Counter[tuple[int, int]]:
    """How many times each (chat, story) post arrived."""
    counts: Counter[tuple[int, int]] = Counter()
    for message in tg.sent_messages():
        for story, title in enumerate(STORIES):
            if message.plain_text.startswith(title):
                counts[(message.chat_id, story)] += 1
                break
    return counts


async def delivery_states(db: Database) -> dict[DeliveryState, int]:
    async with db.sessions() as session:
        rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return {DeliveryState(state): count for state, count in rows}


async def stop(process: asyncio.subprocess.Process, log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), timeout=30)
    assert code == 0, read_log(log)[-3000:]


async def test_two_pollers_two_senders_and_the_bot_one_of_each_killed(
    database: Database, tmp_path: Path
) -> None:
    started = time.monotonic()
    async with FeedServer() as server, FakeTelegram(token=DEFAULT_TOKEN) as tg:
        feeds = Feeds(server)
        numbers = await seed(database, tg, server)
        env = environment(database, tg)
        roles = ["poller", "poller", "sender", "sender", "bot"]
        names = ["poller1", "poller2", "sender1", "sender2", "bot"]
        logs = {name: tmp_path / f"{name}.log" for name in names}
        processes = {
            name: await start_run(env, logs[name], role)
            for name, role in zip(names, roles, strict=True)
        }
        try:
            await wait_for(
                lambda: all(messages_in(logs[n], "nashra running as") for n in names),
                60,
                "every worker to start",
            )
            ready_at = time.monotonic() - started
            await make_due(database, numbers)

            # Kill poller1 mid-run, with part of the sources polled.
            await wait_for(lambda: feeds.fetched() >= SOURCES * 2 // 5, 30, "80 feeds fetched")
            poller = processes["poller1"]
            poller.kill()
            await poller.wait()
            killed_poller_at = datetime.now(UTC)
            fetched_at_kill = feeds.fetched()
            async with database.sessions() as session:
                held = dict(
                    (
                        await session.execute(
                            select(Source.id, Source.lease_until).where(
                                Source.lease_owner == owner(poller)
                            )
                        )
                    ).all()
                )
            polled_by_1 = len(messages_in(logs["poller1"], "polled source"))

            # Kill sender1 mid-delivery.
            kill_at = CHATS * len(STORIES) * 3 // 10
            await wait_for(lambda: len(tg.sent_messages()) >= kill_at, 60, f"{kill_at} posts sent")
            sender = processes["sender1"]
            sender.kill()
            await sender.wait()
            sent_at_kill = len(tg.sent_messages())
            async with database.sessions() as session:
                rows = await session.execute(
                    select(Chat.telegram_id, Article.source_id)
                    .join(Delivery, Delivery.chat_id == Chat.id)
                    .join(Article, Article.id == Delivery.article_id)
                    .where(
                        Delivery.state == DeliveryState.SENDING,
                        Delivery.lease_owner == owner(sender),
                    )
                )
                claimed_at_kill = {
                    (chat, story_of(numbers[source_id])) for chat, source_id in rows.all()
                }

            # Every source the dead poller did not hold gets polled by the live one.
            async def polled_but_held() -> bool:
                async with database.sessions() as session:
                    unpolled = set(
                        await session.scalars(
                            select(Source.id).where(Source.last_polled_at.is_(None))
                        )
                    )
                return unpolled <= set(held)

            await wait_for_db(database, polled_but_held, 30, "the sources not held to be polled")
            async with database.sessions() as session:
                still_held = dict(
                    (
                        await session.execute(
                            select(Source.id, Source.lease_until).where(
                                Source.lease_owner == owner(poller)
                            )
                        )
                    ).all()
                )
                # The evidence of the lease floor: what the dead poller held is untouched.
                assert still_held == held, (held, still_held)
                for until in held.values():
                    assert until is not None
                    # Renewed by heartbeats until the kill, then left to run out.
                    lease = timedelta(seconds=LEASE_SECONDS + 5)
                    assert timedelta(0) < until - killed_poller_at <= lease, until
                # As if those minutes had passed: the lease ends now, a live poller takes over.
                await session.execute(
                    update(Source)
                    .where(Source.lease_owner == owner(poller))
                    .values(lease_until=text("now() - interval '1 second'"))
                )
                await session.commit()

            async def all_polled() -> bool:
                async with database.sessions() as session:
                    unpolled = await session.scalar(
                        select(func.count())
                        .select_from(Source)
                        .where(Source.last_polled_at.is_(None) | Source.lease_owner.is_not(None))
                    )
                return unpolled == 0

            await wait_for_db(database, all_polled, 30, "every source to be polled")
            polls_done_at = time.monotonic() - started

            expected = {
                (telegram_id, story)
                for telegram_id, _ in chat_plan(CHATS)
                for story in range(len(STORIES))
            }

            async def all_sent() -> bool:
                states = await delivery_states(database)
                return states == {DeliveryState.SENT: CHATS * len(STORIES)}

            # (Checked in the database: counting the posts the fake server got, over and
            # over, would take the CPU that server needs.)
            await wait_for_db(database, all_sent, 90, "every delivery to be recorded as sent")
            await wait_for(
                lambda: set(received(tg)) >= expected, 10, "every chat to get every story"
            )
            delivered_at = time.monotonic() - started
            await asyncio.sleep(0.5)  # a stray late send would show up now

            # The bot still answers.
            tg.inject_message(BOT_USER, BOT_USER, "/start")
            await wait_for(lambda: bool(tg.sent_messages(BOT_USER)), 20, "an answer to /start")
            for name in ("poller2", "sender2", "bot"):
                await stop(processes[name], logs[name])
        finally:
            for process in processes.values():
                if process.returncode is None:
                    process.kill()
                    await process.wait()
        total = time.monotonic() - started

        counts = received(tg)
        doubles = feeds.double_polls()
        polls = sum(len(times) for times in feeds.fetches.values())
        polled_by_2 = len(messages_in(logs["poller2"], "polled source"))
        held_numbers = {numbers[source_id] for source_id in held}
        sends = [r.time for r in tg.calls("sendMessage") if r.status == 200]
        send_rate = len(sends) / (sends[-1] - sends[0]) if len(sends) > 1 else 0.0

    twice = {key for key, n in counts.items() if n > 1}
    summary = (
        f"workers up at {ready_at:.1f} s; {polls} feed fetches for {SOURCES} sources "
        f"(poller1 recorded {polled_by_1} before its kill with {fetched_at_kill} feeds "
        f"fetched, holding {len(held)}; poller2 recorded {polled_by_2}); fetched twice within "
        f"the interval: {doubles}; sender1 killed after {sent_at_kill} sends with "
        f"{len(claimed_at_kill)} in flight; {len(twice)} posts arrived twice; "
        f"{len(sends)} sends at {send_rate:.0f}/s; all polled at "
        f"{polls_done_at:.1f} s, all delivered at {delivered_at:.1f} s, done at {total:.1f} s"
    )
    print(summary)
    assert feeds.fetched() == SOURCES, summary
    assert polled_by_1 >= 1, summary
    assert polled_by_2 >= 1, summary
    assert len(held) <= POLL_BATCH, summary
    # Only a source the dead poller held may have been fetched twice, and only once more.
    assert set(doubles) <= held_numbers, summary
    assert all(len(gaps) == 1 for gaps in doubles.values()), summary
    assert set(counts) == expected, summary
    assert max(counts.values()) <= 2, summary
    assert len(twice) <= MAX_IN_FLIGHT, summary
    # Only a delivery claimed and not yet recorded at the kill may have gone out twice.
    assert twice <= claimed_at_kill, summary
    assert await delivery_states(database) == {DeliveryState.SENT: CHATS * len(STORIES)}
    async with database.sessions() as session:
        articles = await session.scalar(select(func.count()).select_from(Article))
        assert articles == SOURCES, summary
        leased = await session.scalar(
            select(func.count()).select_from(Source).where(Source.lease_owner.is_not(None))
        )
        assert leased == 0, summary
    if claimed_at_kill:
        taken_over = [
            r for r in log_lines(logs["sender2"]) if "of a dead worker" in str(r.get("message"))
        ]
        assert taken_over, summary
