"""/briefing, /timezone, /settings and /translate through the real bot against FakeTelegram:
what each stores, what each answers, bad input, and groups' admins."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.services.reader_options import BriefingProblem, parse_times
from handlers.commands import READER_OPTIONS
from storage.models import AdminAction, Chat
from tests.botharness import (
    ADMIN,
    AR_USER,
    EN_USER,
    GROUP,
    MEMBER,
    Harness,
    bot_harness,
    wait_until,
)
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram, SentMessage
from tests.test_cli import nashra

CHANNEL = -1009001


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database) as harness:
        yield harness


def _buttons(message: SentMessage) -> dict[str, str]:
    """callback_data → text of the message's inline keyboard."""
    assert message.reply_markup is not None
    rows = message.reply_markup["inline_keyboard"]
    return {b["callback_data"]: b["text"] for row in rows for b in row if "callback_data" in b}


async def _chat(bot: Harness, telegram_id: int) -> Chat:
    chat = await bot.chat(telegram_id)
    assert chat is not None
    return chat


# ---- /briefing --------------------------------------------------------------------------------


def test_briefing_times_are_read_in_any_digits_and_separators() -> None:
    assert parse_times(["08:00"]) == [480]
    assert parse_times(["20:00", "8:00", "08:00"]) == [480, 1200]
    assert parse_times(["٠٨:٠٠،٢٠:٣٠"]) == [480, 1230]
    assert parse_times(["7:15,13:00;"]) == [435, 780]
    assert parse_times(["25:00"]) == BriefingProblem("bad_time", "25:00")
    assert parse_times(["08:00", "8"]) == BriefingProblem("bad_time", "8")
    assert parse_times([f"{h:02d}:00" for h in range(7)]) == BriefingProblem("too_many")
    assert parse_times(["08:00"] * 17) == BriefingProblem("usage")
    assert parse_times(["0" * 100]) == BriefingProblem("usage")


async def test_setting_a_briefing_stores_the_times_and_the_zone_it_is_read_in(
    bot: Harness,
) -> None:
    [done] = await bot.command(AR_USER, AR_USER, "/briefing 20:00 08:00")
    assert done.plain_text.startswith(
        "سيصلك الموجز اليومي في ٠٨:٠٠، ٢٠:٠٠ بتوقيت Asia/Damascus.\n"
        "تنتظر الأخبار حتى موعده، ثم تصلك معًا في رسالة واحدة"
    )
    chat = await _chat(bot, AR_USER)
    assert chat.briefing_minutes == [480, 1200]
    assert chat.timezone == "Asia/Damascus"

    [shown] = await bot.command(AR_USER, AR_USER, "/briefing")
    assert shown.plain_text.startswith("يصلك الموجز اليومي في ٠٨:٠٠، ٢٠:٠٠ بتوقيت Asia/Damascus.")
    assert "/briefing إيقاف — العودة إلى الأخبار فور نشرها" in shown.plain_text

    [off] = await bot.command(AR_USER, AR_USER, "/briefing إيقاف")
    assert off.plain_text == "أُلغي الموجز اليومي، وستصلك الأخبار فور نشرها."
    chat = await _chat(bot, AR_USER)
    assert chat.briefing_minutes is None


async def test_a_briefing_follows_the_chats_own_zone(bot: Harness) -> None:
    await bot.command(EN_USER, EN_USER, "/timezone europe/berlin")
    [done] = await bot.command(EN_USER, EN_USER, "/briefing 7:30")
    assert done.plain_text.startswith(
        "Your daily briefing will arrive at 07:30, Europe/Berlin time."
    )
    chat = await _chat(bot, EN_USER)
    assert (chat.briefing_minutes, chat.timezone) == ([450], "Europe/Berlin")


async def test_a_chat_in_english_is_read_in_utc_until_it_sets_a_zone(bot: Harness) -> None:
    await bot.command(EN_USER, EN_USER, "/language en")
    [shown] = await bot.command(EN_USER, EN_USER, "/timezone")
    assert shown.plain_text.startswith(
        "This chat has no time zone of its own, so UTC time is used, going by its language."
    )
    await bot.command(EN_USER, EN_USER, "/briefing 08:00")
    assert (await _chat(bot, EN_USER)).timezone == "UTC"
    # Stored with the briefing: changing the language later moves nothing.
    await bot.command(EN_USER, EN_USER, "/language ar")
    [shown] = await bot.command(EN_USER, EN_USER, "/timezone")
    assert shown.plain_text.startswith("المنطقة الزمنية لهذه المحادثة: UTC.")


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("/briefing 25:00", "“25:00” is not a valid time: write hours and minutes, 24-hour"),
        ("/briefing 08:00 24:00", "“24:00” is not a valid time"),
        ("/briefing 8", "“8” is not a valid time"),
        (
            "/briefing 1:00 2:00 3:00 4:00 5:00 6:00 7:00",
            "You can choose at most 6 briefing times.",
        ),
        ("/briefing " + "9" * 300, "Usage:\n/briefing 08:00 — one daily briefing at 08:00"),
        ("/briefing off now", "“off” is not a valid time"),
    ],
)
async def test_bad_briefing_times_get_a_clear_answer_and_change_nothing(
    bot: Harness, text: str, answer: str
) -> None:
    await bot.command(EN_USER, EN_USER, "/briefing 09:00")
    [reply] = await bot.command(EN_USER, EN_USER, text)
    assert reply.plain_text.startswith(answer)
    assert "Usage:" in reply.plain_text
    assert (await _chat(bot, EN_USER)).briefing_minutes == [540]


