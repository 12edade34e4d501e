"""Readers' search and word filters: search latency on 100,000 stored posts, on SQLite and
PostgreSQL, and filter matching as fan-out runs it.

    python -m bench.readers                      # both engines, 100,000 posts
    python -m bench.readers --db sqlite --articles 20000

The posts are real news, Arabic and English, from ../shared/evalsets/categories (titles,
and the start of their texts as summaries), combined so that 100,000 of them differ; without
the evalsets a generated vocabulary stands in (the line says which). Each engine gets a fresh
database, migrated, the posts stored ready and indexed as the poller indexes them.

Search: queries drawn from the posts' own titles (so most find something) — one word, two
words, a quoted phrase, a word being typed (inline mode's prefix), an English word — and the
empty query (the latest posts); each runs `bot.services.search.search` for ten posts, one
after another on one connection, as inline mode does; p50/p95 and queries a second.

Filters: `bot.text.filters.admitter` (what fan-out calls) on articles with their full text,
each tried against every filter: 1–5 `+` terms, 0–3 `-` terms, a phrase in some.

The last line: `readers: search_p95_ms_sqlite=… search_p95_ms_postgres=… filter_matches_per_s=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, select, text

from bench.databases import fresh_database
from bot.services import search as search_service
from bot.services.search import parse_query
from bot.text.filters import admitter, parse_filter
from bot.text.words import words
from storage import search as search_store
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Article, ArticleStatus, Category, Source

EVALSETS = Path(__file__).resolve().parents[2] / "shared" / "evalsets" / "categories"
SEED = 20270112
BATCH = 2_000
SUMMARY_CHARS = 300


@dataclass(frozen=True, slots=True)
class Doc:
    title: str
    text: str
    language: str


def real_docs() -> list[Doc]:
    """Titled news from the evalsets (Arabic and English); [] when they are absent."""
    docs = []
    for path in sorted(EVALSETS.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for line in lines:
                record = json.loads(line)
                title, body = record.get("title") or "", record.get("text") or ""
                if title.strip() and len(body) > 80:
                    docs.append(Doc(" ".join(title.split()), body, record.get("lang", "ar")))
    return docs


def generated_docs(count: int = 20_000) -> list[Doc]:
    """A stand-in corpus: words of a Zipf-like vocabulary."""
    rng = random.Random(SEED)
    letters = "ابتثجحخدذرزسشصضطظعغفقكلمنهوي"
    vocabulary = [
        "".join(rng.choice(letters) for _ in range(rng.randint(3, 8))) for _ in range(30_000)
    ]
    weights = [1 / (rank + 1) for rank in range(len(vocabulary))]

    def sentence(n: int) -> str:
        return " ".join(rng.choices(vocabulary, weights, k=n))

    return [Doc(sentence(8), sentence(120), "ar") for _ in range(count)]


def posts(docs: list[Doc], count: int) -> Iterator[tuple[str, str, str, str]]:
    """`count` posts (title, summary, text, language): each title with the text of another."""
    for i in range(count):
        head = docs[i % len(docs)]
        body = docs[(i * 7_919 + i // len(docs)) % len(docs)]
        yield head.title, body.text[:SUMMARY_CHARS], body.text, head.language


async def build(url: str, docs: list[Doc], count: int) -> tuple[float, float]:
    """Migrate, store `count` ready posts and index them; (store, index) seconds."""
    engine = create_engine(url)
    await upgrade(engine)
    sessions = create_sessionmaker(engine)
    now = datetime(2027, 1, 12, tzinfo=UTC)
    started = time.perf_counter()
    async with sessions.begin() as session:
        source = Source(url="https://bench.example/feed", name="bench.example")
        session.add(source)
        await session.flush()
        category = await session.scalar(select(Category.id).where(Category.slug == "politics"))
        rows = []
        for n, (title, summary, body, language) in enumerate(posts(docs, count)):
            rows.append(
                {
                    "source_id": source.id,
                    "guid_key": f"bench-{n}",
                    "url_key": f"https://bench.example/{n}",
                    "url": f"https://bench.example/{n}",
                    "title": title,
                    "text": body,
                    "text_source": "feed",
                    "tags": [],
                    "language": language,
                    "category_id": category,
                    "status": ArticleStatus.READY,
                    "published_at": now + timedelta(seconds=n),
                    "fetched_at": now + timedelta(seconds=n),
                    "headline": title,
                    "summary": summary,
                }
            )
            if len(rows) == BATCH:
                await session.execute(insert(Article), rows)
                rows = []
        if rows:
            await session.execute(insert(Article), rows)
    stored = time.perf_counter() - started
    started = time.perf_counter()
    indexed = await search_service.index_missing(sessions, batch=BATCH)
    assert indexed == count, (indexed, count)
    async with engine.begin() as connection:
        await connection.execute(text("ANALYZE"))
    seconds = time.perf_counter() - started
    await engine.dispose()
    return stored, seconds


def queries(docs: list[Doc], count: int) -> list[tuple[str, bool]]:
    """(query, as_you_type): drawn from the posts' titles, with the kinds in fixed shares."""
    rng = random.Random(SEED + 1)
    arabic = [d for d in docs if d.language == "ar"] or docs
    english = [d for d in docs if d.language == "en"] or docs
    made: list[tuple[str, bool]] = []
    while len(made) < count:
        kind = len(made) % 10
        doc = rng.choice(english if kind == 8 else arabic)
        title = [w for w in doc.title.split() if len(words(w)) == 1 and len(w) > 2]
        if len(title) < 2:
            continue
        i = rng.randrange(len(title) - 1)
        if kind in (0, 1, 2, 8):
            made.append((title[i], False))  # one word
        elif kind in (3, 4, 5):
            made.append((f"{title[i]} {rng.choice(title)}", False))  # two words
        elif kind == 6:
            made.append((f'"{title[i]} {title[i + 1]}"', False))  # a phrase
        elif kind == 7:
            made.append((title[i][: max(2, len(title[i]) - 2)], True))  # being typed
        else:
            made.append(("", True))  # the latest posts
    return made


