"""Queries for the deployment's figures (/stats, `nashra stats`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    Article,
    ArticleStatus,
    Category,
    Chat,
    ChatKind,
    Delivery,
    DeliveryState,
    Subscription,
)


async def chats_by_kind(session: AsyncSession) -> tuple[dict[ChatKind, int], int]:
    """(active chats by kind, inactive chats)."""
    active: dict[ChatKind, int] = {}
    inactive = 0
    rows = await session.execute(
        select(Chat.kind, Chat.active, func.count()).group_by(Chat.kind, Chat.active)
    )
    for kind, is_active, n in rows:
        if is_active:
            active[ChatKind(kind)] = n
        else:
            inactive += n
    return active, inactive


async def subscriptions_by_category(session: AsyncSession) -> list[tuple[str, int]]:
    """(slug, active chats subscribed) for every category, in the readers' order."""
    counted = await session.execute(
        select(Subscription.category_id, func.count())
        .join(Chat, Chat.id == Subscription.chat_id)
        .where(Chat.active.is_(True))
        .group_by(Subscription.category_id)
    )
    counts = {int(id_): int(n) for id_, n in counted}
    categories = await session.execute(
        select(Category.id, Category.slug).order_by(Category.position, Category.slug)
    )
    return [(slug, counts.get(id_, 0)) for id_, slug in categories]


async def articles_fetched(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Articles fetched in [start, end), a first poll's backfill left out."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Article)
            .where(
                Article.fetched_at >= start,
                Article.fetched_at < end,
                Article.status != ArticleStatus.SEEN,
            )
        )
        or 0
    )


async def pending_deliveries(session: AsyncSession) -> int:
    """Deliveries waiting or being sent, whenever queued."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.state.in_((DeliveryState.PENDING, DeliveryState.SENDING)))
        )
        or 0
    )


async def sent_between(
    session: AsyncSession, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """(sent at, its article fetched at) of the posts and digests sent in [start, end)."""
    rows = await session.execute(
        select(Delivery.sent_at, Article.fetched_at)
        .join(Article, Article.id == Delivery.article_id)
        .where(
            Delivery.state.in_((DeliveryState.SENT, DeliveryState.DIGESTED)),
            Delivery.sent_at >= start,
            Delivery.sent_at < end,
        )
    )
    return [(sent, fetched) for sent, fetched in rows if sent is not None]
