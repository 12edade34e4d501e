"""The search index of composed articles: SQLite FTS5 or PostgreSQL full-text search.

Storage neither folds nor splits words: callers hand in an article's words already
normalized (bot/text/words.py: `all_forms`, joined by spaces) and look up normalized words.
Those words are only letters and digits; they still go into the engine's query language
quoted, never as syntax: FTS5 strings (`"word"`, `"word" *` for a prefix), tsquery lexemes
(`'word'`, `'word':*`), all ANDed. Only ready articles are found, newest stored first
(highest id), and `before` (an id) pages on.

The index is `article_search` (migration 0008): on SQLite an FTS5 table whose rowid is the
article's id, on PostgreSQL a tsvector column ('simple' configuration) with a GIN index.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from storage.db import dialect_name
from storage.models import Article, ArticleStatus, Source

TABLE: Final = "article_search"
_READY: Final = ArticleStatus.READY.value
RECENT_WINDOW: Final = 2_000
"""PostgreSQL: how many of the newest posts are looked through before the index is asked."""


def is_search_table(name: str) -> bool:
    """The index's tables (FTS5 adds shadow tables `article_search_*`): not in the models."""
    return name == TABLE or name.startswith(f"{TABLE}_")


def _postgres(session: AsyncSession) -> bool:
    return dialect_name(session) == "postgresql"


async def index(session: AsyncSession, documents: Mapping[int, str]) -> None:
    """Index articles: their id → their normalized words, space-separated (a row already there
    is replaced)."""
    if not documents:
        return
    rows = [{"id": article_id, "words": words} for article_id, words in documents.items()]
    if _postgres(session):
        await session.execute(
            text(
                "INSERT INTO article_search (article_id, words)"
                " VALUES (:id, to_tsvector('simple', :words))"
                " ON CONFLICT (article_id) DO UPDATE SET words = excluded.words"
            ),
            rows,
        )
        return
    await session.execute(text("DELETE FROM article_search WHERE rowid = :id"), rows)
    await session.execute(
        text("INSERT INTO article_search (rowid, words) VALUES (:id, :words)"), rows
    )


def fts5_query(words: Sequence[str], prefix: str | None) -> str:
    """An FTS5 MATCH expression: every word as a quoted string (ANDed), the prefix as
    `"prefix" *`."""
    parts = [_fts5_string(word) for word in words]
    if prefix:
        parts.append(f"{_fts5_string(prefix)} *")
    return " ".join(parts)


def tsquery(words: Sequence[str], prefix: str | None) -> str:
    """A tsquery: every word a quoted lexeme (ANDed), the prefix as `'prefix':*`."""
    parts = [_lexeme(word) for word in words]
    if prefix:
        parts.append(f"{_lexeme(prefix)}:*")
    return " & ".join(parts)


