"""Posts in the reader's language, for the chats that asked for translation (/translate on).

An article whose language is not the chat's is translated once per language, whatever the
number of chats: one LLM call at a time per article and language (callers wait for the same
call), the result stored in the database (a restart or another sender reads it there) and
its post rendered once per language. The sender waits for a translation at most `wait`
seconds (the LLM's own time bound, and half a delivery's lease at most); a translation not
ready by then, or failed, means the original post is sent, and a failed one is not asked for
again for FAILURE_SECONDS.

A translated post: the headline and summary translated, the attribution and disclaimer in
the chat's language with the original title quoted as it was, a line saying it was
machine-translated and from which language, the category's name in the chat's language.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from babel import Locale
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.compose.compose import CategorySet
from bot.compose.post import post_content
from bot.compose.render import render_post
from bot.compose.translate import Translator
from bot.deliver.posts import BookedPost
from bot.i18n import choose_language, normalize_language, t
from bot.services.catalog import CategoryCache
from bot.settings import Settings
from storage import claims as claim_store
from storage import translations as translation_store
from storage.claims import Claim
from storage.models import Article, Source
from storage.translations import StoredTranslation

log = logging.getLogger(__name__)

CACHE_SIZE: Final = 1024
FAILURE_SECONDS: Final = 600.0


@dataclass(frozen=True, slots=True)
class TranslatedArticle:
    """An article as its translated post shows it (`bot.compose.post.ArticleView`)."""

    title: str
    headline: str | None
    summary: str | None
    url: str | None
    image_url: str | None
    language: str | None
    category_id: int | None
    fetched_at: datetime
    origin: str | None

    @classmethod
    def of(cls, article: Article, words: StoredTranslation, language: str) -> TranslatedArticle:
        return cls(
            article.title,
            words.headline,
            words.summary,
            article.url,
            article.image_url,
            language,
            article.category_id,
            article.fetched_at,
            article.origin,
        )


class Translations:
    """Translated posts by article and language, made on demand (see the module)."""

    def __init__(
        self,
        settings: Settings,
        sessions: async_sessionmaker[AsyncSession],
        translator: Translator | None,
        categories: CategoryCache,
    ) -> None:
        self._settings = settings
        self._sessions = sessions
        self._translator = translator
        self._categories = categories
        self.wait = min(settings.llm_timeout_seconds, settings.send_lease_seconds / 2)
        self._posts: OrderedDict[tuple[int, str], BookedPost] = OrderedDict()
        self._calls: dict[tuple[int, str], asyncio.Task[BookedPost | None]] = {}
        self._failed: dict[tuple[int, str], float] = {}

    @property
    def available(self) -> bool:
        return self._translator is not None and self._translator.model is not None

    async def localize(self, claim: Claim, posts: dict[int, BookedPost]) -> dict[int, BookedPost]:
        """`posts` itself when the claim's chat did not ask for translations; else the posts
        of the claim, those in another language than the chat's replaced by their
        translations when these are ready in time."""
        chat = claim.chat
        if not chat.options.translate or not self.available:
            return posts
        found = {
            d.article_id: posts[d.article_id] for d in claim.deliveries if d.article_id in posts
        }
        target = choose_language(chat.language, None, self._settings.default_language)
        wanted = [i for i in found if _base(found[i]) != target]
        now = time.monotonic()
        missing = []
        for article_id in wanted:
            key = (article_id, target)
            if key in self._posts:
                self._posts.move_to_end(key)
                found[article_id] = self._posts[key]
            elif now - self._failed.get(key, -FAILURE_SECONDS) >= FAILURE_SECONDS:
                missing.append(article_id)
        if missing:
            found.update(await self._made(missing, target))
        return found

    async def close(self) -> None:
        """Stop the translations still being made (their chats got the original)."""
        calls = list(self._calls.values())
        for call in calls:
            call.cancel()
        await asyncio.gather(*calls, return_exceptions=True)

    async def _made(self, article_ids: list[int], target: str) -> dict[int, BookedPost]:
        """The translated posts of these articles that are ready within `wait` seconds. Each
        article and language has one call at a time, whoever asks (registered before any
        wait, so that chats asking at once share it)."""
        calls: dict[int, asyncio.Task[BookedPost | None]] = {}
        for article_id in article_ids:
            key = (article_id, target)
            call = self._calls.get(key)
            if call is None:
                call = asyncio.create_task(self._obtain(article_id, target))
                self._calls[key] = call
                call.add_done_callback(functools.partial(self._forget, key))
            calls[article_id] = call
        await asyncio.wait(calls.values(), timeout=self.wait)
        return {
            article_id: post
            for article_id, call in calls.items()
            if call.done() and not call.cancelled() and (post := call.result()) is not None
        }

    def _forget(self, key: tuple[int, str], _call: asyncio.Task[BookedPost | None]) -> None:
        self._calls.pop(key, None)

    async def _obtain(self, article_id: int, target: str) -> BookedPost | None:
        """The translated post: its words from the database, else from the LLM (then kept in
        the database); None on failure."""
        key = (article_id, target)
        try:
            async with self._sessions() as session:
                stored = await translation_store.translations(session, [article_id], target)
                rows = await claim_store.load_articles(session, [article_id])
            if article_id not in rows:
                return None
            article, source = rows[article_id]
            words = stored.get(article_id) or await self._ask(article, target)
            if words is None:
                self._failure(key)
                return None
            post = self._render(article, source, words, target, await self._categories.get())
        except Exception:
            log.exception("the translation of article %s could not be made", article_id)
            post = None
        if post is None:
            self._failure(key)
            return None
        return self._keep(key, post)

    async def _ask(self, article: Article, target: str) -> StoredTranslation | None:
        """The LLM's translation of the article's words, kept in the database."""
        translator = self._translator
        assert translator is not None
        words = await translator.translate(
            article.headline or article.title, article.summary or "", article.language, target
        )
        if words is None:
            return None
        stored = StoredTranslation(words.headline, words.summary)
        try:
            async with self._sessions.begin() as session:
                await translation_store.save_translation(
                    session, article.id, target, stored, model=translator.model
                )
        except Exception:
            log.exception("the translation of article %s could not be stored", article.id)
        return stored

    def _render(
        self,
        article: Article,
        source: Source,
        words: StoredTranslation,
        target: str,
        categories: CategorySet,
    ) -> BookedPost | None:
        try:
            view = TranslatedArticle.of(article, words, target)
            content = post_content(view, source, categories=categories, settings=self._settings)
            content = replace(content, note=translation_mark(article.language, target))
            return BookedPost(content, render_post(content, self._settings))
        except Exception:
            log.exception("the translated post of article %s could not be rendered", article.id)
            return None

    def _keep(self, key: tuple[int, str], post: BookedPost) -> BookedPost:
        self._posts[key] = post
        while len(self._posts) > CACHE_SIZE:
            self._posts.popitem(last=False)
        return post

    def _failure(self, key: tuple[int, str]) -> None:
        now = time.monotonic()
        if len(self._failed) >= CACHE_SIZE:
            self._failed = {k: at for k, at in self._failed.items() if now - at < FAILURE_SECONDS}
        self._failed[key] = now


def translation_mark(source: str | None, target: str) -> str:
    """The line a translated post carries, in `target`: machine-translated, and from what."""
    name = _language_name(source, target)
    if name is None:
        return t("translate.mark_unknown", target)
    return t("translate.mark", target, source=name)


def _language_name(code: str | None, shown_in: str) -> str | None:
    primary = _primary(code)
    if not primary:
        return None
    name: str | None = Locale.parse(shown_in).languages.get(primary)
    return name


def _primary(code: str | None) -> str:
    return (code or "").strip().replace("_", "-").split("-", 1)[0].lower()


def _base(post: BookedPost) -> str:
    return normalize_language(post.content.language) or _primary(post.content.language)
