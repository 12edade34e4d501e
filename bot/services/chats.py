"""A chat's own settings (language, quiet hours) and the bot's membership in chats; what the
readers' commands and membership updates change. No Telegram here."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.subscriptions import ChatRef
from storage import chats as chat_store
from storage import deliveries as delivery_store
from storage import subscriptions as subscription_store
from storage.chat_options import NO_OPTIONS, ChatOptions, options_of
from storage.models import Chat, ChatKind
from storage.types import utcnow


@dataclass(frozen=True, slots=True)
class ChatSettings:
    """A stored chat as the bot's handlers see it."""

    id: int
    telegram_id: int
    kind: ChatKind
    language: str | None
    timezone: str | None
    quiet_start_minute: int | None
    quiet_end_minute: int | None
    active: bool
    options: ChatOptions = NO_OPTIONS

    @classmethod
    def of(cls, chat: Chat) -> ChatSettings:
        return cls(
            chat.id,
            chat.telegram_id,
            chat.kind,
            chat.language,
            chat.timezone,
            chat.quiet_start_minute,
            chat.quiet_end_minute,
            chat.active,
            options_of(chat),
        )


async def chat_settings(session: AsyncSession, telegram_id: int) -> ChatSettings | None:
    """The chat's stored settings; None for a chat never seen."""
    chat = await chat_store.get_chat(session, telegram_id)
    return ChatSettings.of(chat) if chat is not None else None


async def set_language(session: AsyncSession, ref: ChatRef, language: str) -> None:
    await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )
    await chat_store.set_language(session, ref.telegram_id, language)


async def set_quiet_hours(
    session: AsyncSession,
    ref: ChatRef,
    start_minute: int | None,
    end_minute: int | None,
    timezone: str | None,
) -> None:
    """Store (or, with None and None, clear) a private chat's quiet hours and time zone; the
    posts held for the old span are released at once."""
    await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )
    row = await chat_store.set_quiet_hours(
        session, ref.telegram_id, start_minute, end_minute, timezone
    )
    await delivery_store.release_quiet_hold(session, row.id, now=utcnow())


async def bot_left(session: AsyncSession, telegram_id: int, reason: str) -> None:
    """The bot was removed, kicked or blocked: the chat is inactive, its waiting posts
    cancelled."""
    await chat_store.set_inactive(session, telegram_id, reason)


async def bot_joined(session: AsyncSession, ref: ChatRef, added_by: int) -> ChatSettings:
    """The bot is (again) in the chat: its row, active."""
    chat = await chat_store.upsert_chat(
        session,
        ref.telegram_id,
        ref.kind,
        title=ref.title,
        username=ref.username,
        added_by=added_by,
        activate=True,
    )
    return ChatSettings.of(chat)


async def subscribed_by_row(session: AsyncSession, chat_row_id: int) -> set[int]:
    """The category ids the chat with this row id follows."""
    return await subscription_store.subscribed_category_ids(session, chat_row_id)
