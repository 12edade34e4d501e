"""The admins' source commands: the real bot against FakeTelegram, a local feed server and a
real database (SQLite, then PostgreSQL)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.ingest.opml import read_opml, write_opml
from bot.ingest.sourcespec import SourceSpec
from bot.services import sources as service
from bot.services.audit import CLI
from handlers import admin_source_add
from handlers.source_replies import duration
from storage.models import AdminAction, Article, Source
from tests.botharness import AR_USER, EN_USER, MEMBER, Harness, bot_harness, wait_until
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, article_page, rss
from tests.fakes.telegram_server import SentMessage, UploadedFile

ADMIN_USER = EN_USER  # an admin by ADMIN_IDS, in English
STRANGER = MEMBER  # no admin, in Arabic


@dataclass
class World:
    bot: Harness
    feeds: FeedServer


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    async with FeedServer() as feeds, bot_harness(database, admin_ids=(ADMIN_USER,)) as bot:
        feeds.add(
            "/news.xml",
            rss(
                [
                    Item(
                        "Older story about the harbour",
                        link="https://example.com/old",
                        description="The harbour opened a new pier for fishing boats.",
                        published=datetime(2026, 1, 27, 8, tzinfo=UTC),
                    ),
                    Item(
                        "Council approves the new city budget",
                        link="https://example.com/budget",
                        description="The city council approved next year's budget on Monday.",
                        published=datetime(2026, 1, 28, 9, tzinfo=UTC),
                    ),
                ],
                title="Example News",
            ),
        )
        feeds.add(
            "/page.html", article_page("A page", ["Just a page."] * 3), content_type="text/html"
        )
        feeds.add("/bytes.bin", b"\x00\x01\x02", content_type="application/octet-stream")
        yield World(bot, feeds)


def _buttons(message: SentMessage) -> dict[str, str]:
    """callback_data → text of the message's inline keyboard."""
    markup = message.reply_markup
    assert markup is not None
    return {b["callback_data"]: b["text"] for row in markup["inline_keyboard"] for b in row}


def _current(bot: Harness, message: SentMessage) -> SentMessage:
    [now] = [m for m in bot.tg.sent_messages(message.chat_id) if m.message_id == message.message_id]
    return now


async def _sources(db: Database) -> list[Source]:
    async with db.sessions() as session:
        return list(await session.scalars(select(Source).order_by(Source.id)))


async def _actions(db: Database) -> list[AdminAction]:
    async with db.sessions() as session:
        return list(await session.scalars(select(AdminAction).order_by(AdminAction.id)))


async def _add(db: Database, url: str, name: str | None = None) -> int:
    async with db.sessions.begin() as session:
        return (await service.add_source(session, SourceSpec(url=url, name=name), actor=CLI)).id


async def test_a_non_admin_is_refused_and_nothing_changes(world: World) -> None:
    bot = world.bot
    source_id = await _add(bot.db, "https://example.com/feed", "example")
    for text in (
        f"/addsource {world.feeds.url('/news.xml')}",
        f"/delsource {source_id}",
        f"/pausesource {source_id}",
        "/sources",
        "/export",
    ):
        [refusal] = await bot.command(STRANGER, STRANGER, text)
        assert "للمشرفين" in refusal.plain_text, text
    refusal_id = bot.tg.sent_messages(STRANGER)[-1].message_id
    answer = await bot.press(STRANGER, STRANGER, refusal_id, f"adm:v1:src:del:{source_id}")
    assert answer.get("show_alert")
    assert world.feeds.requests_to("/news.xml") == []
    [source] = await _sources(bot.db)
    assert not source.paused
    assert [a.action for a in await _actions(bot.db)] == ["source.add"]  # the seeding above


