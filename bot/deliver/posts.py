"""Posts as the outbox sends them: each article rendered once, however many chats get it."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.compose.post import post_content
from bot.compose.render import PostContent, RenderedPost, render_post
from bot.services.catalog import CategoryCache
from bot.settings import Settings
from storage import claims as claim_store

CACHE_SIZE = 2048

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BookedPost:
    content: PostContent
    rendered: RenderedPost


class PostBook:
    """Rendered posts by article id, the most recently used kept."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        categories: CategoryCache,
        size: int = CACHE_SIZE,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._categories = categories
        self._size = size
        self._posts: OrderedDict[int, BookedPost] = OrderedDict()

    async def get(self, article_ids: Iterable[int]) -> dict[int, BookedPost]:
        """The posts of these articles (those stored and renderable), rendering the ones not
        cached."""
        wanted = set(article_ids)
        found = {i: self._posts[i] for i in wanted if i in self._posts}
        for article_id in found:
            self._posts.move_to_end(article_id)
        missing = wanted - found.keys()
        if missing:
            categories = await self._categories.get()
            async with self._sessions() as session:
                rows = await claim_store.load_articles(session, missing)
            for article_id, (article, source) in rows.items():
                try:
                    content = post_content(
                        article, source, categories=categories, settings=self._settings
                    )
                    booked = BookedPost(content, render_post(content, self._settings))
                except Exception:
                    # Its deliveries fail ("no longer stored"); the others go on.
                    log.exception("the post of article %s could not be rendered", article_id)
                    continue
                found[article_id] = self._posts[article_id] = booked
            while len(self._posts) > self._size:
                self._posts.popitem(last=False)
        return found
