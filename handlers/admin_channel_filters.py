"""Admin command: a channel's word filters (/channelfilter), as readers have /filter for their
own chats. `nashra channels filter` does the same from the command line; both call
bot/services/filters.py, which records every change in the audit trail.

    /channelfilter @channel                      every category it follows, with its filter
    /channelfilter @channel politics             that category's filter
    /channelfilter @channel politics +سوريا -كرة  set it (replacing the old one)
    /channelfilter @channel politics off         clear it
"""

from __future__ import annotations

from typing import Final

from telegram import Update

from bot.context import bot_context
from bot.i18n import Html, t_html
from bot.services import filters as service
from bot.services.audit import Actor
from bot.services.channels import ChannelError
from bot.services.filters import UnknownCategory
from bot.text.filters import FilterError
from handlers.admin import Handler, command
from handlers.admin_channels import error_text as channel_error_text
from handlers.commands import ADMIN_CHANNELS
from handlers.common import Context, language_of, reply
from handlers.word_filters import command_text, describe, error_text

COMMANDS: Final = tuple(name for name in ADMIN_CHANNELS if name == "channelfilter")


async def channel_filter(update: Update, context: Context, actor: Actor) -> None:
    """/channelfilter @channel [category [terms | off]]"""
    language = await language_of(update, context)
    ref, _, rest = command_text(update.effective_message).strip().partition(" ")
    if not ref:
        await reply(update, t_html("admin_filters.usage", language))
        return
    try:
        if rest.strip():
            text = await _change(context, actor, ref, rest, language)
        else:
            text = await _list(context, ref, language)
    except ChannelError as error:
        text = channel_error_text(error, language)
    except FilterError as error:
        text = error_text(error, language)
    except UnknownCategory as error:
        text = t_html("admin_filters.unknown_category", language, name=error.name)
    await reply(update, text)


async def _change(context: Context, actor: Actor, ref: str, rest: str, language: str) -> Html:
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    async with ctx.sessions.begin() as session:
        channel, request = await service.set_channel_filter(session, actor, ref, rest)
    name = categories.name(request.category.slug, language)
    header = t_html("admin_filters.channel", language, channel=channel.label)
    return Html(f"{header}\n{describe(request.filter, name, language)}")


async def _list(context: Context, ref: str, language: str) -> Html:
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    async with ctx.sessions() as session:
        channel, entries = await service.channel_followed(session, ref)
    lines = [t_html("admin_filters.list_header", language, channel=channel.label)]
    by_id = {entry.category_id: entry for entry in entries}
    for info in categories.infos:
        entry = by_id.get(categories.ids[info.slug])
        if entry is None:
            continue
        name = categories.name(info.slug, language)
        if entry.filter:
            lines.append(
                t_html("filters.list_item", language, category=name, filter=entry.filter.shown())
            )
        else:
            lines.append(t_html("filters.list_item_none", language, category=name))
    if len(lines) == 1:
        lines.append(t_html("admin_filters.follows_nothing", language))
    return Html("\n".join(lines))


def handlers() -> list[Handler]:
    return [command("channelfilter", channel_filter)]
