"""Daily briefings through the outbox: held, then sent as one message at the chat's local time
by the real sender against the fake Bot API, on a clock the test moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from bot.app import open_bot_api
from bot.deliver.send import Transport
from bot.deliver.sender import Sender
from bot.services import reader_options
from bot.services.subscriptions import ChatRef
from bot.text.filters import admitter
from storage import deliveries as delivery_store
from storage.models import Chat, ChatKind, DeliveryState
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, ApiError, FakeTelegram, SentMessage
from tests.outboxes import Seeder
from tests.test_sender import settings_for


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


SenderFactory = Callable[..., AbstractAsyncContextManager[Sender]]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=DEFAULT_TOKEN) as server:
        yield server


@pytest.fixture
def seed(database: Database, tg: FakeTelegram) -> Seeder:
    return Seeder(database, tg)


@pytest.fixture
def clock() -> Clock:
    return Clock(datetime(2026, 5, 4, 4, tzinfo=UTC))  # 07:00 in Damascus


@pytest.fixture
def sender(database: Database, tg: FakeTelegram, clock: Clock) -> SenderFactory:
    @asynccontextmanager
    async def make(**overrides: object) -> AsyncIterator[Sender]:
        settings = settings_for(database, tg, **overrides)
        async with open_bot_api(settings) as api:
            yield Sender(settings, database.sessions, Transport(api), clock=clock)

    return make


async def settle(sender: Sender) -> None:
    """Claim, send and record until nothing is due on the sender's clock."""
    async with asyncio.timeout(60):
        while True:
            claimed = await sender.step()
            if not claimed and not sender.in_flight:
                return
            if not claimed:
                await asyncio.sleep(0.01)


async def briefed_chat(
    seed: Seeder,
    telegram_id: int,
    minutes: list[int],
    zone: str = "Asia/Damascus",
    slugs: tuple[str, ...] = ("politics", "economy"),
    **options: Any,
) -> int:
    chat_id = await seed.chat(telegram_id, slugs=slugs)
    async with seed.db.sessions.begin() as session:
        await session.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(briefing_minutes=minutes, timezone=zone, **options)
        )
    return chat_id


async def stored(
    seed: Seeder,
    title: str,
    at: datetime,
    slug: str = "politics",
    *,
    story_id: int | None = None,
    source: str = "enabbaladi.net",
) -> tuple[int, int]:
    """An article stored and fanned out by a poll that began at `at`."""
    article_id, story = await seed.article(
        title, slug, story_id=story_id, source=source, fan_out=False
    )
    async with seed.db.sessions.begin() as session:
        await delivery_store.fan_out(session, [article_id], now=at, admit=admitter)
    return article_id, story


def briefings(tg: FakeTelegram, chat_id: int) -> list[SentMessage]:
    return tg.sent_messages(chat_id)


async def states(seed: Seeder, chat_id: int) -> list[tuple[DeliveryState, str | None]]:
    return [(d.state, d.sent_as) for d in await seed.deliveries() if d.chat_id == chat_id]


# ---- one briefing a day -----------------------------------------------------------------------


