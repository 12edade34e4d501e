"""A person's first hour with the bot: it always answers in a private chat, keeps quiet in
groups, says what is wrong, and its keyboard both shows the news and subscribes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import bot_context_of
from bot.context import AdminCache
from tests.botharness import (
    ADMIN,
    AR_USER,
    BOT_USERNAME,
    EN_USER,
    GROUP,
    MEMBER,
    Harness,
    bot_harness,
    wait_until,
)
from tests.conftest import Database
from tests.fakes.telegram_server import ApiError


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database, admin_ids=(ADMIN,)) as harness:
        yield harness


def _rows(markup: dict[str, object] | None) -> list[list[dict[str, str]]]:
    assert markup is not None
    rows = markup["inline_keyboard"]
    assert isinstance(rows, list)
    return rows


async def _silent_then(bot: Harness, chat: int, user: int, text: str) -> None:
    """`text` gets no answer: the /help sent after it is answered, and alone."""
    before = len(bot.tg.sent_messages(chat))
    bot.tg.inject_message(chat, user, text)
    [answer] = await bot.command(chat, user, "/help")
    assert bot.tg.sent_messages(chat)[before:] == [answer]


async def test_whoami_tells_anyone_their_id_the_chats_and_whether_they_are_an_admin(
    bot: Harness,
) -> None:
    [mine] = await bot.command(EN_USER, EN_USER, "/whoami")
    assert f"Your Telegram user id: {EN_USER}" in mine.plain_text
    assert f"This chat's id: {EN_USER}" in mine.plain_text
    assert "not one of this bot's admins" in mine.plain_text
    [admin] = await bot.command(ADMIN, ADMIN, "/whoami")
    assert "أنت من مشرفي هذا البوت." in admin.plain_text
    assert "٢٠٠١" in admin.plain_text  # Arabic digits, as every Arabic text
    [group] = await bot.command(GROUP, MEMBER, "/whoami")
    assert "٢٠٠٢" in group.plain_text
    assert "-١٠٠٥٠٠١" in group.plain_text


async def test_an_unknown_command_in_a_private_chat_is_answered_with_the_keyboard(
    bot: Harness,
) -> None:
    [answer] = await bot.command(EN_USER, EN_USER, "/weather tomorrow")
    assert answer.plain_text.startswith("I don't know the command /weather.")
    assert len(_rows(answer.reply_markup)) == 9


async def test_free_text_in_a_private_chat_is_answered_with_what_the_bot_can_do(
    bot: Harness,
) -> None:
    [answer] = await bot.command(AR_USER, AR_USER, "مرحبا، ما آخر الأخبار؟")
    assert answer.plain_text.startswith("لم أفهم رسالتك")
    assert "/latest" in answer.plain_text
    assert len(_rows(answer.reply_markup)) == 9


async def test_in_a_group_free_text_and_other_bots_commands_get_no_answer(bot: Harness) -> None:
    await _silent_then(bot, GROUP, MEMBER, "صباح الخير يا جماعة")
    await _silent_then(bot, GROUP, MEMBER, "/weather@some_other_bot")
    await _silent_then(bot, GROUP, MEMBER, "/weather")
    [answer] = await bot.command(GROUP, MEMBER, f"/weather@{BOT_USERNAME}")
    assert answer.plain_text.startswith("لا أعرف الأمر /weather.")


async def test_the_keyboard_shows_a_categorys_news_and_subscribes_to_it(bot: Harness) -> None:
    await bot.seed_articles("politics", ["خبر أول", "خبر ثانٍ"])
    [keyboard] = await bot.command(AR_USER, AR_USER, "/start")
    politics = await bot.category_id("politics")
    [[latest, toggle]] = [
        row
        for row in _rows(keyboard.reply_markup)
        if row[1]["callback_data"].endswith(f":{politics}")
    ]
    assert latest == {"text": "📰 سياسة", "callback_data": f"lat:v1:{politics}"}
    assert toggle == {"text": "اشترك", "callback_data": f"sub:v1:{politics}"}

    await bot.press(AR_USER, AR_USER, keyboard.message_id, latest["callback_data"])
    await wait_until(lambda: len(bot.tg.sent_messages(AR_USER)) == 3)
    posts = bot.tg.sent_messages(AR_USER)[1:]
    assert [p.plain_text.splitlines()[0] for p in posts] == ["خبر ثانٍ", "خبر أول"]
    assert await bot.subscriptions(AR_USER) == set()

    answer = await bot.press(AR_USER, AR_USER, keyboard.message_id, toggle["callback_data"])
    assert answer["text"] == "اشتركت في: سياسة"
    await wait_until(lambda: keyboard.edit_count == 1)
    [[_, toggled]] = [
        row
        for row in _rows(keyboard.reply_markup)
        if row[1]["callback_data"].endswith(f":{politics}")
    ]
    assert toggled["text"] == "✅ مشترك"
    assert await bot.subscriptions(AR_USER) == {"politics"}


async def test_a_bot_admins_help_lists_the_admin_commands_and_a_readers_does_not(
    bot: Harness,
) -> None:
    [reader] = await bot.command(EN_USER, EN_USER, "/help")
    assert "/addsource" not in reader.plain_text
    [admin] = await bot.command(ADMIN, ADMIN, "/help")
    assert "أوامر المشرفين" in admin.plain_text
    for command in ("/addsource", "/stats", "/audit", "/addchannel", "/addcategory"):
        assert command in admin.plain_text


async def test_a_bad_quiet_time_is_named(bot: Harness) -> None:
    [answer] = await bot.command(EN_USER, EN_USER, "/quiet 25:00 07:00")
    assert answer.plain_text.startswith("“25:00” is not a time")
    [zone] = await bot.command(EN_USER, EN_USER, "/quiet 23:00 07:00 Mars/Olympus")
    assert zone.plain_text.startswith("I don't know a time zone called “Mars/Olympus”")
    [arabic] = await bot.command(AR_USER, AR_USER, "/quiet ٢٣:٠٠ ٠٧:٠٠")
    assert "من ٢٣:٠٠ حتى ٠٧:٠٠" in arabic.plain_text


async def test_latest_with_too_large_a_count_sends_the_most_it_can_and_says_so(
    bot: Harness,
) -> None:
    await bot.seed_articles("politics", [f"Story {i}" for i in range(25)], language="en")
    before = len(bot.tg.sent_messages(EN_USER))
    bot.tg.inject_message(EN_USER, EN_USER, "/latest politics 99")
    await wait_until(lambda: len(bot.tg.sent_messages(EN_USER)) == before + 21)
    note, *posts = bot.tg.sent_messages(EN_USER)[before:]
    assert note.plain_text == (
        "You asked for 99; I send at most 20 at a time, so here are the 20 newest:"
    )
    assert [p.plain_text.splitlines()[0] for p in posts] == [f"Story {i}" for i in range(24, 4, -1)]


async def test_a_group_change_says_so_when_the_admin_check_cannot_be_made(bot: Harness) -> None:
    bot.tg.fail_next("getChatMember", error=ApiError.server_error())
    [answer] = await bot.command(GROUP, ADMIN, "/subscribe politics")
    assert answer.plain_text.startswith("تعذّر عليّ التحقق الآن من أنك مشرف")
    assert await bot.subscriptions(GROUP) == set()


async def test_a_demoted_group_admin_loses_the_right_with_the_update(bot: Harness) -> None:
    # Kept for an hour: only the chat_member update can end what is known of the admin.
    bot_context_of(bot.app).admins = AdminCache(ttl=3600)
    bot.tg.set_member(GROUP, bot.tg.bot_id, "administrator")
    await bot.command(GROUP, ADMIN, "/subscribe politics")
    assert await bot.subscriptions(GROUP) == {"politics"}
    assert bot.tg.inject_chat_member(GROUP, ADMIN, "member", by=MEMBER) is not None
    [refused] = await bot.command(GROUP, ADMIN, "/subscribe economy")
    assert "المشرفون وحدهم" in refused.plain_text
    assert await bot.subscriptions(GROUP) == {"politics"}
