"""Groups and supergroups: only a group's administrators change what the group receives."""

from __future__ import annotations

from telegram import Update

from bot.context import bot_context
from bot.i18n import t_html
from handlers.common import Context, is_private, language_of, reply


async def may_change_settings(update: Update, context: Context) -> bool:
    """True in a private chat, and in a group for its administrators (anonymous ones too)."""
    chat = update.effective_chat
    if chat is None:
        return False
    if is_private(chat):
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None:
        return message.sender_chat.id == chat.id  # an anonymous administrator
    user = update.effective_user
    if user is None:
        return False
    return await bot_context(context).admins.is_admin(context.bot, chat.id, user.id)


async def refuse_non_admin(update: Update, context: Context) -> None:
    """Tell a group member, politely, that only administrators change the group's settings."""
    language = await language_of(update, context)
    await reply(update, t_html("group.admins_only", language))
