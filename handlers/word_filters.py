"""Readers' word filters: /filter category [+word -word +"a phrase" | off] and /filters.

The work is bot/services/filters.py (reading the request, storing the filter) and
bot/text/filters.py (the terms and the matching); here a request becomes a reply. As every
change a reader makes in a group, setting or clearing a filter there needs the group's admin.
"""

from __future__ import annotations

from typing import Final

from telegram import Message, Update

from bot.i18n import Html, join, t, t_html
from bot.services import filters as service
from bot.services.filters import Action, UnknownCategory
from bot.text.filters import MAX_TERM_CHARS, MAX_TERMS, NO_FILTER, Filter, FilterError, Term
from handlers.commands import READERS
from handlers.common import Context, reply, turn
from handlers.groups import allowed_to_change
from handlers.readers import unknown_category

COMMANDS: Final = tuple(name for name in READERS if name in ("filter", "filters"))


def command_text(message: Message | None) -> str:
    """The text after the command word (/filter@bot …), kept whole: quotes and spaces matter."""
    if message is None or not message.text:
        return ""
    parts = message.text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def error_text(error: FilterError, language: str) -> Html:
    """What is wrong with a filter, then how to write one."""
    problem = t_html(f"filters.error.{error.code}", language, **error.values)
    return Html(f"{problem}\n\n{usage(language)}")


def usage(language: str) -> Html:
    return t_html("filters.usage", language, most=MAX_TERMS, chars=MAX_TERM_CHARS)


def describe(new: Filter, category: str, language: str) -> Html:
    """What a filter does, in words, with the filter as it would be typed."""
    if not new:
        return t_html("filters.none", language, category=category)
    wanted = _terms(new.include, language)
    refused = _terms(new.exclude, language)
    if new.include and new.exclude:
        text = t_html("filters.both", language, category=category, include=wanted, exclude=refused)
    elif new.include:
        text = t_html("filters.include", language, category=category, include=wanted)
    else:
        text = t_html("filters.exclude", language, category=category, exclude=refused)
    return Html(f"{text}\n{t_html('filters.shown', language, filter=new.shown())}")


def _terms(terms: tuple[Term, ...], language: str) -> Html:
    shown = [t_html("filters.term", language, term=term.text) for term in terms]
    if len(shown) <= 1:
        return Html("".join(shown))
    return Html(f"{join(shown[:-1], language)}{t('filters.or', language)}{shown[-1]}")


async def filter_command(update: Update, context: Context) -> None:
    """/filter category: show; /filter category +w -w: set; /filter category off: clear."""
    now = await turn(update, context)
    language, categories = now.language, now.categories
    text = command_text(update.effective_message)
    if not text.strip():
        await reply(update, usage(language))
        return
    try:
        async with now.ctx.sessions() as session:
            request = await service.read_request(session, text)
    except FilterError as error:
        await reply(update, error_text(error, language))
        return
    except UnknownCategory as error:
        await unknown_category(update, error.name, categories, language)
        return
    chat = update.effective_chat
    assert chat is not None
    name = categories.name(request.category.slug, language)
    if request.action is Action.SHOW:
        async with now.ctx.sessions() as session:
            found = await service.current(session, chat.id, request.category.id)
        if found is None:
            await reply(update, t_html("filters.not_following", language, category=name))
        else:
            await reply(update, describe(found, name, language))
        return
    if not await allowed_to_change(update, context):
        return
    new = request.filter if request.action is Action.SET else NO_FILTER
    async with now.ctx.sessions.begin() as session:
        done = await service.set_filter(session, chat.id, request.category.id, new)
    if not done:
        await reply(update, t_html("filters.not_following", language, category=name))
        return
    await reply(update, describe(new, name, language))


async def filters_command(update: Update, context: Context) -> None:
    """/filters: every category the chat follows, with its filter."""
    now = await turn(update, context)
    language, categories = now.language, now.categories
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions() as session:
        entries = {e.category_id: e for e in await service.followed(session, chat.id)}
    if not entries:
        await reply(update, t_html("mysubs.none", language))
        return
    lines = [t_html("filters.list_header", language)]
    for info in categories.infos:
        entry = entries.get(categories.ids[info.slug])
        if entry is None:
            continue
        name = categories.name(info.slug, language)
        if entry.filter:
            lines.append(
                t_html("filters.list_item", language, category=name, filter=entry.filter.shown())
            )
        else:
            lines.append(t_html("filters.list_item_none", language, category=name))
    lines.append(t_html("filters.list_footer", language))
    await reply(update, Html("\n".join(lines)))
