"""Admin commands for sources: add (after a preview), list, show, pause, resume, delete, poll
interval, OPML import and export. Each calls bot/services/sources.py, as `nashra sources …` does.

Callback data (after `adm:v1:src:`): `add:<token>` / `drop:<token>` confirm or cancel a
previewed addition, `page:<n>` turns the list's page, `del:<id>` / `keep:<id>` confirm or
cancel a deletion. A previewed addition waits server-side (in `bot_data`) under a short random
token with the admin who asked and an expiry; nothing is saved before it is confirmed.
"""

from __future__ import annotations

import contextlib
import html
import re
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Update
from telegram.error import TelegramError
from telegram.ext import filters as tg_filters

from bot.compose.compose import Composer
from bot.context import BotContext, bot_context
from bot.deliver.send import PtbTransport, SendFailed, send_post
from bot.deliver.verdicts import Verdict
from bot.i18n import Html, t, t_html
from bot.ingest.fetch import Fetcher
from bot.ingest.sourcelist import SourceListError, SourceSpec, make_spec, read_opml, write_opml
from bot.services import sources as service
from bot.services.audit import Actor
from bot.text.fold import alias_key
from handlers.admin import CALLBACK_PREFIX, Handler, button, command, upload
from handlers.common import Context, language_of, reply
from storage import categories as category_store
from storage.models import Source

COMMANDS: Final[list[str]] = [
    "addsource",
    "sources",
    "source",
    "pausesource",
    "resumesource",
    "delsource",
    "setinterval",
    "export",
]

AREA: Final = "src"
PREFIX: Final = f"{CALLBACK_PREFIX}{AREA}:"
DATA: Final = re.compile(r"adm:v1:src:(add|drop|page|del|keep):([A-Za-z0-9_-]{1,16})")
SOURCE_ID: Final = re.compile(r"[1-9][0-9]{0,17}")
TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{8,16}")
LANGUAGE_CODE: Final = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,3})?")
PAGE_SIZE: Final = 10
PENDING_KEY: Final = "nashra.admin_sources.pending"
PENDING_SECONDS: Final = 600.0
PENDING_MAX: Final = 1000
MAX_ARGUMENT: Final = 2048
MAX_OPML_BYTES: Final = 1_000_000
ERROR_CHARS: Final = 120


@dataclass(frozen=True, slots=True)
class PendingSource:
    """A previewed source waiting for its admin's confirmation."""

    user_id: int
    spec: SourceSpec
    expires: float  # time.monotonic()


def handlers() -> list[Handler]:
    return [
        command("addsource", add_source),
        command("sources", list_sources),
        command("source", show_source),
        command("pausesource", pause_source),
        command("resumesource", resume_source),
        command("delsource", delete_source),
        command("setinterval", set_interval),
        command("export", export_sources),
        upload(
            tg_filters.Document.FileExtension("opml", case_sensitive=False)
            | tg_filters.Document.MimeType("text/x-opml"),
            import_opml,
        ),
        button(AREA, on_button),
    ]


# ---- helpers ----------------------------------------------------------------------------------


def _args(context: Context) -> list[str]:
    return list(context.args or [])


def _source_id(text: str) -> int | None:
    return int(text) if SOURCE_ID.fullmatch(text) else None


async def _usage(update: Update, name: str, language: str) -> None:
    await reply(update, t_html(f"admin_sources.usage.{name}", language))


def _error(exc: service.SourceError, language: str) -> Html:
    """The service's refusal in the admin's language."""
    if exc.code is not None:
        return t_html(f"admin_sources.error.{exc.code}", language, **exc.values)
    return t_html("admin_sources.error.other", language, reason=str(exc))


def _trim(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _when(moment: datetime | None, ctx: BotContext, language: str) -> str:
    if moment is None:
        return t("admin_sources.never", language)
    return moment.astimezone(ZoneInfo(ctx.settings.timezone)).strftime("%Y-%m-%d %H:%M")


def _interval(seconds: int | None, ctx: BotContext, language: str) -> str:
    if seconds is None:
        default = int(ctx.settings.poll_interval_seconds)
        return t("admin_sources.interval_default", language, interval=_duration(default, language))
    return _duration(seconds, language)


def _duration(seconds: int, language: str) -> str:
    if seconds % 3600 == 0:
        return t("admin_sources.unit.hours", language, n=seconds // 3600)
    if seconds % 60 == 0:
        return t("admin_sources.unit.minutes", language, n=seconds // 60)
    return t("admin_sources.unit.seconds", language, n=seconds)


def _buttons(*row: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=PREFIX + data) for text, data in row]]
    )


