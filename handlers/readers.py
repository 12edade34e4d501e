"""Readers' commands: greeting, help, categories, subscriptions, latest posts, language."""

from __future__ import annotations

from typing import Final

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update

from bot.compose.compose import CategorySet
from bot.compose.post import post_content
from bot.compose.render import render_post, site_name
from bot.context import bot_context
from bot.i18n import SUPPORTED_LANGUAGES, Html, t, t_html
from bot.services import subscriptions as service
from handlers.common import (
    NO_PREVIEW,
    Context,
    all_category_names,
    category_keyboard,
    category_names,
    chat_ref,
    language_of,
    parse_toggle,
    reply,
    shortcut_slugs,
)
from handlers.groups import may_change_settings, refuse_non_admin
from storage import chats as chat_store
from storage import posts as post_store
from storage.categories import find_category
from storage.models import Category

COMMANDS: Final = (
    "start",
    "help",
    "categories",
    "subscribe",
    "unsubscribe",
    "mysubs",
    "latest",
    "language",
)
LATEST_DEFAULT: Final = 5
LATEST_MIN: Final = 1
LATEST_MAX: Final = 20
ALL_WORDS: Final = frozenset({"all", "الكل", "الجميع", "كل"})


async def start(update: Update, context: Context) -> None:
    """Greet the reader in their language and show the categories keyboard."""
    await _show_keyboard(update, context, "start.greeting")


async def help_command(update: Update, context: Context) -> None:
    """List every command and the category shortcuts."""
    language = await language_of(update, context)
    categories = await bot_context(context).categories.get()
    lines = [
        t_html("help.shortcut", language, command=slug, category=categories.name(slug, language))
        for slug in shortcut_slugs(categories, frozenset(COMMANDS))
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
    language = await language_of(update, context)
    categories = await bot_context(context).categories.get()
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
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    async with ctx.sessions.begin() as session:
        resolved = await service.resolve_categories(session, context.args)
        if resolved.unknown:
            await _unknown_category(update, resolved.unknown[0], categories, language)
            return
        ids = [c.id for c in resolved.found]
        new = await service.subscribe(session, chat_ref(chat), ids)
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
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    everything = len(context.args) == 1 and context.args[0].casefold() in ALL_WORDS
    if everything:
        async with ctx.sessions.begin() as session:
            await service.unsubscribe(session, chat.id, None)
        await reply(update, t_html("unsubscribe.all_done", language))
        return
    async with ctx.sessions.begin() as session:
        resolved = await service.resolve_categories(session, context.args)
        if resolved.unknown:
            await _unknown_category(update, resolved.unknown[0], categories, language)
            return
        ids = [c.id for c in resolved.found]
        gone = await service.unsubscribe(session, chat.id, ids)
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
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    async with ctx.sessions() as session:
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
        async with bot_context(context).sessions() as session:
            whole = await find_category(session, " ".join(args))
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
    async with bot_context(context).sessions.begin() as session:
        await service.ensure_chat(session, chat_ref(chat))
        await chat_store.set_language(session, chat.id, choice)
    await reply(update, t_html("language.changed", choice))


async def toggle_subscription(update: Update, context: Context) -> None:
    """Flip one category for the chat the keyboard is in, and redraw the keyboard in place."""
    query = update.callback_query
    if query is None:
        return
    language = await language_of(update, context)
    ctx = bot_context(context)
    categories = await ctx.categories.get()
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
    async with ctx.sessions.begin() as session:
        now_subscribed, ids = await service.toggle(session, chat_ref(message.chat), category_id)
    slug = categories.slug_of(category_id) or ""
    key = "alert.subscribed" if now_subscribed else "alert.unsubscribed"
    await query.answer(t(key, language, category=categories.name(slug, language)))
    await query.edit_message_reply_markup(category_keyboard(categories, ids, language))


# ---- helpers ----------------------------------------------------------------------------------


async def _show_keyboard(update: Update, context: Context, key: str) -> None:
    language = await language_of(update, context)
    chat = update.effective_chat
    assert chat is not None
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    async with ctx.sessions() as session:
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
    valid = all_category_names(categories, language)
    await reply(update, t_html("category.unknown", language, category=name, valid=valid))


async def _latest_usage(update: Update, context: Context) -> None:
    language = await language_of(update, context)
    categories = await bot_context(context).categories.get()
    example = categories.infos[0].slug if categories.infos else "politics"
    text = t_html(
        "latest.usage", language, min_count=LATEST_MIN, max_count=LATEST_MAX, example=example
    )
    await reply(update, text)


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
    ctx = bot_context(context)
    categories = await ctx.categories.get()
    category: Category | None = None
    async with ctx.sessions() as session:
        if names:
            resolved = await service.resolve_categories(session, names)
            if resolved.unknown or len(resolved.found) != 1:
                if resolved.unknown:
                    await _unknown_category(update, resolved.unknown[0], categories, language)
                else:
                    await _latest_usage(update, context)
                return
            category = resolved.found[0]
        rows = await post_store.latest_ready(session, category.id if category else None, count)
    if not rows:
        if category is None:
            await reply(update, t_html("latest.empty_all", language))
        else:
            name = categories.name(category.slug, language)
            await reply(update, t_html("latest.empty", language, category=name))
        return
    message = update.effective_message
    assert message is not None
    for article, source in rows:
        content = post_content(
            article,
            site=site_name(article.url or source.site_url or source.url, source.name),
            categories=categories,
            settings=ctx.settings,
        )
        post = render_post(content, ctx.settings)
        markup = None
        if post.button_url:
            button = InlineKeyboardButton(post.button_text, url=post.button_url)
            markup = InlineKeyboardMarkup([[button]])
        await message.reply_html(post.text, reply_markup=markup, link_preview_options=NO_PREVIEW)
