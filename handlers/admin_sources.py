"""Admin commands for sources: add (after a preview), list, show, pause, resume, delete, poll
interval, OPML import and export. Each calls bot/services/sources.py, as `nashra sources …` does.

Callback data (after `adm:v1:src:`): `add:<token>` / `drop:<token>` confirm or cancel a
previewed addition, `page:<n>` turns the list's page, `del:<id>` / `keep:<id>` confirm or
cancel a deletion. A previewed addition waits in the database (bot/services/pending.py) under
a short random token with the admin who asked and an expiry, so a restart loses none; nothing
is saved as a source before it is confirmed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Final

from telegram import Update
from telegram.ext import filters as tg_filters

from bot.compose.compose import Composer
from bot.context import BotContext, bot_context
from bot.deliver.send import send_reply_post
from bot.i18n import t, t_html
from bot.ingest.fetch import Fetcher
from bot.ingest.sourcespec import SourceListError, SourceSpec, make_spec
from bot.pipeline.articles import Pipeline
from bot.services import pending as pending_service
from bot.services import preview as preview_service
from bot.services import sources as service
from bot.services.audit import Actor
from bot.services.subscriptions import find_category
from handlers import admin_opml
from handlers import admin_source_list as source_list
from handlers.admin import Handler, button, command, upload
from handlers.commands import ADMIN_SOURCES
from handlers.common import Context, language_of, reply
from handlers.source_replies import (
    AREA,
    arguments,
    buttons,
    drop_buttons,
    edit,
    error,
    parse_source_id,
    trim,
    usage,
)

COMMANDS: Final = ADMIN_SOURCES

DATA: Final = re.compile(r"adm:v1:src:(add|drop|page|del|keep):([A-Za-z0-9_-]{1,16})")
TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{8,16}")
LANGUAGE_CODE: Final = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,3})?")
PENDING_KIND: Final = "source.add"
PENDING_TTL: Final = timedelta(minutes=10)
MAX_ARGUMENT: Final = 2048


def handlers() -> list[Handler]:
    return [
        command("addsource", add_source),
        command("sources", source_list.list_sources),
        command("source", source_list.show_source),
        command("pausesource", source_list.pause_source),
        command("resumesource", source_list.resume_source),
        command("delsource", source_list.delete_source),
        command("setinterval", source_list.set_interval),
        command("export", admin_opml.export_sources),
        upload(
            tg_filters.Document.FileExtension("opml", case_sensitive=False)
            | tg_filters.Document.MimeType("text/x-opml"),
            admin_opml.import_opml,
        ),
        button(AREA, on_button),
    ]


@contextlib.asynccontextmanager
async def _pipeline(ctx: BotContext) -> AsyncIterator[Pipeline]:
    """The process's pipeline, or one with a fetcher for this preview only."""
    if ctx.pipeline is not None:
        yield ctx.pipeline
        return
    async with Fetcher(ctx.settings) as fetcher:
        yield Pipeline(ctx.settings, fetcher, Composer(ctx.settings))

    # ---- /addsource ---------------------------------------------------------------------------