async def test_preview_then_confirm_saves_the_source_and_records_who_did_it(world: World) -> None:
    bot = world.bot
    url = world.feeds.url("/news.xml")
    post, question = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {url} politics en", 2)
    assert "Council approves the new city budget" in post.plain_text  # the newest entry
    assert "harbour" not in post.plain_text
    assert post.reply_markup is not None  # the read-at-source button, as readers get it
    assert "Example News" in question.plain_text
    buttons = _buttons(question)
    [save] = [data for data in buttons if data.startswith("adm:v1:src:add:")]
    assert await _sources(bot.db) == []  # nothing saved before the confirmation
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, save)
    await wait_until(lambda: "Saved as source" in _current(bot, question).plain_text)
    [source] = await _sources(bot.db)
    assert (source.url, source.language) == (url, "en")
    assert source.category is not None
    assert source.category.slug == "politics"
    assert f"source {source.id}" in _current(bot, question).plain_text
    [action] = await _actions(bot.db)
    assert (action.actor_id, action.via, action.action) == (ADMIN_USER, "telegram", "source.add")
    assert action.target == f"source {source.id}"
    assert action.before is None
    assert action.after is not None
    assert action.after["url"] == url
    # The same button again: the preview is used up, nothing more is saved.
    answer = await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, save)
    assert answer.get("show_alert")
    assert len(await _sources(bot.db)) == 1


async def test_cancel_saves_nothing_and_a_forged_token_changes_nothing(world: World) -> None:
    bot = world.bot
    url = world.feeds.url("/news.xml")
    _, question = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {url}", 2)
    [cancel] = [data for data in _buttons(question) if data.startswith("adm:v1:src:drop:")]
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, "adm:v1:src:add:forgedtoken1")
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, "adm:v1:src:add:<b>")
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, cancel)
    await wait_until(lambda: "nothing was saved" in _current(bot, question).plain_text)
    assert await _sources(bot.db) == []
    assert await _actions(bot.db) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/missing.xml", "HTTP error 404"),
        ("/page.html", "There is no feed at"),
        ("/bytes.bin", "neither a feed nor a web page"),
        (None, "address is refused"),
    ],
)
async def test_a_url_that_gives_no_feed_is_explained_and_not_saved(
    world: World, path: str | None, expected: str
) -> None:
    bot = world.bot
    url = world.feeds.url(path) if path else "http://10.0.0.1/feed.xml"
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {url}")
    assert expected in answer.plain_text
    assert "Nothing was saved" in answer.plain_text
    assert answer.reply_markup is None
    assert await _sources(bot.db) == []
    assert await _actions(bot.db) == []


async def test_bad_or_hostile_arguments_get_a_usage_line(world: World) -> None:
    bot = world.bot
    source_id = await _add(bot.db, "https://example.com/feed")
    huge = "https://example.com/" + "a" * 3000
    for text in (
        "/addsource",
        f"/addsource {huge}",
        "/addsource https://example.com/x politics en extra",
        "/addsource https://example.com/x en ar",
        "/source",
        "/source -1",
        "/source 1e3",
        "/source 99999999999999999999999",
        f"/source {source_id} {source_id}",
        "/pausesource abc",
        "/resumesource",
        "/delsource 0",
        "/sources 0",
        "/sources x",
        "/export now",
    ):
        [answer] = await bot.command(ADMIN_USER, ADMIN_USER, text)
        assert answer.plain_text.startswith("Usage: /"), (text, answer.plain_text)
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, "/addsource <b>javascript:alert(1)</b>")
    assert "cannot be added" in answer.plain_text
    assert "<b>javascript" in answer.plain_text  # shown as text, not taken as markup
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, "/addsource https://example.com/feed")
    assert "already a source" in answer.plain_text
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, "/addsource https://example.com/x nope")
    assert "There is no category “nope”" in answer.plain_text
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, "/source 999")
    assert "no source with the number 999" in answer.plain_text
    assert len(await _sources(bot.db)) == 1
    assert len(await _actions(bot.db)) == 1  # the seeding