def _pending(context: Context) -> dict[str, PendingSource]:
    pending: dict[str, PendingSource] = context.bot_data.setdefault(PENDING_KEY, {})
    now = time.monotonic()
    for token in [token for token, p in pending.items() if p.expires <= now]:
        del pending[token]
    return pending


@contextlib.asynccontextmanager
async def _fetcher(ctx: BotContext) -> AsyncIterator[Fetcher]:
    """The process's fetcher, or one for this preview only."""
    if ctx.fetcher is not None:
        yield ctx.fetcher
        return
    async with Fetcher(ctx.settings) as fetcher:
        yield fetcher


# ---- /addsource --------------------------------------------------------------------------------


async def add_source(update: Update, context: Context, actor: Actor) -> None:
    """/addsource URL [category] [language]: preview the newest post, then confirm or cancel."""
    language = await language_of(update, context)
    args = _args(context)
    if not 1 <= len(args) <= 3 or any(len(arg) > MAX_ARGUMENT for arg in args):
        await _usage(update, "addsource", language)
        return
    ctx = bot_context(context)
    values: dict[str, object] = {"url": args[0]}
    for arg in args[1:]:
        # A language is a code such as ar, en or ar-SY (unless a category has that name);
        # anything else names a category.
        key = "category"
        if LANGUAGE_CODE.fullmatch(arg):
            async with ctx.sessions() as session:
                if await category_store.find_category(session, alias_key(arg)) is None:
                    key = "language"
        if key in values:
            await _usage(update, "addsource", language)
            return
        values[key] = arg
    try:
        spec = make_spec(values)
    except SourceListError as exc:
        reason = _trim("; ".join(exc.problems), 300)
        await reply(
            update, t_html("admin_sources.usage.addsource_invalid", language, reason=reason)
        )
        return
    try:
        async with ctx.sessions() as session:
            _url, category_id = await service.check_new(session, spec)
        categories = await ctx.categories.get()
        async with _fetcher(ctx) as fetcher:
            preview = await service.preview_source(
                spec,
                category_id=category_id,
                settings=ctx.settings,
                fetcher=fetcher,
                composer=ctx.composer or Composer(ctx.settings),
                categories=categories,
            )
    except service.SourceError as exc:
        await reply(update, _error(exc, language))
        return
    message = update.effective_message
    assert message is not None
    transport = PtbTransport(context.bot)
    try:
        await send_post(transport, message.chat_id, preview.post)
    except SendFailed as failure:
        if failure.judgement.verdict is not Verdict.BAD_MARKUP:
            raise
        await send_post(transport, message.chat_id, preview.post, plain=True)
    pending = _pending(context)
    if len(pending) >= PENDING_MAX:
        pending.pop(next(iter(pending)))
    token = secrets.token_urlsafe(8)
    pending[token] = PendingSource(actor.user_id or 0, spec, time.monotonic() + PENDING_SECONDS)
    category = spec.category or t("admin_sources.auto", language)
    text = t_html(
        "admin_sources.preview",
        language,
        title=preview.title or preview.url,
        url=spec.url,
        category=category,
        lang=spec.language or t("admin_sources.auto", language),
    )
    markup = _buttons(
        (t("admin_sources.button.save", language), f"add:{token}"),
        (t("admin_sources.button.cancel", language), f"drop:{token}"),
    )
    await reply(update, text, markup)


async def _confirm_add(update: Update, context: Context, actor: Actor, token: str) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    pending = _pending(context)
    waiting = pending.get(token)
    if waiting is None:
        await query.answer(t("admin_sources.alert.expired", language), show_alert=True)
        await _drop_buttons(update)
        return
    if waiting.user_id != actor.user_id:
        await query.answer(t("admin_sources.alert.not_yours", language), show_alert=True)
        return
    del pending[token]
    ctx = bot_context(context)
    try:
        async with ctx.sessions.begin() as session:
            source = await service.add_source(session, waiting.spec, actor=actor)
            source_id, url = source.id, source.url
    except service.SourceError as exc:
        await query.answer()
        await _edit(update, _error(exc, language))
        return
    await query.answer(t("admin_sources.alert.saved", language))
    await _edit(update, t_html("admin_sources.added", language, id=source_id, url=url))


