"""Fetch-and-parse for a public Telegram channel: its newest preview page, and on later polls
the older pages back to the last message already seen, a bounded number of them.

    poll = await poll_channel(fetcher, "enabbaladi", last_seen_id=source_state)
    poll.feed        # the new messages that are articles, newest first, as a ParsedFeed
    poll.newest_id   # store it: the next poll's last_seen_id

Raises FetchError (the fetch failed) or ChannelUnavailable (no such public channel, a group,
a bot, a page without history…).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Final

from bot.ingest.entry import ParsedFeed
from bot.ingest.fetch import ARTICLE_ACCEPT, Fetcher
from bot.ingest.telegram_message import ChannelMessage
from bot.ingest.telegram_page import ChannelPage, parse_channel_page, to_feed
from bot.ingest.telegram_ref import TELEGRAM_PUBLIC_BASE, preview_url

DEFAULT_MAX_PAGES: Final = 3


@dataclass(frozen=True, slots=True)
class ChannelPoll:
    """What one poll found. `messages` are the new ones (all kinds, newest first); `feed`
    holds those that are articles. `complete` is False when `max_pages` stopped the walk
    before it reached `last_seen_id` (messages in between were not read)."""

    name: str
    page: ChannelPage
    messages: tuple[ChannelMessage, ...]
    feed: ParsedFeed
    newest_id: int | None
    pages: int
    complete: bool


async def poll_channel(
    fetcher: Fetcher,
    name: str,
    *,
    base_url: str = TELEGRAM_PUBLIC_BASE,
    last_seen_id: int | None = None,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> ChannelPoll:
    """Read @`name`'s preview pages from `base_url` (TELEGRAM_WEB_BASE_URL).

    Without `last_seen_id` (a first poll) only the newest page is read. Otherwise older
    pages are read through their `before` cursor until one reaches `last_seen_id`, the
    channel's start, or `max_pages` pages in all.
    """
    newest = await _page(fetcher, preview_url(name, base_url=base_url), name)
    pages = [newest]
    complete = True
    page = newest
    while (
        last_seen_id is not None and page.before is not None and _older_unseen(page, last_seen_id)
    ):
        if len(pages) >= max_pages:
            complete = False
            break
        url = preview_url(name, base_url=base_url, before=page.before)
        older = await _page(fetcher, url, name)
        pages.append(older)
        if older.before is not None and older.before >= page.before:
            complete = False  # a cursor that does not go back would loop
            break
        page = older
    messages = _new_messages(pages, last_seen_id)
    known = [message.last_id for page in pages for message in page.messages]
    newest_id = max([*known, last_seen_id or 0]) or None
    feed = to_feed(replace(newest, messages=tuple(reversed(messages))), name=name)
    return ChannelPoll(name, newest, messages, feed, newest_id, len(pages), complete)


async def _page(fetcher: Fetcher, url: str, name: str) -> ChannelPage:
    result = await fetcher.fetch(url, accept=ARTICLE_ACCEPT)
    return await asyncio.to_thread(parse_channel_page, result.body, name=name)


def _older_unseen(page: ChannelPage, last_seen_id: int) -> bool:
    """Whether older pages may still hold messages newer than `last_seen_id`."""
    assert page.before is not None
    oldest = min((message.id for message in page.messages), default=page.before)
    return oldest > last_seen_id + 1 and page.before > last_seen_id + 1


def _new_messages(pages: list[ChannelPage], last_seen_id: int | None) -> tuple[ChannelMessage, ...]:
    """The pages' messages newer than `last_seen_id`, each once, newest first."""
    by_id: dict[int, ChannelMessage] = {}
    for page in pages:
        for message in page.messages:
            if last_seen_id is None or message.id > last_seen_id:
                by_id.setdefault(message.id, message)
    return tuple(by_id[key] for key in sorted(by_id, reverse=True))
