"""The same story from different sources gets one story id (within a time window)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.ingest.similarity import index_tokens, story_similarity, story_tokens
from storage.articles import NewArticle
from storage.models import ArticleStatus
from storage.stories import (
    NewStory,
    StoryCandidate,
    create_stories,
    lock_story_matching,
    stories_sharing_tokens,
)

LEAD_CHARS = 400
MAX_COMPARISONS = 12  # candidates compared per article, those sharing most index tokens first


@dataclass(frozen=True, slots=True)
class Stories:
    """The articles with their story ids, and the guid keys of those whose story was known."""

    articles: list[NewArticle]
    repeats: frozenset[str]


async def assign_stories(
    session: AsyncSession,
    source_id: int,
    articles: Sequence[NewArticle],
    *,
    now: datetime,
    window: timedelta,
    threshold: float,
) -> Stories:
    """Each new article joined to the most similar recent story of another source (a repeat),
    or a new story. Articles stored as already seen are never delivered, so they are not matched;
    they still start stories that later articles can join.

    Call it in a transaction of its own, committed before the articles are stored: it holds
    the story lock until then, so that two sources stored at once still meet, and the lock
    is not held while articles and deliveries are written. A crash in between leaves stories
    without articles: harmless, and the articles join them when the source is polled again.
    """
    await lock_story_matching(session)
    tokens = [story_tokens(a.title, a.text[:LEAD_CHARS], a.language) for a in articles]
    keys = [index_tokens(t) for t in tokens]
    wanted = {
        key
        for article, article_keys in zip(articles, keys, strict=True)
        if article.status is not ArticleStatus.SEEN
        for key in article_keys
    }
    candidates = await stories_sharing_tokens(
        session, wanted, since=now - window, other_than_source=source_id
    )
    matches: list[int | None] = [
        _best_match(article_tokens, article_keys, candidates, threshold)
        if article.status is not ArticleStatus.SEEN
        else None
        for article, article_tokens, article_keys in zip(articles, tokens, keys, strict=True)
    ]
    repeats = frozenset(
        a.guid_key for a, story_id in zip(articles, matches, strict=True) if story_id is not None
    )
    unmatched = [i for i, story_id in enumerate(matches) if story_id is None]
    new_ids = await create_stories(
        session,
        [NewStory(source_id, articles[i].language, tokens[i], keys[i]) for i in unmatched],
        now=now,
    )
    for i, story_id in zip(unmatched, new_ids, strict=True):
        matches[i] = story_id
    stories = [replace(a, story_id=s) for a, s in zip(articles, matches, strict=True)]
    return Stories(stories, repeats)


def _best_match(
    tokens: frozenset[str],
    keys: list[str],
    candidates: dict[int, StoryCandidate],
    threshold: float,
) -> int | None:
    wanted = frozenset(keys)
    ranked = sorted(
        ((len(c.index_hits & wanted), story_id) for story_id, c in candidates.items()),
        reverse=True,
    )
    best_id: int | None = None
    best_score = threshold
    for shared, story_id in ranked[:MAX_COMPARISONS]:
        if not shared:
            break
        score = story_similarity(tokens, candidates[story_id].tokens)
        if score >= best_score:
            best_id, best_score = story_id, score
    return best_id
