"""Readers' commands: greeting, help, categories, subscriptions, latest posts, language,
quiet hours."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Final
from zoneinfo import available_timezones

from telegram import Message, Update

from bot.compose.compose import CategorySet
from bot.compose.post import post_for
from bot.compose.render import shorten
from bot.deliver.send import send_reply_post
from bot.i18n import SUPPORTED_LANGUAGES, Html, t, t_html
from bot.services import chats as chat_service
from bot.services import posts as post_service
from bot.services import subscriptions as service
from bot.text.clean import clean_text
from handlers.commands import READERS, RESERVED
from handlers.common import (
    Context,
    all_category_names,
    category_keyboard,
    category_names,
    chat_ref,
    is_private,
    language_of,
    parse_toggle,
    reply,
    shortcut_slugs,
    turn,
)
from handlers.groups import may_change_settings, refuse_non_admin

COMMANDS: Final = READERS
LATEST_DEFAULT: Final = 5
LATEST_MIN: Final = 1
LATEST_MAX: Final = 20
ALL_WORDS: Final = frozenset({"all", "الكل", "الجميع", "كل"})
OFF_WORDS: Final = frozenset({"off", "إيقاف", "ايقاف"})
# A reader's words quoted back are cut to this many characters (a message holds 4096).
ECHO_MAX_CHARS: Final = 64
QUIET_MAX_ARGS: Final = 3
QUIET_ARG_MAX_CHARS: Final = 64  # longer than any time or IANA zone name
# 24-hour H:MM or HH:MM, once Arabic-Indic (٠-٩) and Persian (۰-۹) digits are made ASCII.
CLOCK_TIME: Final = re.compile(r"([01]?[0-9]|2[0-3]):([0-5][0-9])")
ASCII_DIGITS: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
# Names zoneinfo knows that are not IANA zones a reader would mean.
NOT_ZONES: Final = frozenset({"localtime", "Factory", "posixrules"})


async def start(update: Update, context: Context) -> None:
    """Greet the reader in their language and show the categories keyboard."""
    await _show_keyboard(update, context, "start.greeting")


async def help_command(update: Update, context: Context) -> None:
    """List every command and the category shortcuts."""
    now = await turn(update, context)
    language, categories = now.language, now.categories
    lines = [
        t_html("help.shortcut", language, command=slug, category=categories.name(slug, language))
        for slug in shortcut_slugs(categories, RESERVED)
    ]
    text = t_html(
        "help.text",
        language,
        min_count=LATEST_MIN,
        max_count=LATEST_MAX,
        shortcuts=Html("\n".join(lines)),
    )
    await reply(update, text)


async def categories_command(update: Update, context: Context) -> None:
    """List the categories with their shortcut commands."""
    now = await turn(update, context)
    language, categories = now.language, now.categories
    items = [
        t_html(
            "categories.item", language, category=categories.name(i.slug, language), command=i.slug
        )
        for i in categories.infos
    ]
    await reply(update, Html("\n".join([t_html("categories.header", language), *items])))


async def subscribe(update: Update, context: Context) -> None:
    """Subscribe the chat to the named categories, or show the toggles keyboard."""
    if not context.args:
        await _show_keyboard(update, context, "subscribe.choose")
        return
    if not await may_change_settings(update, context):
        await refuse_non_admin(update, context)
        return
    now = await turn(update, context)
    language, categories = now.language, now.categories
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions.begin() as session:
        resolved = await service.resolve_categories(session, context.args)
        ids = [c.id for c in resolved.found]
        new = (
            await service.subscribe(session, chat_ref(chat), ids) if not resolved.unknown else None
        )
    if new is None:
        await _unknown_category(update, resolved.unknown[0], categories, language)
        return
    if new:
        text = t_html(
            "subscribe.done", language, categories=category_names(categories, new, language)
        )
    else:
        names = category_names(categories, set(ids), language)
        text = t_html("subscribe.already", language, categories=names)
    await reply(update, text)


async def unsubscribe(update: Update, context: Context) -> None:
    """Unsubscribe the chat from the named categories, or from all."""
    language = await language_of(update, context)
    if not context.args:
        await reply(update, t_html("unsubscribe.usage", language))
        return
    if not await may_change_settings(update, context):
        await refuse_non_admin(update, context)
        return
    chat = update.effective_chat
    assert chat is not None
    now = await turn(update, context)
    categories = now.categories
    everything = len(context.args) == 1 and context.args[0].casefold() in ALL_WORDS
    if everything:
        async with now.ctx.sessions.begin() as session:
            await service.unsubscribe(session, chat.id, None)
        await reply(update, t_html("unsubscribe.all_done", language))
        return
    gone: set[int] | None = None
    async with now.ctx.sessions.begin() as session:
        resolved = await service.resolve_categories(session, context.args)
        ids = [c.id for c in resolved.found]
        if not resolved.unknown:
            gone = await service.unsubscribe(session, chat.id, ids)
    if gone is None:
        await _unknown_category(update, resolved.unknown[0], categories, language)
        return
    if gone:
        text = t_html(
            "unsubscribe.done", language, categories=category_names(categories, gone, language)
        )
    else:
        names = category_names(categories, set(ids), language)
        text = t_html("unsubscribe.not_subscribed", language, categories=names)
    await reply(update, text)


async def mysubs(update: Update, context: Context) -> None:
    """List the chat's subscriptions."""
    now = await turn(update, context)
    language, categories = now.language, now.categories
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions() as session:
        ids = await service.subscribed(session, chat.id)
    if not ids:
        await reply(update, t_html("mysubs.none", language))
        return
    names = category_names(categories, ids, language)
    await reply(update, t_html("mysubs.header", language, categories=names))


