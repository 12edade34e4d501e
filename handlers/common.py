"""What every audience's handlers share: the reader's language, replies, the categories
keyboard and its callback data."""

from __future__ import annotations

import re
from typing import Final

from telegram import Chat as TgChat
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.compose.compose import CategorySet
from bot.context import bot_context
from bot.i18n import Html, choose_language, join
from bot.services.subscriptions import ChatRef
from storage import chats as chat_store
from storage.models import ChatKind

Context = ContextTypes.DEFAULT_TYPE

# Callback data of a subscription toggle: versioned, and naming only the category. The chat
# acted on is always the one of the message the button belongs to.
TOGGLE_PREFIX: Final = "sub:v1:"
TOGGLE_DATA: Final = re.compile(r"sub:v1:([1-9][0-9]{0,17})")
KEYBOARD_COLUMNS: Final = 2
COMMAND_NAME: Final = re.compile(r"[a-z0-9_]{1,32}")
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)


def toggle_data(category_id: int) -> str:
    return f"{TOGGLE_PREFIX}{category_id}"


def parse_toggle(data: str | None) -> int | None:
    """The category id of well-formed toggle data, else None."""
    match = TOGGLE_DATA.fullmatch(data or "")
    return int(match[1]) if match else None


def chat_ref(chat: TgChat) -> ChatRef:
    return ChatRef(chat.id, ChatKind(chat.type), title=chat.title, username=chat.username)


def is_private(chat: TgChat) -> bool:
    return chat.type == ChatType.PRIVATE


async def language_of(update: Update, context: Context) -> str:
    """The chat's own setting, else the user's language_code, else the deployment default."""
    ctx = bot_context(context)
    stored: str | None = None
    if update.effective_chat is not None:
        async with ctx.sessions() as session:
            chat = await chat_store.get_chat(session, update.effective_chat.id)
        stored = chat.language if chat is not None else None
    user = update.effective_user
    code = user.language_code if user is not None else None
    return choose_language(stored, code, ctx.settings.default_language)


async def reply(
    update: Update, text: Html, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    """Answer the update's message in its chat (HTML, no link previews)."""
    message = update.effective_message
    if message is None:
        return None
    return await message.reply_html(text, reply_markup=markup, link_preview_options=NO_PREVIEW)


def category_keyboard(
    categories: CategorySet, subscribed: set[int], language: str
) -> InlineKeyboardMarkup:
    """One toggle per category, ✅ on those the chat follows."""
    buttons = []
    for info in categories.infos:
        category_id = categories.ids[info.slug]
        name = categories.name(info.slug, language)
        text = f"✅ {name}" if category_id in subscribed else name
        buttons.append(InlineKeyboardButton(text, callback_data=toggle_data(category_id)))
    rows = [buttons[i : i + KEYBOARD_COLUMNS] for i in range(0, len(buttons), KEYBOARD_COLUMNS)]
    return InlineKeyboardMarkup(rows)


def category_names(categories: CategorySet, ids: set[int], language: str) -> str:
    """The names of these categories in the keyboard's order, joined for `language`."""
    names = [
        categories.name(info.slug, language)
        for info in categories.infos
        if categories.ids[info.slug] in ids
    ]
    return join(names, language)


def all_category_names(categories: CategorySet, language: str) -> str:
    return join((categories.name(info.slug, language) for info in categories.infos), language)


def shortcut_slugs(categories: CategorySet, reserved: frozenset[str]) -> list[str]:
    """The category slugs usable as commands (/politics): valid names, not taken."""
    return [
        info.slug
        for info in categories.infos
        if COMMAND_NAME.fullmatch(info.slug) and info.slug not in reserved
    ]
