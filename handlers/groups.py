"""Groups and supergroups: only a group's administrators change what the group receives.

Whether a member administers the group is asked with getChatMember and kept a few seconds
(`bot/context.py: AdminCache`); a `chat_member` update about a member drops what is kept of
them at once, so a demoted administrator loses the right with the update, not a minute later.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import TelegramError

from bot.context import bot_context
from bot.i18n import t, t_html
from handlers.common import Context, is_private, language_of, reply

log = logging.getLogger(__name__)


class AdminCheckFailed(Exception):
    """Telegram could not say whether the user administers the group."""


async def may_change_settings(update: Update, context: Context) -> bool:
    """True in a private chat, and in a group for its administrators (anonymous ones too).

    Raises AdminCheckFailed when Telegram does not answer getChatMember."""
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
    try:
        return await bot_context(context).admins.is_admin(context.bot, chat.id, user.id)
    except TelegramError as exc:
        log.warning("chat %s: cannot check whether %s is an admin: %s", chat.id, user.id, exc)
        raise AdminCheckFailed from exc


async def allowed_to_change(update: Update, context: Context) -> bool:
    """`may_change_settings`, telling the user why not when not: a group member is refused
    politely; a check Telegram could not answer is said to be that."""
    language = await language_of(update, context)
    query = update.callback_query
    try:
        if await may_change_settings(update, context):
            return True
        key = "admins_only"
    except AdminCheckFailed:
        key = "admin_check_failed"
    if query is not None:
        await query.answer(t(f"alert.{key}", language), show_alert=True)
    else:
        await reply(update, t_html(f"group.{key}", language))
    return False


async def member_changed(update: Update, context: Context) -> None:
    """A member of a group the bot administers was promoted, demoted, left or was banned:
    what is kept of their admin status goes."""
    change = update.chat_member
    if change is None:
        return
    bot_context(context).admins.forget(change.chat.id, change.new_chat_member.user.id)
