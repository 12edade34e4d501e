"""The command menus (setMyCommands): the readers' commands and the category shortcuts for
everyone, in each language; in each bot admin's private chat the admin commands too."""

from __future__ import annotations

import logging
from typing import Any, Final

from telegram import BotCommand, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import Application

from bot.compose.compose import CategorySet
from bot.context import BOT_DATA_KEY, BotContext
from bot.i18n import SUPPORTED_LANGUAGES, t
from bot.services.admins import list_admins
from bot.settings import Settings
from handlers.commands import ADMINS, READERS

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
SHORTCUTS_KEY: Final = "nashra.shortcut_slugs"  # in bot_data: the shortcut commands registered
MAX_COMMANDS: Final = 100
"""setMyCommands takes at most this many; category shortcuts beyond it are left out of the
menu (they still work, and /help and /categories list them)."""


def _context(application: App) -> BotContext:
    context: BotContext = application.bot_data[BOT_DATA_KEY]
    return context


async def set_menus(application: App, slugs: list[str]) -> None:
    """Everyone's menu in each language, then each admin's."""
    application.bot_data[SHORTCUTS_KEY] = slugs
    ctx = _context(application)
    categories = await ctx.categories.get()
    for language in (None, *SUPPORTED_LANGUAGES):
        listed = command_list(ctx.settings, categories, slugs, language, admin=False)
        await application.bot.set_my_commands(listed, language_code=language)
    async with ctx.sessions() as session:
        admins = [entry.user_id for entry in await list_admins(session, ctx.settings)]
    for user_id in admins:
        await set_admin_commands(application, user_id)


def command_list(
    settings: Settings,
    categories: CategorySet,
    slugs: list[str],
    language: str | None,
    *,
    admin: bool,
) -> list[BotCommand]:
    """The readers' commands and the category shortcuts (and the admin commands, for an
    admin), described in `language` (None: the deployment's default)."""
    shown = language or settings.default_language
    names = [*READERS, *(ADMINS if admin else ())]
    listed = [BotCommand(c, t(f"command.{c}", shown)) for c in names]
    room = max(0, MAX_COMMANDS - len(listed))
    if len(slugs) > room:
        log.warning(
            "%d category shortcuts, %d fit the command menu: the rest work but are not listed",
            len(slugs),
            room,
        )
    listed += [
        BotCommand(s, t("command.shortcut", shown, category=categories.name(s, shown)))
        for s in slugs[:room]
    ]
    return listed


async def set_admin_commands(application: App, user_id: int, *, admin: bool = True) -> bool:
    """The command menu of an admin's private chat: the readers' commands plus the admin ones
    (or, with `admin=False`, back to everyone's), for each language. Best effort: False when
    Telegram refused, e.g. "chat not found" for a user who never started the bot."""
    ctx = _context(application)
    categories = await ctx.categories.get()
    slugs: list[str] = application.bot_data.get(SHORTCUTS_KEY, [])
    scope = BotCommandScopeChat(chat_id=user_id)
    try:
        for language in (None, *SUPPORTED_LANGUAGES):
            if admin:
                listed = command_list(ctx.settings, categories, slugs, language, admin=True)
                await application.bot.set_my_commands(listed, scope=scope, language_code=language)
            else:
                await application.bot.delete_my_commands(scope=scope, language_code=language)
    except TelegramError as exc:
        log.warning("could not set the admin commands of user %s: %s", user_id, exc)
        return False
    return True
