"""Forum topics: the topic a command was sent in, whether the bot can still post there, and
how readers see their subscriptions' topics (and filters).

A supergroup with topics (a forum) shows each topic as a thread: a message sent in one
carries `message_thread_id` with `is_topic_message`, and, unless it answers another message,
the topic's first message (its `forum_topic_created`, with the topic's name) as the message
it replies to. Messages in the General topic carry no thread. In a group without topics a
reply chain has a `message_thread_id` too, but is no topic: only `is_topic_message` counts.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Final

from telegram import Message, Update
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest

from bot.compose.compose import CategorySet
from bot.deliver.verdicts import Verdict, judge
from bot.i18n import Html, t_html
from bot.services.filters import Followed
from bot.services.subscriptions import Topic
from handlers.common import NO_PREVIEW, Context, category_names, turn

log = logging.getLogger(__name__)

TOPIC_NAME_MAX: Final = 128  # Telegram's limit, and the stored column's


def topic_of(message: Message | None) -> Topic | None:
    """The forum topic `message` was sent in (None: not a forum, or its General topic)."""
    if message is None or not message.is_topic_message or message.message_thread_id is None:
        return None
    title = None
    first = message.reply_to_message
    if (
        first is not None
        and first.message_id == message.message_thread_id
        and first.forum_topic_created is not None
    ):
        title = first.forum_topic_created.name[:TOPIC_NAME_MAX]
    return Topic(message.message_thread_id, title)


async def reachable(update: Update, context: Context, topic: Topic) -> bool:
    """Whether the bot can post in the topic (a typing action is sent there). When Telegram
    says the topic is gone (deleted, closed), the chat is told so in its General topic and
    False returned."""
    chat = update.effective_chat
    assert chat is not None
    try:
        await context.bot.send_chat_action(
            chat.id, ChatAction.TYPING, message_thread_id=topic.thread_id
        )
    except BadRequest as error:
        if judge(error, topic=True).verdict is not Verdict.TOPIC_GONE:
            raise
        log.info("chat %s: topic %s is gone: %s", chat.id, topic.thread_id, error.message)
        language = (await turn(update, context)).language
        await context.bot.send_message(
            chat.id,
            t_html("topics.not_found", language),
            parse_mode=ParseMode.HTML,
            link_preview_options=NO_PREVIEW,
        )
        return False
    return True


def topic_name(thread_id: int, title: str | None, language: str) -> Html:
    """A topic as readers see it: «its name», else its number."""
    if title:
        return t_html("topics.named", language, name=title)
    return t_html("topics.numbered", language, number=thread_id)


def subscribed_text(
    new: set[int],
    moved: set[int],
    asked: set[int],
    topic: Topic | None,
    categories: CategorySet,
    language: str,
) -> Html:
    """What /subscribe did: the categories subscribed (into this topic), those that now come
    here instead, or that all were already."""
    texts = []
    if new:
        key = "subscribe.done_topic" if topic else "subscribe.done"
        texts.append(t_html(key, language, categories=category_names(categories, new, language)))
    if moved:
        key = "topics.moved_here" if topic else "topics.moved_general"
        names = category_names(categories, moved, language)
        texts.append(t_html(key, language, categories=names))
    if not texts:
        names = category_names(categories, asked, language)
        texts.append(t_html("subscribe.already", language, categories=names))
    return Html("\n".join(texts))


def subscriptions_text(entries: Sequence[Followed], categories: CategorySet, language: str) -> Html:
    """What a chat follows (/mysubs): the categories on one line, or, when some go to a
    forum topic or have a filter, a line for each saying which."""
    by_id = {entry.category_id: entry for entry in entries}
    ordered = [
        (info.slug, by_id[categories.ids[info.slug]])
        for info in categories.infos
        if categories.ids[info.slug] in by_id
    ]
    if not any(entry.thread_id is not None or entry.filter for _, entry in ordered):
        names = category_names(categories, set(by_id), language)
        return t_html("mysubs.header", language, categories=names)
    lines = [t_html("mysubs.list_header", language)]
    for slug, entry in ordered:
        parts = [t_html("mysubs.line", language, category=categories.name(slug, language))]
        if entry.thread_id is not None:
            topic = topic_name(entry.thread_id, entry.thread_title, language)
            parts.append(t_html("mysubs.in_topic", language, topic=topic))
        if entry.filter:
            parts.append(t_html("mysubs.filtered", language, filter=entry.filter.shown()))
        lines.append(Html(" — ".join(parts)))
    return Html("\n".join(lines))
