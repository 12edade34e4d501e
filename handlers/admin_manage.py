"""Admin commands: categories, admins, /stats and /audit.

The same service functions as `nashra categories|admins|stats|audit` (bot/cli_manage.py).
Category names hold spaces, so /addcategory and /renamecategory take `|`-separated fields:

    /addcategory science | علوم | Science | علم, sciences
    /renamecategory science | - | Science and research        (- keeps a name)
    /delcategory science [technology]                          (move target: confirm buttons)

Bad input gets the command's usage line (with why, when a service refused), and nothing is
saved: each change is one transaction with its audit record.
"""

from __future__ import annotations

import contextlib
import re
from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError

from bot.context import bot_context
from bot.i18n import Html, ascii_digits, join, t, t_html, tn_html
from bot.services import admins as admin_service
from bot.services import categories as category_service
from bot.services.audit import MAX_LIMIT, Actor
from bot.services.categories import CategoryError, CategoryView
from handlers.admin import CALLBACK_PREFIX, Handler, button, command
from handlers.admin_report import who
from handlers.commands import ADMIN_MANAGE, RESERVED
from handlers.common import Context, language_of, reply
from handlers.menus import set_admin_commands

AREA: Final = "mg"
COMMANDS: Final = ADMIN_MANAGE
DELETE_DATA: Final = re.compile(r"adm:v1:mg:del:([1-9][0-9]{0,17}):([1-9][0-9]{0,17})")
CANCEL_DATA: Final = f"{CALLBACK_PREFIX}{AREA}:cancel"
USER_ID: Final = re.compile(r"[1-9][0-9]{0,18}")
ALIAS_SEPARATORS: Final = re.compile(r"[,،]")
KEEP: Final = "-"
MAX_ARGUMENT_CHARS: Final = 2000


def _arguments(update: Update) -> str:
    """The message's text after the command (`/cmd@bot`), stripped."""
    message = update.effective_message
    text = (message.text if message is not None else None) or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _fields(update: Update) -> list[str] | None:
    """The `|`-separated fields after the command; None when there are none or too long."""
    text = _arguments(update)
    if not text or len(text) > MAX_ARGUMENT_CHARS:
        return None
    return [field.strip() for field in text.split("|")]


def _aliases(field: str) -> list[str]:
    return [a.strip() for a in ALIAS_SEPARATORS.split(field) if a.strip()]


async def _usage(update: Update, name: str, language: str, error: Html | None = None) -> None:
    values = {"min_count": 1, "max_count": MAX_LIMIT} if name == "audit" else {}
    usage = t_html(f"admin_manage.usage.{name}", language, **values)
    await reply(update, Html(f"{error}\n\n{usage}") if error else usage)


# Which values of a refusal are counted, and the noun each counts.
COUNTED_VALUES: Final = {
    "long_name": {"limit": "characters"},
    "many_aliases": {"limit": "aliases"},
    "in_use": {"subscriptions": "subscriptions", "sources": "sources"},
}


def _error(exc: CategoryError, language: str) -> Html:
    nouns = COUNTED_VALUES.get(exc.key, {})
    values = {
        name: _count(nouns[name], int(str(value)), language) if name in nouns else value
        for name, value in exc.values.items()
    }
    return t_html(f"admin_manage.error.{exc.key}", language, **values)


def _count(noun: str, count: int, language: str) -> Html:
    return tn_html(f"admin_manage.count.{noun}", language, count)


def _category_text(key: str, category: CategoryView, language: str) -> Html:
    names, aliases = category.names, category.aliases
    return t_html(
        key,
        language,
        slug=category.slug,
        ar=names.get("ar", ""),
        en=names.get("en", ""),
        aliases=join(aliases, language)
        if aliases
        else t("admin_manage.category.no_aliases", language),
    )


# ---- categories ------------------------------------------------------------------------------


