"""The outbox's sender against the fake Bot API: pace, order, every error Telegram answers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import open_bot_api
from bot.deliver.send import Transport
from bot.deliver.sender import Sender
from bot.settings import Settings, load_settings
from storage import counters as counter_store
from storage.models import DeliveryState
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, ApiError, FakeTelegram
from tests.outboxes import Seeder

FAST = {
    "send_per_second": 500.0,
    "send_private_per_second": 50.0,
    "send_group_per_minute": 3000.0,
    "send_retry_base_seconds": 0.05,
    "send_retry_max_seconds": 0.2,
}

SenderFactory = Callable[..., AbstractAsyncContextManager[Sender]]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=DEFAULT_TOKEN) as server:
        yield server


@pytest.fixture
def seed(database: Database, tg: FakeTelegram) -> Seeder:
    return Seeder(database, tg)


def settings_for(database: Database, tg: FakeTelegram, **overrides: object) -> Settings:
    return load_settings(
        _env_file=None,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_base_url=tg.base_url,
        database_url=database.url,
        **{**FAST, **overrides},
    )


@pytest.fixture
def sender(database: Database, tg: FakeTelegram) -> SenderFactory:
    @asynccontextmanager
    async def make(**overrides: object) -> AsyncIterator[Sender]:
        settings = settings_for(database, tg, **overrides)
        async with open_bot_api(settings) as api:
            yield Sender(settings, database.sessions, Transport(api))

    return make


async def drain(sender: Sender, horizon: float = 0.0) -> None:
    async with asyncio.timeout(30):
        await sender.run_until_idle(horizon=horizon)


async def test_every_subscribed_chat_gets_the_post_and_its_message_id_is_kept(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    await seed.chat(-1002, "supergroup")
    await seed.chat(-1003, "channel")
    await seed.chat(104, slugs=("economy",))
    await seed.article("اجتماع مجلس الوزراء")
    async with sender() as s:
        await drain(s)
    assert {m.chat_id for m in tg.sent_messages()} == {101, -1002, -1003}
    for message in tg.sent_messages():
        assert message.plain_text.startswith("اجتماع مجلس الوزراء")
        assert message.parse_mode == "HTML"
        assert message.reply_markup is not None
    deliveries = await seed.deliveries()
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    sent_ids = {(m.chat_id, m.message_id) for m in tg.sent_messages()}
    chats = {d.chat_id: (await seed.chat_row(d.chat_id)).telegram_id for d in deliveries}
    assert {(chats[d.chat_id], d.telegram_message_id) for d in deliveries} == sent_ids
    assert all(d.sent_as == "text" and d.sent_at is not None for d in deliveries)
    assert s.counts["sent"] == 3


async def test_a_post_with_an_image_goes_as_a_photo_else_as_text(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    await seed.chat(102)
    await seed.article("خبر مصور", image_url="https://enabbaladi.net/photo.jpg")
    tg.fail_next(
        "sendPhoto",
        chat_id=102,
        error=ApiError.bad_request("wrong file identifier/HTTP URL specified"),
    )
    async with sender() as s:
        await drain(s)
    [photo] = tg.sent_messages(101)
    assert photo.method == "sendPhoto"
    assert photo.photo == "https://enabbaladi.net/photo.jpg"
    [text] = tg.sent_messages(102)
    assert text.method == "sendMessage"
    assert text.plain_text.startswith("خبر مصور")
    assert {d.sent_as for d in await seed.deliveries()} == {"photo", "text"}
    assert s.counts["photo_fallback"] == 1


async def test_a_chat_gets_its_posts_in_order_at_its_own_pace(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    titles = [f"الخبر رقم {i}" for i in range(4)]
    for title in titles:
        await seed.article(title)
    async with sender(send_private_per_second=10.0) as s:
        await drain(s, horizon=1)
    messages = tg.sent_messages(101)
    assert [m.plain_text.split("\n")[0] for m in messages] == titles
    times = [r.time for r in tg.calls("sendMessage")]
    assert min(b - a for a, b in itertools.pairwise(times)) >= 0.095


async def test_the_overall_pace_keeps_under_telegrams_limits(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    for i in range(60):
        await seed.chat(1000 + i)
    for i in range(5):
        await seed.chat(-2000 - i, "supergroup")
    for i in range(3):
        await seed.article(f"خبر {i}")
    tg.limits(overall_per_s=100, per_chat_per_s=5, per_group_per_min=300)
    async with sender(
        send_per_second=100.0, send_private_per_second=5.0, send_group_per_minute=300.0
    ) as s:
        await drain(s, horizon=1)
    assert tg.throttled_total == 0
    assert len(tg.sent_messages()) == 65 * 3
    assert s.counts["http_429"] == 0


async def test_a_429_waits_retry_after_for_that_chat_only_and_loses_nothing(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    for i in range(10):
        await seed.chat(200 + i)
    await seed.article("خبر")
    tg.fail_next("sendMessage", chat_id=101, error=ApiError.too_many_requests(1))
    async with sender() as s:
        await drain(s, horizon=2)
    calls = [r for r in tg.calls("sendMessage") if r.params["chat_id"] in (101, "101")]
    assert [r.status for r in calls] == [429, 200]
    assert calls[1].time - calls[0].time >= 0.95
    others = [r.time for r in tg.calls("sendMessage") if r.params["chat_id"] not in (101, "101")]
    assert max(others) < calls[1].time  # nobody else waited for chat 101
    assert len(tg.sent_messages()) == 11
    assert s.counts["http_429"] == 1
    deliveries = await seed.deliveries()
    assert {d.state for d in deliveries} == {DeliveryState.SENT}
    assert {d.attempts for d in deliveries} == {1}  # a 429 is not a failed attempt


async def test_429s_from_many_chats_pause_the_whole_bot(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    for i in range(12):
        await seed.chat(300 + i)
    await seed.article("خبر")
    tg.fail_next("sendMessage", times=3, error=ApiError.too_many_requests(1))
    async with sender(send_per_second=20.0) as s:
        await drain(s, horizon=2)
    calls = tg.calls("sendMessage")
    refused = [r.time for r in calls if r.status == 429]
    accepted = [r.time for r in calls if r.status == 200]
    assert len(refused) == 3
    assert len(accepted) == 12
    # After the third refusal nothing went out for the second Telegram asked for.
    assert min(t for t in accepted if t > refused[-1]) - refused[-1] >= 0.9


async def test_a_slow_chat_does_not_hold_up_the_others(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    for i in range(20):
        await seed.chat(200 + i)
    await seed.article("خبر")
    tg.delay("sendMessage", 2.0, chat_id=101)
    async with sender() as s:
        task = asyncio.create_task(drain(s))
        await asyncio.sleep(1.0)
        assert len(tg.sent_messages()) == 20  # everyone but the slow chat already
        await task
    assert len(tg.sent_messages()) == 21


async def test_network_errors_and_5xx_are_retried_with_backoff_then_fail(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    await seed.chat(102)
    await seed.article("خبر")
    tg.fail_next("sendMessage", chat_id=101, times=2, error=ApiError.bad_gateway())
    tg.fail_next("sendMessage", chat_id=102, times=10, error=ApiError.server_error(500))
    async with sender(send_max_attempts=3) as s:
        await drain(s, horizon=1)
    by_telegram = {(await seed.chat_row(d.chat_id)).telegram_id: d for d in await seed.deliveries()}
    assert by_telegram[101].state is DeliveryState.SENT
    assert by_telegram[101].attempts == 3
    assert by_telegram[102].state is DeliveryState.FAILED
    assert by_telegram[102].last_error is not None
    assert "Internal Server Error" in by_telegram[102].last_error
    calls_102 = [r.time for r in tg.calls("sendMessage") if r.params["chat_id"] in (102, "102")]
    assert len(calls_102) == 3
    assert calls_102[1] - calls_102[0] >= 0.045  # the base delay
    assert calls_102[2] - calls_102[1] >= 0.095  # twice that
    assert s.counts["retried"] == 4
    assert s.counts["failed"] == 1


async def test_a_blocked_chat_becomes_inactive_and_its_waiting_posts_are_cancelled(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    blocked = await seed.chat(101)
    await seed.chat(102)
    for i in range(3):
        await seed.article(f"خبر {i}")
    tg.set_member(101, tg.bot_id, "kicked")
    async with sender() as s:
        await drain(s, horizon=1)
    chat = await seed.chat_row(blocked)
    assert not chat.active
    assert chat.inactive_reason is not None
    assert "blocked" in chat.inactive_reason
    states = [d.state for d in await seed.deliveries() if d.chat_id == blocked]
    assert states == [DeliveryState.CANCELLED] * 3
    assert len([r for r in tg.calls("sendMessage") if r.params["chat_id"] in (101, "101")]) == 1
    assert len(tg.sent_messages(102)) == 3
    assert s.counts["chat_gone"] == 1


async def test_chat_not_found_makes_the_chat_inactive(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    gone = await seed.chat(101)
    await seed.article("خبر")
    tg.fail_next("sendMessage", chat_id=101, error=ApiError.chat_not_found())
    async with sender() as s:
        await drain(s)
    assert not (await seed.chat_row(gone)).active
    assert [d.state for d in await seed.deliveries()] == [DeliveryState.CANCELLED]


async def test_a_group_that_became_a_supergroup_gets_the_post_at_its_new_id(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    group = await seed.chat(-5001, "group")
    tg.upgrade_to_supergroup(-5001, -1005001)
    await seed.article("خبر")
    async with sender() as s:
        await drain(s)
    assert len(tg.sent_messages(-1005001)) == 1
    chat = await seed.chat_row(group)
    assert chat.telegram_id == -1005001
    assert chat.active
    [delivery] = await seed.deliveries()
    assert delivery.state is DeliveryState.SENT
    assert s.counts["migrated"] == 1


async def test_unparsable_markup_is_resent_once_as_plain_text_then_fails(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    await seed.chat(102)
    await seed.article("خبر")
    tg.fail_next("sendMessage", chat_id=101, error=ApiError.cant_parse_entities())
    tg.fail_next("sendMessage", chat_id=102, times=2, error=ApiError.cant_parse_entities())
    async with sender() as s:
        await drain(s)
    [plain] = tg.sent_messages(101)
    assert plain.parse_mode is None
    assert plain.text.startswith("خبر")
    assert "<b>" not in plain.text
    by_telegram = {(await seed.chat_row(d.chat_id)).telegram_id: d for d in await seed.deliveries()}
    assert by_telegram[101].sent_as == "plain"
    assert by_telegram[102].state is DeliveryState.FAILED
    assert tg.sent_messages(102) == []


async def test_a_chat_with_many_waiting_posts_gets_one_digest(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101, language="en")
    await seed.chat(102)
    for i in range(7):
        await seed.article(f"الخبر رقم {i}")
    # Chat 102 had its first post already: it has six waiting, above the threshold too.
    async with sender(digest_threshold=5) as s:
        await drain(s)
    [digest] = tg.sent_messages(101)
    lines = digest.plain_text.split("\n")
    assert lines[0] == "📰 Latest news (7)"
    assert [line.split(" — ")[0] for line in lines[2:]] == [f"• الخبر رقم {i}" for i in range(7)]
    links = [e["url"] for e in digest.entities if e["type"] == "text_link"]
    assert links == [f"https://enabbaladi.net/politics/{i}" for i in range(1, 8)]
    assert {d.state for d in await seed.deliveries()} == {DeliveryState.DIGESTED}
    assert len({(d.chat_id, d.telegram_message_id) for d in await seed.deliveries()}) == 2
    assert s.counts["sent_digest"] == 2


async def test_quiet_hours_hold_a_private_chats_posts_until_they_end(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, database: Database
) -> None:
    chat = await seed.chat(101)
    await seed.chat(102)
    now = datetime.now(UTC)
    start = (now - timedelta(hours=1)).hour * 60
    end = (now + timedelta(hours=2)).hour * 60
    async with database.sessions.begin() as session:
        row = await session.get(type(await seed.chat_row(chat)), chat)
        assert row is not None
        row.quiet_start_minute, row.quiet_end_minute, row.timezone = start, end, "UTC"
    await seed.article("خبر")
    async with sender() as s:
        await drain(s)
    assert tg.sent_messages(101) == []
    assert len(tg.sent_messages(102)) == 1
    held = [d for d in await seed.deliveries() if d.chat_id == chat]
    assert held[0].state is DeliveryState.PENDING
    assert held[0].attempts == 0
    assert held[0].next_attempt_at > now + timedelta(minutes=59)
    assert s.counts["held_quiet"] == 1


async def test_outcomes_are_counted_per_day_in_the_database(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, database: Database
) -> None:
    await seed.chat(101)
    await seed.chat(102)
    await seed.article("خبر")
    tg.fail_next("sendMessage", chat_id=102, error=ApiError.too_many_requests(1))
    async with sender() as s:
        await drain(s, horizon=2)
    async with database.sessions() as session:
        counts = await counter_store.counts_on(session, datetime.now(UTC).date())
    assert counts["sent"] == 2
    assert counts["http_429"] == 1
    assert counts == dict(s.counts)


async def test_run_stops_when_asked_and_records_what_it_sent(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    for i in range(30):
        await seed.chat(100 + i)
    await seed.article("خبر")
    stop = asyncio.Event()
    async with sender(send_per_second=5.0) as s:
        task = asyncio.create_task(s.run(stop))
        await asyncio.sleep(0.5)
        stop.set()
        async with asyncio.timeout(30):  # only against a hang; the check is what was sent
            await task
    deliveries = await seed.deliveries()
    sent = [d for d in deliveries if d.state is DeliveryState.SENT]
    assert 0 < len(sent) == len(tg.sent_messages()) < 30
    assert {d.state for d in deliveries} <= {DeliveryState.SENT, DeliveryState.PENDING}
    assert all(d.lease_owner is None for d in deliveries)


async def test_a_digest_too_long_for_one_message_goes_in_several(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await seed.chat(101)
    titles = [f"عنوان طويل رقم {i} " + "كلمة " * 36 for i in range(30)]
    for title in titles:
        await seed.article(title.strip())
    async with sender(digest_threshold=5, digest_max_items=30) as s:
        await drain(s, horizon=1)
    digests = tg.sent_messages(101)
    assert len(digests) >= 2
    lines = [line for d in digests for line in d.plain_text.split("\n")[2:]]
    assert sorted(lines, key=lambda line: int(line.split()[4])) == lines
    assert len(lines) == 30
    for digest in digests:
        count = int(digest.plain_text.split("(")[1].split(")")[0])
        assert count == len(digest.plain_text.split("\n")) - 2
    assert {d.state for d in await seed.deliveries()} == {DeliveryState.DIGESTED}


async def test_two_senders_share_one_overall_limit_and_send_each_post_once(
    seed: Seeder, tg: FakeTelegram, database: Database
) -> None:
    for i in range(80):
        await seed.chat(4000 + i)
    await seed.article("خبر")
    tg.limits(overall_per_s=40)
    settings = settings_for(database, tg, send_per_second=40.0, send_max_in_flight=20)
    async with open_bot_api(settings) as api:
        senders = [
            Sender(settings, database.sessions, Transport(api), owner=f"worker-{n}") for n in (1, 2)
        ]
        async with asyncio.timeout(30):
            await asyncio.gather(*(s.run_until_idle() for s in senders))
    assert tg.throttled_total == 0
    assert sorted(m.chat_id for m in tg.sent_messages()) == [4000 + i for i in range(80)]
    assert all(s.counts["sent"] > 0 for s in senders)  # both took a share