async def latest(update: Update, context: Context) -> None:
    """Send the newest ready posts: /latest [category] [n]."""
    args = list(context.args or [])
    count_text: str | None = None
    if args and _is_number(args[-1]):
        count_text = args.pop()
    elif len(args) >= 2:
        # "/latest politics abc" is a bad count, unless the words name one category.
        async with (await turn(update, context)).ctx.sessions() as session:
            whole = await service.find_category(session, " ".join(args))
        if whole is None:
            await _latest_usage(update, context)
            return
    await _send_latest(update, context, args, count_text)


async def shortcut(update: Update, context: Context) -> None:
    """Send the newest posts of the category the command is named after: /politics [n]."""
    message = update.effective_message
    assert message is not None
    assert message.text is not None
    slug = message.text.split(maxsplit=1)[0].lstrip("/").split("@", 1)[0].lower()
    args = list(context.args or [])
    if len(args) > 1:
        await _latest_usage(update, context)
        return
    await _send_latest(update, context, [slug], args[0] if args else None)


async def language_command(update: Update, context: Context) -> None:
    """Set the chat's language: /language ar|en."""
    language = await language_of(update, context)
    args = context.args or []
    choice = args[0].strip().lower() if len(args) == 1 else ""
    if choice not in SUPPORTED_LANGUAGES:
        await reply(update, t_html("language.usage", language))
        return
    if not await may_change_settings(update, context):
        await refuse_non_admin(update, context)
        return
    chat = update.effective_chat
    assert chat is not None
    async with (await turn(update, context)).ctx.sessions.begin() as session:
        await chat_service.set_language(session, chat_ref(chat), choice)
    await reply(update, t_html("language.changed", choice))


async def quiet(update: Update, context: Context) -> None:
    """A private chat's quiet hours: /quiet 23:00 07:00 [zone], /quiet off, /quiet to show."""
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None
    if not is_private(chat):
        await reply(update, t_html("quiet.private_only", language))
        return
    now = await turn(update, context)
    ctx, stored = now.ctx, now.chat
    stored_zone = stored.timezone if stored is not None else None
    zone = stored_zone or ctx.settings.timezone
    usage = t_html("quiet.usage", language, zone=zone)
    args = list(context.args or [])
    if not args:
        if stored is None or stored.quiet_start_minute is None or stored.quiet_end_minute is None:
            state = t_html("quiet.none", language)
        else:
            start, end = stored.quiet_start_minute, stored.quiet_end_minute
            state = t_html("quiet.current", language, start=clock(start), end=clock(end), zone=zone)
        await reply(update, Html(f"{state}\n\n{usage}"))
        return
    if len(args) == 1 and args[0].casefold() in OFF_WORDS:
        async with ctx.sessions.begin() as session:
            await chat_service.set_quiet_hours(session, chat_ref(chat), None, None, stored_zone)
        await reply(update, t_html("quiet.off", language))
        return
    span = parse_quiet(args)
    if span is None:
        await reply(update, usage)
        return
    zone = span.timezone or zone
    async with ctx.sessions.begin() as session:
        await chat_service.set_quiet_hours(session, chat_ref(chat), span.start, span.end, zone)
    text = t_html("quiet.set", language, start=clock(span.start), end=clock(span.end), zone=zone)
    await reply(update, text)


async def toggle_subscription(update: Update, context: Context) -> None:
    """Flip one category for the chat the keyboard is in, and redraw the keyboard in place."""
    query = update.callback_query
    if query is None:
        return
    now = await turn(update, context)
    language, categories = now.language, now.categories
    category_id = parse_toggle(query.data)
    message = query.message
    if (
        category_id is None
        or category_id not in categories.ids.values()
        or not isinstance(message, Message)
    ):
        await query.answer(t("alert.invalid", language), show_alert=True)
        return
    if not await may_change_settings(update, context):
        await query.answer(t("alert.admins_only", language), show_alert=True)
        return
    async with now.ctx.sessions.begin() as session:
        now_subscribed, ids = await service.toggle(session, chat_ref(message.chat), category_id)
    slug = categories.slug_of(category_id) or ""
    key = "alert.subscribed" if now_subscribed else "alert.unsubscribed"
    await query.answer(t(key, language, category=categories.name(slug, language)))
    await query.edit_message_reply_markup(category_keyboard(categories, ids, language))


