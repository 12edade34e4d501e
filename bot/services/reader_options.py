"""What a chat's reader options change: silent posts, link previews, photos, translation, daily
briefing times and the chat's time zone (/settings, /translate, /briefing, /timezone). No
Telegram here.

A chat's time zone is the one it set (/timezone, or /quiet with a zone); a chat without one
is read in the zone of its language: the deployment's TIMEZONE for a chat in the deployment's
language (or with no language of its own), else its language's zone (`LANGUAGE_ZONES`).
The first time a chat sets something that depends on the clock (a briefing, quiet hours),
the zone it is read in is stored with it, so changing the language later moves nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import normalize_language
from bot.services.subscriptions import ChatRef
from bot.settings import Settings
from storage import chat_options as options_store
from storage import chats as chat_store
from storage import deliveries as delivery_store
from storage.chat_options import TOGGLES, ChatOptions, options_of
from storage.types import utcnow

__all__ = ["TOGGLES", "ChatOptions"]

MAX_BRIEFING_TIMES: Final = 6
LANGUAGE_ZONES: Final = {"ar": "Asia/Damascus", "en": "UTC"}
"""The zone a chat in a language other than the deployment's is read in, until it sets one."""


def inferred_zone(language: str | None, settings: Settings) -> str:
    """The zone of a chat that set none, from its language (see the module's rule)."""
    base = normalize_language(language)
    if base is None or base == settings.default_language:
        return settings.timezone
    return LANGUAGE_ZONES.get(base, settings.timezone)


def chat_zone(stored: str | None, language: str | None, settings: Settings) -> str:
    """The zone a chat is read in: its own, else the one its language infers."""
    return stored or inferred_zone(language, settings)


async def toggle(session: AsyncSession, ref: ChatRef, name: str) -> bool:
    """Switch one of TOGGLES for the chat; its new value."""
    if name not in TOGGLES:
        raise ValueError(f"no chat option {name!r}")
    chat = await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )
    value = not getattr(options_of(chat), name)
    await options_store.set_toggle(session, ref.telegram_id, name, value)
    return value


async def set_translation(session: AsyncSession, ref: ChatRef, on: bool, language: str) -> None:
    """Translation on or off; switched on, a chat with no language of its own keeps
    `language` (the one it is answered in), the one posts are translated into."""
    chat = await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )
    if on and chat.language is None:
        await chat_store.set_language(session, ref.telegram_id, language)
    await options_store.set_toggle(session, ref.telegram_id, "translate", on)


async def set_briefing(
    session: AsyncSession, ref: ChatRef, minutes: Sequence[int], zone: str
) -> None:
    """The chat's daily briefing times (empty: posts as they come again), read in `zone`
    when the chat has no zone of its own yet. Posts held for the old times are released:
    the sender holds them again for the new ones (or sends them, with none)."""
    if len(set(minutes)) > MAX_BRIEFING_TIMES:
        raise ValueError(f"at most {MAX_BRIEFING_TIMES} briefing times")
    chat = await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )
    await options_store.set_briefing(
        session, ref.telegram_id, minutes, zone if minutes and chat.timezone is None else None
    )
    await delivery_store.release_quiet_hold(session, chat.id, now=utcnow())


async def set_timezone(session: AsyncSession, ref: ChatRef, zone: str) -> None:
    """The chat's time zone; what it holds for a briefing or quiet hours is looked at again."""
    chat = await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )
    await options_store.set_timezone(session, ref.telegram_id, zone)
    await delivery_store.release_quiet_hold(session, chat.id, now=utcnow())
