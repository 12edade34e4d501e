"""The soak's database: seeded before `nashra run` starts (sources, chats, subscriptions, as
an admin and the readers would have made them), then read to follow the run and to check it."""

from __future__ import annotations

import random
import re
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.soak_plan import REGIONS, ChatPlan, SourcePlan
from storage.models import (
    Article,
    ArticleStatus,
    Category,
    Chat,
    Delivery,
    DeliveryState,
    Source,
    Subscription,
)

Key = tuple[int, int]  # (source number, entry seq): what an article's link says
WAITING = (DeliveryState.PENDING, DeliveryState.SENDING)
_LINK = re.compile(r"/a/(\d+)/(\d+)$")
_FEED = re.compile(r"/feeds/(\d+)\.xml$")


def article_key(url: str | None) -> Key | None:
    match = _LINK.search(url or "")
    return (int(match[1]), int(match[2])) if match else None


async def seed(
    sessions: async_sessionmaker[AsyncSession],
    base_url: str,
    sources: list[SourcePlan],
    chats: list[ChatPlan],
    *,
    interval: float,
    seed: int,
) -> None:
    """The regions' categories, the sources (polled before, their next polls spread over one
    interval, as in a running deployment), the chats and their subscriptions."""
    rng = random.Random(f"due-{seed}")
    now = datetime.now(UTC)
    async with sessions.begin() as session:
        await session.execute(
            insert(Category),
            [
                {"slug": slug, "names": {"ar": ar, "en": en}, "position": 100 + n}
                for n, (slug, (ar, en)) in enumerate(REGIONS.items())
            ],
        )
        categories = dict((await session.execute(select(Category.slug, Category.id))).all())
        await session.execute(
            insert(Source),
            [
                {
                    "url": base_url.rstrip("/") + plan.path,
                    "name": f"outlet{plan.number}.example",
                    "language": plan.language,
                    "category_id": categories[plan.category],
                    "first_polled": True,
                    "next_poll_at": now + timedelta(seconds=rng.uniform(0, interval)),
                }
                for plan in sources
            ],
        )
        await session.execute(
            insert(Chat),
            [{"telegram_id": c.telegram_id, "kind": c.kind, "language": c.language} for c in chats],
        )
        ids = dict((await session.execute(select(Chat.telegram_id, Chat.id))).all())
        await session.execute(
            insert(Subscription),
            [
                {"chat_id": ids[c.telegram_id], "category_id": categories[slug], "filters": {}}
                for c in chats
                for slug in c.categories
            ],
        )


async def state_counts(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session:
        rows = await session.execute(select(Delivery.state, func.count()).group_by(Delivery.state))
        return {DeliveryState(state).value: count for state, count in rows}


async def waiting(sessions: async_sessionmaker[AsyncSession]) -> int:
    """Deliveries to active chats still pending or being sent."""
    async with sessions() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(Chat, Chat.id == Delivery.chat_id)
            .where(Delivery.state.in_(WAITING), Chat.active.is_(True))
        )
        return int(count or 0)


@dataclass(frozen=True, slots=True)
class StoredArticle:
    id: int
    story_id: int | None
    status: ArticleStatus


async def articles(
    sessions: async_sessionmaker[AsyncSession], after: int = 0
) -> dict[Key, StoredArticle]:
    """The articles stored with an id above `after`, by the key their link carries."""
    async with sessions() as session:
        rows = await session.execute(
            select(Article.id, Article.url, Article.story_id, Article.status).where(
                Article.id > after
            )
        )
        found = {}
        for article_id, url, story_id, status in rows:
            key = article_key(url)
            if key is not None:
                found[key] = StoredArticle(article_id, story_id, ArticleStatus(status))
        return found


async def source_numbers(sessions: async_sessionmaker[AsyncSession]) -> dict[int, int]:
    """Source row id → the plan's source number."""
    async with sessions() as session:
        rows = await session.execute(select(Source.id, Source.url))
        return {source_id: int(match[1]) for source_id, url in rows if (match := _FEED.search(url))}


@dataclass(frozen=True, slots=True)
class StoredChat:
    id: int
    active: bool
    reason: str | None
    kind: str
    waiting: int  # deliveries pending or being sent


async def chats(sessions: async_sessionmaker[AsyncSession]) -> dict[int, StoredChat]:
    """Every chat by its Telegram id, with how many deliveries it has waiting."""
    async with sessions() as session:
        waiting_rows = await session.execute(
            select(Delivery.chat_id, func.count())
            .where(Delivery.state.in_(WAITING))
            .group_by(Delivery.chat_id)
        )
        waiting_by_row: dict[int, int] = dict(waiting_rows.all())
        rows = await session.execute(
            select(Chat.id, Chat.telegram_id, Chat.active, Chat.inactive_reason, Chat.kind)
        )
        return {
            telegram_id: StoredChat(row_id, active, reason, kind, waiting_by_row.get(row_id, 0))
            for row_id, telegram_id, active, reason, kind in rows
        }


@dataclass(frozen=True, slots=True)
class StoredDelivery:
    chat: int  # the chat's Telegram id now
    key: Key | None
    story_id: int
    state: DeliveryState
    error: str | None


async def deliveries(
    sessions: async_sessionmaker[AsyncSession], chat_ids: Iterable[int] | None = None
) -> AsyncIterator[StoredDelivery]:
    """Every delivery (or those of these chats, by Telegram id), ordered by chat."""
    query = (
        select(
            Chat.telegram_id, Article.url, Delivery.story_id, Delivery.state, Delivery.last_error
        )
        .join(Chat, Chat.id == Delivery.chat_id)
        .join(Article, Article.id == Delivery.article_id)
        .order_by(Chat.telegram_id, Delivery.id)
    )
    if chat_ids is not None:
        query = query.where(Chat.telegram_id.in_(list(chat_ids)))
    async with sessions() as session:
        rows = await session.stream(query.execution_options(yield_per=5000))
        async for telegram_id, url, story_id, state, error in rows:
            yield StoredDelivery(
                telegram_id, article_key(url), story_id, DeliveryState(state), error
            )


async def schedule_of(sessions: async_sessionmaker[AsyncSession], numbers: list[int]) -> str:
    """How these sources (by plan number) stand in the schedule, for a report."""
    wanted = [f"/feeds/{n}.xml" for n in numbers]
    async with sessions() as session:
        rows = await session.execute(
            select(
                Source.url,
                Source.next_poll_at,
                Source.last_polled_at,
                Source.lease_until,
                Source.failures,
                Source.last_error,
            )
        )
        found = [row for row in rows if any(row.url.endswith(w) for w in wanted)]
    now = datetime.now(UTC)

    def ago(moment: datetime | None) -> str:
        return "-" if moment is None else f"{(moment - now).total_seconds():+.0f} s"

    return "; ".join(
        f"{url.rsplit('/', 1)[1]}: next poll {ago(due)}, polled {ago(polled)}, lease "
        f"{ago(lease)}, failures {failures} {(error or '')[:60]}"
        for url, due, polled, lease, failures, error in found
    )
