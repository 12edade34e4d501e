"""The python-telegram-bot Application: built from settings, started and stopped in one place.

    app = build_application(settings, sessions)
    async with running(app):          # initialize, post_init, start, long polling
        ...                           # until asked to stop

`post_init` loads the categories, adds one shortcut command per category and registers the
commands per language with setMyCommands. PTB's transport is `AiohttpRequest`, one for the
bot's calls and one for the long poll.
"""

from __future__ import annotations

import logging
import os
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import BotCommand, Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

import handlers
from bot.compose.compose import CategoryCache
from bot.context import BOT_DATA_KEY, BotContext, bot_context
from bot.i18n import SUPPORTED_LANGUAGES, choose_language, t, t_html
from bot.logs import REDACTED
from bot.settings import Settings
from bot.telegram.request import AiohttpRequest
from handlers.readers import COMMANDS

# Time periods as timedelta (RetryAfter.retry_after …): the integer ones are deprecated and
# warn. Read by PTB when it builds such objects, so set before any update is handled.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
ALLOWED_UPDATES: Final = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]
POLL_TIMEOUT_SECONDS: Final = 30


def file_base_url(base_url: str) -> str:
    """The file download URL that goes with a Bot API URL (`…/bot` → `…/file/bot`)."""
    if base_url.endswith("/bot"):
        return base_url.removesuffix("/bot") + "/file/bot"
    return base_url.replace("/bot{token}", "/file/bot{token}")


def build_application(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> App:
    """The Application for the configured token and API URL, handlers registered."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    base_url = settings.telegram_api_base_url
    application: App = (
        ApplicationBuilder()
        .token(settings.telegram_bot_token.get_secret_value())
        .base_url(base_url)
        .base_file_url(file_base_url(base_url))
        .request(AiohttpRequest())
        .get_updates_request(AiohttpRequest(connection_pool_size=1))
        .post_init(post_init)
        .build()
    )
    application.bot_data[BOT_DATA_KEY] = BotContext(settings, sessions, CategoryCache(sessions))
    handlers.register(application)
    application.add_error_handler(on_error)
    return application


async def post_init(application: App) -> None:
    """Load the categories, add their shortcut commands, register the commands per language."""
    ctx: BotContext = application.bot_data[BOT_DATA_KEY]
    categories = await ctx.categories.get()
    slugs = handlers.register_shortcuts(application, categories)
    bot = application.bot
    for language in (None, *SUPPORTED_LANGUAGES):
        shown = language or ctx.settings.default_language
        commands = [BotCommand(c, t(f"command.{c}", shown)) for c in COMMANDS]
        commands += [
            BotCommand(s, t("command.shortcut", shown, category=categories.name(s, shown)))
            for s in slugs
        ]
        await bot.set_my_commands(commands, language_code=language)
    log.info("bot @%s ready: %d commands, %d shortcuts", bot.username, len(COMMANDS), len(slugs))


async def on_error(update: object, context: Any) -> None:
    """Log the failure with its traceback (the token blotted out) and tell the chat, if any."""
    error = context.error
    text = "".join(traceback.format_exception(error)) if error is not None else "no error"
    token = bot_context(context).settings.telegram_bot_token
    if token is not None:
        text = text.replace(token.get_secret_value(), REDACTED)
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("update %s failed:\n%s", update_id, text)
    if isinstance(update, Update) and update.effective_message is not None:
        if update.callback_query is not None:
            return
        user = update.effective_user
        language = choose_language(
            None,
            user.language_code if user is not None else None,
            bot_context(context).settings.default_language,
        )
        try:
            await update.effective_message.reply_html(t_html("error.generic", language))
        except TelegramError:
            log.warning("could not tell chat %s about the error", update.effective_message.chat_id)


@asynccontextmanager
async def running(
    application: App, *, poll_interval: float = 0.0, poll_timeout: int = POLL_TIMEOUT_SECONDS
) -> AsyncIterator[App]:
    """The application initialized, post-initialized, started and long polling; all stopped
    and shut down on the way out."""
    async with application:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        updater = application.updater
        assert updater is not None
        await updater.start_polling(
            poll_interval=poll_interval, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
        )
        try:
            yield application
        finally:
            if updater.running:
                await updater.stop()
            if application.running:
                await application.stop()
            if application.post_shutdown is not None:
                await application.post_shutdown(application)
