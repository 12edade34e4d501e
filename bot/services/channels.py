"""Channels the bot posts to: what the admins' Telegram commands and `nashra channels` call.

A registered channel is an active `Chat` row of kind channel with subscriptions: the outbox
delivers to it like to any other chat. Adding one asks Telegram (getChat, getChatMember) that
the chat is a channel and that the bot is an administrator allowed to post there; every change
is recorded in the audit trail, in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import ChatFullInfo, ChatMember
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n import ascii_digits
from bot.services.audit import Actor, Snapshot, record
from bot.services.errors import ServiceError
from bot.services.subscriptions import resolve_categories
from storage import chats as chat_store
from storage import deliveries as delivery_store
from storage import subscriptions as subscription_store
from storage.categories import list_categories
from storage.models import Category, Chat, ChatKind

USERNAME: Final = re.compile(r"@([A-Za-z][A-Za-z0-9_]{3,31})")
CHANNEL_ID: Final = re.compile(r"-100[0-9]{1,13}")
ROW_ID: Final = re.compile(r"[1-9][0-9]{0,17}")
MAX_REF_SHOWN: Final = 40


class ChannelError(ServiceError):
    """A channel cannot be added or changed as asked. `code` names the reason (the Telegram
    handlers show `admin_channels.error.<code>` with `values`); the message is the English
    line the command line prints."""

    def __init__(self, code: str, message: str, **values: object) -> None:
        super().__init__(message)
        self.code = code
        self.values = values


class ChannelApi(Protocol):
    """What the service needs of the Bot API: a PTB `Bot` (initialized, so `id` is known)."""

    @property
    def id(self) -> int: ...

    async def get_chat(self, chat_id: str | int) -> ChatFullInfo: ...

    async def get_chat_member(self, chat_id: str | int, user_id: int) -> ChatMember: ...


@dataclass(frozen=True, slots=True)
class ChannelInfo:
    id: int  # the chat row's id
    telegram_id: int
    title: str | None
    username: str | None
    active: bool
    inactive_reason: str | None
    category_ids: frozenset[int]
    category_slugs: tuple[str, ...]  # in the categories' order
    added_by: int | None

    @property
    def label(self) -> str:
        """How to name the channel to a person: @username, else the title, else the id."""
        if self.username:
            return f"@{self.username}"
        return self.title or str(self.telegram_id)


def shown(ref: str) -> str:
    """A reference as typed, cut short for messages."""
    ref = " ".join(ref.split())
    return ref if len(ref) <= MAX_REF_SHOWN else ref[: MAX_REF_SHOWN - 1] + "…"


def parse_telegram_ref(ref: str) -> str | int:
    """`@name` (as typed) or a `-100…` channel id (as a number, in either kind of digits);
    else ChannelError."""
    typed = ref = ref.strip()
    ref = ascii_digits(typed)
    if USERNAME.fullmatch(ref):
        return ref
    if CHANNEL_ID.fullmatch(ref):
        return int(ref)
    ref = typed
    raise ChannelError(
        "bad_ref",
        f"not a channel: {shown(ref)!r} (expected @username or a -100… id)",
        ref=shown(ref),
    )


# ---- reading -------------------------------------------------------------------------------


async def _slugs(session: AsyncSession, ids: set[int]) -> tuple[str, ...]:
    return tuple(c.slug for c in await list_categories(session) if c.id in ids)


async def _info(session: AsyncSession, chat: Chat) -> ChannelInfo:
    ids = await subscription_store.subscribed_category_ids(session, chat.id)
    return ChannelInfo(
        id=chat.id,
        telegram_id=chat.telegram_id,
        title=chat.title,
        username=chat.username,
        active=chat.active,
        inactive_reason=chat.inactive_reason,
        category_ids=frozenset(ids),
        category_slugs=await _slugs(session, ids),
        added_by=chat.added_by,
    )


def _snapshot(info: ChannelInfo | None) -> Snapshot | None:
    if info is None:
        return None
    return {
        "telegram_id": info.telegram_id,
        "title": info.title,
        "username": info.username,
        "active": info.active,
        "categories": list(info.category_slugs),
    }


async def list_channels(session: AsyncSession) -> list[ChannelInfo]:
    """Every channel the bot knows, registered (active) first, then by id."""
    return [await _info(session, chat) for chat in await chat_store.list_channels(session)]


async def get_channel(session: AsyncSession, chat_row_id: int) -> ChannelInfo | None:
    """The channel with this row id, or None (no such row, or not a channel)."""
    chat = await chat_store.find_channel(session, row_id=chat_row_id)
    if chat is None:
        return None
    return await _info(session, chat)


async def find_channel(session: AsyncSession, ref: str) -> ChannelInfo:
    """A known channel by its row id (as `nashra channels list` and /channels show it), its
    -100… id or its @username; else ChannelError."""
    ref = ref.strip()
    number = ascii_digits(ref)
    if ROW_ID.fullmatch(number):
        found = await chat_store.find_channel(session, row_id=int(number))
    elif CHANNEL_ID.fullmatch(number):
        found = await chat_store.find_channel(session, telegram_id=int(number))
    elif match := USERNAME.fullmatch(ref):
        found = await chat_store.find_channel(session, username=match[1])
    else:
        raise ChannelError(
            "bad_ref",
            f"not a channel: {shown(ref)!r} (expected an id from the list, @username or -100…)",
            ref=shown(ref),
        )
    return await _known(session, found, ref)


async def _known(session: AsyncSession, chat: Chat | None, ref: str) -> ChannelInfo:
    if chat is None:
        raise ChannelError(
            "unknown_channel", f"no channel {shown(ref)!r} is known to the bot", ref=shown(ref)
        )
    return await _info(session, chat)


async def categories_named(session: AsyncSession, names: Sequence[str]) -> list[Category]:
    """The categories named (slugs, names or aliases, either language); ChannelError naming the
    unknown ones."""
    resolved = await resolve_categories(session, names)
    if resolved.unknown:
        valid = ", ".join(c.slug for c in await list_categories(session))
        unknown = ", ".join(shown(name) for name in resolved.unknown)
        raise ChannelError(
            "unknown_category",
            f"unknown category: {unknown}; valid: {valid}",
            categories=unknown,
        )
    return resolved.found


# ---- checking with Telegram ------------------------------------------------------------------


async def check_channel(api: ChannelApi, ref: str) -> ChatFullInfo:
    """The channel `ref` names, once Telegram confirms the bot may post there; else
    ChannelError saying exactly what is missing."""
    target = parse_telegram_ref(ref)
    name = shown(ref)
    try:
        chat = await api.get_chat(target)
    except Forbidden as exc:
        raise _not_member(name) from exc
    except BadRequest as exc:
        raise ChannelError(
            "not_found",
            f"Telegram knows no chat {name} (check the @username or id: {exc.message})",
            ref=name,
        ) from exc
    except TelegramError as exc:
        raise _unreachable(exc) from exc
    label = f"@{chat.username}" if chat.username else (chat.title or str(chat.id))
    if chat.type != ChatType.CHANNEL:
        raise ChannelError(
            "not_channel", f"{label} is a {chat.type} chat, not a channel", ref=label
        )
    try:
        member = await api.get_chat_member(chat.id, api.id)
    except (Forbidden, BadRequest) as exc:
        raise _not_member(label) from exc
    except TelegramError as exc:
        raise _unreachable(exc) from exc
    if member.status == ChatMemberStatus.OWNER:
        return chat
    if member.status in (ChatMemberStatus.LEFT, ChatMemberStatus.BANNED):
        raise _not_member(label)
    if member.status != ChatMemberStatus.ADMINISTRATOR:
        raise ChannelError(
            "not_admin",
            f"the bot is in {label} but is not an administrator: make it one, "
            "with the right to post messages",
            ref=label,
        )
    if not getattr(member, "can_post_messages", False):
        raise ChannelError(
            "cannot_post",
            f"the bot is an administrator of {label} without the right to post messages: "
            "turn on “Post messages” in its admin rights",
            ref=label,
        )
    return chat


def _not_member(label: str) -> ChannelError:
    return ChannelError(
        "not_member",
        f"the bot is not in {label}: add it to the channel as an administrator "
        "allowed to post messages",
        ref=label,
    )


def _unreachable(exc: TelegramError) -> ChannelError:
    return ChannelError(
        "telegram", f"Telegram did not answer as expected: {exc.message}", reason=exc.message
    )


# ---- changing --------------------------------------------------------------------------------


async def add_channel(
    session: AsyncSession,
    api: ChannelApi,
    actor: Actor,
    ref: str,
    category_names: Sequence[str] = (),
) -> ChannelInfo:
    """Register the channel `ref` (@name or -100…) once Telegram confirms the bot may post
    there; with categories, it follows exactly those (else it keeps what it had)."""
    parse_telegram_ref(ref)
    categories = await categories_named(session, category_names)
    chat = await check_channel(api, ref)
    existing = await chat_store.get_chat(session, chat.id)
    before = await _info(session, existing) if existing is not None else None
    row = await chat_store.upsert_chat(
        session,
        chat.id,
        ChatKind.CHANNEL,
        title=chat.title,
        username=chat.username,
        added_by=actor.user_id,
        activate=True,
    )
    if categories:
        await _replace(session, row.id, {c.id for c in categories})
    after = await _info(session, row)
    await record(
        session,
        actor,
        "channel.add",
        _target(after),
        before=_snapshot(before),
        after=_snapshot(after),
    )
    return after


async def delete_channel(session: AsyncSession, actor: Actor, ref: str) -> ChannelInfo:
    """Stop posting to a channel: inactive, its subscriptions removed, what waits for it
    cancelled. The channel as it was."""
    before = await find_channel(session, ref)
    return await delete_channel_by_id(session, actor, before.id)


async def delete_channel_by_id(
    session: AsyncSession, actor: Actor, chat_row_id: int
) -> ChannelInfo:
    before = await get_channel(session, chat_row_id)
    if before is None:
        raise ChannelError(
            "unknown_channel", f"no channel {chat_row_id} is known to the bot", ref=str(chat_row_id)
        )
    if not before.active and not before.category_ids:
        raise ChannelError(
            "inactive",
            f"{before.label} is not registered (already deleted, or the bot was removed)",
            ref=before.label,
        )
    await subscription_store.unsubscribe(session, before.id, None)
    cancelled = await delivery_store.deactivate_chat(session, before.id, "deleted by an admin")
    after = await get_channel(session, before.id)
    snapshot = _snapshot(after) or {}
    await record(
        session,
        actor,
        "channel.delete",
        _target(before),
        before=_snapshot(before),
        after={**snapshot, "cancelled_deliveries": cancelled},
    )
    return before


async def set_channel_categories(
    session: AsyncSession, actor: Actor, chat_row_id: int, category_ids: set[int]
) -> ChannelInfo:
    """The channel follows exactly these categories (ids known to exist); the channel after."""
    before = await get_channel(session, chat_row_id)
    if before is None:
        raise ChannelError(
            "unknown_channel", f"no channel {chat_row_id} is known to the bot", ref=str(chat_row_id)
        )
    if not before.active:
        raise ChannelError(
            "inactive",
            f"{before.label} is not registered (deleted, or the bot was removed): add it again",
            ref=before.label,
        )
    if set(before.category_ids) == category_ids:
        return before
    await _replace(session, chat_row_id, category_ids)
    after = await get_channel(session, chat_row_id)
    assert after is not None
    await record(
        session,
        actor,
        "channel.categories",
        _target(after),
        before=_snapshot(before),
        after=_snapshot(after),
    )
    return after


async def set_channel_categories_named(
    session: AsyncSession, actor: Actor, ref: str, names: Sequence[str]
) -> ChannelInfo:
    """`nashra channels categories` and /channelcats with names: replace the set."""
    channel = await find_channel(session, ref)
    if not names:
        raise ChannelError("no_categories", "name at least one category")
    categories = await categories_named(session, names)
    return await set_channel_categories(session, actor, channel.id, {c.id for c in categories})


async def toggle_channel_category(
    session: AsyncSession, actor: Actor, chat_row_id: int, category_id: int
) -> ChannelInfo:
    """Flip one category of a channel (a keyboard press); the channel after."""
    channel = await get_channel(session, chat_row_id)
    if channel is None:
        raise ChannelError(
            "unknown_channel", f"no channel {chat_row_id} is known to the bot", ref=str(chat_row_id)
        )
    return await set_channel_categories(
        session, actor, chat_row_id, set(channel.category_ids) ^ {category_id}
    )


async def _replace(session: AsyncSession, chat_row_id: int, wanted: set[int]) -> None:
    had = await subscription_store.subscribed_category_ids(session, chat_row_id)
    if had - wanted:
        await subscription_store.unsubscribe(session, chat_row_id, had - wanted)
    if wanted - had:
        await subscription_store.subscribe(session, chat_row_id, wanted - had)


def _target(info: ChannelInfo) -> str:
    return f"channel {info.telegram_id}"
