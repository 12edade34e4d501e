"""Queries on chats: one row per Telegram chat, found by its Telegram id."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage import deliveries as delivery_store
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
    """Stop treating the chat as reachable (the bot was removed, kicked or blocked); what
    waits to be sent to it is cancelled."""
    chat_id = await session.scalar(select(Chat.id).where(Chat.telegram_id == telegram_id))
    if chat_id is not None:
        await delivery_store.deactivate_chat(session, chat_id, reason)


MINUTES_PER_DAY = 24 * 60


async def set_quiet_hours(
    session: AsyncSession,
    telegram_id: int,
    start_minute: int | None,
    end_minute: int | None,
    timezone: str | None,
) -> Chat:
    """Store the chat's quiet hours (minutes after local midnight; both None to clear them)
    and its time zone (None to clear it); the chat's row, created as a private chat when
    missing (quiet hours are for private chats)."""
    if (start_minute is None) != (end_minute is None):
        raise ValueError("quiet hours need both a start and an end, or neither")
    for minute in (start_minute, end_minute):
        if minute is not None and not 0 <= minute < MINUTES_PER_DAY:
            raise ValueError(f"a quiet hours minute is 0 to {MINUTES_PER_DAY - 1}, not {minute}")
    now = utcnow()
    await session.execute(
        insert_ignoring_conflicts(session, Chat).values(
            telegram_id=telegram_id,
            kind=ChatKind.PRIVATE,
            active=True,
            created_at=now,
            updated_at=now,
        )
    )
    await session.execute(
        update(Chat)
        .where(Chat.telegram_id == telegram_id)
        .values(quiet_start_minute=start_minute, quiet_end_minute=end_minute, timezone=timezone)
    )
    chat = await get_chat(session, telegram_id)
    assert chat is not None
    return chat


async def list_channels(session: AsyncSession) -> list[Chat]:
    """Every channel row, active ones first, then by id (read afresh)."""
    rows = await session.scalars(
        select(Chat)
        .where(Chat.kind == ChatKind.CHANNEL)
        .order_by(Chat.active.desc(), Chat.id)
        .execution_options(populate_existing=True)
    )
    return list(rows)


async def find_channel(
    session: AsyncSession,
    *,
    row_id: int | None = None,
    telegram_id: int | None = None,
    username: str | None = None,
) -> Chat | None:
    """The channel with this row id, Telegram id or @username (case-insensitive), read
    afresh."""
    query = (
        select(Chat).where(Chat.kind == ChatKind.CHANNEL).execution_options(populate_existing=True)
    )
    if row_id is not None:
        return await session.scalar(query.where(Chat.id == row_id))
    if telegram_id is not None:
        return await session.scalar(query.where(Chat.telegram_id == telegram_id))
    if username is None:
        return None
    wanted = username.casefold()
    rows = await session.scalars(query.where(Chat.username.is_not(None)))
    return next((c for c in rows if (c.username or "").casefold() == wanted), None)
