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

from storage.db import dialect_name
from storage.models import Article, ArticleStatus, Source

TABLE: Final = "article_search"
_READY: Final = ArticleStatus.READY.value


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
    values: dict[str, object] = {"ready": _READY, "limit": limit}
    if before is not None:
        values["before"] = before
    if _postgres(session):
        values["query"] = tsquery(words, prefix)
        statement = (
            "SELECT s.article_id FROM article_search s JOIN articles a ON a.id = s.article_id"
            " WHERE s.words @@ to_tsquery('simple', :query) AND a.status = :ready"
            + (" AND s.article_id < :before" if before is not None else "")
            + " ORDER BY s.article_id DESC LIMIT :limit"
        )
    else:
        values["query"] = fts5_query(words, prefix)
        statement = (
            "SELECT s.rowid FROM article_search s JOIN articles a ON a.id = s.rowid"
            " WHERE article_search MATCH :query AND a.status = :ready"
            + (" AND s.rowid < :before" if before is not None else "")
            + " ORDER BY s.rowid DESC LIMIT :limit"
        )
    return list(await session.scalars(text(statement), values))


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


async def articles(session: AsyncSession, ids: Sequence[int]) -> list[tuple[Article, Source]]:
    """These ready articles with their sources, in the order of `ids`."""
    if not ids:
        return []
    rows = await session.execute(
        select(Article, Source)
        .join(Source, Source.id == Article.source_id)
        .where(Article.id.in_(ids), Article.status == ArticleStatus.READY)
    )
    found = {article.id: (article, source) for article, source in rows}
    return [found[i] for i in ids if i in found]
