"""Filters and forum topics at fan-out and in the outbox's store, on each engine: a filtered-out
post gets no delivery and is counted for /stats; a delivery carries its subscription's topic;
a digest holds one topic's posts; a topic that is gone sends its posts to General."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.services.stats import collect_stats
from bot.text.filters import parse_filter
from storage import claims as claim_store
from storage import counters as counter_store
from storage import deliveries as delivery_store
from storage import subscriptions as subscription_store
from storage.deliveries import Outcome
from storage.filtered import FILTERED_COUNTER
from storage.models import Delivery, DeliveryState, Subscription
from tests.conftest import Database
from tests.outboxes import Seeder

POLITICS_FILTER = "+سوريا +دمشق -كرة"


async def filter_chat(seed: Seeder, chat_row: int, typed: str, slug: str = "politics") -> None:
    category = await seed.category(slug)
    async with seed.db.sessions.begin() as session:
        stored = parse_filter(typed).stored()
        assert await subscription_store.set_filter(session, chat_row, category, stored)


async def delivered_to(database: Database, article_id: int) -> set[int]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(Delivery.chat_id).where(Delivery.article_id == article_id)
        )
        return set(rows)


async def test_filters_choose_which_chats_get_each_post(database: Database) -> None:
    seed = Seeder(database)
    everything = await seed.chat(101)
    filtered = await seed.chat(102)
    minus_only = await seed.chat(103)
    await filter_chat(seed, filtered, POLITICS_FILTER)
    await filter_chat(seed, minus_only, "-كرة")

    syria, _ = await seed.article("اجتماع حول سوريا")
    football, _ = await seed.article("مباراة كرة القدم في دمشق")
    lebanon, _ = await seed.article("انتخابات في لبنان")

    assert await delivered_to(database, syria) == {everything, filtered, minus_only}
    assert await delivered_to(database, football) == {everything}
    assert await delivered_to(database, lebanon) == {everything, minus_only}
    async with database.sessions() as session:
        figures = await collect_stats(session, datetime.now(UTC))
    assert figures.filtered_today == 3  # football twice, Lebanon once


async def test_the_summary_counts_and_a_cleared_filter_lets_all_through(
    database: Database,
) -> None:
    seed = Seeder(database)
    chat = await seed.chat(101)
    await filter_chat(seed, chat, "+ملخص")  # every seeded summary is "ملخص <title>."
    first, _ = await seed.article("خبر أول")
    assert await delivered_to(database, first) == {chat}
    await filter_chat(seed, chat, "+غائبة")
    second, _ = await seed.article("خبر ثان")
    assert await delivered_to(database, second) == set()
    category = await seed.category("politics")
    async with database.sessions.begin() as session:
        assert await subscription_store.set_filter(session, chat, category, {})
    third, _ = await seed.article("خبر ثالث")
    assert await delivered_to(database, third) == {chat}
    async with database.sessions() as session:
        stored = await session.scalar(select(Subscription.filters))
    assert stored == {}


async def test_a_filter_on_a_category_not_followed_is_not_kept(database: Database) -> None:
    seed = Seeder(database)
    chat = await seed.chat(101, slugs=("politics",))
    economy = await seed.category("economy")
    async with database.sessions.begin() as session:
        assert not await subscription_store.set_filter(session, chat, economy, {"include": ["x"]})


async def test_deliveries_carry_their_subscriptions_topic(database: Database) -> None:
    seed = Seeder(database)
    forum = await seed.chat(-1009, "supergroup", slugs=("politics", "economy"))
    filtered = await seed.chat(-1008, "supergroup")
    politics = await seed.category("politics")
    async with database.sessions.begin() as session:
        await subscription_store.place(session, forum, [politics], 77, "سياسة")
        await subscription_store.place(session, filtered, [politics], 5, None)
    await filter_chat(seed, filtered, "+سوريا")
    news, _ = await seed.article("سوريا اليوم")
    money, _ = await seed.article("الذهب يرتفع", "economy")
    async with database.sessions() as session:
        rows = await session.execute(
            select(Delivery.article_id, Delivery.chat_id, Delivery.thread_id)
        )
        threads = {(a, c): t for a, c, t in rows}
    assert threads == {(news, forum): 77, (news, filtered): 5, (money, forum): None}


async def test_a_digest_holds_the_posts_of_one_topic(database: Database) -> None:
    seed = Seeder(database)
    forum = await seed.chat(-1009, "supergroup", slugs=("politics", "economy"))
    politics = await seed.category("politics")
    async with database.sessions.begin() as session:
        await subscription_store.place(session, forum, [politics], 77, None)
    for n in range(3):
        await seed.article(f"سياسة {n}")
        await seed.article(f"اقتصاد {n}", "economy")
    async with database.sessions.begin() as session:
        claims = await claim_store.claim(
            session,
            now=datetime.now(UTC) + timedelta(seconds=1),
            limit=50,
            owner="test",
            lease=timedelta(minutes=1),
            digest_threshold=2,
        )
    [claim] = claims
    assert claim.thread_id == 77
    assert [d.thread_id for d in claim.deliveries] == [77, 77, 77]


async def test_a_topic_that_is_gone_sends_its_posts_to_general(database: Database) -> None:
    seed = Seeder(database)
    forum = await seed.chat(-1009, "supergroup", slugs=("politics", "economy"))
    politics, economy = await seed.category("politics"), await seed.category("economy")
    async with database.sessions.begin() as session:
        await subscription_store.place(session, forum, [politics, economy], 77, "أخبار")
    first, _ = await seed.article("خبر أول")
    second, _ = await seed.article("خبر ثان")
    [head, waiting] = await seed.deliveries()
    async with database.sessions.begin() as session:
        await delivery_store.record(
            session,
            [
                Outcome(
                    (head.id,),
                    forum,
                    DeliveryState.PENDING,
                    next_attempt_at=datetime.now(UTC),
                    topic_gone=77,
                )
            ],
        )
    async with database.sessions() as session:
        views = await subscription_store.chat_subscriptions(session, forum)
    assert {(v.category_id, v.thread_id, v.thread_title) for v in views} == {
        (politics, None, None),
        (economy, None, None),
    }
    assert [(d.article_id, d.thread_id, d.state) for d in await seed.deliveries()] == [
        (first, None, DeliveryState.PENDING),
        (second, None, DeliveryState.PENDING),
    ]
    assert head.thread_id == waiting.thread_id == 77


async def test_the_filtered_counter_adds_up_per_day(database: Database) -> None:
    seed = Seeder(database)
    for telegram_id in (101, 102):
        await filter_chat(seed, await seed.chat(telegram_id), "-كرة")
    await seed.article("كرة")
    await seed.article("كرة مرة أخرى")
    async with database.sessions() as session:
        counts = await counter_store.counts_on(session, datetime.now(UTC).date())
    assert counts[FILTERED_COUNTER] == 4


async def test_a_group_that_becomes_a_supergroup_keeps_its_filters(database: Database) -> None:
    seed = Seeder(database)
    group = await seed.chat(-501, "group")
    await filter_chat(seed, group, "+سوريا")
    supergroup = await seed.chat(-100501, "supergroup", slugs=())
    async with database.sessions.begin() as session:
        assert await delivery_store.move_chat(session, group, -100501) == supergroup
        views = await subscription_store.chat_subscriptions(session, supergroup)
    assert [v.filters for v in views] == [{"include": ["سوريا"], "exclude": []}]
