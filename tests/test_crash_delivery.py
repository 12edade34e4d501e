"""Crash safety of delivery: `nashra run` killed with SIGKILL mid fan-out, then restarted.

The outbox promises (bot/deliver/sender.py, SEND_MAX_IN_FLIGHT in .env.example): after a
kill -9 every chat still receives the post, and only the deliveries claimed and not yet
recorded at the kill (at most SEND_MAX_IN_FLIGHT) may reach their chat twice.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from sqlalchemy import func, select, text

from storage.models import (
    Article,
    Chat,
    Delivery,
    DeliveryState,
    Source,
)
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.outboxes import add_subscribed_chats, chat_plan
from tests.processes import run_environment, start_run

MAX_IN_FLIGHT = 100
TITLE = "مجلس النواب يقر قانون الانتخابات الجديد بعد جلسة طويلة"
TEXT = (
    "أقر مجلس النواب قانون الانتخابات الجديد في جلسة استمرت حتى ساعة متأخرة من الليل. "
    "وصوت لصالح القانون أغلب النواب الحاضرين. "
    "وقال رئيس المجلس إن القانون يعزز مشاركة المواطنين في الحياة السياسية."
)


async def seed(db: Database, tg: FakeTelegram, feed_url: str, count: int) -> list[int]:
    """`count` active chats subscribed to politics, known to the fake server too, and a
    politics source polled before (so what is new in its feed is new); their Telegram ids."""
    plan = chat_plan(count)
    politics = await add_subscribed_chats(db, tg, plan)
    async with db.sessions.begin() as session:
        session.add(
            Source(
                url=feed_url,
                name="enabbaladi.net",
                language="ar",
                category_id=politics,
                first_polled=True,
            )
        )
    return [telegram_id for telegram_id, _ in plan]


def environment(db: Database, tg: FakeTelegram) -> dict[str, str]:
    return run_environment(
        db.url,
        tg.base_url,
        SEND_PER_SECOND="2000",
        SEND_PRIVATE_PER_SECOND="10",
        SEND_GROUP_PER_MINUTE="600",
        SEND_MAX_IN_FLIGHT=str(MAX_IN_FLIGHT),
        SEND_LEASE_SECONDS="5",
        LOG_LEVEL="WARNING",
    )


async def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        await asyncio.sleep(0.02)


def received(tg: FakeTelegram) -> Counter[int]:
    """How many posts each chat received."""
    return Counter(m.chat_id for m in tg.sent_messages() if m.plain_text.startswith(TITLE))


async def delivery_states(db: Database) -> dict[DeliveryState, int]:
    async with db.sessions() as session:
        rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return {DeliveryState(state): count for state, count in rows}


async def in_flight_chats(db: Database) -> set[int]:
    """The Telegram ids of the chats whose delivery is claimed and not yet recorded."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(Chat.telegram_id)
            .join(Delivery, Delivery.chat_id == Chat.id)
            .where(Delivery.state == DeliveryState.SENDING)
        )
        return set(rows)


def read_log(path: Path) -> str:
    return path.read_text(encoding="utf-8", errors="replace")


async def stop(process: asyncio.subprocess.Process, log: Path) -> None:
    process.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(process.wait(), timeout=30)
    assert code == 0, read_log(log)


async def test_kill_9_mid_fan_out_then_restart_every_chat_gets_the_post_duplicates_bounded(
    database: Database, tmp_path: Path
) -> None:
    chats = 10_000
    async with FeedServer() as feeds, FakeTelegram(token=DEFAULT_TOKEN) as tg:
        article = Item(
            TITLE,
            link="https://www.enabbaladi.net/archives/1",
            description=TEXT,
            published=datetime.now(UTC),
        )
        feeds.add("/politics.xml", rss([article], title="عنب بلدي", language="ar"))
        everyone = await seed(database, tg, feeds.url("/politics.xml"), chats)
        env = environment(database, tg)

        started = time.monotonic()
        first = await start_run(env, tmp_path / "first.log")
        try:
            await wait_for(lambda: len(tg.sent_messages()) >= 3000, 60, "3000 posts sent")
        finally:
            first.kill()  # SIGKILL: no handler runs, nothing is recorded on the way out
            await first.wait()
        assert first.returncode == -signal.SIGKILL
        sent_at_kill = len(tg.sent_messages())
        killed_at = time.monotonic() - started
        states_at_kill = await delivery_states(database)
        claimed_at_kill = await in_flight_chats(database)
        assert sum(states_at_kill.values()) == chats, states_at_kill
        assert sent_at_kill < chats - 1000, "the kill came too late to test anything"
        assert len(claimed_at_kill) <= MAX_IN_FLIGHT, states_at_kill

        second_log = tmp_path / "second.log"
        second = await start_run(env, second_log)
        try:
            await wait_for(lambda: len(received(tg)) == chats, 60, "every chat to get the post")

            async def all_sent() -> bool:
                return (await delivery_states(database)).get(DeliveryState.SENT) == chats

            deadline = time.monotonic() + 30
            while not await all_sent():
                assert time.monotonic() < deadline, await delivery_states(database)
                await asyncio.sleep(0.1)
            await asyncio.sleep(0.5)  # a stray late send would show up now
        finally:
            await stop(second, second_log)
        total = time.monotonic() - started

    counts = received(tg)
    twice = {chat for chat, n in counts.items() if n == 2}
    summary = (
        f"{len(twice)} chats got the post twice; killed after {sent_at_kill} sends at "
        f"{killed_at:.1f} s with {len(claimed_at_kill)} deliveries in flight; "
        f"all delivered at {total:.1f} s"
    )
    print(summary)
    assert set(counts) == set(everyone), summary
    assert max(counts.values()) <= 2, summary
    assert len(twice) <= MAX_IN_FLIGHT, summary
    # Only a delivery claimed and not yet recorded at the kill may have gone out twice.
    assert twice <= claimed_at_kill, summary
    assert len(tg.sent_messages()) == chats + len(twice), summary
    assert await delivery_states(database) == {DeliveryState.SENT: chats}
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Article)) == 1
    if claimed_at_kill:
        assert "released what dead workers held" in read_log(second_log)


