"""A post's parts besides its rendering: the categories it may fall in, its headline and
summary."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from bot.compose.categorize import Categorizer, CategoryInfo
from bot.compose.llm import LLMSummarizer
from bot.compose.summarize import summarize
from bot.settings import Settings


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

    async def write(
        self, title: str, text: str, language: str | None, *, llm: bool = True
    ) -> Written:
        """The post's words: the LLM's when one is configured (and `llm`), else extractive."""
        if llm and self._llm is not None:
            written = await self._llm.summarize(
                title, text, language, max_chars=self._settings.summary_max_chars
            )
            if written is not None:
                return Written(written.headline, written.summary, "llm")
        summary = await asyncio.to_thread(self.extractive, title, text, language)
        return Written(title, summary, "extractive")