async def search_figures(url: str, asked: list[tuple[str, bool]]) -> dict[str, float]:
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    parsed = [parse_query(query, as_you_type=typing) for query, typing in asked]
    times = []
    found = 0
    async with sessions() as session:
        for query in parsed[:20]:  # warm the caches and the connection
            await search_service.search(session, query, limit=10)
        started = time.perf_counter()
        for query in parsed:
            one = time.perf_counter()
            page = await search_service.search(session, query, limit=10)
            times.append(time.perf_counter() - one)
            found += bool(page.posts)
        total = time.perf_counter() - started
        size = await search_store.indexed_count(session)
    await engine.dispose()
    times.sort()
    return {
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[int(0.95 * (len(times) - 1))],
        "max_ms": 1000 * times[-1],
        "qps": len(times) / total,
        "found": found / len(times),
        "indexed": size,
    }


def filter_figures(docs: list[Doc], articles: int, filters: int) -> dict[str, float]:
    """(articles × filters) a second through `admitter`, the article's words read once."""
    rng = random.Random(SEED + 2)
    sample = list(posts(docs, articles))
    vocabulary = [w for doc in docs[:5_000] for w in doc.title.split() if len(w) > 3]
    stored = []
    for n in range(filters):
        terms = [f"+{rng.choice(vocabulary)}" for _ in range(rng.randint(1, 5))]
        terms += [f"-{rng.choice(vocabulary)}" for _ in range(rng.randint(0, 3))]
        if n % 4 == 0:
            terms.append(f'+"{rng.choice(vocabulary)} {rng.choice(vocabulary)}"')
        try:
            stored.append(parse_filter(" ".join(terms)).stored())
        except ValueError:
            continue
    passed = 0
    started = time.perf_counter()
    for title, summary, body, _ in sample:
        admits = admitter([title, title, summary, body])
        passed += sum(1 for one in stored if admits(one))
    seconds = time.perf_counter() - started
    pairs = len(sample) * len(stored)
    return {
        "per_s": pairs / seconds,
        "pairs": pairs,
        "passed": passed / pairs,
        "filters": len(stored),
    }


async def bench(engines: list[str], count: int, asked: int) -> int:
    docs = real_docs()
    corpus = f"evalsets ({len(docs)} titled news)" if docs else "generated (evalsets absent)"
    docs = docs or generated_docs()
    print(f"corpus: {corpus}; {count} posts per engine", flush=True)
    chosen = queries(docs, asked)
    p95: dict[str, str] = {"sqlite": "-", "postgres": "-"}
    for engine in engines:
        url, drop = await fresh_database(engine, "nashra_bench_readers")
        try:
            stored, indexed = await build(url, docs, count)
            figures = await search_figures(url, chosen)
        finally:
            await drop()
        print(
            f"  {engine}: stored in {stored:.1f} s, indexed in {indexed:.1f} s "
            f"({count / indexed:.0f} posts/s); {len(chosen)} queries: "
            f"p50 {figures['p50_ms']:.1f} ms, p95 {figures['p95_ms']:.1f} ms, "
            f"max {figures['max_ms']:.1f} ms, {figures['qps']:.0f} queries/s, "
            f"{figures['found']:.0%} found posts",
            flush=True,
        )
        p95[engine] = f"{figures['p95_ms']:.1f}"
    matching = filter_figures(docs, 2_000, 200)
    print(
        f"  filters: {matching['pairs']:.0f} article×filter pairs ({matching['filters']:.0f} "
        f"filters, full texts), {matching['per_s']:.0f}/s, {matching['passed']:.1%} passed"
    )
    print(
        f"readers: search_p95_ms_sqlite={p95['sqlite']} search_p95_ms_postgres={p95['postgres']}"
        f" filter_matches_per_s={matching['per_s']:.0f}"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--articles", type=int, default=100_000, help="posts per engine")
    parser.add_argument("--queries", type=int, default=500, help="search queries timed")
    args = parser.parse_args(argv)
    if not (100 <= args.articles <= 2_000_000 and 10 <= args.queries <= 100_000):
        parser.error("--articles must be 100..2000000, --queries 10..100000")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    engines = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    return asyncio.run(bench(engines, args.articles, args.queries))


if __name__ == "__main__":
    sys.exit(main())
