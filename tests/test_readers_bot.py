"""The readers' bot: the real Application, long polling FakeTelegram, on a real database."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.botharness import (
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
from tests.fakes.telegram_server import DEFAULT_TOKEN, ApiError


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database) as harness:
        yield harness


def _buttons(markup: dict[str, object] | None) -> dict[str, str]:
    """callback_data → text of an inline keyboard."""
    assert markup is not None
    rows = markup["inline_keyboard"]
    assert isinstance(rows, list)
    return {b["callback_data"]: b["text"] for row in rows for b in row if "callback_data" in b}


async def test_start_greets_an_arabic_reader_in_arabic_with_the_categories_keyboard(
    bot: Harness,
) -> None:
    [greeting] = await bot.command(AR_USER, AR_USER, "/start")
    assert greeting.plain_text.startswith("أهلًا ليلى، أنا نشرة")
    buttons = _buttons(greeting.reply_markup)
    politics = await bot.category_id("politics")
    assert buttons[f"lat:v1:{politics}"] == "📰 سياسة"
    assert buttons[f"sub:v1:{politics}"] == "اشترك"
    assert len(buttons) == 18


async def test_start_greets_an_english_reader_in_english(bot: Harness) -> None:
    [greeting] = await bot.command(EN_USER, EN_USER, "/start")
    assert greeting.plain_text.startswith("Hello John, I'm Nashra")
    assert "📰 Politics" in _buttons(greeting.reply_markup).values()


async def test_keyboard_toggles_a_subscription_and_is_edited_in_place(bot: Harness) -> None:
    [keyboard] = await bot.command(AR_USER, AR_USER, "/subscribe")
    data = f"sub:v1:{await bot.category_id('politics')}"

    answer = await bot.press(AR_USER, AR_USER, keyboard.message_id, data)
    assert answer["text"] == "اشتركت في: سياسة"
    await wait_until(lambda: keyboard.edit_count == 1)
    assert _buttons(keyboard.reply_markup)[data] == "✅ مشترك"
    assert await bot.subscriptions(AR_USER) == {"politics"}

    await bot.press(AR_USER, AR_USER, keyboard.message_id, data)
    await wait_until(lambda: keyboard.edit_count == 2)
    assert _buttons(keyboard.reply_markup)[data] == "اشترك"
    assert await bot.subscriptions(AR_USER) == set()
    assert len(bot.tg.sent_messages(AR_USER)) == 1
    assert len(bot.tg.calls("editMessageReplyMarkup")) == 2


@pytest.mark.parametrize("name", ["سياسة", "politics", "السياسة", "Politics"])
async def test_subscribe_accepts_a_category_in_either_language(bot: Harness, name: str) -> None:
    [reply] = await bot.command(AR_USER, AR_USER, f"/subscribe {name}")
    assert reply.plain_text.startswith("اشتركت في: سياسة.")
    assert await bot.subscriptions(AR_USER) == {"politics"}
    [again] = await bot.command(AR_USER, AR_USER, f"/subscribe {name}")
    assert again.plain_text == "أنت مشترك من قبل في: سياسة."


async def test_unsubscribe_mysubs_and_unsubscribe_all(bot: Harness) -> None:
    await bot.command(EN_USER, EN_USER, "/subscribe politics economy")
    [mine] = await bot.command(EN_USER, EN_USER, "/mysubs")
    assert mine.plain_text == "Your subscriptions: Politics, Economy"
    [gone] = await bot.command(EN_USER, EN_USER, "/unsubscribe اقتصاد")
    assert gone.plain_text == "You're unsubscribed from Economy."
    assert await bot.subscriptions(EN_USER) == {"politics"}
    [none] = await bot.command(EN_USER, EN_USER, "/unsubscribe economy")
    assert none.plain_text == "You're not subscribed to Economy."
    [everything] = await bot.command(EN_USER, EN_USER, "/unsubscribe all")
    assert everything.plain_text == "You're unsubscribed from every category."
    assert await bot.subscriptions(EN_USER) == set()


async def test_unknown_category_gets_the_list_of_valid_ones(bot: Harness) -> None:
    [reply] = await bot.command(EN_USER, EN_USER, "/subscribe gossip")
    assert reply.plain_text.startswith("There is no category called “gossip”.")
    assert "Politics, Economy, World" in reply.plain_text
    [latest] = await bot.command(EN_USER, EN_USER, "/latest gossip")
    assert latest.plain_text == reply.plain_text
    assert await bot.subscriptions(EN_USER) == set()


async def test_latest_sends_ready_posts_newest_first_with_the_source_button(bot: Harness) -> None:
    await bot.seed_articles("politics", ["خبر أول", "خبر ثان", "خبر ثالث"])
    await bot.seed_articles("economy", ["خبر اقتصادي"])
    posts = await bot.command(AR_USER, AR_USER, "/latest politics", replies=3)
    assert [p.plain_text.split("\n", 1)[0] for p in posts] == ["خبر ثالث", "خبر ثان", "خبر أول"]
    first = posts[0]
    assert "نشر أولاً على موقع enabbaladi.net" in first.plain_text
    assert "#سياسة" in first.plain_text
    button = first.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button == {"text": "اقرأ في المصدر", "url": "https://www.enabbaladi.net/politics/2"}

    [newest] = await bot.command(AR_USER, AR_USER, "/latest سياسة 1")
    assert newest.plain_text.startswith("خبر ثالث")
    [shortcut] = await bot.command(AR_USER, AR_USER, "/politics 1")
    assert shortcut.plain_text.startswith("خبر ثالث")
    every = await bot.command(AR_USER, AR_USER, "/latest 2", replies=2)
    assert [p.plain_text.split("\n", 1)[0] for p in every] == ["خبر ثالث", "خبر ثان"]
    await wait_until(lambda: len(bot.tg.sent_messages(AR_USER)) == 7)


PHOTO = "https://www.enabbaladi.net/wp-content/uploads/2026/01/photo.jpg"


async def test_latest_sends_a_post_with_a_photo_as_the_photo_with_its_caption(
    bot: Harness,
) -> None:
    await bot.seed_articles("politics", ["خبر مصور"], image_url=PHOTO)
    [post] = await bot.command(AR_USER, AR_USER, "/latest politics")
    assert post.method == "sendPhoto"
    assert post.photo == PHOTO
    assert post.parse_mode == "HTML"
    assert post.plain_text.startswith("خبر مصور")
    assert "نشر أولاً على موقع enabbaladi.net" in post.plain_text
    assert "#سياسة" in post.plain_text
    button = post.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button == {"text": "اقرأ في المصدر", "url": "https://www.enabbaladi.net/politics/0"}
    assert "reply_to_message" not in post.message
    assert bot.tg.calls("sendMessage") == []


async def test_latest_sends_the_text_post_when_telegram_refuses_the_photo(bot: Harness) -> None:
    await bot.seed_articles("politics", ["خبر مصور"], image_url=PHOTO)
    bot.tg.fail_next(
        "sendPhoto",
        chat_id=AR_USER,
        error=ApiError.bad_request("wrong file identifier/HTTP URL specified"),
    )
    [post] = await bot.command(AR_USER, AR_USER, "/latest")
    assert post.method == "sendMessage"
    assert post.photo is None
    assert post.plain_text.startswith("خبر مصور")
    assert "نشر أولاً على موقع enabbaladi.net" in post.plain_text
    button = post.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button == {"text": "اقرأ في المصدر", "url": "https://www.enabbaladi.net/politics/0"}
    assert len(bot.tg.calls("sendPhoto")) == 1
    assert bot.tg.sent_messages(AR_USER) == [post]


async def test_latest_sends_a_post_without_a_photo_as_a_text_message(bot: Harness) -> None:
    await bot.seed_articles("politics", ["خبر بلا صورة"])
    [post] = await bot.command(AR_USER, AR_USER, "/politics")
    assert post.method == "sendMessage"
    assert post.plain_text.startswith("خبر بلا صورة")
    assert post.parse_mode == "HTML"
    button = post.reply_markup["inline_keyboard"][0][0]  # type: ignore[index]
    assert button == {"text": "اقرأ في المصدر", "url": "https://www.enabbaladi.net/politics/0"}
    request = bot.tg.calls("sendMessage")[-1]
    assert "is_disabled" in str(request.params["link_preview_options"])
    assert bot.tg.calls("sendPhoto") == []


async def test_latest_in_a_group_answers_the_command_photo_or_text(bot: Harness) -> None:
    await bot.seed_articles("politics", ["خبر مصور"], image_url=PHOTO)
    await bot.seed_articles("economy", ["خبر اقتصادي"])
    [photo] = await bot.command(GROUP, MEMBER, f"/politics@{BOT_USERNAME}")
    assert photo.method == "sendPhoto"
    assert photo.message["reply_to_message"]["text"] == f"/politics@{BOT_USERNAME}"
    [text] = await bot.command(GROUP, MEMBER, "/latest economy")
    assert text.method == "sendMessage"
    assert text.message["reply_to_message"]["text"] == "/latest economy"


@pytest.mark.parametrize("text", ["/latest politics 0", "/latest politics abc", "/latest -3"])
async def test_latest_with_a_bad_count_gets_the_usage_line(bot: Harness, text: str) -> None:
    [reply] = await bot.command(EN_USER, EN_USER, text)
    assert reply.plain_text.startswith("Usage: /latest [category] [count]")
    assert "from 1 to 20" in reply.plain_text


async def test_latest_with_nothing_stored_says_so(bot: Harness) -> None:
    [reply] = await bot.command(EN_USER, EN_USER, "/economy")
    assert reply.plain_text == "There is no news in “Economy” yet."


async def test_language_is_stored_on_the_chat_and_used_from_then_on(bot: Harness) -> None:
    [changed] = await bot.command(AR_USER, AR_USER, "/language en")
    assert changed.plain_text == "This chat's language is now English."
    chat = await bot.chat(AR_USER)
    assert chat is not None
    assert chat.language == "en"
    [greeting] = await bot.command(AR_USER, AR_USER, "/start")
    assert greeting.plain_text.startswith("Hello ليلى")
    [usage] = await bot.command(AR_USER, AR_USER, "/language fr")
    assert usage.plain_text.startswith("Usage: /language ar|en")


async def test_help_and_categories_list_the_shortcuts(bot: Harness) -> None:
    [help_text] = await bot.command(EN_USER, EN_USER, f"/help@{BOT_USERNAME}")
    assert "/latest [category] [count]" in help_text.plain_text
    assert "/quiet 23:00 07:00" in help_text.plain_text
    assert "/politics — Politics" in help_text.plain_text
    [categories] = await bot.command(AR_USER, AR_USER, "/categories")
    assert "• سياسة — /politics" in categories.plain_text


async def test_commands_are_registered_per_language(bot: Harness) -> None:
    arabic = bot.tg.commands(language_code="ar")
    english = bot.tg.commands(language_code="en")
    default = bot.tg.commands()
    assert arabic is not None
    assert english is not None
    assert default == arabic
    assert {"command": "latest", "description": "The latest news"} in english
    assert {"command": "politics", "description": "آخر الأخبار: سياسة"} in arabic
    assert {"command": "politics", "description": "The latest news: Politics"} in english
    assert {
        "command": "quiet",
        "description": "Quiet hours: a time when no news arrives",
    } in english
    assert {"command": "quiet", "description": "ساعات الهدوء: وقت لا تصلك فيه الأخبار"} in arabic
    assert [c["command"] for c in english][:9] == [
        "start",
        "help",
        "categories",
        "subscribe",
        "unsubscribe",
        "mysubs",
        "latest",
        "language",
        "quiet",
    ]


async def test_forged_callback_data_is_refused_without_any_change(bot: Harness) -> None:
    [keyboard] = await bot.command(AR_USER, AR_USER, "/start")
    politics = await bot.category_id("politics")
    for data in [
        f"sub:v1:{politics}:-1005001",
        f"sub:v2:{politics}",
        "sub:v1:999999",
        "sub:v1:0",
        "unsub:all",
        "x" * 64,
    ]:
        answer = await bot.press(AR_USER, AR_USER, keyboard.message_id, data)
        assert answer["text"] == "هذا الزر لم يعد صالحًا."
    assert keyboard.edit_count == 0
    assert await bot.subscriptions(AR_USER) == set()


async def test_updates_the_bot_does_not_handle_are_ignored_without_errors(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    bot.tg.inject_raw(
        {
            "edited_message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": GROUP, "type": "supergroup"},
            }
        }
    )
    bot.tg.add_chat(-1009999, "channel", title="news")
    bot.tg.inject_channel_post(-1009999, "/start a channel post")
    bot.tg.inject_message(GROUP, MEMBER, "hello, no command here")
    [greeting] = await bot.command(EN_USER, EN_USER, "/start")
    assert greeting.plain_text.startswith("Hello John")
    await wait_until(lambda: bot.tg.pending_updates == [])
    assert bot.tg.sent_messages(GROUP) == []
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_a_failing_update_is_logged_with_its_traceback_and_never_the_token(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="bot.app")
    bot.tg.fail_next("sendMessage", chat_id=EN_USER, error=ApiError.server_error())
    [apology] = await bot.command(EN_USER, EN_USER, "/start")
    assert apology.plain_text == "Something went wrong. Please try again in a moment."
    [record] = [r for r in caplog.records if r.name == "bot.app"]
    text = record.getMessage()
    assert "Traceback" in text
    assert "Internal Server Error" in text
    assert DEFAULT_TOKEN not in text
    assert DEFAULT_TOKEN.split(":", 1)[1] not in caplog.text
