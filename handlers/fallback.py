"""What the bot answers when no command fits: /whoami, an unknown command, free text.

In a private chat a person always gets an answer: what the bot can do and the categories
keyboard. In a group the bot keeps quiet about free text and about commands meant for other
bots; an unknown command addressed to it by name (/foo@nashra_bot) gets the short answer.
"""

from __future__ import annotations

from typing import Final

from telegram import Update

from bot.compose.render import shorten
from bot.i18n import t_html
from bot.services.admins import is_admin
from bot.text.clean import clean_text
from handlers.common import Context, is_private, reply, turn
from handlers.readers import show_keyboard

COMMAND_SHOWN_CHARS: Final = 40


async def whoami(update: Update, context: Context) -> None:
    """Anyone, in any chat: their Telegram user id, the chat's id, and whether they are a bot
    admin (what ADMIN_IDS needs)."""
    now = await turn(update, context)
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    message = update.effective_message
    if user is None or (message is not None and message.sender_chat is not None):
        await reply(update, t_html("whoami.no_user", now.language))
        return
    async with now.ctx.sessions() as session:
        admin = await is_admin(session, now.ctx.settings, user.id)
    status = t_html("whoami.admin" if admin else "whoami.not_admin", now.language)
    text = t_html("whoami.text", now.language, user_id=user.id, chat_id=chat.id, admin=status)
    await reply(update, text)


async def unknown_command(update: Update, context: Context) -> None:
    """A command the bot does not have: in private, say so and show what there is."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None or not message.text:
        return
    word = message.text.split(maxsplit=1)[0]
    command, _, addressee = word.partition("@")
    if not is_private(chat) and addressee.casefold() != (context.bot.username or "").casefold():
        return  # another bot's command, or one not addressed to this bot by name
    now = await turn(update, context)
    shown = shorten(clean_text(command), COMMAND_SHOWN_CHARS)
    await show_keyboard(
        update, context, t_html("fallback.unknown_command", now.language, command=shown)
    )


async def free_text(update: Update, context: Context) -> None:
    """Anything but a command in a private chat: what the bot can do, and the keyboard."""
    now = await turn(update, context)
    await show_keyboard(update, context, t_html("fallback.text", now.language))
