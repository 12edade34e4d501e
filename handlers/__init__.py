"""Telegram updates → services, one module per audience, registered in one ordered list.

`register` adds the fixed handlers; `register_categories` (at start, once the categories are
read) adds one shortcut command per category and, last of all, the fallbacks that answer
what no other handler took.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot.compose.compose import CategorySet
from handlers import (
    admin_channel_filters,
    admin_channels,
    admin_manage,
    admin_report,
    admin_sources,
    briefing,
    fallback,
    groups,
    membership,
    quiet,
    reader_options,
    readers,
    search,
    word_filters,
)
from handlers.commands import RESERVED
from handlers.common import LATEST_PREFIX, shortcut_slugs

App = Application[Any, Any, Any, Any, Any, Any]

# Commands answer new messages only (not edits, not channel posts).
_MESSAGES = filters.UpdateType.MESSAGE
_PRIVATE = filters.ChatType.PRIVATE
_GROUPS = filters.ChatType.GROUPS


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    """Every fixed handler, in the order they are tried."""
    return [
        CommandHandler("start", readers.start, filters=_MESSAGES),
        CommandHandler("help", readers.help_command, filters=_MESSAGES),
        CommandHandler("categories", readers.categories_command, filters=_MESSAGES),
        CommandHandler("subscribe", readers.subscribe, filters=_MESSAGES),
        CommandHandler("unsubscribe", readers.unsubscribe, filters=_MESSAGES),
        CommandHandler("mysubs", readers.mysubs, filters=_MESSAGES),
        CommandHandler("latest", readers.latest, filters=_MESSAGES),
        CommandHandler("language", readers.language_command, filters=_MESSAGES),
        CommandHandler("quiet", quiet.quiet, filters=_MESSAGES),
        CommandHandler("whoami", fallback.whoami, filters=_MESSAGES),
        # The readers' options (docs/briefing-and-settings.md).
        CommandHandler("briefing", briefing.briefing, filters=_MESSAGES),
        CommandHandler("timezone", briefing.timezone, filters=_MESSAGES),
        CommandHandler("settings", reader_options.settings_command, filters=_MESSAGES),
        CommandHandler("translate", reader_options.translate_command, filters=_MESSAGES),
        # Word filters, forum topics and search (docs/readers.md).
        CommandHandler("filter", word_filters.filter_command, filters=_MESSAGES),
        CommandHandler("filters", word_filters.filters_command, filters=_MESSAGES),
        CommandHandler("search", search.search_command, filters=_MESSAGES),
        InlineQueryHandler(search.inline_query),
        # Every admin command, button and upload, behind the admins' gate (handlers/admin.py).
        *admin_sources.handlers(),
        *admin_channels.handlers(),
        *admin_channel_filters.handlers(),
        *admin_manage.handlers(),
        *admin_report.handlers(),
        CallbackQueryHandler(readers.latest_button, pattern=f"^{LATEST_PREFIX}"),
        CallbackQueryHandler(
            reader_options.settings_button, pattern=f"^{reader_options.OPTIONS_PREFIX}"
        ),
        # Every other button press: toggle data is validated there, anything else answered
        # invalid.
        CallbackQueryHandler(readers.toggle_subscription),
        ChatMemberHandler(membership.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        ChatMemberHandler(groups.member_changed, ChatMemberHandler.CHAT_MEMBER),
    ]


def fallbacks() -> list[BaseHandler[Any, Any, Any]]:
    """What answers messages no other handler took; registered after the shortcuts."""
    return [
        MessageHandler(
            filters.COMMAND & (_PRIVATE | _GROUPS) & _MESSAGES, fallback.unknown_command
        ),
        MessageHandler(
            _PRIVATE & _MESSAGES & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            fallback.free_text,
        ),
    ]


def register(application: App) -> None:
    """Add every fixed handler to the application, in order."""
    application.add_handlers(handlers())


def register_categories(application: App, categories: CategorySet) -> list[str]:
    """One command per category (/politics …), from the categories stored, then the
    fallbacks; the slugs added."""
    slugs = shortcut_slugs(categories, RESERVED)
    if slugs:
        application.add_handler(CommandHandler(slugs, readers.shortcut, filters=_MESSAGES))
    application.add_handlers(fallbacks())
    return slugs