async def test_in_a_group_only_admins_set_the_briefing(bot: Harness) -> None:
    [refused] = await bot.command(GROUP, MEMBER, "/briefing 08:00")
    assert refused.plain_text == "عذرًا، في المجموعات يستطيع المشرفون وحدهم تغيير إعدادات نشرة."
    assert await bot.chat(GROUP) is None
    [done] = await bot.command(GROUP, ADMIN, "/briefing 08:00")
    assert done.plain_text.startswith("سيصلك الموجز اليومي في ٠٨:٠٠")
    assert (await _chat(bot, GROUP)).briefing_minutes == [480]
    [shown] = await bot.command(GROUP, MEMBER, "/briefing")  # looking is for everyone
    assert shown.plain_text.startswith("يصلك الموجز اليومي في ٠٨:٠٠")


# ---- /timezone --------------------------------------------------------------------------------


async def test_timezone_is_stored_as_iana_spells_it(bot: Harness) -> None:
    [done] = await bot.command(EN_USER, EN_USER, "/timezone asia/TOKYO")
    assert done.plain_text == (
        "This chat's time zone is now Asia/Tokyo: your daily briefing and quiet hours follow"
        " its clock."
    )
    assert (await _chat(bot, EN_USER)).timezone == "Asia/Tokyo"
    [shown] = await bot.command(EN_USER, EN_USER, "/timezone")
    assert shown.plain_text.startswith("This chat's time zone: Asia/Tokyo.")
    [quiet] = await bot.command(EN_USER, EN_USER, "/quiet 23:00 07:00")
    assert "Asia/Tokyo time" in quiet.plain_text  # one zone for the chat


@pytest.mark.parametrize(
    "text", ["/timezone Mars/Olympus_Mons", "/timezone localtime", "/timezone +03:00"]
)
async def test_an_unknown_zone_gets_a_clear_answer_and_changes_nothing(
    bot: Harness, text: str
) -> None:
    await bot.command(EN_USER, EN_USER, "/timezone Asia/Damascus")
    [reply] = await bot.command(EN_USER, EN_USER, text)
    assert reply.plain_text.startswith("I don't know a time zone called “")
    assert "Usage: /timezone zone" in reply.plain_text
    assert (await _chat(bot, EN_USER)).timezone == "Asia/Damascus"


async def test_timezone_with_too_much_gets_the_usage(bot: Harness) -> None:
    [reply] = await bot.command(AR_USER, AR_USER, "/timezone Asia/Damascus Europe/Berlin")
    assert reply.plain_text.startswith("الاستخدام: /timezone المنطقة_الزمنية")
    assert await bot.chat(AR_USER) is None


async def test_in_a_group_only_admins_set_the_timezone(bot: Harness) -> None:
    [refused] = await bot.command(GROUP, MEMBER, "/timezone Europe/Berlin")
    assert "المشرفون وحدهم" in refused.plain_text
    assert await bot.chat(GROUP) is None
    await bot.command(GROUP, ADMIN, "/timezone Europe/Berlin")
    assert (await _chat(bot, GROUP)).timezone == "Europe/Berlin"


# ---- /settings --------------------------------------------------------------------------------


async def test_settings_shows_a_keyboard_of_the_chats_options(bot: Harness) -> None:
    [keyboard] = await bot.command(EN_USER, EN_USER, "/settings")
    assert keyboard.plain_text == "This chat's settings\nTap a button to switch it."
    assert _buttons(keyboard) == {
        "opt:v1:silent": "🔔 Silent posts: off",
        "opt:v1:link_preview": "🔗 Link previews: off",
        "opt:v1:photos": "🖼 Photos: on",
        "opt:v1:lang:ar": "العربية",
        "opt:v1:lang:en": "✅ English",
    }  # no translation button: this deployment has no LLM endpoint


