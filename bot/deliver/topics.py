"""A forum topic that is gone: telling the group that its posts now come to General.

When a send into a topic is refused because the topic was deleted or closed (verdicts:
TOPIC_GONE), the sender calls `tell_topic_left` once, before the post goes to the General
topic; recording the verdict (storage/deliveries.py: `leave_topic`) then moves the topic's
subscriptions and waiting posts there, so no later post meets the topic again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.deliver.send import SendFailed, Transport
from bot.deliver.verdicts import Verdict
from bot.i18n import choose_language, join, t_html
from bot.services.catalog import CategoryCache
from storage import subscriptions as subscription_store
from storage.claims import ChatTarget

log = logging.getLogger(__name__)

NOTE_ATTEMPTS: Final = 3
MAX_WAIT_SECONDS: Final = 60.0


async def tell_topic_left(
    transport: Transport,
    sessions: async_sessionmaker[AsyncSession],
    categories: CategoryCache,
    chat: ChatTarget,
    thread_id: int,
    *,
    default_language: str,
    slot: Callable[[], Awaitable[None]],
) -> bool:
    """Tell the chat, in its General topic, which categories left the topic; `slot` waits
    for a send slot. False when nothing was said (no subscription there, or Telegram
    refused)."""
    async with sessions() as session:
        ids = await subscription_store.categories_in_topic(session, chat.id, thread_id)
    if not ids:
        return False
    known = await categories.get()
    language = choose_language(chat.language, None, default_language)
    names = [known.name(info.slug, language) for info in known.infos if known.ids[info.slug] in ids]
    text = t_html("topics.left", language, categories=join(names, language))
    for _ in range(NOTE_ATTEMPTS):
        await slot()
        try:
            await transport.send_message(
                chat.telegram_id, text, html=True, markup=None, paid=False, reply_to=None
            )
            return True
        except SendFailed as failure:
            judgement = failure.judgement
            if judgement.verdict not in (Verdict.THROTTLED, Verdict.TRANSIENT):
                break
            await asyncio.sleep(min(max(judgement.retry_after, 1.0), MAX_WAIT_SECONDS))
    log.warning(
        "chat %s: could not say that topic %s is gone",
        chat.telegram_id,
        thread_id,
        extra={"chat_id": chat.telegram_id},
    )
    return False