async def test_sources_are_listed_ten_a_page_with_each_ones_state(world: World) -> None:
    bot = world.bot
    ids = [await _add(bot.db, f"https://example.com/{i}.xml", f"site{i:02d}") for i in range(12)]
    async with bot.db.sessions.begin() as session:
        source = await session.get(Source, ids[1])
        assert source is not None
        source.failures, source.last_error = 3, "HTTP 500 from example.com " + "x" * 500
        source.last_polled_at = datetime(2026, 1, 28, 9, tzinfo=UTC)
        await service.pause_source(session, ids[2], actor=CLI)
    [page] = await bot.command(ADMIN_USER, ADMIN_USER, "/sources")
    text = page.plain_text
    assert "Sources: 12 sources, page 1 of 2 (times in Asia/Damascus)" in text
    assert "site09" in text
    assert "site10" not in text
    assert re.search(rf"{ids[1]} · site01 — failing\nfeed · Last poll: 2026-01-28 \d\d:00", text)
    assert "Last error: HTTP 500 from example.com" in text
    assert len(text) < 4096  # the long error is trimmed
    assert f"{ids[2]} · site02 — paused" in text
    assert f"{ids[0]} · site00 — not polled yet\nfeed · Last poll: never · New today: 0" in text
    assert _buttons(page) == {"adm:v1:src:page:2": "Next ›"}
    await bot.press(ADMIN_USER, ADMIN_USER, page.message_id, "adm:v1:src:page:2")
    await wait_until(lambda: "page 2 of 2" in _current(bot, page).plain_text)
    second = _current(bot, page)
    assert "site10" in second.plain_text
    assert "site11" in second.plain_text
    assert "site09" not in second.plain_text
    assert _buttons(second) == {"adm:v1:src:page:1": "‹ Previous"}


async def test_pause_resume_and_delete_after_confirmation(world: World) -> None:
    bot = world.bot
    source_id = await _add(bot.db, "https://example.com/feed", "example")
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/pausesource {source_id}")
    assert f"Source {source_id} is paused" in answer.plain_text
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/pausesource {source_id}")
    assert "already paused" in answer.plain_text
    [detail] = await bot.command(ADMIN_USER, ADMIN_USER, f"/source {source_id}")
    assert "State: paused" in detail.plain_text
    assert "Poll interval: 15 minutes (the default)" in detail.plain_text
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/resumesource {source_id}")
    assert "polled again" in answer.plain_text
    [source] = await _sources(bot.db)
    assert not source.paused

    [question] = await bot.command(ADMIN_USER, ADMIN_USER, f"/delsource {source_id}")
    assert set(_buttons(question)) == {
        f"adm:v1:src:del:{source_id}",
        f"adm:v1:src:keep:{source_id}",
    }
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, f"adm:v1:src:keep:{source_id}")
    await wait_until(lambda: "Nothing was deleted" in _current(bot, question).plain_text)
    assert len(await _sources(bot.db)) == 1
    [question] = await bot.command(ADMIN_USER, ADMIN_USER, f"/delsource {source_id}")
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, f"adm:v1:src:del:{source_id}")
    await wait_until(lambda: "is deleted" in _current(bot, question).plain_text)
    assert await _sources(bot.db) == []
    actions = await _actions(bot.db)
    assert [a.action for a in actions] == [
        "source.add",
        "source.pause",
        "source.resume",
        "source.delete",
    ]
    pause, resume, delete = actions[1:]
    assert pause.before is not None
    assert pause.after is not None
    assert (pause.before["paused"], pause.after["paused"]) == (False, True)
    assert resume.after is not None
    assert resume.after["paused"] is False
    assert delete.before is not None
    assert delete.before["url"] == "https://example.com/feed"
    assert delete.after is None
    assert {a.actor_id for a in actions[1:]} == {ADMIN_USER}