async def test_a_press_switches_the_option_and_redraws_the_keyboard(bot: Harness) -> None:
    [keyboard] = await bot.command(AR_USER, AR_USER, "/settings")
    answer = await bot.press(AR_USER, AR_USER, keyboard.message_id, "opt:v1:silent")
    assert answer["text"] == "صار الإرسال صامتًا: تصل الأخبار دون صوت تنبيه."
    await wait_until(lambda: keyboard.edit_count == 1)
    assert _buttons(keyboard)["opt:v1:silent"] == "🔕 الإرسال الصامت: مفعّل"
    await bot.press(AR_USER, AR_USER, keyboard.message_id, "opt:v1:photos")
    await wait_until(lambda: keyboard.edit_count == 2)
    await bot.press(AR_USER, AR_USER, keyboard.message_id, "opt:v1:link_preview")
    await wait_until(lambda: keyboard.edit_count == 3)
    chat = await _chat(bot, AR_USER)
    assert (chat.silent, chat.photos, chat.link_preview) == (True, False, True)
    await bot.press(AR_USER, AR_USER, keyboard.message_id, "opt:v1:silent")
    await wait_until(lambda: keyboard.edit_count == 4)
    assert not (await _chat(bot, AR_USER)).silent


async def test_the_language_button_answers_and_redraws_in_the_new_language(bot: Harness) -> None:
    [keyboard] = await bot.command(AR_USER, AR_USER, "/settings")
    answer = await bot.press(AR_USER, AR_USER, keyboard.message_id, "opt:v1:lang:en")
    assert answer["text"] == "This chat's language is now English."
    await wait_until(lambda: keyboard.edit_count == 1)
    assert keyboard.plain_text.startswith("This chat's settings")
    assert _buttons(keyboard)["opt:v1:lang:en"] == "✅ English"
    assert (await _chat(bot, AR_USER)).language == "en"


async def test_in_a_group_a_members_press_is_refused_and_changes_nothing(bot: Harness) -> None:
    [keyboard] = await bot.command(GROUP, MEMBER, "/settings")
    assert keyboard.plain_text.endswith("في المجموعات يغيّرها المشرفون وحدهم.")
    refused = await bot.press(GROUP, MEMBER, keyboard.message_id, "opt:v1:silent")
    assert refused["text"] == "يستطيع مشرفو المجموعة وحدهم تغيير إعداداتها."
    assert str(refused["show_alert"]).lower() == "true"
    assert keyboard.edit_count == 0
    assert await bot.chat(GROUP) is None
    done = await bot.press(GROUP, ADMIN, keyboard.message_id, "opt:v1:silent")
    assert done["text"] == "صار الإرسال صامتًا: تصل الأخبار دون صوت تنبيه."
    assert (await _chat(bot, GROUP)).silent


@pytest.mark.parametrize(
    "data", ["opt:v1:nonsense", "opt:v2:silent", "opt:v1:lang:fr", "opt:v1:translate"]
)
async def test_forged_or_unavailable_presses_change_nothing(bot: Harness, data: str) -> None:
    [keyboard] = await bot.command(EN_USER, EN_USER, "/settings")
    answer = await bot.press(EN_USER, EN_USER, keyboard.message_id, data)
    assert str(answer["show_alert"]).lower() == "true"
    assert answer["text"] in {
        "This button is no longer valid.",
        "Machine translation isn't available in this bot.",
    }
    assert await bot.chat(EN_USER) is None


# ---- /translate -------------------------------------------------------------------------------


async def test_translate_without_an_llm_says_so_and_changes_nothing(bot: Harness) -> None:
    [reply] = await bot.command(EN_USER, EN_USER, "/translate on")
    assert reply.plain_text.startswith("Machine translation isn't available in this bot")
    assert await bot.chat(EN_USER) is None
    [state] = await bot.command(EN_USER, EN_USER, "/translate")
    assert state.plain_text.startswith("Machine translation is off in this chat.")


