"""A post's parts besides its rendering: the categories it may fall in, its headline and
summary."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.compose.categorize import Categorizer, CategoryInfo
from bot.compose.llm import LLMSummarizer
from bot.compose.summarize import summarize
from bot.settings import Settings
from storage import categories as category_store

CATEGORY_REFRESH_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Written:
    """A post's words: its headline and summary, and who wrote them."""

    headline: str
    summary: str
    by: str  # "extractive" or "llm"


@dataclass(frozen=True, slots=True)
class CategorySet:
    """The categories as stored, with a categorizer built over them."""

    infos: tuple[CategoryInfo, ...]
    ids: dict[str, int]  # slug → id
    categorizer: Categorizer

    @classmethod
    def build(cls, infos: Sequence[CategoryInfo], ids: dict[str, int]) -> CategorySet:
        return cls(tuple(infos), ids, Categorizer(infos))

    def slug_of(self, category_id: int | None) -> str | None:
        if category_id is None:
            return None
        return next((slug for slug, id_ in self.ids.items() if id_ == category_id), None)

    def name(self, slug: str, language: str | None) -> str:
        """The category's display name in `language` (English, else the slug, when missing)."""
        info = next((i for i in self.infos if i.slug == slug), None)
        if info is None:
            return slug
        return info.names.get(language or "", "") or info.names.get("en", "") or slug


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

    async def get(self) -> CategorySet:
        if self._value is None or time.monotonic() - self._loaded_at > CATEGORY_REFRESH_SECONDS:
            async with self._sessions() as session:
                self._value = await load_categories(session)
            self._loaded_at = time.monotonic()
        return self._value


class Composer:
    """Writes posts' headlines and summaries; the LLM, when configured, falls back on failure."""

    def __init__(self, settings: Settings, llm: LLMSummarizer | None = None) -> None:
        self._settings = settings
        self._llm = llm

    def extractive(
        self, title: str, text: str, language: str | None, *, sentences: int | None = None
    ) -> str:
        return summarize(
            title,
            text,
            language,
            max_sentences=sentences or self._settings.summary_sentences,
            max_chars=self._settings.summary_max_chars,
        )

    async def write(self, title: str, text: str, language: str | None) -> Written:
        if self._llm is not None:
            written = await self._llm.summarize(
                title, text, language, max_chars=self._settings.summary_max_chars
            )
            if written is not None:
                return Written(written.headline, written.summary, "llm")
        summary = await asyncio.to_thread(self.extractive, title, text, language)
        return Written(title, summary, "extractive")
