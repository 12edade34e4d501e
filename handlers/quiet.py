"""/quiet: a private chat's quiet hours (posts wait until they end), in its own time zone.

Times and zones are read as /briefing and /timezone read them (`bot.services.reader_options`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from telegram import Update

from bot.i18n import Html, local_digits, t_html
from bot.services import chats as chat_service
from bot.services.reader_options import chat_zone, clock, known_zone, parse_clock
from handlers.common import Context, chat_ref, is_private, reply, turn

OFF_WORDS: Final = frozenset({"off", "إيقاف", "ايقاف"})
MAX_ARGS: Final = 3
ARG_MAX_CHARS: Final = 64  # longer than any time or IANA zone name
SHOWN_MAX_CHARS: Final = 32


@dataclass(frozen=True, slots=True)
class QuietSpan:
    start: int  # minutes after local midnight
    end: int
    timezone: str | None  # as IANA spells it; None: not given


@dataclass(frozen=True, slots=True)
class QuietProblem:
    """Why the arguments are not a span: `key` of quiet.* ("usage", "bad_time", "bad_zone",
    "same_time") and the argument at fault, if one is."""

    key: str
    value: str = ""


async def quiet(update: Update, context: Context) -> None:
    """A private chat's quiet hours: /quiet 23:00 07:00 [zone], /quiet off, /quiet to show."""
    now = await turn(update, context)
    language = now.language
    chat = update.effective_chat
    assert chat is not None
    if not is_private(chat):
        await reply(update, t_html("quiet.private_only", language))
        return
    ctx, stored = now.ctx, now.chat
    stored_zone = stored.timezone if stored is not None else None
    zone = chat_zone(stored_zone, stored.language if stored is not None else None, ctx.settings)
    usage = t_html("quiet.usage", language, zone=zone)
    args = list(context.args or [])
    if not args:
        if stored is None or stored.quiet_start_minute is None or stored.quiet_end_minute is None:
            state = t_html("quiet.none", language)
        else:
            start, end = stored.quiet_start_minute, stored.quiet_end_minute
            state = t_html(
                "quiet.current",
                language,
                start=local_digits(clock(start), language),
                end=local_digits(clock(end), language),
                zone=zone,
            )
        await reply(update, Html(f"{state}\n\n{usage}"))
        return
    if len(args) == 1 and args[0].casefold() in OFF_WORDS:
        async with ctx.sessions.begin() as session:
            await chat_service.set_quiet_hours(session, chat_ref(chat), None, None, stored_zone)
        await reply(update, t_html("quiet.off", language))
        return
    span = parse_quiet(args)
    if isinstance(span, QuietProblem):
        if span.key == "usage":
            await reply(update, usage)
        else:
            value = span.value[:SHOWN_MAX_CHARS]
            problem = t_html(f"quiet.{span.key}", language, **({"value": value} if value else {}))
            await reply(update, Html(f"{problem}\n\n{usage}"))
        return
    zone = span.timezone or zone
    async with ctx.sessions.begin() as session:
        await chat_service.set_quiet_hours(session, chat_ref(chat), span.start, span.end, zone)
    text = t_html(
        "quiet.set",
        language,
        start=local_digits(clock(span.start), language),
        end=local_digits(clock(span.end), language),
        zone=zone,
    )
    await reply(update, text)


def parse_quiet(args: list[str]) -> QuietSpan | QuietProblem:
    """`["23:00", "07:00"]` or `["23:00", "07:00", "Europe/Berlin"]` as a span; else what is
    wrong: a bad time or zone (named), equal start and end, too many or too long arguments."""
    if not 2 <= len(args) <= MAX_ARGS or any(len(a) > ARG_MAX_CHARS for a in args):
        return QuietProblem("usage")
    start, end = parse_clock(args[0]), parse_clock(args[1])
    if start is None:
        return QuietProblem("bad_time", args[0])
    if end is None:
        return QuietProblem("bad_time", args[1])
    if start == end:
        return QuietProblem("same_time")
    zone: str | None = None
    if len(args) == MAX_ARGS:
        zone = known_zone(args[2])
        if zone is None:
            return QuietProblem("bad_zone", args[2])
    return QuietSpan(start, end, zone)
