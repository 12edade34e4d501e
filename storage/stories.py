"""Queries on stories: the same news from different sources, matched by shared tokens."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import dialect_name
from storage.models import Story, StoryToken

STORY_LOCK_KEY = 0x6E617368  # "nash": PostgreSQL advisory lock taken while matching stories


async def lock_story_matching(session: AsyncSession) -> None:
    """Serialize story matching across processes until the transaction ends.

    Two sources storing the same story at once would otherwise each miss the other's.
    SQLite needs nothing: it has one writer at a time.
    """
    if dialect_name(session) == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(STORY_LOCK_KEY)))


@dataclass(frozen=True, slots=True)
class StoryCandidate:
    tokens: frozenset[str]  # the story's full similarity tokens
    index_hits: frozenset[str]  # which of the looked-up index tokens it carries


async def stories_sharing_tokens(
    session: AsyncSession, tokens: Collection[str], *, since: datetime, other_than_source: int
) -> dict[int, StoryCandidate]:
    """Stories started since `since` by another source that carry any of these index tokens."""
    if not tokens:
        return {}
    rows = await session.execute(
        select(Story.id, Story.tokens, StoryToken.token)
        .join(StoryToken, StoryToken.story_id == Story.id)
        .where(
            StoryToken.token.in_(tokens),
            StoryToken.created_at >= since,
            Story.source_id != other_than_source,
        )
    )
    texts: dict[int, str] = {}
    hits: dict[int, set[str]] = {}
    for story_id, text, token in rows:
        texts[story_id] = text
        hits.setdefault(story_id, set()).add(token)
    return {
        story_id: StoryCandidate(frozenset(text.split()), frozenset(hits[story_id]))
        for story_id, text in texts.items()
    }


@dataclass(frozen=True, slots=True)
class NewStory:
    source_id: int
    language: str | None
    tokens: Collection[str]
    index_tokens: Collection[str]


async def create_stories(
    session: AsyncSession, stories: Sequence[NewStory], *, now: datetime
) -> list[int]:
    """Start these stories (with their index tokens); returns their ids in the same order."""
    if not stories:
        return []
    stories_table = cast(Table, Story.__table__)
    tokens_table = cast(Table, StoryToken.__table__)
    result = await session.execute(
        insert(stories_table).returning(stories_table.c.id, sort_by_parameter_order=True),
        [
            {
                "source_id": story.source_id,
                "language": story.language,
                "tokens": " ".join(sorted(story.tokens)),
                "created_at": now,
            }
            for story in stories
        ],
    )
    ids = list(result.scalars())
    token_rows = [
        {"token": token, "story_id": story_id, "created_at": now}
        for story_id, story in zip(ids, stories, strict=True)
        for token in dict.fromkeys(token[:64] for token in story.index_tokens)
    ]
    if token_rows:
        await session.execute(insert(tokens_table), token_rows)
    return ids
