"""Telegram updates → services, one module per audience, registered in one ordered list."""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    filters,
)

from bot.compose.compose import CategorySet
from handlers import admin_channels, admin_manage, admin_sources, membership, readers
from handlers.commands import RESERVED
from handlers.common import shortcut_slugs

App = Application[Any, Any, Any, Any, Any, Any]

# Commands answer new messages only (not edits, not channel posts).
_MESSAGES = filters.UpdateType.MESSAGE


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Every handler, in the order they are tried."""
    return [
        CommandHandler("start", readers.start, filters=_MESSAGES),
        CommandHandler("help", readers.help_command, filters=_MESSAGES),
        CommandHandler("categories", readers.categories_command, filters=_MESSAGES),
        CommandHandler("subscribe", readers.subscribe, filters=_MESSAGES),
        CommandHandler("unsubscribe", readers.unsubscribe, filters=_MESSAGES),
        CommandHandler("mysubs", readers.mysubs, filters=_MESSAGES),
        CommandHandler("latest", readers.latest, filters=_MESSAGES),
        CommandHandler("language", readers.language_command, filters=_MESSAGES),
        CommandHandler("quiet", readers.quiet, filters=_MESSAGES),
        # Every admin command, button and upload, behind the admins' gate (handlers/admin.py).
        *admin_sources.handlers(),
        *admin_channels.handlers(),
        *admin_manage.handlers(),
        # Every other button press: toggle data is validated there, anything else answered
        # invalid.
        CallbackQueryHandler(readers.toggle_subscription),
        ChatMemberHandler(membership.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
    ]


def register(application: App) -> None:
    """Add every handler to the application, in order."""
    application.add_handlers(handlers())


def register_shortcuts(application: App, categories: CategorySet) -> list[str]:
    """One command per category (/politics …), from the categories stored; the slugs added."""
    slugs = shortcut_slugs(categories, RESERVED)
    if slugs:
        application.add_handler(CommandHandler(slugs, readers.shortcut, filters=_MESSAGES))
    return slugs