def _fts5_string(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _lexeme(word: str) -> str:
    return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"


async def find(
    session: AsyncSession,
    words: Sequence[str],
    *,
    prefix: str | None = None,
    before: int | None = None,
    limit: int,
) -> list[int]:
    """The ids of the newest ready articles having every word (and a word starting with
    `prefix`), below `before` when given."""
    if not words and not prefix:
        return await latest(session, before=before, limit=limit)
    if _postgres(session):
        return await _find_postgres(session, tsquery(words, prefix), before, limit)
    values: dict[str, object] = {
        "query": fts5_query(words, prefix),
        "ready": _READY,
        "limit": limit,
        "before": before,
    }
    # FTS5 reads its lists in rowid order: the newest matches come first, whatever their
    # number.
    statement = (
        "SELECT s.rowid FROM article_search s JOIN articles a ON a.id = s.rowid"
        " WHERE article_search MATCH :query AND a.status = :ready"
        + (" AND s.rowid < :before" if before is not None else "")
        + " ORDER BY s.rowid DESC LIMIT :limit"
    )
    return list(await session.scalars(text(statement), values))


async def _find_postgres(
    session: AsyncSession, query: str, before: int | None, limit: int
) -> list[int]:
    """A GIN index finds every match, then they are sorted: quick for a rare word, slow for
    one in a post out of three. So the newest RECENT_WINDOW posts are looked through first
    (by id, each tested), and the index asked only for the older ones when they are not
    enough: a frequent word is found in the window, a rare one by the index."""
    top = await session.scalar(
        text(
            "SELECT max(article_id) FROM article_search"
            + (" WHERE article_id < :before" if before is not None else "")
        ),
        {"before": before},
    )
    if top is None:
        return []
    floor = top - RECENT_WINDOW
    values = {"query": query, "ready": _READY, "limit": limit, "floor": floor, "top": top}
    # OFFSET 0 keeps the window a scan of the primary key's newest rows (the planner would
    # otherwise fold it in and may fetch every match through the GIN index).
    recent = list(
        await session.scalars(
            text(
                "SELECT s.article_id FROM (SELECT article_id, words FROM article_search"
                " WHERE article_id > :floor AND article_id <= :top"
                " ORDER BY article_id DESC OFFSET 0) s"
                " JOIN articles a ON a.id = s.article_id"
                " WHERE s.words @@ to_tsquery('simple', :query) AND a.status = :ready"
                " ORDER BY s.article_id DESC LIMIT :limit"
            ),
            values,
        )
    )
    if len(recent) == limit:
        return recent
    values["limit"] = limit - len(recent)
    # "+ 0": sorted after the GIN index found them, never by walking the primary key
    # backwards and testing every row (the planner's pick for a word it has no figures on).
    older = await session.scalars(
        text(
            "SELECT s.article_id FROM article_search s JOIN articles a ON a.id = s.article_id"
            " WHERE s.words @@ to_tsquery('simple', :query) AND a.status = :ready"
            " AND s.article_id <= :floor ORDER BY s.article_id + 0 DESC LIMIT :limit"
        ),
        values,
    )
    return recent + list(older)


async def latest(session: AsyncSession, *, before: int | None = None, limit: int) -> list[int]:
    """The ids of the newest ready articles (below `before`)."""
    query = select(Article.id).where(Article.status == ArticleStatus.READY)
    if before is not None:
        query = query.where(Article.id < before)
    return list(await session.scalars(query.order_by(Article.id.desc()).limit(limit)))


async def unindexed(
    session: AsyncSession, limit: int
) -> list[tuple[int, str, str | None, str | None]]:
    """Ready articles the index lacks, newest first: (id, title, headline, summary)."""
    if _postgres(session):
        missing = "SELECT 1 FROM article_search s WHERE s.article_id = a.id"
    else:
        missing = "SELECT 1 FROM article_search s WHERE s.rowid = a.id"
    rows = await session.execute(
        text(
            "SELECT a.id, a.title, a.headline, a.summary FROM articles a"
            f" WHERE a.status = :ready AND NOT EXISTS ({missing})"
            " ORDER BY a.id DESC LIMIT :limit"
        ),
        {"ready": _READY, "limit": limit},
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]


async def indexed_count(session: AsyncSession) -> int:
    return int(await session.scalar(text("SELECT count(*) FROM article_search")) or 0)


async def texts(
    session: AsyncSession, ids: Sequence[int]
) -> list[tuple[int, str, str | None, str | None]]:
    """(id, title, headline, summary) of these articles, in the order of `ids`."""
    if not ids:
        return []
    rows = await session.execute(
        select(Article.id, Article.title, Article.headline, Article.summary).where(
            Article.id.in_(ids)
        )
    )
    found = {row[0]: (row[0], row[1], row[2], row[3]) for row in rows}
    return [found[i] for i in ids if i in found]


async def articles(session: AsyncSession, ids: Sequence[int]) -> list[tuple[Article, Source]]:
    """These ready articles (without their full text) with their sources, in the order of
    `ids`."""
    if not ids:
        return []
    rows = await session.execute(
        select(Article, Source)
        .join(Source, Source.id == Article.source_id)
        .where(Article.id.in_(ids), Article.status == ArticleStatus.READY)
        .options(defer(Article.text, raiseload=True))
    )
    found = {article.id: (article, source) for article, source in rows}
    return [found[i] for i in ids if i in found]
