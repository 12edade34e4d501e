"""LLMSummarizer against a local fake chat-completions endpoint: answers, checks, failures."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest

from bot.compose.llm import (
    ARTICLE_MAX_CHARS,
    HEADLINE_MAX_CHARS,
    LLMError,
    LLMSummarizer,
    LLMSummary,
    ascii_digits,
    dominant_script,
    invented_numbers,
    language_name,
    parse_reply,
    truncate,
)
from bot.settings import Settings
from tests.fakes.llm_server import CHAT_PATH, FakeLLMServer, Reply

API_KEY = "sk-test-0123456789abcdef"
MODEL = "fake-model-7b"

TITLE_AR = "ما الملفات التي يناقشها الشرع مع بوتين في روسيا؟"
ARTICLE_AR = (
    "وصل الرئيس السوري في المرحلة الانتقالية، أحمد الشرع، إلى العاصمة الروسية موسكو، في زيارة "
    "رسمية هي الثانية من نوعها، لإجراء مباحثات مع نظيره الروسي، فلاديمير بوتين. ووفقًا لما نقلته "
    "الرئاسة الروسية (الكرملين)، ستتناول المباحثات العلاقات الثنائية والتعاون الاقتصادي.\n\n"
    "وكان بوتين قد التقى الشرع في 15 تشرين الأول 2025، بعد سقوط نظام الأسد في 8 كانون الأول "
    "2024. وتقدّر قيمة الاتفاقات السابقة بنحو 2,000 مليون دولار."
)
HEADLINE_AR = "الشرع في موسكو للقاء بوتين"
SUMMARY_AR = (
    "وصل الرئيس السوري أحمد الشرع إلى موسكو في زيارة رسمية هي الثانية من نوعها. "
    "وتتناول المباحثات العلاقات الثنائية والتعاون الاقتصادي."
)
TITLE_EN = "Al-Sharaa meets Putin in Moscow"
ARTICLE_EN = (
    "Syria's transitional president arrived in Moscow on Wednesday for talks with Vladimir "
    "Putin. It is his second official visit since December 2024. The Kremlin said 12 "
    "agreements would be discussed."
)


def make_settings(server: FakeLLMServer, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "summarizer": "llm",
        "llm_base_url": server.base_url,
        "llm_model": MODEL,
        "llm_api_key": API_KEY,
        "llm_timeout_seconds": 5.0,
        "llm_concurrency": 2,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(default=Reply.summary(HEADLINE_AR, SUMMARY_AR)) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client:
        yield client


@pytest.fixture
def summarizer(server: FakeLLMServer, session: aiohttp.ClientSession) -> LLMSummarizer:
    return LLMSummarizer(make_settings(server), session)


async def summarize_ar(summarizer: LLMSummarizer, max_chars: int = 600) -> LLMSummary | None:
    return await summarizer.summarize(TITLE_AR, ARTICLE_AR, "ar", max_chars=max_chars)


# ---- good answers -----------------------------------------------------------------------


async def test_good_json_answer(summarizer: LLMSummarizer, server: FakeLLMServer) -> None:
    assert await summarize_ar(summarizer) == LLMSummary(HEADLINE_AR, SUMMARY_AR)
    [request] = server.requests
    assert request.path == CHAT_PATH
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.body["model"] == MODEL
    assert request.body["stream"] is False
    system, user = request.messages
    assert system["role"] == "system"
    assert "add no opinion" in system["content"]
    assert user["role"] == "user"
    assert "in Arabic, the article's language" in user["content"]
    assert f"Title: {TITLE_AR}" in user["content"]
    assert f"<article>\n{ARTICLE_AR}\n</article>" in user["content"]
    assert "at most 600 characters" in user["content"]
    assert '{"headline": "...", "summary": "..."}' in user["content"]


async def test_fenced_json_answer(summarizer: LLMSummarizer, server: FakeLLMServer) -> None:
    server.script(Reply.summary(HEADLINE_AR, SUMMARY_AR, fenced=True))
    assert await summarize_ar(summarizer) == LLMSummary(HEADLINE_AR, SUMMARY_AR)


async def test_json_among_other_text(summarizer: LLMSummarizer, server: FakeLLMServer) -> None:
    server.script(Reply.summary(HEADLINE_AR, SUMMARY_AR, chatter=True))
    assert await summarize_ar(summarizer) == LLMSummary(HEADLINE_AR, SUMMARY_AR)


async def test_answer_is_cleaned(summarizer: LLMSummarizer, server: FakeLLMServer) -> None:
    server.script(Reply.summary(f"  «{HEADLINE_AR}»\u200f ", f"\u202e{SUMMARY_AR}\n\n "))
    assert await summarize_ar(summarizer) == LLMSummary(HEADLINE_AR, SUMMARY_AR)


async def test_english_article(summarizer: LLMSummarizer, server: FakeLLMServer) -> None:
    server.script(Reply.summary("Al-Sharaa in Moscow", "He arrived in Moscow for talks."))
    result = await summarizer.summarize(TITLE_EN, ARTICLE_EN, "en", max_chars=300)
    assert result == LLMSummary("Al-Sharaa in Moscow", "He arrived in Moscow for talks.")
    assert "in English, the article's language" in server.requests[0].prompt


async def test_unknown_language_is_not_named(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    await summarizer.summarize(TITLE_AR, ARTICLE_AR, None, max_chars=600)
    await summarizer.summarize(TITLE_AR, ARTICLE_AR, "qq", max_chars=600)
    for request in server.requests:
        assert "in the article's language." in request.prompt


async def test_no_key_no_authorization_header(
    server: FakeLLMServer, session: aiohttp.ClientSession
) -> None:
    summarizer = LLMSummarizer(make_settings(server, llm_api_key=None), session)
    assert await summarize_ar(summarizer) is not None
    assert "Authorization" not in server.requests[0].headers


async def test_long_articles_are_truncated(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    article = (ARTICLE_AR + "\n\n") * 100
    await summarizer.summarize(TITLE_AR, article, "ar", max_chars=600)
    prompt = server.requests[0].messages[1]["content"]
    sent = prompt.split("<article>\n", 1)[1].split("\n</article>", 1)[0]
    assert ARTICLE_MAX_CHARS // 2 <= len(sent) <= ARTICLE_MAX_CHARS
    assert article.startswith(sent)


async def test_long_summary_is_cut_at_a_sentence_end(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    first = "وصل الرئيس السوري أحمد الشرع إلى موسكو."
    server.script(Reply.summary(HEADLINE_AR, f"{first} وتتناول المباحثات العلاقات الثنائية."))
    result = await summarize_ar(summarizer, max_chars=len(first) + 5)
    assert result == LLMSummary(HEADLINE_AR, first)


async def test_arabic_indic_digits_of_the_articles_numbers_pass(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    summary = "التقى بوتين الشرع في ١٥ تشرين الأول ٢٠٢٥. وتقدر الاتفاقات بنحو 2000 مليون دولار."
    server.script(Reply.summary(HEADLINE_AR, summary))
    assert await summarize_ar(summarizer) == LLMSummary(HEADLINE_AR, summary)


# ---- rejected answers -------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        Reply.text("I'm sorry, I can't summarize this article."),
        Reply.text('{"headline": "only a headline"}'),
        Reply.text('{"headline": 1, "summary": ["a"]}'),
        Reply.text("```json\n{not json}\n```"),
        Reply.text(""),
        Reply.raw(b"<html>Bad Gateway</html>"),
        Reply.raw(b'{"choices": []}'),
        Reply.raw(b'{"choices": [{"message": {"content": null}}]}'),
        Reply.raw(b"\xff\xfe not utf-8"),
    ],
    ids=[
        "refusal",
        "no-summary",
        "wrong-types",
        "fenced-garbage",
        "empty",
        "html",
        "no-choices",
        "null-content",
        "bad-bytes",
    ],
)
async def test_garbage_answers_give_none(
    summarizer: LLMSummarizer, server: FakeLLMServer, reply: Reply
) -> None:
    server.script(reply)
    assert await summarize_ar(summarizer) is None


async def test_english_summary_of_an_arabic_article_is_rejected(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    server.script(Reply.summary("Al-Sharaa in Moscow", "Syria's president arrived in Moscow."))
    assert await summarize_ar(summarizer) is None
    server.script(Reply.summary("Al-Sharaa in Moscow", SUMMARY_AR))
    assert await summarize_ar(summarizer) is None


async def test_arabic_summary_of_an_english_article_is_rejected(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    server.script(Reply.summary(HEADLINE_AR, SUMMARY_AR))
    assert await summarizer.summarize(TITLE_EN, ARTICLE_EN, "en", max_chars=600) is None


@pytest.mark.parametrize("invented", ["47", "٤٧", "2026", "3.5", "2,500"])
async def test_invented_numbers_are_rejected(
    summarizer: LLMSummarizer, server: FakeLLMServer, invented: str
) -> None:
    assert ascii_digits(invented) not in ascii_digits(ARTICLE_AR + TITLE_AR)
    server.script(Reply.summary(HEADLINE_AR, f"قتل {invented} شخصاً في موسكو. {SUMMARY_AR}"))
    assert await summarize_ar(summarizer) is None


async def test_invented_number_in_the_headline_is_rejected(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    server.script(Reply.summary("الشرع يوقع 30 اتفاقية في موسكو", SUMMARY_AR))
    assert await summarize_ar(summarizer) is None


async def test_long_headline_is_rejected(summarizer: LLMSummarizer, server: FakeLLMServer) -> None:
    server.script(Reply.summary("موسكو " * (HEADLINE_MAX_CHARS // 5), SUMMARY_AR))
    assert await summarize_ar(summarizer) is None


async def test_long_summary_without_a_sentence_end_is_rejected(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    server.script(Reply.summary(HEADLINE_AR, "الشرع في موسكو " * 30))
    assert await summarize_ar(summarizer, max_chars=100) is None


async def test_empty_parts_are_rejected(summarizer: LLMSummarizer, server: FakeLLMServer) -> None:
    server.script(Reply.summary(HEADLINE_AR, " \u200b "), Reply.summary("«»", SUMMARY_AR))
    assert await summarize_ar(summarizer) is None
    assert await summarize_ar(summarizer) is None


# ---- failures of the endpoint -----------------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 404, 429, 500, 503])
async def test_http_errors_give_none(
    summarizer: LLMSummarizer, server: FakeLLMServer, status: int
) -> None:
    server.script(Reply.error(status, retry_after=1 if status == 429 else None))
    assert await summarize_ar(summarizer) is None
    assert len(server.requests) == 1


async def test_slow_answer_beyond_the_timeout_gives_none(
    server: FakeLLMServer, session: aiohttp.ClientSession
) -> None:
    # Answered only after 60 s: without the timeout the test would wait for a good answer.
    server.script(Reply.summary(HEADLINE_AR, SUMMARY_AR).delayed(60.0))
    summarizer = LLMSummarizer(make_settings(server, llm_timeout_seconds=0.2), session)
    assert await summarize_ar(summarizer) is None
    assert len(server.requests) == 1
    assert await summarize_ar(summarizer) == LLMSummary(HEADLINE_AR, SUMMARY_AR)


async def test_refused_connection_gives_none(session: aiohttp.ClientSession) -> None:
    async with FakeLLMServer() as gone:
        settings = make_settings(gone)
    summarizer = LLMSummarizer(settings, session)
    assert await summarize_ar(summarizer) is None


async def test_unconfigured_summarizer_sends_nothing(
    server: FakeLLMServer, session: aiohttp.ClientSession
) -> None:
    for overrides in ({"llm_base_url": None}, {"llm_model": None}):
        settings = make_settings(server, summarizer="extractive", **overrides)
        assert await summarize_ar(LLMSummarizer(settings, session)) is None
    assert server.requests == []


async def test_empty_article_sends_nothing(
    summarizer: LLMSummarizer, server: FakeLLMServer
) -> None:
    assert await summarizer.summarize(TITLE_AR, " \n\u200b ", "ar", max_chars=600) is None
    assert server.requests == []


async def test_concurrency_is_bounded(
    server: FakeLLMServer, session: aiohttp.ClientSession
) -> None:
    server.default = Reply.summary(HEADLINE_AR, SUMMARY_AR).delayed(0.3)
    summarizer = LLMSummarizer(make_settings(server, llm_concurrency=2), session)
    results = await asyncio.gather(*(summarize_ar(summarizer) for _ in range(6)))
    assert results == [LLMSummary(HEADLINE_AR, SUMMARY_AR)] * 6
    assert len(server.requests) == 6
    assert server.max_in_flight == 2


async def test_the_api_key_is_never_logged(
    server: FakeLLMServer, session: aiohttp.ClientSession, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    summarizer = LLMSummarizer(make_settings(server, llm_timeout_seconds=0.2), session)
    server.script(
        Reply.error(401),
        Reply.error(429, retry_after=5),
        Reply.error(500),
        Reply.text("garbage"),
        Reply.text(API_KEY),
        Reply.summary("Hello", "English words."),
        Reply.summary(HEADLINE_AR, SUMMARY_AR).delayed(60.0),
    )
    for _ in range(7):
        assert await summarize_ar(summarizer) is None
    assert caplog.records, "failures are logged"
    assert all(record.levelno == logging.WARNING for record in caplog.records)
    assert API_KEY not in caplog.text
    assert "HTTP 401" in caplog.text
    assert "timed out" in caplog.text


# ---- the pieces -------------------------------------------------------------------------


def test_parse_reply_takes_the_first_usable_object() -> None:
    content = 'noise {"a": 1} {"headline": "h", "summary": "s", "extra": true} {"headline": "x"}'
    assert parse_reply(content) == LLMSummary("h", "s")
    nested = json.dumps({"result": {"headline": "h2", "summary": "s2"}})
    assert parse_reply(nested) == LLMSummary("h2", "s2")
    with pytest.raises(LLMError):
        parse_reply("{}")


def test_invented_numbers() -> None:
    article = "في 8 كانون الأول 2024 قتل ١٢ شخصاً، وبلغت الكلفة 2,000 دولار و3.5 مليون."
    assert invented_numbers("قتل 12 شخصاً في ٢٠٢٤ وكلفة 2000 و3.5", article) == set()
    assert invented_numbers("2,000 و٨", article) == set()
    assert invented_numbers("قتل 13 شخصاً", article) == {"13"}
    assert invented_numbers("20 و 202", article) == {"20", "202"}
    assert invented_numbers("لا أرقام", "") == set()


def test_dominant_script() -> None:
    assert dominant_script(ARTICLE_AR) == "ARABIC"
    assert dominant_script(ARTICLE_EN) == "LATIN"
    assert dominant_script("خبر عن CNN و BBC في دمشق") == "ARABIC"
    assert dominant_script("東京でニュース") == "CJK"
    assert dominant_script("2024 - 12") is None


def test_language_names() -> None:
    assert language_name("ar") == "Arabic"
    assert language_name("en-US") == "English"
    assert language_name("fr") == "French"
    assert language_name("qq") is None
    assert language_name("") is None
    assert language_name(None) is None


def test_truncate_prefers_paragraph_and_sentence_boundaries() -> None:
    text = "First paragraph here.\n" + "Second one. " * 10
    assert truncate(text, 1000) == text
    assert truncate(text, 40) == "First paragraph here."
    assert truncate("a" * 50, 10) == "a" * 10
