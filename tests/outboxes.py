"""Seeding the outbox for tests: chats, subscriptions, ready articles of shared stories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from bot.text.filters import admitter
from storage import deliveries as delivery_store
from storage.models import (
    Article,
    ArticleStatus,
    Chat,
    ChatKind,
    Delivery,
    Source,
    Story,
    Subscription,
)
from tests.botharness import category_id
from tests.conftest import Database
from tests.fakes.telegram_server import FakeTelegram

T0 = datetime(2026, 1, 28, 8, tzinfo=UTC)


@dataclass
class Seeder:
    db: Database
    tg: FakeTelegram | None = None
    _articles: int = 0

    async def category(self, slug: str) -> int:
        return await category_id(self.db, slug)

    async def chat(
        self,
        telegram_id: int,
        kind: str = "private",
        *,
        slugs: tuple[str, ...] = ("politics",),
        active: bool = True,
        language: str | None = None,
    ) -> int:
        """A chat subscribed to `slugs`, known to the fake server too; returns its row id."""
        if self.tg is not None:
            self.tg.add_chat(telegram_id, kind, title=None if kind == "private" else "News")
            if kind == "channel":
                self.tg.set_member(
                    telegram_id, self.tg.bot_id, "administrator", can_post_messages=True
                )
        categories = [await self.category(slug) for slug in slugs]
        async with self.db.sessions.begin() as session:
            chat = Chat(
                telegram_id=telegram_id, kind=ChatKind(kind), active=active, language=language
            )
            session.add(chat)
            await session.flush()
            for category_id in categories:
                session.add(Subscription(chat_id=chat.id, category_id=category_id))
            return chat.id

    async def source(self, name: str = "enabbaladi.net") -> int:
        async with self.db.sessions.begin() as session:
            found = await session.scalar(select(Source.id).where(Source.name == name))
            if found is not None:
                return found
            source = Source(url=f"https://{name}/feed", name=name)
            session.add(source)
            await session.flush()
            return source.id

    async def article(
        self,
        title: str,
        slug: str = "politics",
        *,
        story_id: int | None = None,
        source: str = "enabbaladi.net",
        image_url: str | None = None,
        language: str = "ar",
        status: ArticleStatus = ArticleStatus.READY,
        fan_out: bool = True,
    ) -> tuple[int, int]:
        """A stored article (and its story, unless given), fanned out like the poller does;
        returns (article id, story id)."""
        category_id = await self.category(slug)
        source_id = await self.source(source)
        self._articles += 1
        n = self._articles
        async with self.db.sessions.begin() as session:
            if story_id is None:
                story = Story(language=language)
                session.add(story)
                await session.flush()
                story_id = story.id
            url = f"https://{source}/{slug}/{n}"
            article = Article(
                source_id=source_id,
                guid_key=url,
                url_key=url,
                url=url,
                title=title,
                language=language,
                category_id=category_id,
                status=status,
                story_id=story_id,
                image_url=image_url,
                published_at=T0 + timedelta(minutes=n),
                fetched_at=T0 + timedelta(minutes=n),
                headline=title,
                summary=f"ملخص {title}.",
            )
            session.add(article)
            await session.flush()
            if fan_out:
                await delivery_store.fan_out(
                    session, [article.id], now=datetime.now(UTC), admit=admitter
                )
            return article.id, story_id

    async def deliveries(self) -> list[Delivery]:
        async with self.db.sessions() as session:
            return list(await session.scalars(select(Delivery).order_by(Delivery.id)))

    async def chat_row(self, chat_id: int) -> Chat:
        async with self.db.sessions() as session:
            chat = await session.get(Chat, chat_id)
        assert chat is not None
        return chat


def chat_plan(count: int) -> list[tuple[int, ChatKind]]:
    """`count` chats for the bulk tests: 1 in 20 a supergroup, 1 in 100 a channel, the rest
    private; (Telegram id, kind)."""
    plan: list[tuple[int, ChatKind]] = []
    for n in range(count):
        if n % 100 == 99:
            plan.append((-1_002_000_000_000 - n, ChatKind.CHANNEL))
        elif n % 20 == 19:
            plan.append((-1_001_000_000_000 - n, ChatKind.SUPERGROUP))
        else:
            plan.append((100_000_000 + n, ChatKind.PRIVATE))
    return plan


async def add_subscribed_chats(
    db: Database, tg: FakeTelegram, plan: list[tuple[int, ChatKind]], slug: str = "politics"
) -> int:
    """The chats of `plan`, active and subscribed to `slug`, bulk-inserted and known to the
    fake server (the bot an admin who may post in the channels); the category's id."""
    for telegram_id, kind in plan:
        tg.add_chat(telegram_id, kind.value)
        if kind is ChatKind.CHANNEL:
            tg.set_member(telegram_id, tg.bot_id, "administrator", can_post_messages=True)
    category = await category_id(db, slug)
    async with db.sessions.begin() as session:
        await session.execute(
            insert(Chat),
            [
                {"telegram_id": telegram_id, "kind": kind, "title": None, "active": True}
                for telegram_id, kind in plan
            ],
        )
        chat_ids = list(await session.scalars(select(Chat.id)))
        await session.execute(
            insert(Subscription),
            [{"chat_id": chat_id, "category_id": category, "filters": {}} for chat_id in chat_ids],
        )
    return category
