"""Word filters on subscriptions: what /filter, /filters, the admins' /channelfilter and
`nashra channels filter` read and change. No Telegram here.

A request is the text after the command: a category (slug, name or alias, several words
allowed), then either nothing (show its filter), `off` (clear it) or the terms
(bot/text/filters.py). A new filter replaces the old one whole. A chat filters only what it
follows: a filter on a category it does not follow is refused, and unsubscribing drops it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import channels as channel_service
from bot.services.audit import Actor, record
from bot.services.channels import ChannelError, ChannelInfo
from bot.services.errors import ServiceError
from bot.services.subscriptions import find_category
from bot.text.filters import NO_FILTER, Filter, FilterError, parse_filter, split_terms
from bot.text.fold import alias_key
from storage import chats as chat_store
from storage import subscriptions as subscription_store
from storage.models import Category

OFF_WORDS: Final = frozenset(
    alias_key(word)
    for word in ("off", "none", "clear", "إيقاف", "إلغاء", "الغاء", "حذف", "بدون", "لا شيء")
)


class Action(StrEnum):
    SHOW = "show"
    CLEAR = "clear"
    SET = "set"


class UnknownCategory(ServiceError):
    """The request names no category; `name` is what it names."""

    def __init__(self, name: str) -> None:
        super().__init__(f"unknown category: {name!r}")
        self.name = name


@dataclass(frozen=True, slots=True)
class FilterRequest:
    category: Category
    action: Action
    filter: Filter = NO_FILTER


@dataclass(frozen=True, slots=True)
class Followed:
    """A category a chat follows: its filter and the forum topic its posts go to."""

    category_id: int
    filter: Filter
    thread_id: int | None
    thread_title: str | None


async def read_request(session: AsyncSession, text: str) -> FilterRequest:
    """The request in the text after /filter. Raises FilterError (no category, bad terms, a
    word without + or -) or UnknownCategory."""
    head, terms = split_terms(text)
    names = head.split()
    if not names:
        raise FilterError("no_category")
    clear = not terms.strip() and len(names) > 1 and alias_key(names[-1]) in OFF_WORDS
    if clear:
        names = names[:-1]
    category = await find_category(session, " ".join(names))
    if category is None:
        if len(names) > 1 and await find_category(session, names[0]) is not None:
            raise FilterError("sign_needed", term=names[1])
        raise UnknownCategory(" ".join(names))
    if clear:
        return FilterRequest(category, Action.CLEAR)
    if not terms.strip():
        return FilterRequest(category, Action.SHOW)
    return FilterRequest(category, Action.SET, parse_filter(terms))


async def followed(session: AsyncSession, telegram_id: int) -> list[Followed]:
    """What the chat follows, with filters and topics (nothing for a chat never seen)."""
    chat = await chat_store.get_chat(session, telegram_id)
    return [] if chat is None else await _followed(session, chat.id)


async def _followed(session: AsyncSession, chat_row_id: int) -> list[Followed]:
    return [
        Followed(s.category_id, Filter.from_stored(s.filters), s.thread_id, s.thread_title)
        for s in await subscription_store.chat_subscriptions(session, chat_row_id)
    ]


async def current(session: AsyncSession, telegram_id: int, category_id: int) -> Filter | None:
    """The chat's filter on a category; None when it does not follow the category."""
    for entry in await followed(session, telegram_id):
        if entry.category_id == category_id:
            return entry.filter
    return None


async def set_filter(
    session: AsyncSession, telegram_id: int, category_id: int, new: Filter
) -> bool:
    """Filter the chat's posts of a category (NO_FILTER clears); False when the chat does not
    follow the category."""
    chat = await chat_store.get_chat(session, telegram_id)
    if chat is None:
        return False
    return await subscription_store.set_filter(session, chat.id, category_id, new.stored())


# ---- channels (admins and the command line) ----------------------------------------------------


async def channel_followed(session: AsyncSession, ref: str) -> tuple[ChannelInfo, list[Followed]]:
    """A known channel and what it follows; ChannelError for an unknown one."""
    channel = await channel_service.find_channel(session, ref)
    return channel, await _followed(session, channel.id)


async def set_channel_filter(
    session: AsyncSession, actor: Actor, ref: str, text: str
) -> tuple[ChannelInfo, FilterRequest]:
    """Show, clear or set a channel's filter on a category (`text` as after /filter),
    recording a change in the audit trail. Raises ChannelError (unknown channel, a category it
    does not follow), FilterError or UnknownCategory."""
    channel = await channel_service.find_channel(session, ref)
    request = await read_request(session, text)
    followed_now = await _followed(session, channel.id)
    had = next((f.filter for f in followed_now if f.category_id == request.category.id), None)
    if had is None:
        raise ChannelError(
            "not_following",
            f"{channel.label} does not receive {request.category.slug}",
            ref=channel.label,
            category=request.category.slug,
        )
    if request.action is Action.SHOW:
        return channel, FilterRequest(request.category, Action.SHOW, had)
    new = request.filter if request.action is Action.SET else NO_FILTER
    if new != had:
        await subscription_store.set_filter(session, channel.id, request.category.id, new.stored())
        await record(
            session,
            actor,
            "channel.filter",
            f"channel {channel.telegram_id}",
            before={"category": request.category.slug, "filter": had.shown()},
            after={"category": request.category.slug, "filter": new.shown()},
        )
    return channel, FilterRequest(request.category, request.action, new)
