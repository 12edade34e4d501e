"""OPML for the admins: an .opml file sent to the bot is imported (all of it or, on any
problem, none); /export sends every source as OPML."""

from __future__ import annotations

import html
from typing import Final

from telegram import InputFile, Update

from bot.context import bot_context
from bot.i18n import Html, t_html, tn_html
from bot.ingest.opml import export_opml, read_opml
from bot.ingest.sourcespec import SourceListError
from bot.services import sources as service
from bot.services.audit import Actor
from handlers.common import Context, language_of, reply
from handlers.source_replies import (
    arguments,
    error,
    kind_name,
    trim,
    usage,
)

MAX_OPML_BYTES: Final = 1_000_000
LEFT_OUT_LISTED: Final = 30
"""Sources OPML cannot carry (not feeds) named after /export's file, at most."""


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
    name = trim(document.file_name or "opml", 64)
    try:
        specs = read_opml(data, source=name)
        async with bot_context(context).sessions.begin() as session:
            report = await service.import_sources(session, specs, actor=actor)
    except SourceListError as exc:
        problems = "\n".join(f"• {trim(p, 200)}" for p in exc.problems[:10])
        await reply(update, t_html("admin_sources.import.problems", language, problems=problems))
        return
    except service.SourceError as exc:
        await reply(
            update,
            t_html("admin_sources.import.refused", language, reason=Html(error(exc, language))),
        )
        return
    added = "".join(f"\n+ {html.escape(trim(url, 200))}" for url in report.added[:30])
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
    """/export: the feeds as an OPML document, naming the sources OPML cannot carry."""
    language = await language_of(update, context)
    if arguments(context):
        await usage(update, "export", language)
        return
    async with bot_context(context).sessions() as session:
        specs = await service.export_specs(session)
    if not specs:
        await reply(update, t_html("admin_sources.export.empty", language))
        return
    message = update.effective_message
    assert message is not None
    try:
        exported = export_opml(specs)
    except SourceListError as exc:
        await reply(
            update, t_html("admin_sources.error.other", language, reason=trim(str(exc), 300))
        )
        return
    if exported.feeds:
        await message.reply_document(
            InputFile(exported.document, filename="nashra-sources.opml"),
            caption=tn_html("admin_sources.export.caption", language, len(exported.feeds)),
            parse_mode="HTML",
        )
    if exported.left_out:
        listed = exported.left_out[:LEFT_OUT_LISTED]
        lines = [f"• {_named(spec.url, spec.kind, language)}" for spec in listed]
        if len(exported.left_out) > len(listed):
            lines.append("…")
        key = "left_out" if exported.feeds else "no_feeds"
        sources = Html("\n".join(lines))
        count = len(exported.left_out)
        text = tn_html(f"admin_sources.export.{key}", language, count, sources=sources)
        await reply(update, text)


def _named(url: str, kind: str | None, language: str) -> str:
    return f"{html.escape(trim(url, 200))} ({html.escape(kind_name(kind or 'feed', language))})"