async def test_kill_9_inside_the_poll_transaction_then_restart_stores_and_sends_once(
    database: Database, tmp_path: Path
) -> None:
    """The kill lands while the poll's transaction (articles, stories, fan-out) is open and
    waiting on a lock this test holds: nothing of it is kept, and after a restart the
    article is stored once and every chat gets its post exactly once."""
    chats = 2_000
    body = rss(
        [
            Item(
                TITLE,
                link="https://www.enabbaladi.net/archives/1",
                description=TEXT,
                published=datetime.now(UTC),
            )
        ],
        title="عنب بلدي",
        language="ar",
    )
    holder = await database.engine.connect()
    locked = asyncio.Event()

    async def serve_after_locking(request: web.Request) -> web.StreamResponse:
        if not locked.is_set():
            # Block the poll's writes: on PostgreSQL the fan-out into deliveries (after the
            # articles are inserted), on SQLite the transaction's first write.
            await holder.begin()
            if database.kind == "postgres":
                await holder.exec_driver_sql("LOCK TABLE deliveries IN EXCLUSIVE MODE")
            else:
                await holder.exec_driver_sql("UPDATE categories SET position = position")
            locked.set()
        return web.Response(body=body, content_type="application/rss+xml", charset="utf-8")

    try:
        async with FeedServer() as feeds, FakeTelegram(token=DEFAULT_TOKEN) as tg:
            feeds.add_handler("/politics.xml", serve_after_locking)
            everyone = await seed(database, tg, feeds.url("/politics.xml"), chats)
            env = environment(database, tg)

            first = await start_run(env, tmp_path / "first.log")
            try:
                await asyncio.wait_for(locked.wait(), timeout=30)
                await wait_until_blocked(database)
            finally:
                first.kill()
                await first.wait()
            await holder.rollback()
            assert tg.sent_messages() == []
            async with database.sessions() as session:
                assert await session.scalar(select(func.count()).select_from(Article)) == 0
                assert await session.scalar(select(func.count()).select_from(Delivery)) == 0
                # The dead poller's lease on the source is freed by the restart itself.

            second_log = tmp_path / "second.log"
            second = await start_run(env, second_log)
            try:
                await wait_for(lambda: len(received(tg)) == chats, 60, "every chat to get it")
                deadline = time.monotonic() + 30
                while (await delivery_states(database)).get(DeliveryState.SENT) != chats:
                    assert time.monotonic() < deadline, await delivery_states(database)
                    await asyncio.sleep(0.1)
                await asyncio.sleep(0.5)
            finally:
                await stop(second, second_log)
    finally:
        await holder.close()

    counts = received(tg)
    assert set(counts) == set(everyone)
    assert set(counts.values()) == {1}
    assert len(tg.sent_messages()) == chats
    async with database.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Article)) == 1
    assert await delivery_states(database) == {DeliveryState.SENT: chats}


async def wait_until_blocked(database: Database) -> None:
    """Until the poll's transaction waits on the test's lock: on PostgreSQL its fan-out
    (INSERT INTO deliveries … SELECT) is seen waiting; SQLite shows nothing of the kind, so
    the poll is given a moment to reach its first write."""
    if database.kind != "postgres":
        await asyncio.sleep(1.5)
        return
    deadline = time.monotonic() + 30
    while True:
        async with database.sessions() as session:
            waiting = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                    " AND query ILIKE 'INSERT INTO deliveries%'"
                )
            )
        if waiting:
            return
        assert time.monotonic() < deadline, "the poll never reached the fan-out"
        await asyncio.sleep(0.05)
