"""The real bot (bot.app) running in-process against FakeTelegram and a real database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.app import App, build_application, running
from bot.services import search as search_service
from bot.settings import load_settings
from bot.web import WebServer
from storage import chats as chat_store
from storage import subscriptions as subscription_store
from storage.models import Article, ArticleStatus, Category, Chat, Source
from tests.conftest import Database
from tests.fakes.telegram_server import DEFAULT_TOKEN, FakeTelegram, SentMessage

BOT_USERNAME = "nashra_test_bot"
# Only how long a broken bot is waited for: a working one answers as soon as it can, so a
# loaded machine makes a test slower, never red.
WAIT_SECONDS = 90.0
AR_USER = 1001
EN_USER = 1002
ADMIN = 2001
MEMBER = 2002
GROUP = -1005001


async def wait_until(condition: Callable[[], bool], seconds: float = WAIT_SECONDS) -> None:
    """Poll `condition` every 10 ms until it holds, failing after `seconds`."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the bot")
        await asyncio.sleep(0.01)


async def wait_until_async(
    condition: Callable[[], Awaitable[bool]], seconds: float = WAIT_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the database")
        await asyncio.sleep(0.02)


async def category_id(db: Database, slug: str) -> int:
    async with db.sessions() as session:
        found = await session.scalar(select(Category.id).where(Category.slug == slug))
    assert found is not None
    return found


async def subscribed_slugs(db: Database, telegram_id: int) -> set[str]:
    """The slugs of the categories a chat (by its Telegram id) is subscribed to."""
    async with db.sessions() as session:
        chat = await chat_store.get_chat(session, telegram_id)
        if chat is None:
            return set()
        ids = await subscription_store.subscribed_category_ids(session, chat.id)
        return set(await session.scalars(select(Category.slug).where(Category.id.in_(ids))))


@dataclass
class Harness:
    tg: FakeTelegram
    db: Database
    app: App

    async def command(self, chat: int, user: int, text: str, replies: int = 1) -> list[SentMessage]:
        """Send `text` as `user` in `chat`; the bot's next `replies` messages there."""
        before = len(self.tg.sent_messages(chat))
        self.tg.inject_message(chat, user, text)
        await wait_until(lambda: len(self.tg.sent_messages(chat)) >= before + replies)
        return self.tg.sent_messages(chat)[before:]

    async def press(self, chat: int, user: int, message_id: int, data: str) -> dict[str, object]:
        """Press an inline button; the bot's answerCallbackQuery parameters."""
        update = self.tg.inject_callback(chat, user, message_id, data)
        query_id = update["callback_query"]["id"]
        await wait_until(lambda: query_id in self.tg.callback_answers)
        return self.tg.callback_answers[query_id]

    async def category_id(self, slug: str) -> int:
        return await category_id(self.db, slug)

    async def subscriptions(self, telegram_id: int) -> set[str]:
        return await subscribed_slugs(self.db, telegram_id)

    async def chat(self, telegram_id: int) -> Chat | None:
        async with self.db.sessions() as session:
            return await chat_store.get_chat(session, telegram_id)

    async def seed_articles(
        self, slug: str, titles: list[str], *, language: str = "ar", image_url: str | None = None
    ) -> None:
        """Ready articles of one category, the first the oldest, an hour apart (each with
        `image_url`, when given)."""
        category_id = await self.category_id(slug)
        start = datetime(2026, 1, 28, 8, tzinfo=UTC)
        async with self.db.sessions.begin() as session:
            source = await session.scalar(select(Source).where(Source.name == "enabbaladi.net"))
            if source is None:
                source = Source(url="https://www.enabbaladi.net/feed", name="enabbaladi.net")
                session.add(source)
                await session.flush()
            for i, title in enumerate(titles):
                url = f"https://www.enabbaladi.net/{slug}/{i}"
                session.add(
                    Article(
                        source_id=source.id,
                        guid_key=f"{slug}-{title}",
                        url_key=url,
                        url=url,
                        title=title,
                        language=language,
                        image_url=image_url,
                        category_id=category_id,
                        status=ArticleStatus.READY,
                        published_at=start + timedelta(hours=i),
                        fetched_at=start + timedelta(hours=i),
                        headline=title,
                        summary=f"ملخص {title}.",
                    )
                )
        await search_service.index_missing(self.db.sessions)  # as the poller indexes them


@asynccontextmanager
async def bot_harness(
    database: Database, *, web: WebServer | None = None, **settings: object
) -> AsyncIterator[Harness]:
    """The bot long polling FakeTelegram (or, with WEBHOOK_* `settings`, serving a webhook on
    `web`) with the users and chats above."""
    async with FakeTelegram(token=DEFAULT_TOKEN, bot_username=BOT_USERNAME) as tg:
        tg.add_user(AR_USER, "ليلى", language_code="ar")
        tg.add_chat(AR_USER, "private")
        tg.add_user(EN_USER, "John", language_code="en-US")
        tg.add_chat(EN_USER, "private")
        tg.add_user(ADMIN, "Sami", language_code="ar")
        tg.add_user(MEMBER, "Rami", language_code="ar")
        tg.add_chat(GROUP, "supergroup", title="أخبار الحي")
        tg.set_member(GROUP, ADMIN, "administrator")
        tg.set_member(GROUP, MEMBER, "member")
        loaded = load_settings(
            **{
                "telegram_bot_token": DEFAULT_TOKEN,
                "telegram_api_base_url": tg.base_url,
                "database_url": database.url,
                "default_language": "ar",
                **settings,
            }
        )
        application = build_application(loaded, database.sessions)
        async with running(application, poll_timeout=1, web=web):
            yield Harness(tg, database, application)