async def test_setinterval_takes_durations_and_refuses_bad_ones(world: World) -> None:
    bot = world.bot
    source_id = await _add(bot.db, "https://example.com/feed")
    for text in (
        "/setinterval",
        f"/setinterval {source_id}",
        "/setinterval x 15m",
        f"/setinterval {source_id} 5s",
        f"/setinterval {source_id} forever",
        f"/setinterval {source_id} 30d",
        f"/setinterval {source_id} -15m",
        f"/setinterval {source_id} 15m extra",
        f"/setinterval {source_id} {'9' * 40}",
    ):
        [answer] = await bot.command(ADMIN_USER, ADMIN_USER, text)
        assert answer.plain_text.startswith("Usage: /setinterval"), text
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/setinterval {source_id} 15m")
    assert f"Source {source_id} is now polled every 15 minutes" in answer.plain_text
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, "/setinterval 999 1h")
    assert "no source with the number 999" in answer.plain_text
    [source] = await _sources(bot.db)
    assert source.interval_seconds == 900
    action = (await _actions(bot.db))[-1]
    assert action.action == "source.interval"
    assert action.before is not None
    assert action.after is not None
    assert (action.before["interval_seconds"], action.after["interval_seconds"]) == (None, 900)


async def _upload(bot: Harness, content: bytes, name: str) -> SentMessage:
    before = len(bot.tg.sent_messages(ADMIN_USER))
    bot.tg.inject_document(ADMIN_USER, ADMIN_USER, content, name, "text/x-opml")
    await wait_until(lambda: len(bot.tg.sent_messages(ADMIN_USER)) > before)
    return bot.tg.sent_messages(ADMIN_USER)[before]


async def test_an_opml_upload_is_imported_and_export_sends_the_sources_back(world: World) -> None:
    bot = world.bot
    await _add(bot.db, "https://example.com/kept.xml", "kept")
    specs = [
        SourceSpec("https://example.com/kept.xml", name="kept"),
        SourceSpec("https://example.org/a.xml", name="A", language="ar", category="politics"),
        SourceSpec("https://example.net/b.xml", name="B", interval_seconds=1800),
    ]
    report = await _upload(bot, write_opml(specs), "feeds.opml")
    assert "sources added: 2; already present: 1" in report.plain_text
    assert "+ https://example.org/a.xml" in report.plain_text
    assert len(await _sources(bot.db)) == 3
    assert (await _actions(bot.db))[-1].action == "source.import"

    broken = await _upload(bot, b"<opml><body><outline xmlUrl='x'", "broken.opml")
    assert "not imported, and nothing was saved" in broken.plain_text
    unknown = [SourceSpec("https://example.com/new.xml", category="no-such-category")]
    refused = await _upload(bot, write_opml(unknown), "unknown.opml")
    assert "There is no category" in refused.plain_text
    assert len(await _sources(bot.db)) == 3

    [document] = await bot.command(ADMIN_USER, ADMIN_USER, "/export")
    assert document.method == "sendDocument"
    assert "3 feeds" in document.plain_text
    assert isinstance(document.document, UploadedFile)
    exported = read_opml(document.document.data)
    assert {s.url for s in exported} == {s.url for s in specs}
    [a] = [s for s in exported if s.url == "https://example.org/a.xml"]
    assert (a.language, a.category) == ("ar", "politics")


async def test_an_arabic_admin_gets_arabic_answers(database: Database) -> None:
    async with bot_harness(database, admin_ids=(STRANGER,)) as bot:
        [answer] = await bot.command(STRANGER, STRANGER, "/sources")
        assert "لا مصادر بعد" in answer.plain_text
        [answer] = await bot.command(STRANGER, STRANGER, "/setinterval")
        assert answer.plain_text.startswith("الاستخدام: /setinterval")
        async with database.sessions() as session:
            assert await session.scalar(select(func.count()).select_from(Source)) == 0


async def test_deleting_a_source_deletes_its_articles(world: World) -> None:
    bot = world.bot
    await bot.seed_articles("politics", ["first", "second"])
    [source] = await _sources(bot.db)
    [question] = await bot.command(ADMIN_USER, ADMIN_USER, f"/delsource {source.id}")
    assert "Its stored articles (2 articles) go with it" in question.plain_text
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, f"adm:v1:src:del:{source.id}")
    await wait_until(lambda: "is deleted" in _current(bot, question).plain_text)
    assert "with 2 articles; dropped before sending: 0 posts." in (
        _current(bot, question).plain_text
    )
    async with bot.db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Article)) == 0
    delete = (await _actions(bot.db))[-1]
    assert delete.before is not None
    assert (delete.before["articles"], delete.before["pending_deliveries"]) == (2, 0)


