"""Queries on chats: one row per Telegram chat, found by its Telegram id."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.articles import insert_ignoring_conflicts
from storage.models import Chat, ChatKind
from storage.types import utcnow


async def get_chat(session: AsyncSession, telegram_id: int) -> Chat | None:
    return await session.scalar(
        select(Chat)
        .where(Chat.telegram_id == telegram_id)
        .execution_options(populate_existing=True)
    )


async def upsert_chat(
    session: AsyncSession,
    telegram_id: int,
    kind: ChatKind,
    *,
    title: str | None = None,
    username: str | None = None,
    added_by: int | None = None,
    activate: bool = False,
) -> Chat:
    """The chat's row, created when missing; kind, title and username are kept current, and
    `activate` makes an inactive chat active again."""
    now = utcnow()
    await session.execute(
        insert_ignoring_conflicts(session, Chat).values(
            telegram_id=telegram_id,
            kind=kind,
            title=title,
            username=username,
            added_by=added_by,
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    values: dict[str, object] = {"kind": kind, "title": title, "username": username}
    if activate:
        values |= {"active": True, "inactive_reason": None}
        if added_by is not None:
            values["added_by"] = added_by
    await session.execute(update(Chat).where(Chat.telegram_id == telegram_id).values(**values))
    chat = await get_chat(session, telegram_id)
    assert chat is not None
    return chat


async def set_language(session: AsyncSession, telegram_id: int, language: str | None) -> None:
    await session.execute(
        update(Chat).where(Chat.telegram_id == telegram_id).values(language=language)
    )


async def set_inactive(session: AsyncSession, telegram_id: int, reason: str) -> None:
    """Stop treating the chat as reachable (the bot was removed, kicked or blocked)."""
    await session.execute(
        update(Chat)
        .where(Chat.telegram_id == telegram_id)
        .values(active=False, inactive_reason=reason[:256])
    )
