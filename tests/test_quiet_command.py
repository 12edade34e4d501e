"""/quiet: a private chat's quiet hours, through the real bot against FakeTelegram."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from handlers.quiet import QuietProblem, QuietSpan, clock, known_zone, parse_clock, parse_quiet
from storage.models import ChatKind
from tests.botharness import ADMIN, AR_USER, EN_USER, GROUP, Harness, bot_harness
from tests.conftest import Database

AR_USAGE = "الاستخدام:\n/quiet ٢٣:٠٠ ٠٧:٠٠ — لا تصلك الأخبار من ٢٣:٠٠ حتى ٠٧:٠٠"
EN_USAGE = "Usage:\n/quiet 23:00 07:00 — no news from 23:00 until 07:00"


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database) as harness:
        yield harness


async def _quiet(bot: Harness, telegram_id: int) -> tuple[int | None, int | None, str | None]:
    chat = await bot.chat(telegram_id)
    assert chat is not None
    return chat.quiet_start_minute, chat.quiet_end_minute, chat.timezone


# ---- through the bot --------------------------------------------------------------------------


async def test_setting_quiet_hours_stores_the_minutes_and_the_deployment_zone(
    bot: Harness,
) -> None:
    [done] = await bot.command(AR_USER, AR_USER, "/quiet 23:00 07:00")
    assert done.plain_text == (
        "ضُبطت ساعات الهدوء من ٢٣:٠٠ حتى ٠٧:٠٠ بتوقيت Asia/Damascus.\n"
        "لن تصلك الأخبار خلالها، وستصلك عند انتهائها، مجمّعةً في رسالة واحدة إن تعدّدت."
    )
    assert await _quiet(bot, AR_USER) == (23 * 60, 7 * 60, "Asia/Damascus")
    chat = await bot.chat(AR_USER)
    assert chat is not None
    assert chat.kind is ChatKind.PRIVATE
    assert chat.active


async def test_showing_quiet_hours_with_and_without_a_span(bot: Harness) -> None:
    [none] = await bot.command(EN_USER, EN_USER, "/quiet")
    assert none.plain_text.startswith(
        "You have no quiet hours: news reaches you as soon as it is published.\n\n" + EN_USAGE
    )
    assert none.plain_text.endswith("without a time zone, Asia/Damascus time is used.")
    assert await bot.chat(EN_USER) is None  # looking changes nothing

    await bot.command(EN_USER, EN_USER, "/quiet 22:30 6:05")
    [shown] = await bot.command(EN_USER, EN_USER, "/quiet")
    assert shown.plain_text.startswith(
        "Your quiet hours: from 22:30 to 06:05, Asia/Damascus time.\n\n" + EN_USAGE
    )

    [shown_ar] = await bot.command(AR_USER, AR_USER, "/quiet")
    assert shown_ar.plain_text.startswith(
        "لم تضبط ساعات هدوء، فالأخبار تصلك فور نشرها.\n\n" + AR_USAGE
    )


async def test_a_zone_given_is_stored_as_iana_spells_it_and_kept_from_then_on(
    bot: Harness,
) -> None:
    [done] = await bot.command(EN_USER, EN_USER, "/quiet 22:30 6:15 europe/berlin")
    assert done.plain_text.startswith(
        "Quiet hours are set from 22:30 to 06:15, Europe/Berlin time."
    )
    assert await _quiet(bot, EN_USER) == (22 * 60 + 30, 6 * 60 + 15, "Europe/Berlin")

    # Without a zone, the chat's own stays.
    [again] = await bot.command(EN_USER, EN_USER, "/quiet 13:00 14:00")
    assert again.plain_text.startswith(
        "Quiet hours are set from 13:00 to 14:00, Europe/Berlin time."
    )
    assert await _quiet(bot, EN_USER) == (13 * 60, 14 * 60, "Europe/Berlin")
    [usage] = await bot.command(EN_USER, EN_USER, "/quiet nonsense")
    assert usage.plain_text.endswith("without a time zone, Europe/Berlin time is used.")


@pytest.mark.parametrize("word", ["off", "OFF", "إيقاف", "ايقاف"])
async def test_quiet_off_clears_the_span_and_keeps_the_zone(bot: Harness, word: str) -> None:
    await bot.command(AR_USER, AR_USER, "/quiet 23:00 07:00 Asia/Tokyo")
    [off] = await bot.command(AR_USER, AR_USER, f"/quiet {word}")
    assert off.plain_text == "أُلغيت ساعات الهدوء، وستصلك الأخبار فور نشرها."
    assert await _quiet(bot, AR_USER) == (None, None, "Asia/Tokyo")
    [shown] = await bot.command(AR_USER, AR_USER, "/quiet")
    assert shown.plain_text.startswith("لم تضبط ساعات هدوء")
    assert "ويُعتمد توقيت Asia/Tokyo" in shown.plain_text


async def test_quiet_off_in_a_chat_never_seen_creates_it_without_a_span(bot: Harness) -> None:
    [off] = await bot.command(EN_USER, EN_USER, "/quiet off")
    assert off.plain_text == "Quiet hours are off. News reaches you as soon as it is published."
    assert await _quiet(bot, EN_USER) == (None, None, None)


async def test_arabic_indic_digits_are_read(bot: Harness) -> None:
    [done] = await bot.command(AR_USER, AR_USER, "/quiet ٢٣:٣٠ ٦:٠٥")
    assert done.plain_text.startswith("ضُبطت ساعات الهدوء من ٢٣:٣٠ حتى ٠٦:٠٥ بتوقيت Asia/Damascus.")
    assert await _quiet(bot, AR_USER) == (23 * 60 + 30, 6 * 60 + 5, "Asia/Damascus")


async def test_the_deployment_timezone_setting_is_the_default(database: Database) -> None:
    async with bot_harness(database, timezone="America/New_York") as bot:
        [done] = await bot.command(EN_USER, EN_USER, "/quiet 23:00 07:00")
        assert "America/New_York time" in done.plain_text
        assert await _quiet(bot, EN_USER) == (23 * 60, 7 * 60, "America/New_York")


@pytest.mark.parametrize(
    "text",
    [
        "/quiet 23:00",
        "/quiet 25:00 07:00",
        "/quiet 24:00 07:00",
        "/quiet 23:60 07:00",
        "/quiet 23:00 07:00:00",
        "/quiet 2300 0700",
        "/quiet 23 7",
        "/quiet -1:00 07:00",
        "/quiet 23:00 23:00",
        "/quiet ٧:٠٠ 07:00",
        "/quiet 23:00 07:00 Mars/Olympus_Mons",
        "/quiet 23:00 07:00 localtime",
        "/quiet 23:00 07:00 ../../etc/passwd",
        "/quiet 23:00 07:00 Europe",
        "/quiet 23:00 07:00 Europe/Berlin extra",
        "/quiet off now",
        "/quiet on",
        "/quiet 23:00 07:00 " + "Europe/Berlin" * 10,
        "/quiet " + "٩" * 3000,
        "/quiet " + " ".join(["23:00"] * 500),
    ],
)
async def test_bad_input_gets_the_usage_and_changes_nothing(bot: Harness, text: str) -> None:
    await bot.command(EN_USER, EN_USER, "/quiet 01:00 02:00")
    [usage] = await bot.command(EN_USER, EN_USER, text)
    assert EN_USAGE in usage.plain_text
    assert "/quiet off — turn quiet hours off" in usage.plain_text
    assert await _quiet(bot, EN_USER) == (60, 120, "Asia/Damascus")


async def test_bad_input_in_arabic_gets_the_arabic_usage(bot: Harness) -> None:
    [usage] = await bot.command(AR_USER, AR_USER, "/quiet ٢٥:٠٠ ٠٧:٠٠")
    assert usage.plain_text.startswith("«٢٥:٠٠» ليس وقتًا صالحًا")
    assert AR_USAGE in usage.plain_text
    assert "/quiet إيقاف — إلغاء ساعات الهدوء" in usage.plain_text
    assert await bot.chat(AR_USER) is None


@pytest.mark.parametrize("text", ["/quiet 23:00 07:00", "/quiet", "/quiet off"])
async def test_quiet_hours_are_for_private_chats_only(bot: Harness, text: str) -> None:
    [refused] = await bot.command(GROUP, ADMIN, text)
    assert refused.plain_text == (
        "ساعات الهدوء متاحة في المحادثات الخاصة فقط. راسلني مباشرةً لضبطها."
    )
    chat = await bot.chat(GROUP)
    assert chat is None or (chat.quiet_start_minute, chat.quiet_end_minute) == (None, None)


# ---- parsing ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "minute"),
    [
        ("00:00", 0),
        ("0:00", 0),
        ("7:05", 7 * 60 + 5),
        ("07:05", 7 * 60 + 5),
        ("23:59", 23 * 60 + 59),
        ("٢٣:٥٩", 23 * 60 + 59),
        ("۲۳:۵۹", 23 * 60 + 59),
        ("٠٧:٣٠", 7 * 60 + 30),
        ("24:00", None),
        ("12:60", None),
        ("12:5", None),
        ("123:00", None),
        ("12.30", None),
        ("١٢", None),
        ("", None),
        ("௧௨:௦௦", None),  # other scripts' digits are not times
    ],
)
def test_parse_clock(text: str, minute: int | None) -> None:
    assert parse_clock(text) == minute


def test_clock_writes_minutes_as_hh_mm() -> None:
    assert [clock(m) for m in (0, 5, 7 * 60, 23 * 60 + 59)] == ["00:00", "00:05", "07:00", "23:59"]


def test_parse_quiet_and_known_zone() -> None:
    assert parse_quiet(["23:00", "07:00", "asia/DAMASCUS"]) == QuietSpan(
        23 * 60, 7 * 60, "Asia/Damascus"
    )
    assert parse_quiet(["٩:٠٠", "17:30"]) == QuietSpan(9 * 60, 17 * 60 + 30, None)
    assert parse_quiet([]) == QuietProblem("usage")
    assert parse_quiet(["9:00"]) == QuietProblem("usage")
    assert parse_quiet(["9:00", "09:00"]) == QuietProblem("same_time")
    assert parse_quiet(["25:00", "07:00"]) == QuietProblem("bad_time", "25:00")
    assert parse_quiet(["23:00", "7.30"]) == QuietProblem("bad_time", "7.30")
    assert parse_quiet(["23:00", "07:00", "Mars/Olympus"]) == QuietProblem(
        "bad_zone", "Mars/Olympus"
    )
    assert known_zone("UTC") == "UTC"
    assert known_zone("Factory") is None
    assert known_zone("") is None
