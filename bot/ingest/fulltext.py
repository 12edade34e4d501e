"""Full text for entries that carry only a teaser: fetch the page, extract its main text."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace

from bot.ingest.extract import extract_article
from bot.ingest.fetch import ARTICLE_ACCEPT, Fetcher, FetchError
from storage.articles import NewArticle

log = logging.getLogger(__name__)


def is_teaser(article: NewArticle, min_chars: int) -> bool:
    return min_chars > 0 and article.url is not None and len(article.text) < min_chars


async def complete_teasers(
    fetcher: Fetcher, articles: Sequence[NewArticle], *, min_chars: int, max_chars: int
) -> list[NewArticle]:
    """The articles, each teaser replaced by its page's main text where that is longer."""
    return list(
        await asyncio.gather(
            *(
                _complete(fetcher, a, max_chars) if is_teaser(a, min_chars) else _same(a)
                for a in articles
            )
        )
    )


async def _same(article: NewArticle) -> NewArticle:
    return article


async def _complete(fetcher: Fetcher, article: NewArticle, max_chars: int) -> NewArticle:
    assert article.url is not None
    try:
        page = await fetcher.fetch(article.url, accept=ARTICLE_ACCEPT)
    except FetchError as exc:
        log.info("full text of %s not fetched: %s", article.url, exc.message)
        return article
    extracted = await asyncio.to_thread(
        extract_article, page.body, url=page.url, content_type=page.content_type
    )
    if extracted is None or len(extracted.text) <= len(article.text):
        return article
    return replace(
        article,
        text=extracted.text[:max_chars],
        text_source="page",
        image_url=article.image_url or extracted.image_url,
    )
