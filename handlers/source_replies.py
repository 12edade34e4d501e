"""What the admins' source commands share: their callback data, argument checks, and
replies (usage lines, refusals in the admin's language, times, intervals, buttons, edits)."""

from __future__ import annotations

import contextlib
import re
from datetime import datetime
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.context import BotContext
from bot.i18n import Html, local_time, t, t_html, tn
from bot.services import sources as service
from handlers.admin import CALLBACK_PREFIX
from handlers.common import Context, reply

AREA: Final = "src"
PREFIX: Final = f"{CALLBACK_PREFIX}{AREA}:"
SOURCE_ID: Final = re.compile(r"[1-9][0-9]{0,17}")
LANGUAGE_CODE: Final = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,3})?")
ERROR_CHARS: Final = 120
MAX_ARGUMENT: Final = 2048


def arguments(context: Context) -> list[str]:
    return list(context.args or [])


def parse_source_id(text: str) -> int | None:
    return int(text) if SOURCE_ID.fullmatch(text) else None


async def usage(update: Update, name: str, language: str) -> None:
    await reply(update, t_html(f"admin_sources.usage.{name}", language))


def error(exc: service.SourceError, language: str) -> Html:
    """The service's refusal in the admin's language."""
    if exc.code is not None:
        return t_html(f"admin_sources.error.{exc.code}", language, **exc.values)
    return t_html("admin_sources.error.other", language, reason=str(exc))


def kind_name(kind: str, language: str) -> str:
    """A source kind (feed, telegram, sitemap, page) as the admin reads it."""
    return t(f"admin_sources.kind.{kind}", language)


def trim(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def when(moment: datetime | None, ctx: BotContext, language: str) -> str:
    """`moment` in the bot's time zone (the text around it names the zone)."""
    if moment is None:
        return t("admin_sources.never", language)
    return local_time(moment, ctx.settings.timezone, language)


def interval(seconds: int | None, ctx: BotContext, language: str) -> str:
    if seconds is None:
        default = int(ctx.settings.poll_interval_seconds)
        return t("admin_sources.interval_default", language, interval=duration(default, language))
    return duration(seconds, language)


def duration(seconds: int, language: str) -> str:
    if seconds % 3600 == 0:
        return tn("admin_sources.unit.hours", language, seconds // 3600)
    if seconds % 60 == 0:
        return tn("admin_sources.unit.minutes", language, seconds // 60)
    return tn("admin_sources.unit.seconds", language, seconds)


def buttons(*row: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=PREFIX + data) for text, data in row]]
    )


async def one_id(update: Update, context: Context, name: str, language: str) -> int | None:
    args = arguments(context)
    source_id = parse_source_id(args[0]) if len(args) == 1 else None
    if source_id is None:
        await usage(update, name, language)
    return source_id


async def edit(update: Update, text: Html, markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)


async def drop_buttons(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)
