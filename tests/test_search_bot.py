"""Inline search (`@bot words`) and /search through the bot: the newest matching posts, the
latest for an empty query, pages, the reader's language, and queries that are too long or
made of search syntax answered clearly."""

from __future__ import annotations

import html
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.app import ALLOWED_UPDATES
from bot.i18n import t, t_html
from bot.services.search import MAX_QUERY_CHARS
from tests.botharness import AR_USER, EN_USER, GROUP, MEMBER, Harness, bot_harness, wait_until
from tests.conftest import Database
from tests.fakes.telegram_server import parse_html

TITLES = [f"خبر رقم {n} عن دمشق" for n in range(1, 13)] + ["مجلس الأمن يجتمع بشأن سوريا"]


def plain(key: str, language: str = "ar", **values: object) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", t_html(key, language, **values)))


@pytest.fixture
async def bot(database: Database) -> AsyncIterator[Harness]:
    async with bot_harness(database) as harness:
        await harness.seed_articles("politics", TITLES)
        yield harness


async def inline(bot: Harness, user: int, query: str, offset: str = "") -> dict[str, Any]:
    """The bot's answerInlineQuery to `query` typed by `user`."""
    update = bot.tg.inject_inline_query(user, query, offset=offset)
    query_id = update["inline_query"]["id"]
    await wait_until(lambda: query_id in bot.tg.inline_answers)
    return bot.tg.inline_answers[query_id]


def titles(answer: dict[str, Any]) -> list[str]:
    return [result["title"] for result in answer["results"]]


async def test_inline_queries_are_asked_for(bot: Harness) -> None:
    assert "inline_query" in ALLOWED_UPDATES
    polls = bot.tg.calls("getUpdates")
    assert "inline_query" in polls[-1].params["allowed_updates"]
    assert bot.app.bot.supports_inline_queries


async def test_an_inline_query_answers_with_the_newest_matching_posts(bot: Harness) -> None:
    answer = await inline(bot, AR_USER, "سوريا")
    assert titles(answer) == [TITLES[-1]]
    [result] = answer["results"]
    assert result["type"] == "article"
    assert result["description"] == f"ملخص {TITLES[-1]}."
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML"
    text, _ = parse_html(content["message_text"])
    assert text.startswith(f"{TITLES[-1]}\n\nهذا الخبر بعنوان")  # the post as a channel gets it
    assert result["reply_markup"]["inline_keyboard"][0][0] == {
        "text": "اقرأ في المصدر",
        "url": "https://www.enabbaladi.net/politics/12",
    }
    assert answer["is_personal"] in (True, "true", "True")
    phrase = await inline(bot, AR_USER, '"مجلس الأمن"')
    assert titles(phrase) == [TITLES[-1]]


async def test_results_come_page_by_page(bot: Harness) -> None:
    first = await inline(bot, AR_USER, "دمشق")
    assert titles(first) == [TITLES[n] for n in range(11, 1, -1)]
    assert first["next_offset"]
    second = await inline(bot, AR_USER, "دمشق", offset=first["next_offset"])
    assert titles(second) == [TITLES[1], TITLES[0]]
    assert second.get("next_offset", "") == ""


async def test_an_empty_query_shows_the_latest_news(bot: Harness) -> None:
    answer = await inline(bot, EN_USER, "")
    assert titles(answer) == list(reversed(TITLES))[:10]


async def test_nothing_found_is_said_in_the_readers_language(bot: Harness) -> None:
    english = await inline(bot, EN_USER, "Atlantis")
    assert english["results"] == []
    assert english["button"] == {
        "text": t("search.inline.none", "en"),
        "start_parameter": "search",
    }
    arabic = await inline(bot, AR_USER, "أطلانتس")
    assert arabic["button"]["text"] == t("search.inline.none", "ar")
    await bot.command(EN_USER, EN_USER, "/language ar")  # the private chat's own setting wins
    switched = await inline(bot, EN_USER, "Atlantis")
    assert switched["button"]["text"] == t("search.inline.none", "ar")


@pytest.mark.parametrize(
    ("query", "key", "values"),
    [
        ("س" * 300, "too_long", {"most": MAX_QUERY_CHARS}),
        ('" * OR NEAR', None, {}),
        ("*** ^^ :", "no_words", {}),
        ("سوريا OR دمشق NEAR(x y) *", None, {}),
        ("'; DROP TABLE articles; --", None, {}),
    ],
)
async def test_long_queries_and_search_syntax_get_a_clear_answer(
    bot: Harness, query: str, key: str | None, values: dict[str, object]
) -> None:
    answer = await inline(bot, EN_USER, query)
    if key is None:  # read as words: nothing has all of them
        assert answer["results"] == []
        assert answer["button"]["text"] == t("search.inline.none", "en")
    else:
        assert answer["results"] == []
        assert answer["button"]["text"] == t(f"search.inline.{key}", "en", **values)
    assert titles(await inline(bot, EN_USER, "سوريا")) == [TITLES[-1]]  # all still there


async def test_search_in_the_bots_chat_sends_the_posts(bot: Harness) -> None:
    header, post = await bot.command(AR_USER, AR_USER, "/search سوريا", replies=2)
    assert header.plain_text == plain("search.found", query="سوريا")
    assert post.plain_text.startswith(TITLES[-1])
    [none] = await bot.command(AR_USER, AR_USER, "/search أطلانتس")
    assert none.plain_text == plain("search.none", query="أطلانتس")
    [long] = await bot.command(AR_USER, AR_USER, "/search " + "س" * 300)
    assert long.plain_text.startswith(plain("search.error.too_long", most=MAX_QUERY_CHARS))
    [usage] = await bot.command(AR_USER, AR_USER, "/search")
    assert usage.plain_text == plain("search.usage")
    many = await bot.command(GROUP, MEMBER, "/search دمشق", replies=6)
    assert many[0].plain_text == plain("search.more", query="دمشق", bot="nashra_test_bot")
    assert [m.plain_text.split("\n", 1)[0] for m in many[1:]] == [
        TITLES[n] for n in range(11, 6, -1)
    ]
