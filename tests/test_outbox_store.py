"""The outbox's queries on SQLite and PostgreSQL: fan-out, claims, outcomes, chat moves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from storage import chats as chat_store
from storage import claims as claim_store
from storage import counters as counter_store
from storage import deliveries as delivery_store
from storage.deliveries import Outcome
from storage.models import ArticleStatus, Chat, DeliveryState, Subscription
from tests.conftest import Database
from tests.outboxes import Seeder

LEASE = timedelta(seconds=60)


def now() -> datetime:
    return datetime.now(UTC)


async def claim(db: Database, limit: int = 100, **kwargs: object) -> list[claim_store.Claim]:
    async with db.sessions.begin() as session:
        return await claim_store.claim(
            session,
            now=now(),
            limit=limit,
            owner="test",
            lease=LEASE,
            **kwargs,  # type: ignore[arg-type]
        )


async def record(db: Database, *outcomes: Outcome) -> None:
    async with db.sessions.begin() as session:
        await delivery_store.record(session, outcomes)


async def test_fan_out_reaches_every_active_subscribed_chat_once(database: Database) -> None:
    seed = Seeder(database)
    private = await seed.chat(1, "private")
    group = await seed.chat(-2, "supergroup")
    channel = await seed.chat(-1003, "channel")
    await seed.chat(4, "private", active=False)
    await seed.chat(5, "private", slugs=("economy",))
    await seed.article("خبر سياسي")
    deliveries = await seed.deliveries()
    assert sorted(d.chat_id for d in deliveries) == sorted([private, group, channel])
    assert {d.state for d in deliveries} == {DeliveryState.PENDING}


async def test_a_story_from_a_second_source_is_not_delivered_again(database: Database) -> None:
    seed = Seeder(database)
    await seed.chat(1)
    _, story = await seed.article("الخبر من المصدر الأول")
    await seed.article("الخبر من المصدر الثاني", story_id=story, source="second.example")
    deliveries = await seed.deliveries()
    assert len(deliveries) == 1


async def test_articles_not_ready_are_not_fanned_out(database: Database) -> None:
    seed = Seeder(database)
    await seed.chat(1)
    await seed.article("قديم", status=ArticleStatus.SEEN)
    await seed.article("جديد لم يكتمل", status=ArticleStatus.NEW)
    assert await seed.deliveries() == []


async def test_claim_takes_one_post_per_chat_oldest_first_under_a_lease(
    database: Database,
) -> None:
    seed = Seeder(database)
    first_chat = await seed.chat(1)
    second_chat = await seed.chat(2)
    older, _ = await seed.article("الأول")
    newer, _ = await seed.article("الثاني")
    claims = await claim(database)
    assert {c.chat.id for c in claims} == {first_chat, second_chat}
    assert all(len(c.deliveries) == 1 for c in claims)
    assert all(c.deliveries[0].article_id == older for c in claims)
    # The newer posts wait while the older ones are being sent.
    assert await claim(database) == []
    for c in claims:
        await record(
            database,
            Outcome(c.ids, c.chat.id, DeliveryState.SENT, message_id=7, sent_at=now()),
        )
    again = await claim(database)
    assert {c.deliveries[0].article_id for c in again} == {newer}


async def test_a_paced_chat_is_not_claimed_until_its_time(database: Database) -> None:
    seed = Seeder(database)
    chat = await seed.chat(1)
    await seed.article("الأول")
    await seed.article("الثاني")
    [first] = await claim(database)
    await record(
        database,
        Outcome(
            first.ids,
            chat,
            DeliveryState.SENT,
            message_id=1,
            sent_at=now(),
            chat_next_send_at=now() + timedelta(minutes=5),
        ),
    )
    assert await claim(database) == []


async def test_expired_leases_are_released_for_another_worker(database: Database) -> None:
    seed = Seeder(database)
    await seed.chat(1)
    await seed.article("خبر")
    async with database.sessions.begin() as session:
        claims = await claim_store.claim(
            session, now=now(), limit=10, owner="dead", lease=timedelta(seconds=1)
        )
    assert len(claims) == 1
    assert await claim(database) == []
    async with database.sessions.begin() as session:
        assert await claim_store.release_expired(session, now=now()) == 0
        later = now() + timedelta(seconds=2)
        assert await claim_store.release_expired(session, now=later) == 1
    assert len(await claim(database)) == 1


async def test_a_crowded_chat_is_claimed_whole_as_a_digest(database: Database) -> None:
    seed = Seeder(database)
    crowded = await seed.chat(1)
    quiet = await seed.chat(2, slugs=("economy",))
    for i in range(7):
        await seed.article(f"خبر {i}")
    await seed.article("اقتصاد", "economy")
    claims = {c.chat.id: c for c in await claim(database, digest_threshold=5, digest_max=6)}
    assert claims[crowded].is_digest
    assert len(claims[crowded].deliveries) == 6
    ids = [d.article_id for d in claims[crowded].deliveries]
    assert ids == sorted(ids)
    assert not claims[quiet].is_digest


async def test_outcomes_are_recorded_in_one_go(database: Database) -> None:
    seed = Seeder(database)
    chats = [await seed.chat(i) for i in (1, 2, 3, 4)]
    await seed.article("خبر")
    claims = {c.chat.id: c for c in await claim(database)}
    later = now() + timedelta(seconds=30)
    await record(
        database,
        Outcome(claims[chats[0]].ids, chats[0], DeliveryState.SENT, message_id=11, sent_at=now()),
        Outcome(
            claims[chats[1]].ids,
            chats[1],
            DeliveryState.PENDING,
            next_attempt_at=later,
            attempted=True,
            error="TimedOut",
        ),
        Outcome(claims[chats[2]].ids, chats[2], DeliveryState.FAILED, error="Bad Request: x"),
        Outcome(
            claims[chats[3]].ids,
            chats[3],
            DeliveryState.CANCELLED,
            error="Forbidden: bot was blocked by the user",
            chat_gone="Forbidden: bot was blocked by the user",
        ),
    )
    by_chat = {d.chat_id: d for d in await seed.deliveries()}
    assert by_chat[chats[0]].state is DeliveryState.SENT
    assert by_chat[chats[0]].telegram_message_id == 11
    assert by_chat[chats[1]].state is DeliveryState.PENDING
    assert by_chat[chats[1]].attempts == 1
    assert by_chat[chats[1]].next_attempt_at == later.replace(microsecond=later.microsecond)
    assert by_chat[chats[1]].lease_owner is None
    assert by_chat[chats[2]].state is DeliveryState.FAILED
    assert by_chat[chats[3]].state is DeliveryState.CANCELLED
    gone = await seed.chat_row(chats[3])
    assert not gone.active
    assert gone.inactive_reason == "Forbidden: bot was blocked by the user"


async def test_a_gone_chat_has_everything_waiting_cancelled(database: Database) -> None:
    seed = Seeder(database)
    chat = await seed.chat(1)
    for i in range(3):
        await seed.article(f"خبر {i}")
    async with database.sessions.begin() as session:
        assert await delivery_store.deactivate_chat(session, chat, "chat not found") == 3
    assert {d.state for d in await seed.deliveries()} == {DeliveryState.CANCELLED}
    await seed.article("خبر لاحق")
    assert len(await seed.deliveries()) == 3  # an inactive chat gets no new deliveries


async def test_a_migrated_group_keeps_its_row_when_the_new_id_is_unknown(
    database: Database,
) -> None:
    seed = Seeder(database)
    chat = await seed.chat(-5, "group")
    async with database.sessions.begin() as session:
        assert await delivery_store.move_chat(session, chat, -1005) == chat
    row = await seed.chat_row(chat)
    assert row.telegram_id == -1005
    assert row.kind.value == "supergroup"


async def test_a_migrated_group_merges_into_a_known_supergroup(database: Database) -> None:
    seed = Seeder(database)
    old = await seed.chat(-5, "group", slugs=("politics", "economy"))
    new = await seed.chat(-1005, "supergroup", slugs=("politics",))
    await seed.article("خبر للمجموعة", "economy")
    async with database.sessions.begin() as session:
        assert await delivery_store.move_chat(session, old, -1005) == new
    assert not (await seed.chat_row(old)).active
    async with database.sessions() as session:
        kept = set(
            await session.scalars(
                select(Subscription.category_id).where(Subscription.chat_id == new)
            )
        )
        assert await session.scalar(select(Chat.active).where(Chat.id == new))
    assert kept == {await seed.category("politics"), await seed.category("economy")}
    states = {(d.chat_id, d.state) for d in await seed.deliveries()}
    assert states == {(old, DeliveryState.CANCELLED), (new, DeliveryState.PENDING)}


async def test_daily_counts_add_up_across_writers(database: Database) -> None:
    day = now().date()
    async with database.sessions.begin() as session:
        await counter_store.add_counts(session, day, {"sent": 3, "http_429": 1})
    async with database.sessions.begin() as session:
        await counter_store.add_counts(session, day, {"sent": 2, "failed": 0})
    async with database.sessions() as session:
        assert await counter_store.counts_on(session, day) == {"sent": 5, "http_429": 1}


async def test_posts_held_for_quiet_hours_are_released_when_they_change(
    database: Database,
) -> None:
    seed = Seeder(database)
    chat = await seed.chat(1)
    throttled = await seed.chat(2)
    await seed.article("خبر")
    held_until = now() + timedelta(hours=3)
    claims = {c.chat.id: c for c in await claim(database)}
    await record(
        database,
        Outcome(
            claims[chat].ids,
            chat,
            DeliveryState.PENDING,
            next_attempt_at=held_until,
            chat_next_send_at=held_until,
        ),
        Outcome(
            claims[throttled].ids,
            throttled,
            DeliveryState.PENDING,
            next_attempt_at=held_until,
            chat_next_send_at=held_until,
            error="RetryAfter: Flood control exceeded",
        ),
    )
    assert await claim(database) == []
    async with database.sessions.begin() as session:
        assert await delivery_store.release_quiet_hold(session, chat, now=now()) == 1
        assert await delivery_store.release_quiet_hold(session, throttled, now=now()) == 0
    assert [c.chat.id for c in await claim(database)] == [chat]


async def test_digests_never_take_more_than_the_claim_limit(database: Database) -> None:
    seed = Seeder(database)
    await seed.chat(1)
    await seed.chat(2)
    for i in range(7):
        await seed.article(f"خبر {i}")
    claims = await claim(database, limit=8, digest_threshold=5, digest_max=6)
    assert sorted(len(c.deliveries) for c in claims) == [1, 6]
    async with database.sessions() as session:
        counts = await delivery_store.state_counts(session)
    assert counts[DeliveryState.SENDING] == 7


async def test_a_saturated_outbox_still_claims_digests(database: Database) -> None:
    seed = Seeder(database)
    for telegram_id in range(1, 11):
        await seed.chat(telegram_id)
    for i in range(7):
        await seed.article(f"خبر {i}")
    # Ten chats due, room for eight deliveries: the first chat in line gets its digest and
    # the claim stops at the limit, rather than eight single posts and a backlog that grows.
    claims = await claim(database, limit=8, digest_threshold=5, digest_max=6)
    assert [len(c.deliveries) for c in claims] == [6, 1, 1]
    assert claims[0].is_digest
    async with database.sessions() as session:
        counts = await delivery_store.state_counts(session)
    assert counts[DeliveryState.SENDING] == 8
    assert counts[DeliveryState.PENDING] == 70 - 8


async def test_a_chat_the_bot_left_has_its_waiting_posts_cancelled(database: Database) -> None:
    seed = Seeder(database)
    chat = await seed.chat(-77, "supergroup")
    await seed.article("خبر")
    async with database.sessions.begin() as session:
        await chat_store.set_inactive(session, -77, "removed from the chat")
    assert [d.state for d in await seed.deliveries()] == [DeliveryState.CANCELLED]
    assert not (await seed.chat_row(chat)).active
