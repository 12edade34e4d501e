"""Forum topics: /subscribe inside a topic delivers that category there, /mysubs says where, and
a topic deleted or closed sends its posts to the General topic with one note to the group."""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator

import pytest

from bot.app import open_bot_api
from bot.deliver.send import Transport
from bot.deliver.sender import Sender
from bot.i18n import t_html
from bot.settings import load_settings
from storage import chats as chat_store
from storage import subscriptions as subscription_store
from storage.subscriptions import SubscriptionView
from tests.botharness import ADMIN, MEMBER, Harness, bot_harness, wait_until
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, SentMessage
from tests.outboxes import Seeder

FORUM = -1007001


def plain(key: str, **values: object) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", t_html(key, "ar", **values)))


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database) as harness:
        harness.tg.add_chat(FORUM, "supergroup", title="منتدى الأخبار", is_forum=True)
        harness.tg.set_member(FORUM, ADMIN, "administrator")
        harness.tg.set_member(FORUM, MEMBER, "member")
        yield harness


async def in_topic(bot: Harness, thread: int | None, text: str, user: int = ADMIN) -> SentMessage:
    """`text` sent in a topic of the forum; the bot's answer."""
    before = len(bot.tg.sent_messages(FORUM))
    bot.tg.inject_message(FORUM, user, text, thread_id=thread)
    await wait_until(lambda: len(bot.tg.sent_messages(FORUM)) > before)
    return bot.tg.sent_messages(FORUM)[before]


async def subscriptions(db: Database) -> dict[int, SubscriptionView]:
    async with db.sessions() as session:
        chat = await chat_store.get_chat(session, FORUM)
        assert chat is not None
        return {
            view.category_id: view
            for view in await subscription_store.chat_subscriptions(session, chat.id)
        }


async def test_subscribe_in_a_topic_delivers_there_and_mysubs_says_so(bot: Harness) -> None:
    politics_topic = bot.tg.create_topic(FORUM, "أخبار السياسة", by=ADMIN)
    economy_topic = bot.tg.create_topic(FORUM, "المال", by=ADMIN)
    answer = await in_topic(bot, politics_topic, "/subscribe سياسة")
    assert answer.thread_id == politics_topic  # the answer stays in the topic
    assert answer.plain_text == plain("subscribe.done_topic", categories="سياسة")
    await in_topic(bot, economy_topic, "/subscribe economy")
    politics, economy = await bot.category_id("politics"), await bot.category_id("economy")
    stored = await subscriptions(bot.db)
    assert (stored[politics].thread_id, stored[politics].thread_title) == (
        politics_topic,
        "أخبار السياسة",
    )
    assert (stored[economy].thread_id, stored[economy].thread_title) == (economy_topic, "المال")
    mysubs = await in_topic(bot, None, "/mysubs", MEMBER)
    assert mysubs.thread_id is None
    assert mysubs.plain_text.splitlines() == [
        "اشتراكاتك:",
        "• سياسة — في الموضوع «أخبار السياسة»",
        "• اقتصاد — في الموضوع «المال»",
    ]
    again = await in_topic(bot, None, "/subscribe politics")
    assert again.plain_text == plain("topics.moved_general", categories="سياسة")
    back = await in_topic(bot, economy_topic, "/subscribe politics")
    assert back.plain_text == plain("topics.moved_here", categories="سياسة")
    assert (await subscriptions(bot.db))[politics].thread_title == "المال"


async def test_a_member_cannot_choose_a_topic(bot: Harness) -> None:
    topic = bot.tg.create_topic(FORUM, "عام")
    answer = await in_topic(bot, topic, "/subscribe politics", MEMBER)
    assert answer.plain_text == plain("group.admins_only")
    assert await bot.subscriptions(FORUM) == set()


