"""A chat's send-time options (/settings) through the real sender and the fake Bot API: silent
posts, link previews of the article's own page, photos off; each post rendered once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import update

from bot.compose import render as render_module
from bot.deliver import posts as posts_module
from bot.deliver.send import PLAIN_OPTIONS, SendOptions, preview_url
from storage.models import Article, Chat
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram
from tests.outboxes import Seeder
from tests.test_sender import SenderFactory, drain
from tests.test_sender import sender as sender

PHOTO = "https://enabbaladi.net/photo.jpg"


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token=DEFAULT_TOKEN) as server:
        yield server


@pytest.fixture
def seed(database: Database, tg: FakeTelegram) -> Seeder:
    return Seeder(database, tg)


async def chat_with(seed: Seeder, telegram_id: int, **options: Any) -> int:
    chat_id = await seed.chat(telegram_id)
    if options:
        async with seed.db.sessions.begin() as session:
            await session.execute(update(Chat).where(Chat.id == chat_id).values(**options))
    return chat_id


def params(tg: FakeTelegram, method: str, chat_id: int) -> list[dict[str, Any]]:
    return [r.params for r in tg.calls(method) if r.params.get("chat_id") == chat_id]


def test_a_preview_shows_an_articles_page_never_a_homepage() -> None:
    on = SendOptions(link_preview=True)
    assert preview_url("https://enabbaladi.net/2026/01/story", on) == (
        "https://enabbaladi.net/2026/01/story"
    )
    assert preview_url("https://enabbaladi.net/?p=123", on) == "https://enabbaladi.net/?p=123"
    for homepage in ("https://enabbaladi.net", "https://enabbaladi.net/", "https://x.org//"):
        assert preview_url(homepage, on) is None
    for not_a_page in (None, "", "ftp://enabbaladi.net/a", "enabbaladi.net/a", "http://[::1"):
        assert preview_url(not_a_page, on) is None
    assert preview_url("https://enabbaladi.net/2026/01/story", PLAIN_OPTIONS) is None


async def test_silent_chats_get_posts_without_a_notification(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await chat_with(seed, 101, silent=True)
    await chat_with(seed, 102)
    await seed.article("خبر نصي")
    await seed.article("خبر مصور", image_url=PHOTO)
    async with sender() as s:
        await drain(s, horizon=2)
    silent = params(tg, "sendMessage", 101) + params(tg, "sendPhoto", 101)
    loud = params(tg, "sendMessage", 102) + params(tg, "sendPhoto", 102)
    assert len(silent) == len(loud) == 2
    assert all(p.get("disable_notification") is True for p in silent)
    assert not any("disable_notification" in p for p in loud)


async def test_a_link_preview_shows_the_articles_own_page(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, database: Database
) -> None:
    await chat_with(seed, 101, link_preview=True)
    await chat_with(seed, 102)
    article, _ = await seed.article("خبر له صفحة")
    async with sender() as s:
        await drain(s)
    async with database.sessions() as session:
        page = await session.get(Article, article)
    assert page is not None
    assert page.url == "https://enabbaladi.net/politics/1"
    [with_preview] = params(tg, "sendMessage", 101)
    [without] = params(tg, "sendMessage", 102)
    assert with_preview["link_preview_options"] == {"url": page.url}
    assert without["link_preview_options"] == {"is_disabled": True}


async def test_a_homepage_link_is_never_previewed(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, database: Database
) -> None:
    await chat_with(seed, 101, link_preview=True)
    article, _ = await seed.article("خبر رابطه الصفحة الرئيسية")
    async with database.sessions.begin() as session:
        await session.execute(
            update(Article).where(Article.id == article).values(url="https://enabbaladi.net/")
        )
    async with sender() as s:
        await drain(s)
    [sent] = params(tg, "sendMessage", 101)
    assert sent["link_preview_options"] == {"is_disabled": True}


async def test_with_photos_off_a_post_with_a_photo_goes_as_text(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await chat_with(seed, 101, photos=False, link_preview=True)
    await chat_with(seed, 102)
    await seed.article("خبر مصور", image_url=PHOTO)
    async with sender() as s:
        await drain(s)
    [text] = tg.sent_messages(101)
    assert text.method == "sendMessage"
    assert text.plain_text.startswith("خبر مصور")
    [preview] = params(tg, "sendMessage", 101)
    assert preview["link_preview_options"] == {"url": "https://enabbaladi.net/politics/1"}
    [photo] = tg.sent_messages(102)
    assert photo.method == "sendPhoto"
    assert {d.sent_as for d in await seed.deliveries()} == {"text", "photo"}


async def test_a_digest_honours_the_options_and_previews_its_first_story(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory
) -> None:
    await chat_with(seed, 101, silent=True, link_preview=True)
    for n in range(7):
        await seed.article(f"الخبر رقم {n}")
    async with sender(digest_threshold=5) as s:
        await drain(s, horizon=2)
    [digest] = params(tg, "sendMessage", 101)
    assert digest["disable_notification"] is True
    assert digest["link_preview_options"] == {"url": "https://enabbaladi.net/politics/1"}


async def test_each_post_is_rendered_once_whatever_the_chats_options(
    seed: Seeder, tg: FakeTelegram, sender: SenderFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rendered: list[str] = []
    real = render_module.render_post

    def counting(content: render_module.PostContent, settings: Any) -> Any:
        rendered.append(content.headline)
        return real(content, settings)

    monkeypatch.setattr(posts_module, "render_post", counting)
    await chat_with(seed, 101, silent=True)
    await chat_with(seed, 102, link_preview=True)
    await chat_with(seed, 103, photos=False)
    await chat_with(seed, 104)
    await seed.article("خبر للجميع", image_url=PHOTO)
    async with sender() as s:
        await drain(s)
    assert len(tg.sent_messages()) == 4
    assert rendered == ["خبر للجميع"]
