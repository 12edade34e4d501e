"""Admin commands: the channels the bot posts to (/addchannel, /channels, /delchannel,
/channelcats) and their buttons. The work is done by bot.services.channels, which
`nashra channels …` calls too.

Buttons (`adm:v1:ch:…`, behind the admins' gate):
  cat:<chat row id>:<category id>  flip one category of a channel (✅ on those it follows)
  del:<chat row id>                confirm deleting a channel
  keep:<chat row id>               cancel deleting it
"""

from __future__ import annotations

import logging
import re
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.compose.compose import CategorySet
from bot.context import bot_context
from bot.i18n import Html, t, t_html
from bot.services import channels as service
from bot.services.audit import Actor
from bot.services.channels import ChannelError, ChannelInfo
from handlers.admin import CALLBACK_PREFIX, Handler, button, command
from handlers.commands import ADMIN_CHANNELS
from handlers.common import KEYBOARD_COLUMNS, Context, category_names, language_of, reply

log = logging.getLogger(__name__)

COMMANDS: Final = ADMIN_CHANNELS

AREA: Final = "ch"
_PREFIX: Final = f"{CALLBACK_PREFIX}{AREA}:"
_ID: Final = "([1-9][0-9]{0,17})"
CATEGORY_DATA: Final = re.compile(rf"{re.escape(_PREFIX)}cat:{_ID}:{_ID}")
DELETE_DATA: Final = re.compile(rf"{re.escape(_PREFIX)}del:{_ID}")
KEEP_DATA: Final = re.compile(rf"{re.escape(_PREFIX)}keep:{_ID}")
MAX_ARGS: Final = 12  # a reference and up to eleven category names
MAX_ARG_CHARS: Final = 64


def category_data(chat_row_id: int, category_id: int) -> str:
    return f"{_PREFIX}cat:{chat_row_id}:{category_id}"


def channel_keyboard(
    categories: CategorySet, chat_row_id: int, subscribed: frozenset[int], language: str
) -> InlineKeyboardMarkup:
    """One toggle per category for one channel, ✅ on those it follows (as the readers' own
    keyboard, with the channel in the data since the keyboard is not in the channel)."""
    buttons = []
    for info in categories.infos:
        category_id = categories.ids[info.slug]
        name = categories.name(info.slug, language)
        text = f"✅ {name}" if category_id in subscribed else name
        buttons.append(
            InlineKeyboardButton(text, callback_data=category_data(chat_row_id, category_id))
        )
    rows = [buttons[i : i + KEYBOARD_COLUMNS] for i in range(0, len(buttons), KEYBOARD_COLUMNS)]
    return InlineKeyboardMarkup(rows)


def followed(categories: CategorySet, info: ChannelInfo, language: str) -> str:
    names = category_names(categories, set(info.category_ids), language)
    return names or t("admin_channels.no_categories", language)


def error_text(error: ChannelError, language: str) -> Html:
    return t_html(f"admin_channels.error.{error.code}", language, **error.values)


def _args(context: Context) -> list[str] | None:
    """The command's arguments, or None when they cannot be right (too many, too long)."""
    args = list(context.args or [])
    if len(args) > MAX_ARGS or any(len(arg) > MAX_ARG_CHARS for arg in args):
        return None
    return args


async def _usage(
    update: Update, language: str, name: str, error: ChannelError | None = None
) -> None:
    usage = t_html(f"admin_channels.usage.{name}", language)
    text = Html(f"{error_text(error, language)}\n\n{usage}") if error is not None else usage
    await reply(update, text)


# ---- commands --------------------------------------------------------------------------------


async def add_channel(update: Update, context: Context, actor: Actor) -> None:
    """/addchannel @name|-100… [category…]"""
    language = await language_of(update, context)
    args = _args(context)
    if not args:
        await _usage(update, language, "addchannel")
        return
    ref, names = args[0], args[1:]
    try:
        service.parse_telegram_ref(ref)
    except ChannelError as exc:
        await _usage(update, language, "addchannel", exc)
        return
    ctx = bot_context(context)
    try:
        async with ctx.sessions.begin() as session:
            info = await service.add_channel(session, context.bot, actor, ref, names)
    except ChannelError as exc:
        await reply(update, error_text(exc, language))
        return
    categories = await ctx.categories.get()
    if info.category_ids:
        text = t_html(
            "admin_channels.added",
            language,
            channel=info.label,
            categories=followed(categories, info, language),
        )
        await reply(update, text)
    else:
        keyboard = channel_keyboard(categories, info.id, info.category_ids, language)
        await reply(
            update, t_html("admin_channels.added_pick", language, channel=info.label), keyboard
        )


async def list_channels(update: Update, context: Context, _actor: Actor) -> None:
    """/channels: each channel with its number, state and categories."""
    language = await language_of(update, context)
    ctx = bot_context(context)
    async with ctx.sessions() as session:
        infos = await service.list_channels(session)
    if not infos:
        await reply(update, t_html("admin_channels.list_empty", language))
        return
    categories = await ctx.categories.get()
    lines = [t_html("admin_channels.list_header", language)]
    for info in infos:
        if info.active:
            lines.append(
                t_html(
                    "admin_channels.list_active",
                    language,
                    id=info.id,
                    channel=info.label,
                    categories=followed(categories, info, language),
                )
            )
        else:
            reason = info.inactive_reason or t("admin_channels.unknown_reason", language)
            lines.append(
                t_html(
                    "admin_channels.list_inactive",
                    language,
                    id=info.id,
                    channel=info.label,
                    reason=reason,
                )
            )
    await reply(update, Html("\n".join(lines)))