async def add_category(update: Update, context: Context, actor: Actor) -> None:
    language = await language_of(update, context)
    fields = _fields(update)
    if fields is None or not 3 <= len(fields) <= 4:
        await _usage(update, "addcategory", language)
        return
    slug, ar, en = fields[:3]
    aliases = _aliases(fields[3]) if len(fields) == 4 else []
    try:
        async with bot_context(context).sessions.begin() as session:
            category = await category_service.add_category(
                session, actor, slug, ar=ar, en=en, aliases=aliases, reserved=RESERVED
            )
            text = _category_text(
                "admin_manage.category.added", CategoryView.of(category), language
            )
    except CategoryError as exc:
        await _usage(update, "addcategory", language, _error(exc, language))
        return
    await reply(update, text)


async def rename_category(update: Update, context: Context, actor: Actor) -> None:
    language = await language_of(update, context)
    fields = _fields(update)
    if fields is None or not 2 <= len(fields) <= 4:
        await _usage(update, "renamecategory", language)
        return
    slug = fields[0]
    ar = fields[1] if fields[1] != KEEP else None
    en = fields[2] if len(fields) > 2 and fields[2] != KEEP else None
    aliases = _aliases(fields[3]) if len(fields) == 4 and fields[3] != KEEP else None
    try:
        async with bot_context(context).sessions.begin() as session:
            category = await category_service.rename_category(
                session, actor, slug, ar=ar, en=en, aliases=aliases
            )
            text = _category_text(
                "admin_manage.category.renamed", CategoryView.of(category), language
            )
    except CategoryError as exc:
        await _usage(update, "renamecategory", language, _error(exc, language))
        return
    await reply(update, text)


async def delete_category(update: Update, context: Context, actor: Actor) -> None:
    language = await language_of(update, context)
    args = context.args or []
    if not 1 <= len(args) <= 2:
        await _usage(update, "delcategory", language)
        return
    slug, move_to = args[0], (args[1] if len(args) == 2 else None)
    try:
        async with bot_context(context).sessions.begin() as session:
            if move_to is None:
                report = await category_service.delete_category(session, actor, slug)
            else:
                category, target, used = await category_service.check_delete(session, slug, move_to)
                assert target is not None
                confirm = t_html(
                    "admin_manage.category.confirm_delete",
                    language,
                    slug=category.slug,
                    target=target.slug,
                    subscriptions=_count("subscriptions", used.subscriptions, language),
                    sources=_count("sources", used.sources, language),
                    articles=_count("articles", used.articles, language),
                )
                data = f"{CALLBACK_PREFIX}{AREA}:del:{category.id}:{target.id}"
    except CategoryError as exc:
        await _usage(update, "delcategory", language, _error(exc, language))
        return
    if move_to is None:
        await reply(update, t_html("admin_manage.category.deleted", language, slug=report.slug))
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t("admin_manage.category.button_confirm", language), callback_data=data
                ),
                InlineKeyboardButton(
                    t("admin_manage.category.button_cancel", language), callback_data=CANCEL_DATA
                ),
            ]
        ]
    )
    await reply(update, confirm, keyboard)


async def on_button(update: Update, context: Context, actor: Actor) -> None:
    """Confirm or cancel a deletion that moves a category's subscriptions."""
    query = update.callback_query
    assert query is not None
    language = await language_of(update, context)
    data = query.data or ""
    if data == CANCEL_DATA:
        await query.answer()
        await query.edit_message_text(
            t_html("admin_manage.category.cancelled", language), parse_mode=ParseMode.HTML
        )
        return
    match = DELETE_DATA.fullmatch(data)
    text: Html | None = None
    if match is not None:
        try:
            async with bot_context(context).sessions.begin() as session:
                slugs = await category_service.slugs_of(session, (int(match[1]), int(match[2])))
                slug, target = slugs.get(int(match[1])), slugs.get(int(match[2]))
                if slug is not None and target is not None:
                    report = await category_service.delete_category(
                        session, actor, slug, move_to=target
                    )
                    text = Html(
                        t_html("admin_manage.category.deleted", language, slug=report.slug)
                        + "\n"
                        + t_html(
                            "admin_manage.category.moved",
                            language,
                            target=target,
                            subscriptions=_count(
                                "subscriptions", report.subscriptions_moved, language
                            ),
                            merged=_count("merged", report.subscriptions_merged, language),
                            sources=_count("sources", report.sources_moved, language),
                            articles=_count("articles", report.articles_moved, language),
                        )
                    )
        except CategoryError as exc:
            text = _error(exc, language)
    if text is None:
        await query.answer(t("admin_manage.category.alert_stale", language), show_alert=True)
        with contextlib.suppress(TelegramError):  # "message is not modified": gone already
            await query.edit_message_reply_markup(None)
        return
    await query.answer()
    await query.edit_message_text(text, parse_mode=ParseMode.HTML)


