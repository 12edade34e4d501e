"""Admin commands for sources: add (after a preview; handlers/admin_source_add.py), list,
show, pause, resume, delete, poll interval, OPML import and export. Each calls
bot/services/sources.py, as `nashra sources …` does.

Callback data (after `adm:v1:src:`): `pick:<token>:<n>` / `quit:<token>` choose among the
sources an address offers or drop them, `add:<token>` / `drop:<token>` confirm or cancel a
previewed addition, `page:<n>` turns the list's page, `del:<id>` / `keep:<id>` confirm or
cancel a deletion. Nothing is saved as a source before it is confirmed.
"""

from __future__ import annotations

import re
from typing import Final

from telegram import Update
from telegram.ext import filters as tg_filters

from bot.i18n import t_html
from bot.services.audit import Actor
from handlers import admin_opml
from handlers import admin_source_add as source_add
from handlers import admin_source_list as source_list
from handlers.admin import Handler, button, command, upload
from handlers.commands import ADMIN_SOURCES
from handlers.common import Context, language_of
from handlers.source_replies import AREA, edit, parse_source_id

COMMANDS: Final = ADMIN_SOURCES

DATA: Final = re.compile(r"adm:v1:src:(add|drop|quit|page|del|keep):([A-Za-z0-9_-]{1,16})")
PICK: Final = re.compile(r"adm:v1:src:pick:([A-Za-z0-9_-]{8,16}):([0-9]{1,2})")
TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{8,16}")


def handlers() -> list[Handler]:
    return [
        command("addsource", source_add.add_source),
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


async def on_button(update: Update, context: Context, actor: Actor) -> None:
    query = update.callback_query
    assert query is not None
    chosen = PICK.fullmatch(query.data or "")
    if chosen is not None:
        await source_add.pick(update, context, actor, chosen[1], int(chosen[2]))
        return
    match = DATA.fullmatch(query.data or "")
    if match is None:
        await query.answer()
        return
    action, value = match[1], match[2]
    if action in {"add", "drop", "quit"}:
        if not TOKEN.fullmatch(value):
            await query.answer()
            return
        if action == "add":
            await source_add.confirm_add(update, context, actor, value)
        elif action == "drop":
            await source_add.cancel_add(update, context, actor, value)
        else:
            await source_add.quit_choices(update, context, actor, value)
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
