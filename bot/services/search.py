"""Searching the posts: what inline mode (`@bot words`), /search and `nashra search` call.

A query is read as filters are (bot/text/words.py): whole words, Arabic prefixes and
English plurals folded the same way, a quoted phrase kept as a phrase. The index holds
every form of the words of each composed article's headline, original title and summary;
the database finds the articles having every word asked for (the last one as a prefix while
the reader is still typing it), newest first, and phrases are then checked word by word
here. Nothing a reader types reaches the database's query language but words.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.text.filters import QUOTES, ArticleWords, Term
from bot.text.words import all_forms, key, keys, words
from storage import search as search_store
from storage.models import Article, Source

MAX_QUERY_CHARS: Final = 200
MAX_QUERY_TERMS: Final = 10
MIN_PREFIX_CHARS: Final = 2
PHRASE_BATCH: Final = 10  # candidates read per post wanted, when phrases are checked here
PHRASE_ROUNDS: Final = 3  # batches of candidates read to find a page of phrase matches
INDEX_BATCH: Final = 500
_QUOTE_SPLIT: Final = re.compile(f"[{re.escape(QUOTES)}]")

log = logging.getLogger(__name__)

SearchRow = tuple[int, str, str | None, str | None]
"""An article as the index reads it: id, title, headline, summary."""


class QueryError(ValueError):
    """A query that cannot be searched: `code` names why, `values` fill the message."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True, slots=True)
class Query:
    """Words and phrases all wanted, and maybe a word still being typed (`prefix`)."""

    terms: tuple[Term, ...] = ()
    prefix: str | None = None

    @property
    def is_empty(self) -> bool:
        """An empty query asks for the latest posts."""
        return not self.terms and self.prefix is None


def parse_query(text: str, *, as_you_type: bool = False) -> Query:
    """The query in a reader's text. `as_you_type` (inline mode): the last word, unless a
    space follows it, may be the start of a word. QueryError when it is too long, has too
    many words, or has no word at all (only punctuation, emoji, operators…)."""
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError("too_long", most=MAX_QUERY_CHARS)
    if not text.strip():
        return Query()
    found: dict[tuple[str, ...], Term] = {}
    last_open = False  # the last term is a bare word the text ends in
    for i, part in enumerate(_QUOTE_SPLIT.split(text)):
        if i % 2:  # inside quotes (an unclosed quote runs to the end)
            phrase = keys(part)
            if phrase:
                found.setdefault(phrase, Term(" ".join(part.split()), phrase))
            last_open = False
            continue
        for word in words(part):
            found.setdefault((key(word),), Term(word, (key(word),)))
        last_open = bool(words(part)) and not part[-1:].isspace()
    if not found:
        raise QueryError("no_words")
    if len(found) > MAX_QUERY_TERMS:
        raise QueryError("too_many", most=MAX_QUERY_TERMS)
    terms = tuple(found.values())
    last = terms[-1]
    if as_you_type and last_open and not last.is_phrase and len(last.text) >= MIN_PREFIX_CHARS:
        return Query(terms[:-1], last.text)  # as typed so far: no ending is a plural yet
    return Query(terms)


@dataclass(frozen=True, slots=True)
class Page:
    """Posts found, newest first; `next_before` continues below them (None: no more)."""

    posts: list[tuple[Article, Source]]
    next_before: int | None


async def search(
    session: AsyncSession, query: Query, *, limit: int, before: int | None = None
) -> Page:
    """The newest ready posts matching `query` (the latest, for an empty one), `limit` at
    most, below the article id `before`."""
    wanted = list(dict.fromkeys(k for term in query.terms for k in term.keys))
    phrases = [term for term in query.terms if term.is_phrase]
    batch = limit * PHRASE_BATCH if phrases else limit
    chosen: list[int] = []
    for _ in range(PHRASE_ROUNDS if phrases else 1):
        ids = await search_store.find(
            session, wanted, prefix=query.prefix, before=before, limit=batch
        )
        if phrases:
            rows = await search_store.texts(session, ids)
            chosen += [row[0] for row in rows if _has_phrases(row, phrases)]
        else:
            chosen = ids
        if len(chosen) >= limit:
            chosen = chosen[:limit]
            return Page(await search_store.articles(session, chosen), chosen[-1])
        if len(ids) < batch:
            return Page(await search_store.articles(session, chosen), None)
        before = ids[-1]
    return Page(await search_store.articles(session, chosen), before)


def _has_phrases(row: SearchRow, phrases: Sequence[Term]) -> bool:
    found = ArticleWords(_fields(row[1], row[2], row[3]))
    return all(found.has(term) for term in phrases)


def _fields(title: str, headline: str | None, summary: str | None) -> list[str]:
    return [headline or "", title, summary or ""]


def document(title: str, headline: str | None, summary: str | None) -> str:
    """What the index keeps of an article: every form of every word, space-separated."""
    return " ".join(all_forms(_fields(title, headline, summary)))


async def index_articles(session: AsyncSession, rows: Iterable[SearchRow]) -> int:
    """Index these composed articles (in the caller's transaction); how many."""
    return await index_documents(
        session, {row[0]: document(row[1], row[2], row[3]) for row in rows}
    )


async def index_documents(session: AsyncSession, documents: Mapping[int, str]) -> int:
    """Index composed articles by id, their `document`s made beforehand; how many."""
    await search_store.index(session, documents)
    return len(documents)


async def index_missing(
    sessions: async_sessionmaker[AsyncSession], *, batch: int = INDEX_BATCH
) -> int:
    """Index the composed articles the index lacks (stored before it existed), newest first,
    a batch per transaction; how many."""
    total = 0
    while True:
        async with sessions.begin() as session:
            rows = await search_store.unindexed(session, batch)
            total += await index_articles(session, rows)
        if len(rows) < batch:
            break
        await asyncio.sleep(0)  # a long backlog leaves room for the rest of the process
    if total:
        log.info("search: indexed %d posts stored before the index", total)
    return total