async def test_a_topic_that_does_not_exist_changes_nothing(bot: Harness) -> None:
    await in_topic(bot, None, "/subscribe politics")
    answer = await in_topic(bot, 4242, "/subscribe politics economy")
    assert answer.thread_id is None  # said in General: the topic cannot be posted in
    assert answer.plain_text == plain("topics.not_found")
    stored = await subscriptions(bot.db)
    assert [(v.category_id, v.thread_id) for v in stored.values()] == [
        (await bot.category_id("politics"), None)
    ]
    closed = bot.tg.create_topic(FORUM, "مغلق")
    bot.tg.close_topic(FORUM, closed)
    refused = await in_topic(bot, closed, "/subscribe economy")
    assert refused.plain_text == plain("topics.not_found")
    assert await bot.subscriptions(FORUM) == {"politics"}


async def test_the_keyboard_in_a_topic_subscribes_into_it(bot: Harness) -> None:
    topic = bot.tg.create_topic(FORUM, "لوحة")
    keyboard = await in_topic(bot, topic, "/subscribe")
    assert keyboard.thread_id == topic
    politics = await bot.category_id("politics")
    answer = await bot.press(FORUM, ADMIN, keyboard.message_id, f"sub:v1:{politics}")
    assert answer["text"] == "اشتركت في: سياسة"
    stored = await subscriptions(bot.db)
    # The keyboard answers the command, not the topic's first message: no name to keep.
    assert (stored[politics].thread_id, stored[politics].thread_title) == (topic, None)
    mysubs = await in_topic(bot, topic, "/mysubs")
    assert mysubs.plain_text.splitlines()[1] == f"• سياسة — في الموضوع رقم {plain_number(topic)}"
    await in_topic(bot, topic, "/subscribe economy")  # a command shows the name: kept for both
    stored = await subscriptions(bot.db)
    assert {v.thread_title for v in stored.values()} == {"لوحة"}


def plain_number(value: int) -> str:
    return plain("topics.numbered", number=value).removeprefix("رقم ")


async def send_all(bot: Harness, database: Database) -> None:
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_base_url=bot.tg.base_url,
        database_url=database.url,
        send_per_second=500.0,
        send_group_per_minute=3000.0,
    )
    async with open_bot_api(settings) as api:
        sender = Sender(settings, database.sessions, Transport(api))
        async with asyncio.timeout(60):
            await sender.run_until_idle()


def posts(bot: Harness) -> list[tuple[str, int | None]]:
    """The forum's messages sent by the sender: (first line, topic)."""
    return [
        (m.plain_text.split("\n", 1)[0], m.thread_id)
        for m in bot.tg.sent_messages(FORUM)
        if (m.reply_markup is not None and "url" in m.reply_markup["inline_keyboard"][0][0])
        or m.plain_text.startswith("حُذف الموضوع")
    ]


@pytest.mark.parametrize("gone", ["deleted", "closed"])
async def test_a_topic_gone_moves_its_posts_to_general_with_one_note(
    bot: Harness, database: Database, gone: str
) -> None:
    topic = bot.tg.create_topic(FORUM, "سياسة")
    await in_topic(bot, topic, "/subscribe politics economy")
    seed = Seeder(database)
    await seed.article("خبر أول")
    await send_all(bot, database)
    assert posts(bot) == [("خبر أول", topic)]

    if gone == "deleted":
        bot.tg.delete_topic(FORUM, topic)
    else:
        bot.tg.close_topic(FORUM, topic)
    await seed.article("خبر ثان")
    await seed.article("خبر اقتصادي", "economy")
    await send_all(bot, database)
    await seed.article("خبر ثالث")
    await send_all(bot, database)

    note = plain("topics.left", categories="سياسة، اقتصاد")
    assert posts(bot) == [
        ("خبر أول", topic),
        (note.split("\n", 1)[0], None),
        ("خبر ثان", None),
        ("خبر اقتصادي", None),
        ("خبر ثالث", None),
    ]
    assert all(v.thread_id is None for v in (await subscriptions(bot.db)).values())
    refused = [r for r in bot.tg.calls("sendMessage") if r.status == 400]
    assert len(refused) == 1  # Telegram was asked about the topic once
