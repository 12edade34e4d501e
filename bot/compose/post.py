"""An article (stored or not) as the post a reader gets: `post_for` is the only way a post is
made — the outbox, /latest, the admins' and the command line's previews all call it."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.compose.compose import CategorySet
from bot.compose.render import PostContent, RenderedPost, render_post, site_name
from bot.settings import Settings

FALLBACK_CATEGORY = "general"


class ArticleView(Protocol):
    """What a post needs of an article: a stored Article and a NewArticle both have it."""

    @property
    def title(self) -> str: ...
    @property
    def headline(self) -> str | None: ...
    @property
    def summary(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def image_url(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def category_id(self) -> int | None: ...
    @property
    def fetched_at(self) -> datetime: ...
    @property
    def origin(self) -> str | None: ...


class SourceView(Protocol):
    """What a post needs of its source: a stored Source and a previewed SourceInfo have it."""

    @property
    def url(self) -> str: ...
    @property
    def name(self) -> str | None: ...
    @property
    def site_url(self) -> str | None: ...
    @property
    def site_name(self) -> str | None: ...


def post_for(
    article: ArticleView, source: SourceView, *, categories: CategorySet, settings: Settings
) -> RenderedPost:
    """The article's post as Telegram gets it."""
    content = post_content(article, source, categories=categories, settings=settings)
    return render_post(content, settings)


def post_content(
    article: ArticleView, source: SourceView, *, categories: CategorySet, settings: Settings
) -> PostContent:
    """The parts of the article's post: its words, attribution (naming the site that published
    it first: where a forwarded message came from, else the source's configured name, else
    the name it gives itself, else the link's host) and category in its language, dated in
    the deployment's time zone."""
    named = article.origin or source.name or source.site_name
    site = site_name(article.url or source.site_url or source.url, named)
    language = article.language or settings.default_language
    slug = categories.slug_of(article.category_id) or FALLBACK_CATEGORY
    return PostContent(
        headline=article.headline or article.title,
        summary=article.summary or "",
        title=article.title,
        site=site,
        fetched_at=article.fetched_at.astimezone(ZoneInfo(settings.timezone)),
        language=language,
        category=categories.name(slug, language),
        url=article.url,
        image_url=article.image_url,
    )
