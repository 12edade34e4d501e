"""What a source's posts would look like, before it is added: `nashra preview URL`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import datetime

from bot.compose.compose import CategorySet, Composer
from bot.compose.post import post_content
from bot.compose.render import render_plain, site_name
from bot.ingest.candidates import build_article, keyed_entries
from bot.ingest.extract import extract_article
from bot.ingest.fetch import ARTICLE_ACCEPT, FEED_ACCEPT, Fetcher, FetchResult
from bot.ingest.fulltext import complete_teasers
from bot.ingest.normalize import canonical_url
from bot.ingest.parse import FeedParseError, parse_feed
from bot.ingest.poller import categorized
from bot.settings import Settings
from bot.text.language import detect_language
from storage.articles import NewArticle
from storage.models import ArticleStatus
from storage.types import utcnow


class PreviewError(Exception):
    """The URL gives nothing to preview; the message says why."""


@dataclass(frozen=True, slots=True)
class Preview:
    kind: str  # the feed's format, or "page"
    title: str
    posts: list[str]


async def preview(
    url: str,
    *,
    settings: Settings,
    fetcher: Fetcher,
    composer: Composer,
    categories: CategorySet,
    name: str | None = None,
    limit: int = 3,
) -> Preview:
    """The newest `limit` posts of a feed, or the post of one article page, as plain text."""
    result = await fetcher.fetch(url, accept=f"{FEED_ACCEPT}, {ARTICLE_ACCEPT};q=0.8")
    now = utcnow()
    try:
        feed = await asyncio.to_thread(
            parse_feed, result.body, url=result.url, content_type=result.content_type
        )
    except FeedParseError:
        feed = None
    if feed is None:
        article = await asyncio.to_thread(_page_article, result, now)
        kind, title, articles = "page", article.title, [article]
    else:
        candidates = keyed_entries(feed, base_url=result.url, limit=limit)
        articles = [
            build_article(
                c,
                base_url=result.url,
                language_hint=feed.language,
                fetched_at=now,
                status=ArticleStatus.NEW,
                max_chars=settings.max_article_chars,
            )
            for c in candidates
        ]
        articles = await complete_teasers(
            fetcher,
            articles,
            min_chars=settings.fulltext_min_chars,
            max_chars=settings.max_article_chars,
        )
        kind, title = feed.kind, feed.title
    if not articles:
        raise PreviewError(f"the feed at {result.url} has no entries")
    posts = []
    for article in articles:
        article = categorized(article, categories, None)
        words = await composer.write(article.title, article.text, article.language)
        article = replace(article, headline=words.headline, summary=words.summary)
        content = post_content(
            article,
            site=site_name(article.url or result.url, name),
            categories=categories,
            settings=settings,
        )
        posts.append(render_plain(content, settings))
    return Preview(kind, title, posts)


def _page_article(result: FetchResult, now: datetime) -> NewArticle:
    extracted = extract_article(result.body, url=result.url, content_type=result.content_type)
    if extracted is None or not extracted.text:
        raise PreviewError(f"{result.url} is neither a feed nor an article page")
    url = canonical_url(result.url) or result.url
    title = extracted.title or ""
    return NewArticle(
        guid_key=url,
        url_key=url,
        guid=None,
        url=url,
        title=title,
        text=extracted.text,
        text_source="page",
        author=None,
        tags=[],
        image_url=extracted.image_url,
        language=extracted.language or detect_language(f"{title}\n{extracted.text}"),
        category_id=None,
        published_at=extracted.published or now,
        fetched_at=now,
        status=ArticleStatus.NEW,
    )