async def test_translate_with_an_llm_is_switched_and_keeps_the_language(
    database: Database,
) -> None:
    settings = {"llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "fake"}
    async with bot_harness(database, **settings) as bot:
        [on] = await bot.command(EN_USER, EN_USER, "/translate on")
        assert on.plain_text.startswith(
            "Machine translation is on: posts written in another language than English arrive"
        )
        chat = await _chat(bot, EN_USER)
        assert (chat.translate, chat.language) == (True, "en")
        [keyboard] = await bot.command(EN_USER, EN_USER, "/settings")
        assert _buttons(keyboard)["opt:v1:translate"] == "🌐 Machine translation: on"
        # The keyboard's button does the same, and keeps the reader's language too.
        [fresh] = await bot.command(AR_USER, AR_USER, "/settings")
        answer = await bot.press(AR_USER, AR_USER, fresh.message_id, "opt:v1:translate")
        assert answer["text"] == "صارت الأخبار المكتوبة بلغة أخرى تصلك مترجمةً ترجمةً آلية."
        chat = await _chat(bot, AR_USER)
        assert (chat.translate, chat.language) == (True, "ar")
        [off] = await bot.command(EN_USER, EN_USER, "/translate إيقاف")
        assert off.plain_text == "Machine translation is off: posts arrive in their own language."
        assert not (await _chat(bot, EN_USER)).translate
        [usage] = await bot.command(EN_USER, EN_USER, "/translate maybe")
        assert usage.plain_text.startswith("Usage: /translate on|off")
        [refused] = await bot.command(GROUP, MEMBER, "/translate تشغيل")
        assert "المشرفون وحدهم" in refused.plain_text
        assert await bot.chat(GROUP) is None


# ---- menus and help ---------------------------------------------------------------------------


async def test_the_commands_are_in_every_menu_and_in_help(bot: Harness) -> None:
    for language in ("", "ar", "en"):
        listed = bot.tg.commands(language_code=language)
        assert listed is not None
        names = [c["command"] for c in listed]
        assert set(READER_OPTIONS) <= set(names), language
    english = {c["command"]: c["description"] for c in bot.tg.commands(language_code="en") or []}
    assert english["briefing"] == "A daily briefing instead of each post"
    [help_en] = await bot.command(EN_USER, EN_USER, "/help")
    for name in READER_OPTIONS:
        assert f"\n/{name} " in help_en.plain_text


async def test_latest_honours_the_chats_options(bot: Harness) -> None:
    await bot.seed_articles("politics", ["خبر مصور"], image_url="https://enabbaladi.net/photo.jpg")
    [keyboard] = await bot.command(AR_USER, AR_USER, "/settings")
    await bot.press(AR_USER, AR_USER, keyboard.message_id, "opt:v1:photos")
    await bot.press(AR_USER, AR_USER, keyboard.message_id, "opt:v1:silent")
    await wait_until(lambda: keyboard.edit_count == 2)
    [post] = await bot.command(AR_USER, AR_USER, "/latest politics")
    assert post.method == "sendMessage"
    [request] = [r for r in bot.tg.calls("sendMessage") if r.params.get("chat_id") == AR_USER][-1:]
    assert request.params["disable_notification"] is True


# ---- a channel's options, from the command line -----------------------------------------------


async def test_the_command_line_sets_a_channels_options_audited(database: Database) -> None:
    async with FakeTelegram(token=DEFAULT_TOKEN) as tg:
        tg.add_chat(CHANNEL, "channel", title="قناة الأخبار", username="newschan")
        env = {"TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN, "TELEGRAM_API_BASE_URL": tg.base_url}

        async def run(*args: str) -> tuple[int, str, str]:
            return await nashra("channels", *args, database_url=database.url, **env)

        code, _, err = await run("add", "@newschan", "--category", "politics")
        assert (code, err) == (0, "")
        code, out, _ = await run("options", "@newschan")
        assert code == 0
        assert "silent: off · link previews: off · photos: on · translation: off" in out
        assert "daily briefing: none: posts as they come" in out
        code, out, err = await run(
            "options",
            "@newschan",
            "--silent",
            "on",
            "--photos",
            "off",
            "--briefing",
            "07:30,19:00",
            "--timezone",
            "europe/berlin",
            "--language",
            "en",
        )
        assert (code, err) == (0, ""), err
        assert "silent: on · link previews: off · photos: off" in out
        assert "language: en" in out
        assert "daily briefing: 07:30, 19:00 (Europe/Berlin)" in out
        for bad, why in [
            (("--briefing", "25:00"), "--briefing: '25:00' is not a list of at most 6 times"),
            (("--briefing", "1:00,2:00,3:00,4:00,5:00,6:00,7:00"), "at most 6 times"),
            (("--timezone", "Mars/Olympus_Mons"), "not an IANA time zone"),
            (("--translate", "on"), "translation needs an LLM endpoint"),
        ]:
            code, _, err = await run("options", "@newschan", *bad)
            assert code == 2
            assert why in err
        code, _, err = await run("options", "@nochan", "--silent", "on")
        assert code == 2
        assert "@nochan" in err
    async with database.sessions() as session:
        chat = await session.scalar(select(Chat).where(Chat.telegram_id == CHANNEL))
        recorded = list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))
    assert chat is not None
    assert (chat.silent, chat.photos, chat.language) == (True, False, "en")
    assert (chat.briefing_minutes, chat.timezone) == ([450, 1140], "Europe/Berlin")
    assert [(a.action, a.via) for a in recorded] == [
        ("channel.add", "cli"),
        ("channel.options", "cli"),
    ]
    assert recorded[1].before is not None
    assert recorded[1].after is not None
    assert (recorded[1].before["silent"], recorded[1].after["silent"]) == (False, True)
    assert recorded[1].after["briefing"] == ["07:30", "19:00"]
