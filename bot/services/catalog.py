"""The deployment's categories as the pipeline and the bot use them: a `CategorySet` built
from the stored rows, reloaded at most once a minute."""

from __future__ import annotations

import asyncio
import time

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.compose.categorize import CategoryInfo
from bot.compose.compose import CategorySet
from storage import categories as category_store

CATEGORY_REFRESH_SECONDS = 60.0


async def load_categories(session: AsyncSession) -> CategorySet:
    stored = await category_store.list_categories(session)
    infos = [
        CategoryInfo(
            slug=c.slug,
            names=dict(c.names),
            aliases=tuple(alias.alias for alias in c.aliases),
        )
        for c in stored
    ]
    return CategorySet.build(infos, {c.slug: c.id for c in stored})


class CategoryCache:
    """The category set, reloaded from the database at most once a minute."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._value: CategorySet | None = None
        self._loaded_at = 0.0
        self._loading = asyncio.Lock()

    async def get(self) -> CategorySet:
        """The categories; one caller reloads them when stale while the others wait for it."""
        if self._value is not None and not self._stale():
            return self._value
        async with self._loading:
            if self._value is None or self._stale():
                async with self._sessions() as session:
                    self._value = await load_categories(session)
                self._loaded_at = time.monotonic()
            return self._value

    def _stale(self) -> bool:
        return time.monotonic() - self._loaded_at > CATEGORY_REFRESH_SECONDS