async def _cancel_add(update: Update, context: Context, actor: Actor, token: str) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    pending = _pending(context)
    waiting = pending.get(token)
    if waiting is not None and waiting.user_id != actor.user_id:
        await query.answer(t("admin_sources.alert.not_yours", language), show_alert=True)
        return
    pending.pop(token, None)
    await query.answer()
    await _edit(update, t_html("admin_sources.cancelled", language))


async def _edit(update: Update, text: Html, markup: InlineKeyboardMarkup | None = None) -> None:
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):
        await query.edit_message_text(text, parse_mode="HTML", reply_markup=markup)


async def _drop_buttons(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(None)


# ---- /sources, /source -------------------------------------------------------------------------


async def _page(
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
        t_html("admin_sources.list.header", language, count=len(states), page=page, pages=pages)
    ]
    for s in states[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]:
        error = (
            t_html("admin_sources.list.error", language, error=_trim(s.last_error, ERROR_CHARS))
            if s.last_error
            else Html("")
        )
        lines.append(
            t_html(
                "admin_sources.list.line",
                language,
                id=s.id,
                name=_trim(s.name or s.url, 80),
                state=t(f"admin_sources.state.{s.state}", language),
                last_poll=_when(s.last_poll, ctx, language),
                new_today=s.new_today,
                error=error,
            )
        )
    row = []
    if page > 1:
        row.append((t("admin_sources.button.previous", language), f"page:{page - 1}"))
    if page < pages:
        row.append((t("admin_sources.button.next", language), f"page:{page + 1}"))
    return Html("\n\n".join(lines)), _buttons(*row) if row else None


async def list_sources(update: Update, context: Context, actor: Actor) -> None:
    """/sources [page]: ten sources a page, each with its state."""
    language = await language_of(update, context)
    args = _args(context)
    if len(args) > 1 or (args and not re.fullmatch(r"[1-9][0-9]{0,5}", args[0])):
        await _usage(update, "sources", language)
        return
    text, markup = await _page(context, int(args[0]) if args else 1, language)
    await reply(update, text, markup)


async def _one_id(update: Update, context: Context, name: str, language: str) -> int | None:
    args = _args(context)
    source_id = _source_id(args[0]) if len(args) == 1 else None
    if source_id is None:
        await _usage(update, name, language)
    return source_id


async def show_source(update: Update, context: Context, actor: Actor) -> None:
    """/source ID: one source in detail."""
    language = await language_of(update, context)
    source_id = await _one_id(update, context, "source", language)
    if source_id is None:
        return
    ctx = bot_context(context)
    try:
        async with ctx.sessions() as session:
            s = await service.source_state(session, source_id)
    except service.SourceError as exc:
        await reply(update, _error(exc, language))
        return
    auto = t("admin_sources.auto", language)
    await reply(
        update,
        t_html(
            "admin_sources.detail",
            language,
            id=s.id,
            name=s.name or s.url,
            url=s.url,
            state=t(f"admin_sources.state.{s.state}", language),
            category=s.category or auto,
            lang=s.language or auto,
            interval=_interval(s.interval_seconds, ctx, language),
            last_poll=_when(s.last_poll, ctx, language),
            next_poll=_when(s.next_poll, ctx, language),
            articles=s.articles,
            new_today=s.new_today,
            failures=s.failures,
            error=_trim(s.last_error or "-", 500),
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
    change: Callable[..., Awaitable[Source]],
    done: str,
) -> None:
    """/pausesource ID or /resumesource ID: `change` the source, say `done`."""
    language = await language_of(update, context)
    source_id = await _one_id(update, context, command_name, language)
    if source_id is None:
        return
    try:
        async with bot_context(context).sessions.begin() as session:
            source = await change(session, source_id, actor=actor)
            name = source.name or source.title or source.url
    except service.SourceError as exc:
        await reply(update, _error(exc, language))
        return
    await reply(update, t_html(f"admin_sources.{done}", language, id=source_id, name=name))


async def delete_source(update: Update, context: Context, actor: Actor) -> None:
    """/delsource ID: asks first, with Delete and Keep buttons."""
    language = await language_of(update, context)
    source_id = await _one_id(update, context, "delsource", language)
    if source_id is None:
        return
    try:
        async with bot_context(context).sessions() as session:
            s = await service.source_state(session, source_id)
    except service.SourceError as exc:
        await reply(update, _error(exc, language))
        return
    markup = _buttons(
        (t("admin_sources.button.delete", language), f"del:{source_id}"),
        (t("admin_sources.button.keep", language), f"keep:{source_id}"),
    )
    text = t_html(
        "admin_sources.delete_confirm",
        language,
        id=source_id,
        name=s.name or s.url,
        articles=s.articles,
    )
    await reply(update, text, markup)


async def _confirm_delete(update: Update, context: Context, actor: Actor, source_id: int) -> None:
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    try:
        async with bot_context(context).sessions.begin() as session:
            gone = await service.delete_source(session, source_id, actor=actor)
    except service.SourceError as exc:
        await query.answer()
        await _edit(update, _error(exc, language))
        return
    await query.answer()
    text = t_html(
        "admin_sources.deleted",
        language,
        id=source_id,
        articles=gone["articles"],
        pending=gone["pending_deliveries"],
    )
    await _edit(update, text)


async def set_interval(update: Update, context: Context, actor: Actor) -> None:
    """/setinterval ID 15m"""
    language = await language_of(update, context)
    args = _args(context)
    source_id = _source_id(args[0]) if len(args) == 2 else None
    if source_id is None or len(args[1]) > 32:
        await _usage(update, "setinterval", language)
        return
    try:
        seconds = service.parse_interval(args[1])
    except service.SourceError:
        await _usage(update, "setinterval", language)
        return
    try:
        async with bot_context(context).sessions.begin() as session:
            await service.set_interval(session, source_id, str(seconds), actor=actor)
    except service.SourceError as exc:
        await reply(update, _error(exc, language))
        return
    interval = _duration(seconds, language)
    await reply(
        update, t_html("admin_sources.interval_set", language, id=source_id, interval=interval)
    )


# ---- OPML ---------------------------------------------------------------------------------------


async def import_opml(update: Update, context: Context, actor: Actor) -> None:
    """An .opml file sent to the bot: its feeds are added (all or, on any problem, none)."""
    language = await language_of(update, context)
    message = update.effective_message
    assert message is not None
    assert message.document is not None
    document = message.document
    if document.file_size is not None and document.file_size > MAX_OPML_BYTES:
        await reply(
            update, t_html("admin_sources.import.too_large", language, limit=MAX_OPML_BYTES // 1000)
        )
        return
    file = await document.get_file()
    data = bytes(await file.download_as_bytearray())
    if len(data) > MAX_OPML_BYTES:
        await reply(
            update, t_html("admin_sources.import.too_large", language, limit=MAX_OPML_BYTES // 1000)
        )
        return
    name = _trim(document.file_name or "opml", 64)
    try:
        specs = read_opml(data, source=name)
        async with bot_context(context).sessions.begin() as session:
            report = await service.import_sources(session, specs, actor=actor)
    except SourceListError as exc:
        problems = "\n".join(f"• {_trim(p, 200)}" for p in exc.problems[:10])
        await reply(update, t_html("admin_sources.import.problems", language, problems=problems))
        return
    except service.SourceError as exc:
        await reply(
            update,
            t_html("admin_sources.import.refused", language, reason=Html(_error(exc, language))),
        )
        return
    added = "".join(f"\n+ {html.escape(_trim(url, 200))}" for url in report.added[:30])
    await reply(
        update,
        t_html(
            "admin_sources.import.report",
            language,
            added=len(report.added),
            skipped=len(report.unchanged),
            urls=Html(added),
        ),
    )


async def export_sources(update: Update, context: Context, actor: Actor) -> None:
    """/export: the sources as an OPML document."""
    language = await language_of(update, context)
    if _args(context):
        await _usage(update, "export", language)
        return
    async with bot_context(context).sessions() as session:
        specs = await service.export_specs(session)
    if not specs:
        await reply(update, t_html("admin_sources.export.empty", language))
        return
    message = update.effective_message
    assert message is not None
    try:
        data = write_opml(specs)
    except SourceListError as exc:
        await reply(
            update, t_html("admin_sources.error.other", language, reason=_trim(str(exc), 300))
        )
        return
    await message.reply_document(
        InputFile(data, filename="nashra-sources.opml"),
        caption=t_html("admin_sources.export.caption", language, count=len(specs)),
        parse_mode="HTML",
    )


# ---- buttons ------------------------------------------------------------------------------------


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
    number = _source_id(value)
    if number is None:
        await query.answer()
        return
    language = await language_of(update, context)
    if action == "page":
        text, markup = await _page(context, number, language)
        await query.answer()
        await _edit(update, text, markup)
    elif action == "del":
        await _confirm_delete(update, context, actor, number)
    else:
        await query.answer()
        await _edit(update, t_html("admin_sources.delete_kept", language))
