"""The bot's own membership: chats it is added to, and removed, kicked or blocked from."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatMemberStatus

from bot.context import bot_context
from handlers.common import Context, chat_ref
from storage import chats as chat_store

log = logging.getLogger(__name__)

_GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


async def my_chat_member(update: Update, context: Context) -> None:
    """Record a chat when the bot joins it; mark it inactive when the bot leaves or is blocked."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    status = change.new_chat_member.status
    ctx = bot_context(context)
    async with ctx.sessions.begin() as session:
        if status in _GONE:
            reason = "blocked" if chat.type == "private" else f"bot {status}"
            await chat_store.set_inactive(session, chat.id, reason)
            log.info("chat %s: %s", chat.id, reason)
        else:
            ref = chat_ref(chat)
            await chat_store.upsert_chat(
                session,
                ref.telegram_id,
                ref.kind,
                title=ref.title,
                username=ref.username,
                added_by=change.from_user.id,
                activate=True,
            )
            log.info("chat %s: bot is %s", chat.id, status)