# ---- admins ----------------------------------------------------------------------------------


async def list_admins(update: Update, context: Context, actor: Actor) -> None:
    del actor
    language = await language_of(update, context)
    ctx = bot_context(context)
    async with ctx.sessions() as session:
        entries = await admin_service.list_admins(session, ctx.settings)
    lines = [t_html("admin_manage.admins.header", language)]
    for entry in entries:
        if entry.from_settings:
            lines.append(
                t_html(
                    "admin_manage.admins.from_settings",
                    language,
                    user_id=entry.user_id,
                    setting="ADMIN_IDS",
                )
            )
        else:
            added = entry.added_at.strftime("%Y-%m-%d") if entry.added_at else "-"
            lines.append(
                t_html(
                    "admin_manage.admins.added_by",
                    language,
                    user_id=entry.user_id,
                    who=who(entry.added_by, language),
                    when=added,
                )
            )
    await reply(update, Html("\n".join(lines)))


def _user_id_argument(context: Context) -> int | None:
    args = [ascii_digits(arg) for arg in context.args or []]
    if len(args) != 1 or not USER_ID.fullmatch(args[0]) or int(args[0]) >= 2**63:
        return None
    return int(args[0])


async def add_admin(update: Update, context: Context, actor: Actor) -> None:
    language = await language_of(update, context)
    user_id = _user_id_argument(context)
    if user_id is None:
        await _usage(update, "addadmin", language)
        return
    ctx = bot_context(context)
    async with ctx.sessions.begin() as session:
        added = await admin_service.add_admin(session, ctx.settings, actor, user_id)
    if not added:
        await reply(update, t_html("admin_manage.admins.already", language, user_id=user_id))
        return
    text = t_html("admin_manage.admins.added", language, user_id=user_id)
    if not await _update_menu(context, user_id, admin=True):
        text = Html(text + "\n" + t_html("admin_manage.admins.menu_later", language))
    await reply(update, text)


async def remove_admin(update: Update, context: Context, actor: Actor) -> None:
    language = await language_of(update, context)
    user_id = _user_id_argument(context)
    if user_id is None:
        await _usage(update, "deladmin", language)
        return
    ctx = bot_context(context)
    if user_id in ctx.settings.admin_ids:
        text = t_html(
            "admin_manage.admins.settings_admin", language, user_id=user_id, setting="ADMIN_IDS"
        )
        await _usage(update, "deladmin", language, text)
        return
    async with ctx.sessions.begin() as session:
        removed = await admin_service.remove_admin(session, ctx.settings, actor, user_id)
    if not removed:
        text = t_html("admin_manage.admins.not_added", language, user_id=user_id)
        await _usage(update, "deladmin", language, text)
        return
    await _update_menu(context, user_id, admin=False)
    await reply(update, t_html("admin_manage.admins.removed", language, user_id=user_id))


async def _update_menu(context: Context, user_id: int, *, admin: bool) -> bool:
    """Best effort: the user's chat gets (or loses) the admin commands in its menu."""
    return await set_admin_commands(context.application, user_id, admin=admin)


def handlers() -> list[Handler]:
    return [
        command("addcategory", add_category),
        command("renamecategory", rename_category),
        command("delcategory", delete_category),
        command("admins", list_admins),
        command("addadmin", add_admin),
        command("deladmin", remove_admin),
        button(AREA, on_button),
    ]
