"""Queries on a chat's reader options: silent posts, link previews, photos, translation, its
daily briefing times and time zone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Column, Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Chat

MINUTES_PER_DAY: Final = 24 * 60
TOGGLES: Final = ("silent", "link_preview", "photos", "translate")
"""The options a reader switches on and off."""

_chats = cast(Table, Chat.__table__)


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """What a chat asked for beyond its subscriptions, as the sender and the handlers read it."""

    silent: bool = False
    link_preview: bool = False
    photos: bool = True
    translate: bool = False
    briefing_minutes: tuple[int, ...] = ()  # local minutes after midnight, ascending
    briefed_at: datetime | None = None

    @property
    def briefing(self) -> bool:
        """Whether the chat gets daily briefings instead of each post as it comes."""
        return bool(self.briefing_minutes)


NO_OPTIONS: Final = ChatOptions()


def option_columns() -> tuple[Column[Any], ...]:
    """The chats table's columns `options_from` reads, in its order."""
    c = _chats.c
    return (c.silent, c.link_preview, c.photos, c.translate, c.briefing_minutes, c.briefed_at)


_DEFAULT_VALUES: Final = (False, False, True, False, None, None)


def options_from(values: Sequence[Any]) -> ChatOptions:
    """A row's `option_columns()` values as ChatOptions."""
    if tuple(values) == _DEFAULT_VALUES:  # most chats: one shared object, nothing built
        return NO_OPTIONS
    silent, link_preview, photos, translate, minutes, briefed_at = values
    return ChatOptions(
        bool(silent),
        bool(link_preview),
        True if photos is None else bool(photos),
        bool(translate),
        _minutes(minutes),
        briefed_at,
    )


def options_of(chat: Chat) -> ChatOptions:
    return options_from(
        (
            chat.silent,
            chat.link_preview,
            chat.photos,
            chat.translate,
            chat.briefing_minutes,
            chat.briefed_at,
        )
    )


def _minutes(value: object) -> tuple[int, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(sorted({m for m in value if isinstance(m, int) and 0 <= m < MINUTES_PER_DAY}))


async def set_toggle(session: AsyncSession, telegram_id: int, name: str, value: bool) -> None:
    """Switch one of TOGGLES for the chat (its row must exist)."""
    if name not in TOGGLES:
        raise ValueError(f"no chat option {name!r}")
    await session.execute(
        update(_chats).where(_chats.c.telegram_id == telegram_id).values({name: value})
    )


async def set_briefing(
    session: AsyncSession, telegram_id: int, minutes: Sequence[int], timezone: str | None
) -> None:
    """The chat's briefing times (empty: none) and its time zone (None: left as it is)."""
    for minute in minutes:
        if not 0 <= minute < MINUTES_PER_DAY:
            raise ValueError(f"a briefing minute is 0 to {MINUTES_PER_DAY - 1}, not {minute}")
    values: dict[str, object] = {"briefing_minutes": sorted(set(minutes)) or None}
    if timezone is not None:
        values["timezone"] = timezone
    await session.execute(update(_chats).where(_chats.c.telegram_id == telegram_id).values(values))


async def set_timezone(session: AsyncSession, telegram_id: int, timezone: str) -> None:
    await session.execute(
        update(_chats).where(_chats.c.telegram_id == telegram_id).values(timezone=timezone)
    )
