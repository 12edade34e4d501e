"""Search: inline mode (`@bot words` in any chat) and /search words.

Inline mode answers with the newest matching posts as article results: the headline as the
title, the summary as the description, and, once chosen, the post itself (its text and its
"read at source" button) sent to the chat. An empty query shows the latest posts; results
come ten at a time (Telegram asks for more with the offset we give). The texts around them
are in the reader's language (their private chat's setting, else their Telegram language).
Inline mode is off until the bot's owner turns it on with @BotFather (/setinline).
"""

from __future__ import annotations

import logging
from typing import Final

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)
from telegram.constants import ParseMode

from bot.compose.post import post_content
from bot.compose.render import render_post, shorten
from bot.i18n import Html, choose_language, t, t_html
from bot.services import search as service
from bot.services.chats import chat_settings
from bot.services.search import QueryError
from bot.text.clean import clean_text
from handlers.common import NO_PREVIEW, Context, is_private, reply, turn
from handlers.readers import ECHO_MAX_CHARS, LATEST_DEFAULT, send_posts
from handlers.topics import topic_of
from handlers.word_filters import command_text

log = logging.getLogger(__name__)

INLINE_PAGE: Final = 10
INLINE_CACHE_SECONDS: Final = 10
TITLE_MAX_CHARS: Final = 120
DESCRIPTION_MAX_CHARS: Final = 200
START_PARAMETER: Final = "search"
_OFFSET_DIGITS: Final = 18


def _offset(text: str) -> int | None:
    """The article id the next page starts below (our own offset, read back), else None."""
    return int(text) if text.isdigit() and len(text) <= _OFFSET_DIGITS else None


async def inline_query(update: Update, context: Context) -> None:
    """`@bot words`: the newest posts matching, or the latest posts for no words."""
    query = update.inline_query
    if query is None:
        return
    now = await turn(update, context)
    ctx = now.ctx
    async with ctx.sessions() as session:
        stored = await chat_settings(session, query.from_user.id)
    language = choose_language(
        stored.language if stored is not None else None,
        query.from_user.language_code,
        ctx.settings.default_language,
    )
    try:
        parsed = service.parse_query(query.query, as_you_type=True)
    except QueryError as error:
        await query.answer(
            [],
            cache_time=INLINE_CACHE_SECONDS,
            is_personal=True,
            button=_button(t(f"search.inline.{error.code}", language, **error.values)),
        )
        return
    async with ctx.sessions() as session:
        page = await service.search(
            session, parsed, limit=INLINE_PAGE, before=_offset(query.offset)
        )
    results = []
    for article, source in page.posts:
        content = post_content(article, source, categories=now.categories, settings=ctx.settings)
        post = render_post(content, ctx.settings)
        markup = (
            InlineKeyboardMarkup([[InlineKeyboardButton(post.button_text, url=post.button_url)]])
            if post.button_url
            else None
        )
        results.append(
            InlineQueryResultArticle(
                id=str(article.id),
                title=shorten(clean_text(content.headline), TITLE_MAX_CHARS) or "…",
                description=shorten(clean_text(content.summary), DESCRIPTION_MAX_CHARS) or None,
                input_message_content=InputTextMessageContent(
                    post.text, parse_mode=ParseMode.HTML, link_preview_options=NO_PREVIEW
                ),
                reply_markup=markup,
                thumbnail_url=post.photo_url,
            )
        )
    button = None
    if not results and not query.offset:
        key = "search.inline.empty_all" if parsed.is_empty else "search.inline.none"
        button = _button(t(key, language))
    await query.answer(
        results,
        cache_time=INLINE_CACHE_SECONDS,
        is_personal=True,
        next_offset=str(page.next_before) if page.next_before is not None else "",
        button=button,
    )


def _button(text: str) -> InlineQueryResultsButton:
    """The line above the results; it opens the bot's private chat."""
    return InlineQueryResultsButton(text=text, start_parameter=START_PARAMETER)


async def search_command(update: Update, context: Context) -> None:
    """/search words: the newest posts matching, in this chat."""
    now = await turn(update, context)
    language = now.language
    words = command_text(update.effective_message)
    if not words.strip():
        await reply(update, t_html("search.usage", language))
        return
    try:
        parsed = service.parse_query(words)
    except QueryError as error:
        problem = t_html(f"search.error.{error.code}", language, **error.values)
        await reply(update, Html(f"{problem}\n\n{t_html('search.usage', language)}"))
        return
    async with now.ctx.sessions() as session:
        page = await service.search(session, parsed, limit=LATEST_DEFAULT)
    shown = shorten(" ".join(clean_text(words).split()), ECHO_MAX_CHARS)
    if not page.posts:
        await reply(update, t_html("search.none", language, query=shown))
        return
    if page.next_before is not None:
        text = t_html("search.more", language, query=shown, bot=context.bot.username or "")
    else:
        text = t_html("search.found", language, query=shown)
    await reply(update, text)
    message = update.effective_message
    assert message is not None
    reply_to = None if is_private(message.chat) else message.message_id
    await send_posts(now, message, page.posts, reply_to=reply_to, topic=topic_of(message))