async def add_source(update: Update, context: Context, actor: Actor) -> None:
    """/addsource URL [category] [language]: preview the newest post, then confirm or cancel."""
    language = await language_of(update, context)
    args = arguments(context)
    if not 1 <= len(args) <= 3 or any(len(arg) > MAX_ARGUMENT for arg in args):
        await usage(update, "addsource", language)
        return
    ctx = bot_context(context)
    values: dict[str, object] = {"url": args[0]}
    for arg in args[1:]:
        # A language is a code such as ar, en or ar-SY (unless a category has that name);
        # anything else names a category.
        key = "category"
        if LANGUAGE_CODE.fullmatch(arg):
            async with ctx.sessions() as session:
                if await find_category(session, arg) is None:
                    key = "language"
        if key in values:
            await usage(update, "addsource", language)
            return
        values[key] = arg
    try:
        spec = make_spec(values)
    except SourceListError as exc:
        reason = trim("; ".join(exc.problems), 300)
        await reply(
            update, t_html("admin_sources.usage.addsource_invalid", language, reason=reason)
        )
        return
    try:
        async with ctx.sessions() as session:
            _url, category_id = await service.check_new(session, spec)
        categories = await ctx.categories.get()
        async with _pipeline(ctx) as pipeline:
            preview = await preview_service.preview_source(
                spec,
                category_id=category_id,
                settings=ctx.settings,
                pipeline=pipeline,
                categories=categories,
            )
        async with ctx.sessions.begin() as session:
            token = await pending_service.park(
                session,
                user_id=actor.user_id or 0,
                kind=PENDING_KIND,
                payload=dataclasses.asdict(spec),
                ttl=PENDING_TTL,
            )
    except service.SourceError as exc:
        await reply(update, error(exc, language))
        return
    except pending_service.PendingError:
        await reply(update, t_html("admin_sources.too_many_pending", language))
        return
    message = update.effective_message
    assert message is not None
    assert ctx.transport is not None, "post_init opens the transport"
    await send_reply_post(ctx.transport, message.chat_id, preview.post)
    category = spec.category or t("admin_sources.auto", language)
    text = t_html(
        "admin_sources.preview",
        language,
        title=preview.title or preview.url,
        url=spec.url,
        category=category,
        lang=spec.language or t("admin_sources.auto", language),
    )
    markup = buttons(
        (t("admin_sources.button.save", language), f"add:{token}"),
        (t("admin_sources.button.cancel", language), f"drop:{token}"),
    )
    await reply(update, text, markup)


async def _confirm_add(update: Update, context: Context, actor: Actor, token: str) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    ctx = bot_context(context)
    try:
        async with ctx.sessions.begin() as session:
            waiting = await pending_service.take(
                session, token, user_id=actor.user_id or 0, kind=PENDING_KIND
            )
            source = await service.add_source(session, SourceSpec(**waiting.payload), actor=actor)
            source_id, url = source.id, source.url
    except pending_service.PendingError as exc:
        await _refuse_press(update, exc, language)
        return
    except service.SourceError as exc:
        await query.answer()
        await edit(update, error(exc, language))
        return
    await query.answer(t("admin_sources.alert.saved", language))
    await edit(update, t_html("admin_sources.added", language, id=source_id, url=url))


async def _cancel_add(update: Update, context: Context, actor: Actor, token: str) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    try:
        async with bot_context(context).sessions.begin() as session:
            await pending_service.take(
                session, token, user_id=actor.user_id or 0, kind=PENDING_KIND
            )
    except pending_service.PendingError as exc:
        if exc.reason != "expired":
            await _refuse_press(update, exc, language)
            return
    await query.answer()
    await edit(update, t_html("admin_sources.cancelled", language))


async def _refuse_press(update: Update, exc: pending_service.PendingError, language: str) -> None:
    query = update.callback_query
    assert query is not None
    if exc.reason == "not_yours":
        await query.answer(t("admin_sources.alert.not_yours", language), show_alert=True)
        return
    await query.answer(t("admin_sources.alert.expired", language), show_alert=True)
    await drop_buttons(update)


async def on_button(update: Update, context: Context, actor: Actor) -> None:
    query = update.callback_query
    assert query is not None
    match = DATA.fullmatch(query.data or "")
    if match is None:
        await query.answer()
        return
    action, value = match[1], match[2]
    if action in {"add", "drop"}:
        if not TOKEN.fullmatch(value):
            await query.answer()
            return
        if action == "add":
            await _confirm_add(update, context, actor, value)
        else:
            await _cancel_add(update, context, actor, value)
        return
    number = parse_source_id(value)
    if number is None:
        await query.answer()
        return
    language = await language_of(update, context)
    if action == "page":
        text, markup = await source_list.page(context, number, language)
        await query.answer()
        await edit(update, text, markup)
    elif action == "del":
        await source_list.confirm_delete(update, context, actor, number)
    else:
        await query.answer()
        await edit(update, t_html("admin_sources.delete_kept", language))
