"""The python-telegram-bot Application: built from settings, started and stopped in one place.

    app = build_application(settings, sessions)
    async with running(app):          # initialize, post_init, start, long polling
        ...                           # (or a webhook, with WEBHOOK_URL set) until asked to stop

`post_init` loads the categories, adds one shortcut command per category and registers the
commands per language with setMyCommands. PTB's transport is `AiohttpRequest`, one for the
bot's calls and one for the long poll. Webhook mode serves Telegram's POSTs with our own
aiohttp server (bot/web.py), not PTB's webhook runner.
"""

from __future__ import annotations

import contextlib
import logging
import os
import traceback
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ApplicationBuilder

import handlers
from bot.context import BOT_DATA_KEY, BotContext, bot_context
from bot.deliver.send import Transport
from bot.i18n import choose_language, t_html
from bot.logs import REDACTED, secret_parts
from bot.pipeline.articles import Pipeline
from bot.services.catalog import CategoryCache
from bot.settings import Settings
from bot.telegram.botapi import BotApi
from bot.telegram.request import AiohttpRequest
from bot.web import WebServer, webhook_handler
from handlers import menus

# Time periods as timedelta (RetryAfter.retry_after …): the integer ones are deprecated and
# warn. Read by PTB when it builds such objects, so set before any update is handled.
os.environ.setdefault("PTB_TIMEDELTA", "true")

log = logging.getLogger(__name__)

App = Application[Any, Any, Any, Any, Any, Any]
# chat_member: Telegram sends it only when asked for, and only for chats the bot administers.
ALLOWED_UPDATES: Final = [
    Update.MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
    Update.CHAT_MEMBER,
    Update.INLINE_QUERY,  # inline search, once inline mode is on (BotFather: /setinline)
]
POLL_TIMEOUT_SECONDS: Final = 30
SEND_READ_TIMEOUT_SECONDS: Final = 30.0
OWNED_KEY: Final = "nashra.owned"  # in bot_data: what post_init opened, closed by post_shutdown


def file_base_url(base_url: str) -> str:
    """The file download URL that goes with a Bot API URL (`…/bot` → `…/file/bot`)."""
    if base_url.endswith("/bot"):
        return base_url.removesuffix("/bot") + "/file/bot"
    return base_url.replace("/bot{token}", "/file/bot{token}")


def build_application(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    *,
    categories: CategoryCache | None = None,
    pipeline: Pipeline | None = None,
    transport: Transport | None = None,
) -> App:
    """The Application for the configured token and API URL, handlers registered. The
    runtime's `categories`, `pipeline` (the admins' source previews) and `transport` (posts
    sent in answers) are shared when given; otherwise the bot has its own."""
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
        .post_shutdown(post_shutdown)
        .build()
    )
    application.bot_data[BOT_DATA_KEY] = BotContext(
        settings,
        sessions,
        categories or CategoryCache(sessions),
        pipeline=pipeline,
        transport=transport,
    )
    handlers.register(application)
    application.add_error_handler(on_error)
    return application


def open_bot_api(settings: Settings) -> BotApi:
    """The outbox's own client: a connection pool as large as the sends it keeps in flight,
    and time for Telegram to fetch a post's photo. Use it with `async with`."""
    if settings.telegram_bot_token is None:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    return BotApi(
        settings.telegram_api_base_url,
        settings.telegram_bot_token.get_secret_value(),
        connections=settings.send_max_in_flight,
        read_timeout=SEND_READ_TIMEOUT_SECONDS,
    )


async def post_init(application: App) -> None:
    """Load the categories, add their shortcut commands, register the command menus; open the
    Bot API client posts are sent through, unless the process gave its own."""
    ctx = bot_context_of(application)
    if ctx.transport is None:
        api = await _owned(application).enter_async_context(open_bot_api(ctx.settings))
        ctx.transport = Transport(api)
    categories = await ctx.categories.get()
    slugs = handlers.register_categories(application, categories)
    await menus.set_menus(application, slugs)
    log.info("bot @%s ready: %d shortcut commands", application.bot.username, len(slugs))
    if not application.bot.supports_inline_queries:
        log.info("inline search is off: turn it on in @BotFather with /setinline (README)")


async def post_shutdown(application: App) -> None:
    """Close what post_init opened."""
    owned = application.bot_data.pop(OWNED_KEY, None)
    if isinstance(owned, contextlib.AsyncExitStack):
        await owned.aclose()


def _owned(application: App) -> contextlib.AsyncExitStack:
    owned = application.bot_data.get(OWNED_KEY)
    if isinstance(owned, contextlib.AsyncExitStack):
        return owned
    stack = contextlib.AsyncExitStack()
    application.bot_data[OWNED_KEY] = stack
    return stack


async def on_error(update: object, context: Any) -> None:
    """Log the failure with its traceback (the token blotted out) and tell the chat, if any."""
    error = context.error
    text = "".join(traceback.format_exception(error)) if error is not None else "no error"
    token = bot_context(context).settings.telegram_bot_token
    if token is not None:
        for secret in secret_parts(token.get_secret_value()):
            text = text.replace(secret, REDACTED)
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
    application: App,
    *,
    poll_interval: float = 0.0,
    poll_timeout: int = POLL_TIMEOUT_SECONDS,
    web: WebServer | None = None,
) -> AsyncIterator[App]:
    """The application initialized, post-initialized and started, receiving updates; all
    stopped and shut down on the way out.

    Updates come by long polling unless WEBHOOK_URL is set. In webhook mode the webhook route
    is added to `web` (a new WebServer on WEBHOOK_LISTEN:WEBHOOK_PORT when None), the server is
    started, and then the webhook is registered with setWebhook. A given `web` (with routes of
    its own added beforehand) is started and stopped here in either mode. On the way out the
    webhook stays set: Telegram keeps the updates that come meanwhile until the bot is back
    (switching back to long polling deletes it, as PTB's start_polling does).
    """
    settings = bot_context_of(application).settings
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    webhook_url = None
    if settings.webhook_url is not None and secret is not None:
        webhook_url = settings.webhook_url + settings.webhook_path
        if web is None:
            web = WebServer(settings.webhook_listen, settings.webhook_port)
        web.add_route("POST", settings.webhook_path, webhook_handler(application, secret))
    async with application, contextlib.AsyncExitStack() as stack:
        if application.post_init is not None:
            await application.post_init(application)
        await application.start()
        stack.push_async_callback(_stop_application, application)
        if web is not None:
            await stack.enter_async_context(web)
        if webhook_url is not None:
            await application.bot.set_webhook(
                url=webhook_url,
                secret_token=secret,
                allowed_updates=ALLOWED_UPDATES,
                drop_pending_updates=False,
            )
            log.info("receiving updates by webhook at %s", webhook_url)
        else:
            updater = application.updater
            assert updater is not None
            await updater.start_polling(
                poll_interval=poll_interval, timeout=poll_timeout, allowed_updates=ALLOWED_UPDATES
            )
            stack.push_async_callback(_stop_updater, application)
        yield application


async def _stop_updater(application: App) -> None:
    updater = application.updater
    if updater is not None and updater.running:
        await updater.stop()


async def _stop_application(application: App) -> None:
    if application.running:
        await application.stop()
    if application.post_shutdown is not None:
        await application.post_shutdown(application)


def bot_context_of(application: App) -> BotContext:
    context: BotContext = application.bot_data[BOT_DATA_KEY]
    return context
