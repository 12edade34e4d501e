"""What every audience's handlers share: the update's turn (its chat's settings and language,
read once), replies, the categories keyboard and its callback data."""

from __future__ import annotations

import re
from dataclasses import dataclass
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
from bot.context import BotContext, bot_context
from bot.i18n import Html, choose_language, join, t
from bot.services.chats import ChatSettings, chat_settings
from bot.services.subscriptions import ChatRef

Context = ContextTypes.DEFAULT_TYPE

# Callback data of the categories keyboard: versioned, and naming only the category. The chat
# acted on is always the one of the message the button belongs to.
TOGGLE_PREFIX: Final = "sub:v1:"
TOGGLE_DATA: Final = re.compile(r"sub:v1:([1-9][0-9]{0,17})")
LATEST_PREFIX: Final = "lat:v1:"
LATEST_DATA: Final = re.compile(r"lat:v1:([1-9][0-9]{0,17})")
KEYBOARD_COLUMNS: Final = 2
COMMAND_NAME: Final = re.compile(r"[a-z0-9_]{1,32}")
NO_PREVIEW: Final = LinkPreviewOptions(is_disabled=True)
_TURN: Final = "nashra_turn"


@dataclass(frozen=True, slots=True)
class Turn:
    """One update as its handlers need it, read once: the shared context, the chat's stored
    settings (None for a chat never seen), the language to answer in, the categories."""

    ctx: BotContext
    chat: ChatSettings | None
    language: str
    categories: CategorySet


async def turn(update: Update, context: Context) -> Turn:
    """The update's turn, read from the database on the first call and kept with `context`."""
    kept = vars(context).get(_TURN)
    if isinstance(kept, Turn):
        return kept
    ctx = bot_context(context)
    stored: ChatSettings | None = None
    if update.effective_chat is not None:
        async with ctx.sessions() as session:
            stored = await chat_settings(session, update.effective_chat.id)
    user = update.effective_user
    language = choose_language(
        stored.language if stored is not None else None,
        user.language_code if user is not None else None,
        ctx.settings.default_language,
    )
    made = Turn(ctx, stored, language, await ctx.categories.get())
    vars(context)[_TURN] = made
    return made


def toggle_data(category_id: int) -> str:
    return f"{TOGGLE_PREFIX}{category_id}"


def parse_toggle(data: str | None) -> int | None:
    """The category id of well-formed toggle data, else None."""
    match = TOGGLE_DATA.fullmatch(data or "")
    return int(match[1]) if match else None


def latest_data(category_id: int) -> str:
    return f"{LATEST_PREFIX}{category_id}"


def parse_latest(data: str | None) -> int | None:
    """The category id of well-formed latest-news data, else None."""
    match = LATEST_DATA.fullmatch(data or "")
    return int(match[1]) if match else None


def chat_ref(chat: TgChat) -> ChatRef:
    return ChatRef.of(chat.id, chat.type, chat.title, chat.username)


def is_private(chat: TgChat) -> bool:
    return chat.type == ChatType.PRIVATE


async def language_of(update: Update, context: Context) -> str:
    """The chat's own setting, else the user's language_code, else the deployment default."""
    return (await turn(update, context)).language


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
    """A row per category: its name (its latest news) and its subscription toggle."""
    rows = []
    for info in categories.infos:
        category_id = categories.ids[info.slug]
        name = categories.name(info.slug, language)
        toggle = "button.subscribed" if category_id in subscribed else "button.subscribe"
        rows.append(
            [
                InlineKeyboardButton(
                    t("button.latest", language, category=name),
                    callback_data=latest_data(category_id),
                ),
                InlineKeyboardButton(t(toggle, language), callback_data=toggle_data(category_id)),
            ]
        )
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