async def delete_channel(update: Update, context: Context, _actor: Actor) -> None:
    """/delchannel ID|@name|-100…: asks to confirm with a button."""
    language = await language_of(update, context)
    args = _args(context)
    if not args or len(args) != 1:
        await _usage(update, language, "delchannel")
        return
    ctx = bot_context(context)
    try:
        async with ctx.sessions() as session:
            info = await service.find_channel(session, args[0])
    except ChannelError as exc:
        await _usage(update, language, "delchannel", exc)
        return
    categories = await ctx.categories.get()
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("admin_channels.button.delete", language),
                    callback_data=f"{_PREFIX}del:{info.id}",
                ),
                InlineKeyboardButton(
                    t("admin_channels.button.cancel", language),
                    callback_data=f"{_PREFIX}keep:{info.id}",
                ),
            ]
        ]
    )
    text = t_html(
        "admin_channels.delete_confirm",
        language,
        channel=info.label,
        categories=followed(categories, info, language),
    )
    await reply(update, text, keyboard)


async def channel_categories(update: Update, context: Context, actor: Actor) -> None:
    """/channelcats ID|@name|-100… [category…]: with names, the channel follows exactly
    those; without, the toggle keyboard."""
    language = await language_of(update, context)
    args = _args(context)
    if not args:
        await _usage(update, language, "channelcats")
        return
    ref, names = args[0], args[1:]
    ctx = bot_context(context)
    try:
        async with ctx.sessions.begin() as session:
            if names:
                info = await service.set_channel_categories_named(session, actor, ref, names)
            else:
                info = await service.find_channel(session, ref)
                if not info.active:
                    raise ChannelError(
                        "inactive", f"{info.label} is not registered", ref=info.label
                    )
    except ChannelError as exc:
        if exc.code == "bad_ref":
            await _usage(update, language, "channelcats", exc)
        else:
            await reply(update, error_text(exc, language))
        return
    categories = await ctx.categories.get()
    if names:
        text = t_html(
            "admin_channels.categories_set",
            language,
            channel=info.label,
            categories=followed(categories, info, language),
        )
        await reply(update, text)
    else:
        keyboard = channel_keyboard(categories, info.id, info.category_ids, language)
        await reply(update, t_html("admin_channels.pick", language, channel=info.label), keyboard)


# ---- buttons ---------------------------------------------------------------------------------


async def on_button(update: Update, context: Context, actor: Actor) -> None:
    """Every `adm:v1:ch:` press: validated in full, else answered "no longer valid"."""
    query = update.callback_query
    if query is None:
        return
    language = await language_of(update, context)
    data = query.data or ""
    message = query.message
    if not isinstance(message, Message):
        await query.answer(t("admin_channels.alert.invalid", language), show_alert=True)
        return
    if match := CATEGORY_DATA.fullmatch(data):
        await _toggle(update, context, actor, int(match[1]), int(match[2]), language)
    elif match := DELETE_DATA.fullmatch(data):
        await _confirm_delete(update, context, actor, int(match[1]), language)
    elif match := KEEP_DATA.fullmatch(data):
        await _keep(update, context, int(match[1]), language)
    else:
        await query.answer(t("admin_channels.alert.invalid", language), show_alert=True)


async def _toggle(
    update: Update,
    context: Context,
    actor: Actor,
    chat_row_id: int,
    category_id: int,
    language: str,
) -> None:
    query = update.callback_query
    assert query is not None
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    slug = categories.slug_of(category_id)
    if slug is None:
        await query.answer(t("admin_channels.alert.invalid", language), show_alert=True)
        return
    try:
        async with ctx.sessions.begin() as session:
            if await service.get_channel(session, chat_row_id) is None:
                raise ChannelError("unknown_channel", "no such channel", ref=str(chat_row_id))
            info = await service.toggle_channel_category(session, actor, chat_row_id, category_id)
    except ChannelError as exc:
        if exc.code == "unknown_channel":
            await query.answer(t("admin_channels.alert.invalid", language), show_alert=True)
        else:
            await query.answer(
                t(f"admin_channels.error.{exc.code}", language, **exc.values), show_alert=True
            )
        return
    key = (
        "admin_channels.alert.on"
        if category_id in info.category_ids
        else "admin_channels.alert.off"
    )
    await query.edit_message_reply_markup(
        channel_keyboard(categories, chat_row_id, info.category_ids, language)
    )
    await query.answer(t(key, language, category=categories.name(slug, language)))


async def _confirm_delete(
    update: Update, context: Context, actor: Actor, chat_row_id: int, language: str
) -> None:
    query = update.callback_query
    assert query is not None
    ctx = bot_context(context)
    try:
        async with ctx.sessions.begin() as session:
            info = await service.delete_channel_by_id(session, actor, chat_row_id)
    except ChannelError:
        await query.answer(t("admin_channels.alert.invalid", language), show_alert=True)
        return
    await query.edit_message_text(
        t_html("admin_channels.deleted", language, channel=info.label), parse_mode="HTML"
    )
    await query.answer()


async def _keep(update: Update, context: Context, chat_row_id: int, language: str) -> None:
    query = update.callback_query
    assert query is not None
    ctx = bot_context(context)
    async with ctx.sessions() as session:
        info = await service.get_channel(session, chat_row_id)
    if info is None:
        await query.answer(t("admin_channels.alert.invalid", language), show_alert=True)
        return
    await query.edit_message_text(
        t_html("admin_channels.delete_kept", language, channel=info.label), parse_mode="HTML"
    )
    await query.answer()


def handlers() -> list[Handler]:
    return [
        command("addchannel", add_channel),
        command("channels", list_channels),
        command("delchannel", delete_channel),
        command("channelcats", channel_categories),
        button(AREA, on_button),
    ]
