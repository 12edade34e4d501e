"""Readers' commands: greeting, help, categories, subscriptions, latest posts, language."""

from __future__ import annotations

from typing import Final

from telegram import Message, Update

from bot.compose.compose import CategorySet
from bot.compose.post import post_for
from bot.compose.render import shorten
from bot.deliver.send import SendOptions, send_reply_post
from bot.i18n import SUPPORTED_LANGUAGES, Html, ascii_digits, t, t_html
from bot.services import chats as chat_service
from bot.services import filters as filter_service
from bot.services import posts as post_service
from bot.services import subscriptions as service
from bot.services.admins import is_admin
from bot.services.subscriptions import Topic
from bot.text.clean import clean_text
from handlers.commands import ADMINS, READERS, RESERVED
from handlers.common import (
    Context,
    Turn,
    all_category_names,
    category_keyboard,
    category_names,
    chat_ref,
    is_private,
    parse_latest,
    parse_toggle,
    reply,
    shortcut_slugs,
    turn,
)
from handlers.groups import allowed_to_change
from handlers.topics import reachable, subscribed_text, subscriptions_text, topic_of

COMMANDS: Final = READERS
LATEST_DEFAULT: Final = 5
LATEST_MIN: Final = 1
LATEST_MAX: Final = 20
ALL_WORDS: Final = frozenset({"all", "الكل", "الجميع", "كل"})
# A reader's words quoted back are cut to this many characters (a message holds 4096).
ECHO_MAX_CHARS: Final = 64


async def start(update: Update, context: Context) -> None:
    """Greet the reader in their language and show the categories keyboard."""
    now = await turn(update, context)
    user = update.effective_user
    name = user.first_name if user is not None else ""
    await show_keyboard(update, context, t_html("start.greeting", now.language, name=name))


