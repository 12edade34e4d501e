"""The bot's own membership: chats it is added to, and removed, kicked or blocked from.

When an admin of the bot makes it an administrator of a channel, allowed to post, the bot
offers that admin (in a private chat) the channel's category keyboard to register it.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, Forbidden

from bot.context import bot_context
from bot.i18n import Html, choose_language, t_html
from bot.services import chats as chat_service
from bot.services.admins import is_admin
from handlers.admin_channels import channel_keyboard
from handlers.common import NO_PREVIEW, Context, chat_ref

log = logging.getLogger(__name__)

_GONE = frozenset({ChatMemberStatus.LEFT, ChatMemberStatus.BANNED})


def can_post(member: ChatMember) -> bool:
    """Whether this member (the bot) may post in a channel."""
    if member.status == ChatMemberStatus.OWNER:
        return True
    return member.status == ChatMemberStatus.ADMINISTRATOR and bool(
        getattr(member, "can_post_messages", False)
    )


async def my_chat_member(update: Update, context: Context) -> None:
    """Record a chat when the bot joins it; mark it inactive when the bot leaves or is blocked."""
    change = update.my_chat_member
    if change is None:
        return
    chat = change.chat
    status = change.new_chat_member.status
    ctx = bot_context(context)
    chat_row_id: int | None = None
    async with ctx.sessions.begin() as session:
        if status in _GONE:
            reason = "blocked" if chat.type == "private" else f"bot {status}"
            await chat_service.bot_left(session, chat.id, reason)
        else:
            row = await chat_service.bot_joined(session, chat_ref(chat), change.from_user.id)
            chat_row_id = row.id
    if chat_row_id is None:
        log.info("chat %s: bot %s", chat.id, status)
    else:
        log.info("chat %s: bot is %s", chat.id, status)
    if chat_row_id is not None and chat.type == ChatType.CHANNEL:
        await _offer_channel(change, context, chat_row_id)


async def _offer_channel(change: ChatMemberUpdated, context: Context, chat_row_id: int) -> None:
    """Offer the admin who made the bot an administrator of a channel its category keyboard
    (or tell them the right to post is missing); others get nothing."""
    new, old = change.new_chat_member, change.old_chat_member
    posting = can_post(new)
    if posting and can_post(old):
        return  # some other right changed: the channel was offered already
    promoted = new.status == ChatMemberStatus.ADMINISTRATOR and old.status != new.status
    if not posting and not promoted:
        return
    user = change.from_user
    ctx = bot_context(context)
    async with ctx.sessions() as session:
        if user.is_bot or not await is_admin(session, ctx.settings, user.id):
            log.info("channel %s: promoted by %s, not an admin of the bot", change.chat.id, user.id)
            return
        private = await chat_service.chat_settings(session, user.id)
        subscribed = await chat_service.subscribed_by_row(session, chat_row_id)
    language = choose_language(
        private.language if private is not None else None,
        user.language_code,
        ctx.settings.default_language,
    )
    channel = f"@{change.chat.username}" if change.chat.username else change.chat.title or ""
    markup = None
    text: Html
    if posting:
        categories = await ctx.categories.get()
        text = t_html("admin_channels.offer", language, channel=channel)
        markup = channel_keyboard(categories, chat_row_id, frozenset(subscribed), language)
    else:
        text = t_html("admin_channels.offer_cannot_post", language, channel=channel)
    try:
        await context.bot.send_message(
            user.id,
            text,
            parse_mode="HTML",
            reply_markup=markup,
            link_preview_options=NO_PREVIEW,
        )
    except (Forbidden, BadRequest) as exc:
        # The admin never started the bot (or blocked it): it cannot write first.
        log.warning(
            "channel %s: cannot offer its categories to admin %s: %s",
            change.chat.id,
            user.id,
            exc.message,
        )