async def test_a_briefing_chat_gets_one_digest_at_its_time_most_covered_first(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    briefed = await briefed_chat(seed, 101, [8 * 60])
    await seed.chat(102)  # posts as they come
    t = clock.now - timedelta(hours=2)
    await stored(seed, "خبر من مصدر واحد", t)
    _, story = await stored(seed, "خبر تناقلته ثلاثة مصادر", t + timedelta(minutes=1))
    await stored(seed, "الخبر نفسه من مصدر ثان", t, story_id=story, source="sana.sy")
    await stored(seed, "الخبر نفسه من مصدر ثالث", t, story_id=story, source="aljazeera.net")
    _, money = await stored(seed, "خبر اقتصادي", t + timedelta(minutes=2), "economy")
    await stored(
        seed, "الخبر الاقتصادي من مصدر ثان", t, "economy", story_id=money, source="sana.sy"
    )

    async with sender() as s:
        await settle(s)
        assert len(tg.sent_messages(102)) == 1  # the other chat gets its posts as they come
        assert briefings(tg, 101) == []
        held = await seed.deliveries()
        assert {d.next_attempt_at for d in held if d.chat_id == briefed} == {
            datetime(2026, 5, 4, 5, tzinfo=UTC)  # 08:00 in Damascus
        }
        chat = await seed.chat_row(briefed)
        assert chat.next_send_at == datetime(2026, 5, 4, 5, tzinfo=UTC)

        clock.now = datetime(2026, 5, 4, 5, 0, 20, tzinfo=UTC)
        await settle(s)
    assert len(tg.sent_messages(102)) == 2
    [message] = briefings(tg, 101)
    assert message.plain_text.split("\n") == [
        "📰 موجز الأخبار — ٤ أيار ٢٠٢٦، الساعة ٠٨:٠٠",
        "",
        "سياسة",
        "• خبر تناقلته ثلاثة مصادر — enabbaladi.net (٣ مصادر)",
        "• خبر من مصدر واحد — enabbaladi.net",
        "",
        "اقتصاد",
        "• خبر اقتصادي — enabbaladi.net (مصدران)",
    ]
    links = [e["url"] for e in message.entities if e["type"] == "text_link"]
    assert len(links) == 3
    assert all(link.startswith("https://enabbaladi.net/") for link in links)
    assert set(await states(seed, briefed)) == {(DeliveryState.DIGESTED, "briefing")}
    chat = await seed.chat_row(briefed)
    assert chat.briefed_at == clock.now


async def test_an_empty_day_sends_nothing(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    await briefed_chat(seed, 101, [8 * 60, 20 * 60], slugs=("economy",))
    await stored(seed, "خبر سياسي لا يهم هذه المحادثة", clock.now)
    async with sender() as s:
        for hour in (5, 6, 17, 18, 29):  # 08:00, 09:00, 20:00, 21:00, tomorrow 08:00
            clock.now = datetime(2026, 5, 4, tzinfo=UTC) + timedelta(hours=hour, seconds=5)
            await settle(s)
    assert briefings(tg, 101) == []


async def test_the_schedule_lives_in_the_database_and_survives_a_restart(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    briefed = await briefed_chat(seed, 101, [8 * 60])
    await stored(seed, "خبر الصباح", clock.now - timedelta(minutes=30))
    async with sender() as first:
        await settle(first)  # holds it
    assert briefings(tg, 101) == []
    clock.now = datetime(2026, 5, 4, 5, 1, tzinfo=UTC)
    async with sender() as second:  # a new process: nothing of the first is remembered
        await settle(second)
    [message] = briefings(tg, 101)
    assert "• خبر الصباح — enabbaladi.net" in message.plain_text
    assert await states(seed, briefed) == [(DeliveryState.DIGESTED, "briefing")]


async def test_a_story_stored_after_the_briefing_waits_for_the_next_one(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    briefed = await briefed_chat(seed, 101, [8 * 60, 20 * 60])
    await stored(seed, "خبر قبل الموجز", clock.now)
    async with sender() as s:
        clock.now = datetime(2026, 5, 4, 5, 0, 10, tzinfo=UTC)
        await settle(s)
        assert len(briefings(tg, 101)) == 1
        # A slow poll that began before 08:00 stores its story after the briefing went.
        await stored(seed, "خبر تأخر حفظه", datetime(2026, 5, 4, 4, 59, tzinfo=UTC))
        clock.now += timedelta(minutes=1)
        await settle(s)
        assert len(briefings(tg, 101)) == 1
        late = [d for d in await seed.deliveries() if d.chat_id == briefed][-1]
        assert late.state is DeliveryState.PENDING
        assert late.next_attempt_at == datetime(2026, 5, 4, 17, tzinfo=UTC)  # 20:00 there
        clock.now = datetime(2026, 5, 4, 17, 0, 5, tzinfo=UTC)
        await settle(s)
    evening = briefings(tg, 101)[1]
    assert "• خبر تأخر حفظه — enabbaladi.net" in evening.plain_text
    assert "الساعة ٢٠:٠٠" in evening.plain_text


async def test_a_crowded_day_is_one_message_naming_the_best_and_counting_the_rest(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    briefed = await briefed_chat(seed, 101, [8 * 60])
    for n in range(70):
        title = f"الخبر رقم {n} في يوم مزدحم بالأخبار العاجلة من كل مكان في البلاد"
        await stored(seed, title, clock.now - timedelta(minutes=70 - n))
    clock.now = datetime(2026, 5, 4, 5, 1, tzinfo=UTC)
    async with sender() as s:
        await settle(s)
    [message] = briefings(tg, 101)
    assert len(message.plain_text) <= 4096
    last = message.plain_text.split("\n")[-1]
    assert last.startswith("و")
    assert last.endswith("لم يتّسع لها الموجز: /latest")
    named = message.plain_text.count("• ")
    assert 10 < named < 70
    assert await states(seed, briefed) == [(DeliveryState.DIGESTED, "briefing")] * 70


# ---- DST, on a real zone's change days ---------------------------------------------------------


async def test_a_briefing_time_the_autumn_change_repeats_is_sent_once(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    # 02:30 happens twice in Berlin on 25 October 2026: 00:30 and 01:30 UTC.
    await briefed_chat(seed, 101, [150], zone="Europe/Berlin")
    clock.now = datetime(2026, 10, 24, 22, tzinfo=UTC)
    await stored(seed, "خبر المساء", clock.now)
    async with sender() as s:
        await settle(s)
        clock.now = datetime(2026, 10, 25, 0, 31, tzinfo=UTC)  # 02:31 CEST, the first pass
        await settle(s)
        assert len(briefings(tg, 101)) == 1
        await stored(seed, "خبر بين المرتين", datetime(2026, 10, 25, 0, 45, tzinfo=UTC))
        clock.now = datetime(2026, 10, 25, 1, 31, tzinfo=UTC)  # 02:31 CET, the second pass
        await settle(s)
        assert len(briefings(tg, 101)) == 1
        clock.now = datetime(2026, 10, 26, 1, 31, tzinfo=UTC)  # 02:31 CET the next day
        await settle(s)
    first, second = briefings(tg, 101)
    assert "خبر المساء" in first.plain_text
    assert "خبر بين المرتين" in second.plain_text
    assert "خبر المساء" not in second.plain_text


async def test_a_briefing_time_the_spring_change_skips_is_sent_once_by_the_new_clock(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    # 02:30 does not exist in Berlin on 29 March 2026; the briefing goes at 03:30 CEST.
    await briefed_chat(seed, 101, [150], zone="Europe/Berlin")
    clock.now = datetime(2026, 3, 28, 22, tzinfo=UTC)
    await stored(seed, "خبر الليل", clock.now)
    async with sender() as s:
        await settle(s)
        clock.now = datetime(2026, 3, 29, 1, 29, tzinfo=UTC)  # 03:29 CEST
        await settle(s)
        assert briefings(tg, 101) == []
        clock.now = datetime(2026, 3, 29, 1, 30, 5, tzinfo=UTC)  # 03:30 CEST
        await settle(s)
        assert len(briefings(tg, 101)) == 1
        for hour in (2, 3, 10):
            clock.now = datetime(2026, 3, 29, hour, 31, tzinfo=UTC)
            await settle(s)
    [message] = briefings(tg, 101)
    assert "الساعة ٠٣:٣٠" in message.plain_text


# ---- the outbox's rules hold for briefings ----------------------------------------------------


async def test_a_throttled_briefing_is_retried_and_sent_once(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    briefed = await briefed_chat(seed, 101, [8 * 60])
    await stored(seed, "خبر", clock.now)
    await stored(seed, "خبر آخر", clock.now)
    # Stored just after 08:00: it waits for tomorrow's briefing, and must not hold up the retry.
    await stored(seed, "خبر الغد", datetime(2026, 5, 4, 5, 0, 0, 500, tzinfo=UTC))
    tg.fail_next("sendMessage", chat_id=101, error=ApiError.too_many_requests(retry_after=7))
    async with sender() as s:
        clock.now = datetime(2026, 5, 4, 5, 0, 1, tzinfo=UTC)
        await settle(s)
        assert briefings(tg, 101) == []
        assert s.counts["http_429"] == 1
        chat = await seed.chat_row(briefed)
        assert chat.next_send_at == clock.now + timedelta(seconds=7)
        assert chat.briefed_at is None
        clock.now += timedelta(seconds=8)
        await settle(s)
    [message] = briefings(tg, 101)
    assert message.plain_text.count("• ") == 2
    assert "خبر الغد" not in message.plain_text
    assert await states(seed, briefed) == [
        (DeliveryState.DIGESTED, "briefing"),
        (DeliveryState.DIGESTED, "briefing"),
        (DeliveryState.PENDING, None),
    ]


async def test_a_blocked_chat_loses_its_briefing_and_is_made_inactive(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock
) -> None:
    briefed = await briefed_chat(seed, 101, [8 * 60])
    await stored(seed, "خبر", clock.now)
    tg.fail_next("sendMessage", chat_id=101, error=ApiError.blocked())
    async with sender() as s:
        clock.now = datetime(2026, 5, 4, 5, 0, 1, tzinfo=UTC)
        await settle(s)
    chat = await seed.chat_row(briefed)
    assert not chat.active
    assert [state for state, _ in await states(seed, briefed)] == [DeliveryState.CANCELLED]


async def test_turning_the_briefing_off_releases_what_it_held(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, clock: Clock, database: Database
) -> None:
    briefed = await briefed_chat(seed, 101, [8 * 60])
    await stored(seed, "خبر محتجز", clock.now)
    async with sender() as s:
        await settle(s)
        assert briefings(tg, 101) == []
        async with database.sessions.begin() as session:
            await reader_options.set_briefing(session, ChatRef(101, ChatKind.PRIVATE), [], "UTC")
        # The release is dated by the real clock; the sender's is moved past it.
        clock.now = datetime.now(UTC) + timedelta(seconds=1)
        await settle(s)
    [post] = tg.sent_messages(101)
    assert post.plain_text.startswith("خبر محتجز")
    assert await states(seed, briefed) == [(DeliveryState.SENT, "text")]
    chat = await seed.chat_row(briefed)
    assert chat.briefing_minutes is None
    assert chat.timezone == "Asia/Damascus"  # turning it off stores no zone
