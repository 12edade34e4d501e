"""The admins' handlers: one gate in front of all of them.

Each admin area (`admin_sources`, `admin_channels`, `admin_manage`) lists its handlers with
`command(...)`, `button(...)` and `upload(...)` below, which put the gate in front: a user who
is not an admin (ADMIN_IDS, or added with /addadmin) gets a refusal and nothing changes.
`handlers/__init__` registers the areas' lists.
Admin buttons carry callback data `adm:v1:<area>:…`; the gate checks the presser, and each
area validates the rest (a forged or stale button changes nothing).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Coroutine
from typing import Any, Final

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler
from telegram.ext import filters as tg_filters

from bot.context import bot_context
from bot.i18n import t, t_html
from bot.services.admins import is_admin
from bot.services.audit import Actor
from handlers.common import Context, language_of, reply

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]
AdminCallback = Callable[[Update, Context, Actor], Coroutine[Any, Any, None]]
Handler = BaseHandler[Any, Any, Any]

CALLBACK_PREFIX: Final = "adm:v1:"
CALLBACK_PATTERN: Final = re.compile(r"^adm:v1:")
_MESSAGES = tg_filters.UpdateType.MESSAGE


async def admin_actor(update: Update, context: Context) -> Actor | None:
    """The acting admin, or None (after telling the user so) when the user is not one."""
    user = update.effective_user
    ctx = bot_context(context)
    if user is not None:
        async with ctx.sessions() as session:
            if await is_admin(session, ctx.settings, user.id):
                return Actor.telegram(user.id)
    language = await language_of(update, context)
    query = update.callback_query
    if query is not None:
        await query.answer(t("admin.refused_alert", language), show_alert=True)
    else:
        await reply(update, t_html("admin.refused", language))
    return None


def gated(callback: AdminCallback) -> Callback:
    """`callback(update, context, actor)` for admins only."""

    @functools.wraps(callback)
    async def gate(update: Update, context: Context) -> None:
        actor = await admin_actor(update, context)
        if actor is not None:
            await callback(update, context, actor)

    return gate


def command(name: str, callback: AdminCallback) -> Handler:
    """An admin command (/name), behind the gate."""
    return CommandHandler(name, gated(callback), filters=_MESSAGES)


def button(area: str, callback: AdminCallback) -> Handler:
    """Presses of admin buttons whose data starts with `adm:v1:<area>:`, behind the gate."""
    pattern = re.compile(rf"^{re.escape(CALLBACK_PREFIX + area)}:")
    return CallbackQueryHandler(gated(callback), pattern=pattern)


def upload(
    file_filter: tg_filters.BaseFilter,
    callback: AdminCallback,
) -> Handler:
    """A document sent to the bot in a private chat (an .opml file), behind the gate."""
    return MessageHandler(file_filter & tg_filters.ChatType.PRIVATE & _MESSAGES, gated(callback))
