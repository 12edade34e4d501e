"""What the readers' commands do to a chat's subscriptions, over storage; no Telegram here."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.text.fold import alias_key
from storage import categories as category_store
from storage import chats as chat_store
from storage import subscriptions as subscription_store
from storage.models import Category, Chat, ChatKind


@dataclass(frozen=True, slots=True)
class ChatRef:
    """A Telegram chat as an update shows it."""

    telegram_id: int
    kind: ChatKind
    title: str | None = None
    username: str | None = None

    @classmethod
    def of(cls, telegram_id: int, kind: str, title: str | None, username: str | None) -> ChatRef:
        """From Telegram's chat type ("private", "group", "supergroup", "channel")."""
        return cls(telegram_id, ChatKind(kind), title, username)


@dataclass(frozen=True, slots=True)
class Topic:
    """A forum topic of a supergroup: its thread id, and its name when the update showed it."""

    thread_id: int
    title: str | None = None


@dataclass(frozen=True, slots=True)
class Resolved:
    found: list[Category]
    unknown: list[str]


async def find_category(session: AsyncSession, name: str) -> Category | None:
    """The category named (slug, name or alias, in either language), or None."""
    return await category_store.find_category(session, alias_key(name))


async def resolve_categories(session: AsyncSession, names: Sequence[str]) -> Resolved:
    """The categories named (slug, name or alias, either language); the whole text is tried
    first, so a name of several words ("مال وأعمال") works as well as several names."""
    if not names:
        return Resolved([], [])
    whole = await find_category(session, " ".join(names))
    if whole is not None:
        return Resolved([whole], [])
    keys = {name: alias_key(name) for name in names}
    known = await category_store.find_categories(session, keys.values())
    found: dict[int, Category] = {}
    unknown: list[str] = []
    for name, key in keys.items():
        category = known.get(key)
        if category is None:
            unknown.append(name)
        else:
            found.setdefault(category.id, category)
    return Resolved(list(found.values()), unknown)


async def ensure_chat(session: AsyncSession, ref: ChatRef) -> Chat:
    return await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )


async def subscribed(session: AsyncSession, telegram_id: int) -> set[int]:
    """The category ids the chat follows (none for a chat never seen)."""
    chat = await chat_store.get_chat(session, telegram_id)
    if chat is None:
        return set()
    return await subscription_store.subscribed_category_ids(session, chat.id)


async def subscribe(session: AsyncSession, ref: ChatRef, category_ids: Sequence[int]) -> set[int]:
    """Subscribe the chat; the categories newly subscribed."""
    chat = await ensure_chat(session, ref)
    return await subscription_store.subscribe(session, chat.id, category_ids)


async def subscribe_in(
    session: AsyncSession, ref: ChatRef, category_ids: Sequence[int], topic: Topic | None
) -> tuple[set[int], set[int]]:
    """Subscribe the chat with its posts of these categories going into `topic` (None: the
    chat itself, or a forum's General topic); (the categories newly subscribed, those that
    were already and now go there instead)."""
    chat = await ensure_chat(session, ref)
    thread_id, title = await _placed(session, chat.id, topic)
    new = await subscription_store.subscribe(
        session, chat.id, category_ids, thread_id=thread_id, thread_title=title
    )
    moved = await subscription_store.place(
        session, chat.id, set(category_ids) - new, thread_id, title
    )
    if thread_id is not None and title is not None:
        await subscription_store.name_topic(session, chat.id, thread_id, title)
    return new, moved


async def _placed(
    session: AsyncSession, chat_row_id: int, topic: Topic | None
) -> tuple[int | None, str | None]:
    """The thread id and name to keep for `topic` (a name seen before when this update did
    not show one)."""
    if topic is None:
        return None, None
    title = topic.title or await subscription_store.topic_title(
        session, chat_row_id, topic.thread_id
    )
    return topic.thread_id, title


async def unsubscribe(
    session: AsyncSession, telegram_id: int, category_ids: Sequence[int] | None
) -> set[int]:
    """Unsubscribe the chat (from all when None); the categories it had."""
    chat = await chat_store.get_chat(session, telegram_id)
    if chat is None:
        return set()
    return await subscription_store.unsubscribe(session, chat.id, category_ids)


async def toggle(
    session: AsyncSession, ref: ChatRef, category_id: int, topic: Topic | None = None
) -> tuple[bool, set[int]]:
    """Flip one subscription (a new one goes into `topic`); whether the chat is now
    subscribed, and all it follows."""
    chat = await ensure_chat(session, ref)
    if not await subscription_store.unsubscribe(session, chat.id, [category_id]):
        thread_id, title = await _placed(session, chat.id, topic)
        await subscription_store.subscribe(
            session, chat.id, [category_id], thread_id=thread_id, thread_title=title
        )
    now = await subscription_store.subscribed_category_ids(session, chat.id)
    return category_id in now, now
