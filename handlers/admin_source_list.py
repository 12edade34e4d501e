"""Admin commands on stored sources: list (ten a page), show, pause, resume, delete (after
a Delete/Keep question), poll interval."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Final, Protocol

from telegram import InlineKeyboardMarkup, Update

from bot.context import bot_context
from bot.i18n import Html, t, t_html, tn
from bot.services import sources as service
from bot.services.audit import Actor
from handlers.common import Context, language_of, reply
from handlers.source_replies import (
    ERROR_CHARS,
    arguments,
    buttons,
    duration,
    edit,
    error,
    interval,
    kind_name,
    one_id,
    parse_source_id,
    trim,
    usage,
    when,
)

PAGE_SIZE: Final = 10


class _Named(Protocol):
    """What a paused or resumed source's reply names."""

    @property
    def name(self) -> str | None: ...
    @property
    def title(self) -> str | None: ...
    @property
    def url(self) -> str: ...


async def page(
    context: Context, page: int, language: str
) -> tuple[Html, InlineKeyboardMarkup | None]:
    ctx = bot_context(context)
    async with ctx.sessions() as session:
        states = await service.source_states(session)
    if not states:
        return t_html("admin_sources.list.empty", language), None
    pages = (len(states) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    lines = [
        t_html(
            "admin_sources.list.header",
            language,
            count=tn("admin_sources.count.sources", language, len(states)),
            page=page,
            pages=pages,
            zone=ctx.settings.timezone,
        )
    ]
    for s in states[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        error = (
            t_html("admin_sources.list.error", language, error=trim(s.last_error, ERROR_CHARS))
            if s.last_error
            else Html("")
        )
        lines.append(
            t_html(
                "admin_sources.list.line",
                language,
                id=s.id,
                kind=kind_name(s.kind, language),
                name=trim(s.name or s.url, 80),
                state=t(f"admin_sources.state.{s.state}", language),
                last_poll=when(s.last_poll, ctx, language),
                new_today=s.new_today,
                error=error,
            )
        )
    row = []
    if page > 1:
        row.append((t("admin_sources.button.previous", language), f"page:{page - 1}"))
    if page < pages:
        row.append((t("admin_sources.button.next", language), f"page:{page + 1}"))
    return Html("\n\n".join(lines)), buttons(*row) if row else None


async def list_sources(update: Update, context: Context, actor: Actor) -> None:
    """/sources [page]: ten sources a page, each with its state."""
    language = await language_of(update, context)
    args = arguments(context)
    if len(args) > 1 or (args and not re.fullmatch(r"[1-9][0-9]{0,5}", args[0])):
        await usage(update, "sources", language)
        return
    text, markup = await page(context, int(args[0]) if args else 1, language)
    await reply(update, text, markup)


async def show_source(update: Update, context: Context, actor: Actor) -> None:
    """/source ID: one source in detail."""
    language = await language_of(update, context)
    source_id = await one_id(update, context, "source", language)
    if source_id is None:
        return
    ctx = bot_context(context)
    try:
        async with ctx.sessions() as session:
            s = await service.source_state(session, source_id)
    except service.SourceError as exc:
        await reply(update, error(exc, language))
        return
    auto = t("admin_sources.auto", language)
    await reply(
        update,
        t_html(
            "admin_sources.detail",
            language,
            id=s.id,
            name=s.name or s.url,
            kind=kind_name(s.kind, language),
            url=s.url,
            state=t(f"admin_sources.state.{s.state}", language),
            category=s.category or auto,
            lang=s.language or auto,
            interval=interval(s.interval_seconds, ctx, language),
            last_poll=when(s.last_poll, ctx, language),
            next_poll=when(s.next_poll, ctx, language),
            zone=ctx.settings.timezone,
            articles=s.articles,
            new_today=s.new_today,
            failures=s.failures,
            error=trim(s.last_error or "-", 500),
        ),
    )


# ---- /pausesource, /resumesource, /delsource, /setinterval ------------------------------------


async def pause_source(update: Update, context: Context, actor: Actor) -> None:
    await _switch(update, context, actor, "pausesource", service.pause_source, "paused")


async def resume_source(update: Update, context: Context, actor: Actor) -> None:
    await _switch(update, context, actor, "resumesource", service.resume_source, "resumed")


async def _switch(
    update: Update,
    context: Context,
    actor: Actor,
    command_name: str,
    change: Callable[..., Awaitable[_Named]],
    done: str,
) -> None:
    """/pausesource ID or /resumesource ID: `change` the source, say `done`."""
    language = await language_of(update, context)
    source_id = await one_id(update, context, command_name, language)
    if source_id is None:
        return
    try:
        async with bot_context(context).sessions.begin() as session:
            source = await change(session, source_id, actor=actor)
            name = source.name or source.title or source.url
    except service.SourceError as exc:
        await reply(update, error(exc, language))
        return
    await reply(update, t_html(f"admin_sources.{done}", language, id=source_id, name=name))


async def delete_source(update: Update, context: Context, actor: Actor) -> None:
    """/delsource ID: asks first, with Delete and Keep buttons."""
    language = await language_of(update, context)
    source_id = await one_id(update, context, "delsource", language)
    if source_id is None:
        return
    try:
        async with bot_context(context).sessions() as session:
            s = await service.source_state(session, source_id)
    except service.SourceError as exc:
        await reply(update, error(exc, language))
        return
    markup = buttons(
        (t("admin_sources.button.delete", language), f"del:{source_id}"),
        (t("admin_sources.button.keep", language), f"keep:{source_id}"),
    )
    text = t_html(
        "admin_sources.delete_confirm",
        language,
        id=source_id,
        name=s.name or s.url,
        articles=tn("admin_sources.count.articles", language, s.articles),
    )
    await reply(update, text, markup)


async def confirm_delete(update: Update, context: Context, actor: Actor, source_id: int) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    try:
        async with bot_context(context).sessions.begin() as session:
            gone = await service.delete_source(session, source_id, actor=actor)
    except service.SourceError as exc:
        await query.answer()
        await edit(update, error(exc, language))
        return
    await query.answer()
    text = t_html(
        "admin_sources.deleted",
        language,
        id=source_id,
        articles=tn("admin_sources.count.articles", language, gone["articles"]),
        pending=tn("admin_sources.count.posts", language, gone["pending_deliveries"]),
    )
    await edit(update, text)


async def set_interval(update: Update, context: Context, actor: Actor) -> None:
    """/setinterval ID 15m"""
    language = await language_of(update, context)
    args = arguments(context)
    source_id = parse_source_id(args[0]) if len(args) == 2 else None
    if source_id is None or len(args[1]) > 32:
        await usage(update, "setinterval", language)
        return
    try:
        seconds = service.parse_interval(args[1])
    except service.SourceError:
        await usage(update, "setinterval", language)
        return
    try:
        async with bot_context(context).sessions.begin() as session:
            await service.set_interval(session, source_id, str(seconds), actor=actor)
    except service.SourceError as exc:
        await reply(update, error(exc, language))
        return
    interval = duration(seconds, language)
    await reply(
        update, t_html("admin_sources.interval_set", language, id=source_id, interval=interval)
    )
