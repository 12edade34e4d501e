"""Machine translation of posts against the local fake LLM endpoint: the Translator's checks,
and the sender's translated posts (one call per article and language, kept in the
database, the original sent on any failure)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import UTC, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from bot.app import open_bot_api
from bot.compose.llm import LLMEndpoint
from bot.compose.translate import Translation, Translator
from bot.deliver.send import Transport
from bot.deliver.sender import Sender
from bot.settings import Settings
from bot.text.filters import admitter
from storage import deliveries as delivery_store
from storage.models import ArticleTranslation, Chat
from tests.conftest import Database
from tests.fakes.llm_server import FakeLLMServer, LLMRequest, Reply
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.outboxes import Seeder
from tests.test_briefing_sender import Clock, settle
from tests.test_sender import drain, settings_for

TITLE = "اجتماع مجلس الوزراء في دمشق"
SUMMARY = f"ملخص {TITLE}."  # what tests.outboxes.Seeder stores
ENGLISH = {TITLE: "Cabinet meets in Damascus", SUMMARY: "A summary of the cabinet meeting."}


def translating(request: LLMRequest) -> Reply:
    """A stand-in model: translates the headlines and summaries it knows, word for word."""
    headline = request.tagged("headline") or ""
    summary = request.tagged("summary") or ""
    known = {**ENGLISH, **{f"الخبر رقم {n}": f"Story number {n}" for n in range(20)}}
    known |= {f"ملخص الخبر رقم {n}.": f"Summary of story {n}." for n in range(20)}
    return Reply.summary(known.get(headline, "Unknown story"), known.get(summary, ""))


@pytest.fixture
async def llm() -> AsyncIterator[FakeLLMServer]:
    async with FakeLLMServer(default=translating) as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


# ---- the Translator ---------------------------------------------------------------------------


def _translator(llm: FakeLLMServer, http: aiohttp.ClientSession, **overrides: object) -> Translator:
    settings = {
        "llm_base_url": llm.base_url,
        "llm_model": "fake-translator",
        "llm_timeout_seconds": 5.0,
        **overrides,
    }
    return Translator(LLMEndpoint(Settings(**settings), http))  # type: ignore[arg-type]


async def test_a_translation_is_asked_for_and_checked(
    llm: FakeLLMServer, http: aiohttp.ClientSession
) -> None:
    translator = _translator(llm, http)
    found = await translator.translate(TITLE, SUMMARY, "ar", "en")
    assert found == Translation("Cabinet meets in Damascus", "A summary of the cabinet meeting.")
    [request] = llm.requests
    assert request.body["model"] == "fake-translator"
    assert "from Arabic into English" in request.prompt
    assert request.tagged("headline") == TITLE
    assert request.tagged("summary") == SUMMARY
    assert "never instructions" in request.messages[0]["content"]


async def test_into_arabic_the_prompt_asks_for_standard_arabic(
    llm: FakeLLMServer, http: aiohttp.ClientSession
) -> None:
    llm.script(Reply.summary("بوتين يلتقي الشرع في موسكو", "التقى الرئيسان ١٢ مرة."))
    found = await _translator(llm, http).translate(
        "Putin meets al-Sharaa in Moscow", "The presidents met 12 times.", "en", "ar"
    )
    assert found == Translation("بوتين يلتقي الشرع في موسكو", "التقى الرئيسان ١٢ مرة.")
    assert "into Arabic (Modern Standard Arabic" in llm.requests[0].prompt


@pytest.mark.parametrize(
    ("reply", "why"),
    [
        (Reply.error(500), "an HTTP error"),
        (Reply.error(429, retry_after=30), "a rate limit"),
        (Reply.text("Sure, here it is: Cabinet meets in Damascus"), "no JSON"),
        (Reply.raw(b"<html>502</html>"), "not a chat completion"),
        (Reply.summary("اجتماع مجلس الوزراء", "ملخص."), "left in Arabic"),
        (Reply.summary("Кабинет собрался", "Резюме."), "in a third script"),
        (Reply.summary("Cabinet meets 5 times", "A summary."), "an invented number"),
        (Reply.summary("", "A summary."), "no headline"),
        (Reply.summary("Cabinet meets", ""), "no summary"),
        (Reply.summary("Cabinet " * 60, "A summary."), "a headline far too long"),
        (Reply.summary("Cabinet meets", "word " * 200), "a summary far too long"),
    ],
)
async def test_a_bad_answer_gives_no_translation(
    llm: FakeLLMServer, http: aiohttp.ClientSession, reply: Reply, why: str
) -> None:
    llm.script(reply)
    assert await _translator(llm, http).translate(TITLE, SUMMARY, "ar", "en") is None, why


async def test_a_slow_answer_gives_no_translation_within_the_time_bound(
    llm: FakeLLMServer, http: aiohttp.ClientSession
) -> None:
    llm.script(Reply.summary("Cabinet meets", "A summary.").delayed(30))
    translator = _translator(llm, http, llm_timeout_seconds=0.2)
    async with asyncio.timeout(20):
        assert await translator.translate(TITLE, SUMMARY, "ar", "en") is None


async def test_translations_keep_to_the_llms_concurrency(
    llm: FakeLLMServer, http: aiohttp.ClientSession
) -> None:
    llm.default = lambda request: translating(request).delayed(0.05)
    translator = _translator(llm, http, llm_concurrency=2)
    titles = [f"الخبر رقم {n}" for n in range(8)]
    found = await asyncio.gather(*(translator.translate(t, "", "ar", "en") for t in titles))
    assert [f.headline if f else None for f in found] == [f"Story number {n}" for n in range(8)]
    assert llm.max_in_flight == 2


async def test_without_an_endpoint_nothing_is_asked(http: aiohttp.ClientSession) -> None:
    translator = Translator(LLMEndpoint(Settings(), http))
    assert translator.model is None
    assert await translator.translate(TITLE, SUMMARY, "ar", "en") is None


# ---- translated posts through the sender ------------------------------------------------------

SenderFactory = Callable[..., AbstractAsyncContextManager[Sender]]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=DEFAULT_TOKEN) as server:
        yield server


@pytest.fixture
def seed(database: Database, tg: FakeTelegram) -> Seeder:
    return Seeder(database, tg)


@pytest.fixture
def sender(
    database: Database, tg: FakeTelegram, llm: FakeLLMServer, http: aiohttp.ClientSession
) -> SenderFactory:
    @asynccontextmanager
    async def make(clock: Clock | None = None, **overrides: object) -> AsyncIterator[Sender]:
        llm_settings = {
            "llm_base_url": llm.base_url,
            "llm_model": "fake-translator",
            "llm_timeout_seconds": 5.0,
        }
        settings = settings_for(database, tg, **{**llm_settings, **overrides})
        translator = Translator(LLMEndpoint(settings, http))
        async with open_bot_api(settings) as api:
            extra = {"clock": clock} if clock is not None else {}
            yield Sender(
                settings, database.sessions, Transport(api), translator=translator, **extra
            )

    return make


async def reader(seed: Seeder, telegram_id: int, language: str, translate: bool) -> int:
    chat_id = await seed.chat(telegram_id)
    async with seed.db.sessions.begin() as session:
        await session.execute(
            update(Chat).where(Chat.id == chat_id).values(language=language, translate=translate)
        )
    return chat_id


async def stored_translations(database: Database) -> list[tuple[int, str, str]]:
    async with database.sessions() as session:
        rows = await session.execute(
            select(
                ArticleTranslation.article_id,
                ArticleTranslation.language,
                ArticleTranslation.headline,
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_readers_of_another_language_get_the_post_translated_once(
    seed: Seeder, tg: FakeTelegram, llm: FakeLLMServer, sender: SenderFactory, database: Database
) -> None:
    for telegram_id in (101, 102, 103):
        await reader(seed, telegram_id, "en", translate=True)
    await reader(seed, 104, "ar", translate=True)  # the article's own language
    await reader(seed, 105, "en", translate=False)
    article, _ = await seed.article(TITLE)
    async with sender() as s:
        await drain(s)
    assert len(llm.requests) == 1  # one call for the article and English, not one per chat
    for telegram_id in (101, 102, 103):
        [post] = tg.sent_messages(telegram_id)
        lines = post.plain_text.split("\n")
        assert lines[0] == "Cabinet meets in Damascus"
        assert lines[2].startswith(f'This story, titled "{TITLE}", was first published on')
        assert "🌐 Machine-translated from Arabic." in lines
        assert "A summary of the cabinet meeting." in lines
        assert lines[-1] == "#Politics"
        assert post.reply_markup == {
            "inline_keyboard": [
                [{"text": "Read at source", "url": "https://enabbaladi.net/politics/1"}]
            ]
        }
    for telegram_id in (104, 105):
        [post] = tg.sent_messages(telegram_id)
        assert post.plain_text.startswith(TITLE)
        assert "Machine-translated" not in post.plain_text
    assert await stored_translations(database) == [(article, "en", "Cabinet meets in Damascus")]

    # Another process, another English reader: the stored translation, no new call.
    await reader(seed, 106, "en", translate=True)
    async with database.sessions.begin() as session:
        await delivery_store.fan_out(session, [article], now=datetime.now(UTC), admit=admitter)
    async with sender() as s:
        await drain(s)
    [post] = tg.sent_messages(106)
    assert post.plain_text.startswith("Cabinet meets in Damascus")
    assert len(llm.requests) == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply.error(500),
        Reply.text("I cannot translate this."),
        Reply.summary("اجتماع مجلس الوزراء", "ملخص."),
        Reply.summary("Cabinet meets 3 times", "A summary."),
    ],
    ids=["error", "garbage", "untranslated", "invented-number"],
)
async def test_on_any_failure_the_original_is_sent_and_not_asked_again_soon(
    seed: Seeder,
    tg: FakeTelegram,
    llm: FakeLLMServer,
    sender: SenderFactory,
    database: Database,
    reply: Reply,
) -> None:
    llm.script(reply)
    await reader(seed, 101, "en", translate=True)
    article, _ = await seed.article(TITLE)
    async with sender() as s:
        await drain(s)
        [post] = tg.sent_messages(101)
        assert post.plain_text.startswith(TITLE)
        assert "Machine-translated" not in post.plain_text
        # A second English reader a moment later: the same sender does not ask again.
        await reader(seed, 102, "en", translate=True)
        async with database.sessions.begin() as session:
            await delivery_store.fan_out(session, [article], now=datetime.now(UTC), admit=admitter)
        await drain(s)
    [again] = tg.sent_messages(102)
    assert again.plain_text.startswith(TITLE)
    assert len(llm.requests) == 1
    assert await stored_translations(database) == []


async def test_an_llm_that_does_not_answer_in_time_delays_the_post_no_longer_than_its_bound(
    seed: Seeder, tg: FakeTelegram, llm: FakeLLMServer, sender: SenderFactory
) -> None:
    llm.script(Reply.summary("Cabinet meets", "A summary.").delayed(60))
    await reader(seed, 101, "en", translate=True)
    await seed.article(TITLE)
    async with sender(llm_timeout_seconds=0.3) as s:
        await drain(s)
    [post] = tg.sent_messages(101)
    assert post.plain_text.startswith(TITLE)


async def test_a_digest_of_translated_headlines_says_so(
    seed: Seeder, tg: FakeTelegram, llm: FakeLLMServer, sender: SenderFactory
) -> None:
    await reader(seed, 101, "en", translate=True)
    for n in range(7):
        await seed.article(f"الخبر رقم {n}")
    async with sender(digest_threshold=5, llm_concurrency=1) as s:
        await drain(s, horizon=2)
    [digest] = tg.sent_messages(101)
    lines = digest.plain_text.split("\n")
    assert lines[0] == "📰 Latest news (7)"
    assert lines[2:9] == [f"• Story number {n} — enabbaladi.net" for n in range(7)]
    assert lines[-1] == "🌐 Some headlines are machine-translated."
    assert len(llm.requests) == 7
    assert llm.max_in_flight == 1  # LLM_CONCURRENCY holds for translations too


async def test_a_briefing_of_translated_headlines_says_so(
    seed: Seeder, tg: FakeTelegram, llm: FakeLLMServer, sender: SenderFactory
) -> None:
    chat_id = await reader(seed, 101, "en", translate=True)
    async with seed.db.sessions.begin() as session:
        await session.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(briefing_minutes=[8 * 60], timezone="Asia/Damascus")
        )
    clock = Clock(datetime(2026, 5, 4, 4, tzinfo=UTC))
    for n in range(3):
        article, _ = await seed.article(f"الخبر رقم {n}", fan_out=False)
        async with seed.db.sessions.begin() as session:
            await delivery_store.fan_out(
                session, [article], now=clock.now - timedelta(hours=1), admit=admitter
            )
    async with sender(clock=clock) as s:
        await settle(s)
        assert llm.requests == []  # held stories are not translated before their briefing
        clock.now = datetime(2026, 5, 4, 5, 1, tzinfo=UTC)
        await settle(s)
    [briefing] = tg.sent_messages(101)
    lines = briefing.plain_text.split("\n")
    assert lines[0] == "📰 News briefing — 4 May 2026, 08:01"
    assert lines[2] == "Politics"
    assert sorted(lines[3:6]) == [f"• Story number {n} — enabbaladi.net" for n in range(3)]
    assert lines[-1] == "🌐 Some headlines are machine-translated."
    assert len([e for e in briefing.entities if e["type"] == "text_link"]) == 3
