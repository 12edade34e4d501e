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

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Final
from zoneinfo import available_timezones

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import SUPPORTED_LANGUAGES, ascii_digits, normalize_language
from bot.services import channels as channel_service
from bot.services.audit import Actor, record
from bot.services.channels import ChannelInfo
from bot.services.errors import ServiceError
from bot.services.subscriptions import ChatRef
from bot.settings import Settings
from storage import chat_options as options_store
from storage import chats as chat_store
from storage import deliveries as delivery_store
from storage.chat_options import TOGGLES, ChatOptions, options_of
from storage.models import ChatKind
from storage.types import utcnow

__all__ = ["TOGGLES", "ChatOptions"]

MAX_BRIEFING_TIMES: Final = 6
# More words than this are not a list of times.
MAX_TIME_WORDS: Final = 16
WORD_MAX_CHARS: Final = 64  # longer than any time or IANA zone name
SHOWN_MAX_CHARS: Final = 32
# 24-hour H:MM or HH:MM, once Arabic-Indic (٠-٩) and Persian (۰-۹) digits are made ASCII.
CLOCK_TIME: Final = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
# Names zoneinfo knows that are not IANA zones a reader would mean.
NOT_ZONES: Final = frozenset({"localtime", "Factory", "posixrules"})
_SEPARATORS: Final = re.compile(r"[,،;؛\s]+")
LANGUAGE_ZONES: Final = {"ar": "Asia/Damascus", "en": "UTC"}
"""The zone a chat in a language other than the deployment's is read in, until it sets one."""


def parse_clock(text: str) -> int | None:
    """Minutes after midnight of "23:05", "7:30" or "٢٣:٠٥", else None."""
    match = CLOCK_TIME.fullmatch(ascii_digits(text.strip()))
    return int(match[1]) * 60 + int(match[2]) if match else None


def clock(minute: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones() - NOT_ZONES}


def known_zone(text: str) -> str | None:
    """The IANA time zone named, spelled as IANA does ("europe/berlin" → "Europe/Berlin")."""
    return _zones().get(text.strip().casefold())


@dataclass(frozen=True, slots=True)
class BriefingProblem:
    """Why words are not briefing times: `key` ("usage", "bad_time", "too_many") and the
    word at fault, if one is."""

    key: str
    value: str = ""


def parse_times(args: Sequence[str]) -> list[int] | BriefingProblem:
    """`["08:00", "20:00"]` (or "08:00,20:00") as minutes after midnight, ascending and each
    once; else what is wrong."""
    words = [w for a in args for w in _SEPARATORS.split(a) if w]
    if not words or len(words) > MAX_TIME_WORDS or any(len(w) > WORD_MAX_CHARS for w in words):
        return BriefingProblem("usage")
    minutes: set[int] = set()
    for word in words:
        minute = parse_clock(word)
        if minute is None:
            return BriefingProblem("bad_time", word[:SHOWN_MAX_CHARS])
        minutes.add(minute)
    if len(minutes) > MAX_BRIEFING_TIMES:
        return BriefingProblem("too_many")
    return sorted(minutes)


def translation_available(settings: Settings) -> bool:
    """Whether the deployment has the LLM endpoint translations go through."""
    return bool(settings.llm_base_url and settings.llm_model)


def inferred_zone(language: str | None, settings: Settings) -> str:
    """The zone of a chat that set none, from its language (see the module's rule)."""
    base = normalize_language(language)
    if base is None or base == settings.default_language:
        return settings.timezone
    return LANGUAGE_ZONES.get(base, settings.timezone)


def chat_zone(stored: str | None, language: str | None, settings: Settings) -> str:
    """The zone a chat is read in: its own, else the one its language infers."""
    return stored or inferred_zone(language, settings)


async def toggle(session: AsyncSession, ref: ChatRef, name: str, language: str) -> bool:
    """Switch one of TOGGLES for the chat; its new value. Translation switched on keeps
    `language` (the one the chat is answered in) for a chat with no language of its own, as
    `set_translation` does."""
    if name not in TOGGLES:
        raise ValueError(f"no chat option {name!r}")
    chat = await chat_store.upsert_chat(
        session, ref.telegram_id, ref.kind, title=ref.title, username=ref.username
    )
    value = not getattr(options_of(chat), name)
    if name == "translate" and value and chat.language is None:
        await chat_store.set_language(session, ref.telegram_id, language)
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


# ---- a channel's options, set by the bot's admins (`nashra channels options`) -----------------


class OptionsError(ServiceError):
    """An option given for a channel cannot be used as asked."""


@dataclass(frozen=True, slots=True)
class OptionChanges:
    """What to change; None (or no entry) leaves it as it is; an empty `briefing` turns the
    briefing off."""

    toggles: Mapping[str, bool] = field(default_factory=dict)
    language: str | None = None
    briefing: Sequence[int] | None = None
    timezone: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelOptions:
    channel: ChannelInfo
    options: ChatOptions
    language: str | None
    timezone: str  # its own, else the one its language infers

    def snapshot(self) -> dict[str, object]:
        return {
            **{name: getattr(self.options, name) for name in TOGGLES},
            "language": self.language,
            "timezone": self.timezone,
            "briefing": [clock(m) for m in self.options.briefing_minutes],
        }


async def channel_options(session: AsyncSession, ref: str, settings: Settings) -> ChannelOptions:
    """A known channel's options (by its row id, -100… id or @username)."""
    channel = await channel_service.find_channel(session, ref)
    chat = await chat_store.get_chat(session, channel.telegram_id)
    assert chat is not None
    zone = chat_zone(chat.timezone, chat.language, settings)
    return ChannelOptions(channel, options_of(chat), chat.language, zone)


async def change_channel_options(
    session: AsyncSession, actor: Actor, ref: str, changes: OptionChanges, settings: Settings
) -> ChannelOptions:
    """Change a registered channel's options, audited; the options after."""
    before = await channel_options(session, ref, settings)
    channel = before.channel
    if not channel.active:
        raise OptionsError(f"{channel.label} is not registered (deleted, or the bot was removed)")
    unknown = set(changes.toggles) - set(TOGGLES)
    if unknown:
        raise OptionsError(f"no such option: {', '.join(sorted(unknown))}")
    if changes.language is not None and changes.language not in SUPPORTED_LANGUAGES:
        raise OptionsError(f"a language is one of {', '.join(SUPPORTED_LANGUAGES)}")
    if changes.toggles.get("translate") and not translation_available(settings):
        raise OptionsError("translation needs an LLM endpoint: set LLM_BASE_URL and LLM_MODEL")
    if changes.briefing is not None and len(set(changes.briefing)) > MAX_BRIEFING_TIMES:
        raise OptionsError(f"at most {MAX_BRIEFING_TIMES} briefing times")
    ref_of = ChatRef(channel.telegram_id, ChatKind.CHANNEL, channel.title, channel.username)
    for name, value in changes.toggles.items():
        await options_store.set_toggle(session, channel.telegram_id, name, value)
    if changes.language is not None:
        await chat_store.set_language(session, channel.telegram_id, changes.language)
    if changes.timezone is not None:
        await set_timezone(session, ref_of, changes.timezone)
    if changes.briefing is not None:
        await set_briefing(session, ref_of, changes.briefing, before.timezone)
    after = await channel_options(session, ref, settings)
    if after.snapshot() != before.snapshot():
        await record(
            session,
            actor,
            "channel.options",
            f"channel {channel.telegram_id}",
            before=before.snapshot(),
            after=after.snapshot(),
        )
    return after
