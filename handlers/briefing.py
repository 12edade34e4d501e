"""/briefing and /timezone: a chat's daily briefing times and the time zone they are read in.

In groups only the group's admins change them, as every setting of a group.
"""

from __future__ import annotations

from typing import Final

from telegram import Update

from bot.i18n import Html, join, local_digits, t_html
from bot.services import reader_options as service
from bot.services.reader_options import (
    SHOWN_MAX_CHARS,
    WORD_MAX_CHARS,
    BriefingProblem,
    clock,
    known_zone,
    parse_times,
)
from handlers.common import Context, Turn, chat_ref, reply, turn
from handlers.groups import allowed_to_change
from handlers.quiet import OFF_WORDS

MAX_TIMES: Final = service.MAX_BRIEFING_TIMES


async def briefing(update: Update, context: Context) -> None:
    """A chat's daily briefing: /briefing 08:00 [20:00 …], /briefing off, /briefing to show."""
    now = await turn(update, context)
    language = now.language
    zone = _zone(now)
    usage = t_html("briefing.usage", language, max_times=MAX_TIMES, zone=zone)
    args = list(context.args or [])
    if not args:
        await reply(update, Html(f"{_state(now, zone)}\n\n{usage}"))
        return
    chosen: list[int] | BriefingProblem
    chosen = [] if len(args) == 1 and args[0].casefold() in OFF_WORDS else parse_times(args)
    if isinstance(chosen, BriefingProblem):
        if chosen.key == "usage":
            await reply(update, usage)
        else:
            values: dict[str, object] = {"value": chosen.value} if chosen.value else {}
            if chosen.key == "too_many":
                values["max_times"] = MAX_TIMES
            problem = t_html(f"briefing.{chosen.key}", language, **values)
            await reply(update, Html(f"{problem}\n\n{usage}"))
        return
    if not await allowed_to_change(update, context):
        return
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions.begin() as session:
        await service.set_briefing(session, chat_ref(chat), chosen, zone)
    if not chosen:
        await reply(update, t_html("briefing.off", language))
        return
    await reply(update, t_html("briefing.set", language, times=_times(chosen, language), zone=zone))


async def timezone(update: Update, context: Context) -> None:
    """The chat's time zone: /timezone Asia/Damascus, or /timezone to show it."""
    now = await turn(update, context)
    language = now.language
    usage = t_html("timezone.usage", language)
    args = list(context.args or [])
    if not args:
        stored = now.chat.timezone if now.chat is not None else None
        key = "timezone.current" if stored else "timezone.inferred"
        state = t_html(key, language, zone=_zone(now))
        await reply(update, Html(f"{state}\n\n{usage}"))
        return
    if len(args) != 1 or len(args[0]) > WORD_MAX_CHARS:
        await reply(update, usage)
        return
    zone = known_zone(args[0])
    if zone is None:
        problem = t_html("timezone.bad_zone", language, value=args[0][:SHOWN_MAX_CHARS])
        await reply(update, Html(f"{problem}\n\n{usage}"))
        return
    if not await allowed_to_change(update, context):
        return
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions.begin() as session:
        await service.set_timezone(session, chat_ref(chat), zone)
    await reply(update, t_html("timezone.set", language, zone=zone))


def _zone(now: Turn) -> str:
    stored = now.chat
    return service.chat_zone(
        stored.timezone if stored is not None else None,
        stored.language if stored is not None else None,
        now.ctx.settings,
    )


def _state(now: Turn, zone: str) -> Html:
    minutes = now.chat.options.briefing_minutes if now.chat is not None else ()
    if not minutes:
        return t_html("briefing.none", now.language)
    return t_html("briefing.current", now.language, times=_times(minutes, now.language), zone=zone)


def _times(minutes: list[int] | tuple[int, ...], language: str) -> str:
    return join((local_digits(clock(m), language) for m in minutes), language)