async def help_command(update: Update, context: Context) -> None:
    """List every command and the category shortcuts (and, for a bot admin, the admins')."""
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
    if await _asked_by_an_admin(update, now):
        admin_lines = [
            t_html(
                "help.admin_line",
                language,
                command=name,
                description=t(f"command.{name}", language),
            )
            for name in ADMINS
        ]
        text = Html(
            "\n\n".join([text, t_html("help.admin_header", language), "\n".join(admin_lines)])
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
    """Subscribe the chat to the named categories (their posts go to the forum topic the
    command was sent in), or show the categories keyboard."""
    if not context.args:
        now = await turn(update, context)
        await show_keyboard(update, context, t_html("subscribe.choose", now.language))
        return
    if not await allowed_to_change(update, context):
        return
    now = await turn(update, context)
    language, categories = now.language, now.categories
    chat = update.effective_chat
    assert chat is not None
    topic = topic_of(update.effective_message)
    if topic is not None and not await reachable(update, context, topic):
        return
    changed: tuple[set[int], set[int]] | None = None
    async with now.ctx.sessions.begin() as session:
        resolved = await service.resolve_categories(session, context.args)
        ids = [c.id for c in resolved.found]
        if not resolved.unknown:
            changed = await service.subscribe_in(session, chat_ref(chat), ids, topic)
    if changed is None:
        await unknown_category(update, resolved.unknown[0], categories, language)
        return
    new, moved = changed
    await reply(update, subscribed_text(new, moved, set(ids), topic, categories, language))


async def unsubscribe(update: Update, context: Context) -> None:
    """Unsubscribe the chat from the named categories, or from all."""
    now = await turn(update, context)
    language, categories = now.language, now.categories
    if not context.args:
        await reply(update, t_html("unsubscribe.usage", language))
        return
    if not await allowed_to_change(update, context):
        return
    chat = update.effective_chat
    assert chat is not None
    if len(context.args) == 1 and context.args[0].casefold() in ALL_WORDS:
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
        await unknown_category(update, resolved.unknown[0], categories, language)
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
    """List the chat's subscriptions, with the topic and the filter of each."""
    now = await turn(update, context)
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions() as session:
        entries = await filter_service.followed(session, chat.id)
    if not entries:
        await reply(update, t_html("mysubs.none", now.language))
        return
    await reply(update, subscriptions_text(entries, now.categories, now.language))


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
    now = await turn(update, context)
    args = context.args or []
    choice = args[0].strip().lower() if len(args) == 1 else ""
    if choice not in SUPPORTED_LANGUAGES:
        await reply(update, t_html("language.usage", now.language))
        return
    if not await allowed_to_change(update, context):
        return
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions.begin() as session:
        await chat_service.set_language(session, chat_ref(chat), choice)
    await reply(update, t_html("language.changed", choice))


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
    if not await allowed_to_change(update, context):
        return
    async with now.ctx.sessions.begin() as session:
        now_subscribed, ids = await service.toggle(
            session, chat_ref(message.chat), category_id, topic_of(message)
        )
    slug = categories.slug_of(category_id) or ""
    key = "alert.subscribed" if now_subscribed else "alert.unsubscribed"
    await query.answer(t(key, language, category=categories.name(slug, language)))
    await query.edit_message_reply_markup(category_keyboard(categories, ids, language))


async def latest_button(update: Update, context: Context) -> None:
    """A category's name in the keyboard: its newest posts, in the chat the keyboard is in."""
    query = update.callback_query
    if query is None:
        return
    now = await turn(update, context)
    category_id = parse_latest(query.data)
    message = query.message
    if (
        category_id is None
        or category_id not in now.categories.ids.values()
        or not isinstance(message, Message)
    ):
        await query.answer(t("alert.invalid", now.language), show_alert=True)
        return
    await query.answer()
    async with now.ctx.sessions() as session:
        rows = await post_service.latest(session, category_id, LATEST_DEFAULT)
    await _send_rows(update, now, message, rows, category_id, reply_to=None)


# ---- helpers ----------------------------------------------------------------------------------


async def _asked_by_an_admin(update: Update, now: Turn) -> bool:
    user = update.effective_user
    if user is None:
        return False
    async with now.ctx.sessions() as session:
        return await is_admin(session, now.ctx.settings, user.id)


async def show_keyboard(update: Update, context: Context, text: Html) -> None:
    """`text` with the categories keyboard of the update's chat under it."""
    now = await turn(update, context)
    chat = update.effective_chat
    assert chat is not None
    async with now.ctx.sessions() as session:
        ids = await service.subscribed(session, chat.id)
    await reply(update, text, category_keyboard(now.categories, ids, now.language))


async def unknown_category(
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


def _is_number(text: str) -> bool:
    return ascii_digits(text).lstrip("+-").isdecimal()


async def _send_latest(
    update: Update, context: Context, names: list[str], count_text: str | None
) -> None:
    now = await turn(update, context)
    ctx, categories, language = now.ctx, now.categories, now.language
    count = LATEST_DEFAULT
    asked: int | None = None
    if count_text is not None:
        if not _is_number(count_text) or int(ascii_digits(count_text)) < LATEST_MIN:
            await _latest_usage(update, context)
            return
        count = int(ascii_digits(count_text))
        if count > LATEST_MAX:
            asked, count = count, LATEST_MAX
    category_id: int | None = None
    rows: list[post_service.LatestPost] = []
    async with ctx.sessions() as session:
        resolved = await service.resolve_categories(session, names)
        if not resolved.unknown and len(resolved.found) == 1:
            category_id = resolved.found[0].id
        if category_id is not None or not names:
            rows = await post_service.latest(session, category_id, count)
    if names and category_id is None:
        if resolved.unknown:
            await unknown_category(update, resolved.unknown[0], categories, language)
        else:
            await _latest_usage(update, context)
        return
    message = update.effective_message
    assert message is not None
    if asked is not None and rows:
        await reply(update, t_html("latest.capped", language, asked=asked, max_count=LATEST_MAX))
    # In groups the posts answer the command, as every reply there does; in private chats not.
    reply_to = None if is_private(message.chat) else message.message_id
    await _send_rows(update, now, message, rows, category_id, reply_to=reply_to)


async def _send_rows(
    update: Update,
    now: Turn,
    message: Message,
    rows: list[post_service.LatestPost],
    category_id: int | None,
    *,
    reply_to: int | None,
) -> None:
    """The posts of `rows` in the message's chat, or why there are none."""
    language, categories = now.language, now.categories
    if not rows:
        if category_id is None:
            text = t_html("latest.empty_all", language)
        else:
            name = categories.name(categories.slug_of(category_id) or "", language)
            text = t_html("latest.empty", language, category=name)
        await reply(update, text)
        return
    await send_posts(now, message, rows, reply_to=reply_to, topic=topic_of(message))


async def send_posts(
    now: Turn,
    message: Message,
    rows: list[post_service.LatestPost],
    *,
    reply_to: int | None,
    topic: Topic | None,
) -> None:
    """The posts of `rows` in the message's chat (and forum topic), oldest last."""
    transport = now.ctx.transport
    assert transport is not None, "post_init opens the transport"
    chosen = now.chat.options if now.chat is not None else None
    options = (
        SendOptions(chosen.silent, chosen.link_preview, chosen.photos) if chosen else SendOptions()
    )
    for article, source in rows:
        post = post_for(article, source, categories=now.categories, settings=now.ctx.settings)
        await send_reply_post(
            transport,
            message.chat_id,
            post,
            reply_to=reply_to,
            options=options,
            thread_id=topic.thread_id if topic else None,
        )