async def test_a_previewed_source_can_be_saved_after_the_bot_restarts(database: Database) -> None:
    async with FeedServer() as feeds:
        feeds.add("/f.xml", rss([Item("Budget news", link="https://example.com/b")]))
        url = feeds.url("/f.xml")
        async with bot_harness(database, admin_ids=(ADMIN_USER,)) as bot:
            _, question = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {url}", 2)
            [save] = [d for d in _buttons(question) if d.startswith("adm:v1:src:add:")]
        assert await _sources(database) == []
        async with bot_harness(database, admin_ids=(ADMIN_USER,)) as bot:
            [shown] = await bot.command(ADMIN_USER, ADMIN_USER, "/help")
            answer = await bot.press(ADMIN_USER, ADMIN_USER, shown.message_id, save)
            assert not answer.get("show_alert")
            [source] = await _sources(bot.db)
            assert source.url == url
            again = await bot.press(ADMIN_USER, ADMIN_USER, shown.message_id, save)
            assert again.get("show_alert")
            assert len(await _sources(bot.db)) == 1


async def test_only_the_asking_admin_may_confirm_and_only_before_expiry(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with (
        FeedServer() as feeds,
        bot_harness(database, admin_ids=(ADMIN_USER, AR_USER)) as bot,
    ):
        feeds.add("/f.xml", rss([Item("Budget news", link="https://example.com/b")]))
        url = feeds.url("/f.xml")
        _, question = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {url}", 2)
        [save] = [d for d in _buttons(question) if d.startswith("adm:v1:src:add:")]
        answer = await bot.press(ADMIN_USER, AR_USER, question.message_id, save)
        assert answer.get("show_alert")
        assert "للمشرف الذي طلبها" in str(answer.get("text"))
        assert await _sources(bot.db) == []

        monkeypatch.setattr(admin_source_add, "PENDING_TTL", timedelta(0))
        _, late = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {url}", 2)
        [save] = [d for d in _buttons(late) if d.startswith("adm:v1:src:add:")]
        answer = await bot.press(ADMIN_USER, ADMIN_USER, late.message_id, save)
        assert "expired" in str(answer.get("text"))
        assert await _sources(bot.db) == []
        assert await _actions(bot.db) == []


async def test_sources_and_source_hide_credentials_in_urls(database: Database) -> None:
    secret = "https://reader:hunter2@news.example/feed.xml?key=s3cr3t&lang=ar"
    source_id = await _add(database, secret)
    async with bot_harness(database, admin_ids=(ADMIN_USER,)) as bot:
        [listing] = await bot.command(ADMIN_USER, ADMIN_USER, "/sources")
        [detail] = await bot.command(ADMIN_USER, ADMIN_USER, f"/source {source_id}")
    for message in (listing, detail):
        assert "hunter2" not in message.plain_text
        assert "s3cr3t" not in message.plain_text
    assert "https://***@news.example/feed.xml?key=***&lang=ar" in detail.plain_text


@pytest.mark.parametrize(
    ("seconds", "language", "expected"),
    [
        (60, "ar", "دقيقة واحدة"),
        (120, "ar", "دقيقتان"),
        (300, "ar", "٥ دقائق"),
        (900, "ar", "١٥ دقيقة"),
        (3600 * 11, "ar", "١١ ساعة"),
        (90, "ar", "٩٠ ثانية"),
        (60, "en", "1 minute"),
        (900, "en", "15 minutes"),
        (7200, "en", "2 hours"),
    ],
)
def test_intervals_read_with_their_plural_forms(seconds: int, language: str, expected: str) -> None:
    assert duration(seconds, language) == expected
