"""What the Telegram handlers share: settings, database sessions, categories, admin checks,
the article pipeline and the post transport.

One `BotContext` is built with the Application and kept in `application.bot_data`; handlers
reach it with `bot_context(context)`. Nothing here opens anything at import time.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot
from telegram.constants import ChatMemberStatus
from telegram.ext import CallbackContext

from bot.deliver.send import Transport
from bot.pipeline.articles import Pipeline
from bot.services.catalog import CategoryCache
from bot.settings import Settings

BOT_DATA_KEY: Final = "nashra"
ADMIN_TTL_SECONDS: Final = 5.0
"""How long a group member's admin status is kept; `chat_member` updates drop it sooner."""
_ADMIN_STATUSES: Final = frozenset({ChatMemberStatus.OWNER, ChatMemberStatus.ADMINISTRATOR})


class AdminCache:
    """Whether a user administers a chat, asked with getChatMember and kept for a few seconds
    (a burst of keyboard presses asks once), or until a `chat_member` update says otherwise."""

    def __init__(self, ttl: float = ADMIN_TTL_SECONDS) -> None:
        self._ttl = ttl
        self._known: dict[tuple[int, int], tuple[float, bool]] = {}

    async def is_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        now = time.monotonic()
        cached = self._known.get((chat_id, user_id))
        if cached is not None and cached[0] > now:
            return cached[1]
        member = await bot.get_chat_member(chat_id, user_id)
        admin = member.status in _ADMIN_STATUSES
        if len(self._known) > 10_000:
            self._known = {k: v for k, v in self._known.items() if v[0] > now}
        self._known[(chat_id, user_id)] = (now + self._ttl, admin)
        return admin

    def forget(self, chat_id: int, user_id: int) -> None:
        self._known.pop((chat_id, user_id), None)


@dataclass(slots=True)
class BotContext:
    settings: Settings
    sessions: async_sessionmaker[AsyncSession]
    categories: CategoryCache
    admins: AdminCache = field(default_factory=AdminCache)
    pipeline: Pipeline | None = None
    """The process's pipeline (`nashra run` passes the runtime's), for the admins' source
    previews; without it a preview opens a fetcher of its own."""
    transport: Transport | None = None
    """Posts sent in answers (/latest, previews) go through it: the outbox's client, or one
    the Application opens at start."""


def bot_context(context: CallbackContext[Any, Any, Any, Any]) -> BotContext:
    """The BotContext the Application was built with."""
    value = context.bot_data[BOT_DATA_KEY]
    if not isinstance(value, BotContext):
        raise RuntimeError("the Application was not built by bot.app.build_application")
    return value
