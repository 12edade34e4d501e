"""The bot in groups: admins change subscriptions, anyone reads, membership is followed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from storage.models import ChatKind
from tests.botharness import (
    ADMIN,
    AR_USER,
    BOT_USERNAME,
    GROUP,
    MEMBER,
    Harness,
    bot_harness,
    wait_until,
    wait_until_async,
)
from tests.conftest import Database

REFUSAL = "عذرًا، في المجموعات يستطيع المشرفون وحدهم تغيير إعدادات نشرة."


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database) as harness:
        yield harness


async def test_a_non_admin_cannot_change_the_groups_subscriptions(bot: Harness) -> None:
    for text in ["/subscribe politics", "/unsubscribe all", "/language en"]:
        [reply] = await bot.command(GROUP, MEMBER, f"{text}")
        assert reply.plain_text == REFUSAL
    assert await bot.subscriptions(GROUP) == set()
    chat = await bot.chat(GROUP)
    assert chat is None or chat.language is None


async def test_an_admin_can_and_commands_addressed_to_the_bot_work(bot: Harness) -> None:
    [reply] = await bot.command(GROUP, ADMIN, f"/subscribe@{BOT_USERNAME} سياسة")
    assert reply.plain_text.startswith("اشتركت في: سياسة.")
    assert await bot.subscriptions(GROUP) == {"politics"}
    chat = await bot.chat(GROUP)
    assert chat is not None
    assert chat.kind is ChatKind.SUPERGROUP
    assert chat.title == "أخبار الحي"


async def test_anyone_in_a_group_may_ask_for_the_latest_posts(bot: Harness) -> None:
    await bot.seed_articles("politics", ["خبر أول", "خبر ثان"])
    posts = await bot.command(GROUP, MEMBER, f"/latest@{BOT_USERNAME} politics", replies=2)
    assert [p.plain_text.split("\n", 1)[0] for p in posts] == ["خبر ثان", "خبر أول"]
    [one] = await bot.command(GROUP, MEMBER, f"/politics@{BOT_USERNAME} 1")
    assert one.plain_text.startswith("خبر ثان")


async def test_the_keyboard_in_a_group_toggles_for_admins_only(bot: Harness) -> None:
    [keyboard] = await bot.command(GROUP, MEMBER, "/subscribe")
    data = f"sub:v1:{await bot.category_id('economy')}"
    refused = await bot.press(GROUP, MEMBER, keyboard.message_id, data)
    assert refused["text"] == "يستطيع مشرفو المجموعة وحدهم تغيير اشتراكاتها."
    assert await bot.subscriptions(GROUP) == set()
    assert keyboard.edit_count == 0

    done = await bot.press(GROUP, ADMIN, keyboard.message_id, data)
    assert done["text"] == "اشتركت في: اقتصاد"
    await wait_until(lambda: keyboard.edit_count == 1)
    assert await bot.subscriptions(GROUP) == {"economy"}


async def test_admin_status_is_asked_once_and_cached(bot: Harness) -> None:
    await bot.command(GROUP, ADMIN, "/subscribe politics")
    await bot.command(GROUP, ADMIN, "/subscribe economy")
    asked = [c for c in bot.tg.calls("getChatMember") if c.params["user_id"] in (ADMIN, str(ADMIN))]
    assert len(asked) == 1


async def test_a_callback_in_one_chat_never_changes_another(bot: Harness) -> None:
    await bot.command(GROUP, ADMIN, "/subscribe politics")
    [private_keyboard] = await bot.command(AR_USER, AR_USER, "/start")
    economy = await bot.category_id("economy")
    politics = await bot.category_id("politics")
    # The same data a group keyboard carries, plus a chat id smuggled in: refused.
    answer = await bot.press(
        AR_USER, AR_USER, private_keyboard.message_id, f"sub:v1:{politics}:{GROUP}"
    )
    assert answer["text"] == "هذا الزر لم يعد صالحًا."
    # Well-formed data acts on the chat of the message pressed, and only there.
    await bot.press(AR_USER, AR_USER, private_keyboard.message_id, f"sub:v1:{economy}")
    await bot.press(AR_USER, AR_USER, private_keyboard.message_id, f"sub:v1:{politics}")
    assert await bot.subscriptions(AR_USER) == {"economy", "politics"}
    assert await bot.subscriptions(GROUP) == {"politics"}


async def test_being_added_and_removed_is_recorded(bot: Harness) -> None:
    bot.tg.add_chat(-1007001, "group", title="Readers", bot_status="left")
    bot.tg.inject_my_chat_member(-1007001, ADMIN, "left", "member")

    async def recorded() -> bool:
        chat = await bot.chat(-1007001)
        return chat is not None and chat.active

    await wait_until_async(recorded)
    chat = await bot.chat(-1007001)
    assert chat is not None
    assert (chat.kind, chat.title, chat.added_by) == (ChatKind.GROUP, "Readers", ADMIN)

    bot.tg.inject_my_chat_member(-1007001, ADMIN, "member", "kicked")

    async def deactivated() -> bool:
        chat = await bot.chat(-1007001)
        return chat is not None and not chat.active

    await wait_until_async(deactivated)

    bot.tg.inject_my_chat_member(AR_USER, AR_USER, "member", "kicked")  # blocked in private

    async def blocked() -> bool:
        return (await bot.chat(AR_USER)) is None and bot.tg.pending_updates == []

    await wait_until_async(blocked)


async def test_a_blocked_private_chat_is_marked_inactive(bot: Harness) -> None:
    await bot.command(AR_USER, AR_USER, "/subscribe politics")
    bot.tg.inject_my_chat_member(AR_USER, AR_USER, "member", "kicked")

    async def inactive() -> bool:
        chat = await bot.chat(AR_USER)
        return chat is not None and not chat.active

    await wait_until_async(inactive)
    chat = await bot.chat(AR_USER)
    assert chat is not None
    assert chat.inactive_reason == "blocked"