# ---- helpers ----------------------------------------------------------------------------------


async def _show_keyboard(update: Update, context: Context, key: str) -> None:
    now = await turn(update, context)
    language, categories = now.language, now.categories
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions() as session:
        ids = await service.subscribed(session, chat.id)
    user = update.effective_user
    if key == "start.greeting":
        name = user.first_name if user is not None else ""
        text = t_html(key, language, name=name)
    else:
        text = t_html(key, language)
    await reply(update, text, category_keyboard(categories, ids, language))


async def _unknown_category(
    update: Update, name: str, categories: CategorySet, language: str
) -> None:
    """Name the words not understood (cleaned and cut short: they are the sender's, and any
    length), then the valid categories."""
    valid = all_category_names(categories, language)
    shown = shorten(" ".join(clean_text(name).split()), ECHO_MAX_CHARS)
    await reply(update, t_html("category.unknown", language, category=shown, valid=valid))


async def _latest_usage(update: Update, context: Context) -> None:
    now = await turn(update, context)
    language, categories = now.language, now.categories
    example = categories.infos[0].slug if categories.infos else "politics"
    text = t_html(
        "latest.usage", language, min_count=LATEST_MIN, max_count=LATEST_MAX, example=example
    )
    await reply(update, text)


@dataclass(frozen=True, slots=True)
class QuietSpan:
    start: int  # minutes after local midnight
    end: int
    timezone: str | None  # as IANA spells it; None: not given


def parse_quiet(args: list[str]) -> QuietSpan | None:
    """`["23:00", "07:00"]` or `["23:00", "07:00", "Europe/Berlin"]` as a span, else None
    (a bad time or zone, equal start and end, too many or too long arguments)."""
    if not 2 <= len(args) <= QUIET_MAX_ARGS or any(len(a) > QUIET_ARG_MAX_CHARS for a in args):
        return None
    start, end = parse_clock(args[0]), parse_clock(args[1])
    if start is None or end is None or start == end:
        return None
    zone: str | None = None
    if len(args) == QUIET_MAX_ARGS:
        zone = known_zone(args[2])
        if zone is None:
            return None
    return QuietSpan(start, end, zone)


def parse_clock(text: str) -> int | None:
    """Minutes after midnight of "23:05", "7:30" or "٢٣:٠٥", else None."""
    match = CLOCK_TIME.fullmatch(text.strip().translate(ASCII_DIGITS))
    return int(match[1]) * 60 + int(match[2]) if match else None


def clock(minute: int) -> str:
    """Minutes after midnight as HH:MM."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


@cache
def _zones() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones() - NOT_ZONES}


def known_zone(text: str) -> str | None:
    """The IANA time zone named, spelled as IANA does ("europe/berlin" → "Europe/Berlin")."""
    return _zones().get(text.strip().casefold())


def _is_number(text: str) -> bool:
    return text.lstrip("+-").isdecimal()


async def _send_latest(
    update: Update, context: Context, names: list[str], count_text: str | None
) -> None:
    language = await language_of(update, context)
    if count_text is None:
        count = LATEST_DEFAULT
    elif _is_number(count_text) and LATEST_MIN <= int(count_text) <= LATEST_MAX:
        count = int(count_text)
    else:
        await _latest_usage(update, context)
        return
    now = await turn(update, context)
    ctx, categories = now.ctx, now.categories
    category_id: int | None = None
    async with ctx.sessions() as session:
        if names:
            resolved = await service.resolve_categories(session, names)
            if not resolved.unknown and len(resolved.found) == 1:
                category_id = resolved.found[0].id
            rows = (
                []
                if category_id is None
                else await post_service.latest(session, category_id, count)
            )
        else:
            rows = await post_service.latest(session, None, count)
    if names and category_id is None:
        if resolved.unknown:
            await _unknown_category(update, resolved.unknown[0], categories, language)
        else:
            await _latest_usage(update, context)
        return
    if not rows:
        if category_id is None:
            await reply(update, t_html("latest.empty_all", language))
        else:
            slug = categories.slug_of(category_id) or ""
            name = categories.name(slug, language)
            await reply(update, t_html("latest.empty", language, category=name))
        return
    message = update.effective_message
    assert message is not None
    transport = ctx.transport
    assert transport is not None, "post_init opens the transport"
    # In groups the posts answer the command, as every reply there does; in private chats not.
    reply_to = None if is_private(message.chat) else message.message_id
    for article, source in rows:
        post = post_for(article, source, categories=categories, settings=ctx.settings)
        await send_reply_post(transport, message.chat_id, post, reply_to=reply_to)
