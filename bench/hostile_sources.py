"""Hostile sources of issue 16, run by `python -m bench.hostile`: a slow server behind one
feed's teasers (does another source fall due and get fetched late?), and Arabic in every
encoding, declared every way or not at all, through the real poller and page extractor.

Everything runs against a local FeedServer on 127.0.0.1 and a throwaway SQLite database;
names like h3.slow.test reach it through a fake resolver.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from aiohttp import web
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.ingest.extract import extract_article
from bot.ingest.fetch import Fetcher, make_connector
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.poller import Poller
from bot.services.audit import CLI
from bot.services.sources import add_source
from bot.settings import Settings
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import Article, Source
from tests.fakes.feed_server import FeedServer
from tests.fakes.resolver import FakeResolver


@dataclass(frozen=True, slots=True)
class Outcome:
    case: str
    expected: str
    handled: bool
    detail: str = ""


@asynccontextmanager
async def fresh_database() -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/hostile.db"
        engine = create_engine(url)
        try:
            await upgrade(engine)
            yield url, create_sessionmaker(engine)
        finally:
            await engine.dispose()


async def add(sessions: async_sessionmaker[AsyncSession], url: str) -> int:
    async with sessions.begin() as session:
        return (await add_source(session, SourceSpec(url=url), actor=CLI)).id


class Clock:
    """The poller's clock: ahead of real time on demand, so sources fall due at once."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now


# ---- the stall ------------------------------------------------------------------------------

SLOW_PAGES: Final = 10
PAGE_BYTES: Final = 60  # at one byte a second, longer than FETCH_TOTAL_TIMEOUT
TEASER: Final = "The harbour authority approved…"


@dataclass(frozen=True, slots=True)
class Stall:
    healthy_late_s: float  # from the healthy source falling due to its feed being served
    healthy_poll_s: float
    slow_poll_s: float
    pages_finished_before_healthy: int
    late_pages: int


class DripPages:
    """Article pages sent one byte a second, as the issue's slow server did."""

    def __init__(self, hanging_at: int) -> None:
        self.started = 0
        self.finished = 0
        self.hanging = asyncio.Event()  # set once `hanging_at` pages are dripping
        self._hanging_at = hanging_at

    async def handler(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        response.content_length = PAGE_BYTES
        await response.prepare(request)
        self.started += 1
        if self.started >= self._hanging_at:
            self.hanging.set()
        try:
            for _ in range(PAGE_BYTES):
                await response.write(b"x")
                await asyncio.sleep(1.0)
        except ConnectionError:
            pass
        finally:
            self.finished += 1
        return response


def teaser_feed(server: FeedServer, hosts: list[str]) -> bytes:
    items = "".join(
        f"<item><title>Port story {i}</title><guid>t{i}</guid>"
        f"<link>{server.url(f'/page/{i}', host=host)}</link>"
        f"<description>{TEASER}</description></item>"
        for i, host in enumerate(hosts)
    )
    return f'<rss version="2.0"><channel><title>Teasers</title>{items}</channel></rss>'.encode()


def healthy_feed() -> bytes:
    items = "".join(
        f"<item><title>Healthy story {i}</title><guid>h{i}</guid>"
        f"<link>https://healthy.example/{i}</link><description>Body {i}.</description></item>"
        for i in range(3)
    )
    return f'<rss version="2.0"><channel><title>Healthy</title>{items}</channel></rss>'.encode()


async def run_stall() -> tuple[Outcome, Stall]:
    """The issue's numbers: FETCH_CONCURRENCY=4, a 10 s timeout, ten teasers on ten names of
    one server dripping a byte a second; a second source falls due once the pages hang."""
    hosts = [f"h{i}.slow.test" for i in range(SLOW_PAGES)]
    served: dict[str, float] = {}

    async def healthy(request: web.Request) -> web.StreamResponse:
        served.setdefault("healthy", time.perf_counter())
        return web.Response(body=healthy_feed(), content_type="application/rss+xml")

    async with FeedServer() as server, fresh_database() as (url, sessions):
        settings = Settings(
            _env_file=None,
            database_url=url,
            fetch_allow_networks="127.0.0.1/32",
            fetch_concurrency=4,
            fetch_per_host=2,
            fetch_total_timeout=10.0,
            fetch_read_timeout=10.0,
            fulltext_min_chars=200,
            fulltext_deadline_seconds=12.0,
        )
        pages = DripPages(hanging_at=settings.fetch_per_host)  # all ten pages are one site
        for i in range(SLOW_PAGES):
            server.add_handler(f"/page/{i}", pages.handler)
        server.add_handler("/healthy.xml", healthy)
        server.add("/teasers.xml", teaser_feed(server, []))
        late_before = REGISTRY.get_sample_value("nashra_fulltext_pages_total", {"outcome": "late"})
        clock = Clock()
        await add(sessions, server.url("/teasers.xml"))
        resolver = FakeResolver.pointing(hosts)
        async with Fetcher(
            settings, connector_factory=lambda s: make_connector(s, resolver=resolver)
        ) as fetcher:
            poller = Poller(settings, sessions, fetcher, clock=clock)
            await poller.poll_due()
            server.add("/teasers.xml", teaser_feed(server, hosts))
            clock.now += timedelta(seconds=settings.poll_interval_seconds + 1)
            started = time.perf_counter()
            slow = asyncio.create_task(poller.poll_due())
            await asyncio.wait_for(pages.hanging.wait(), 60)
            await add(sessions, server.url("/healthy.xml"))
            due = time.perf_counter()
            [healthy_outcome] = await poller.poll_due()
            healthy_done = time.perf_counter()
            finished_then = pages.finished
            [slow_outcome] = await slow
            slow_done = time.perf_counter()
    late_after = REGISTRY.get_sample_value("nashra_fulltext_pages_total", {"outcome": "late"})
    stall = Stall(
        healthy_late_s=served.get("healthy", healthy_done) - due,
        healthy_poll_s=healthy_done - due,
        slow_poll_s=slow_done - started,
        pages_finished_before_healthy=finished_then,
        late_pages=int((late_after or 0) - (late_before or 0)),
    )
    handled = (
        healthy_outcome.error is None
        and finished_then == 0
        and slow_outcome.new == SLOW_PAGES
        and stall.slow_poll_s < settings.fulltext_deadline_seconds + settings.fetch_total_timeout
    )
    detail = (
        f"healthy feed served {stall.healthy_late_s:.2f} s after falling due (its poll "
        f"{stall.healthy_poll_s:.2f} s), {finished_then} slow pages done by then; the slow "
        f"poll took {stall.slow_poll_s:.1f} s, {stall.late_pages} pages late at its deadline"
    )
    expected = "a source falling due while a slow server's pages hang is fetched at once"
    return Outcome("slow-pages-stall", expected, handled, detail), stall


# ---- Arabic in every encoding -----------------------------------------------------------------

TITLE: Final = "انفجار في مرفأ اللاذقية يوقع إصابات"
BODY: Final = "قالت وزارة الصحة إن الانفجار أوقع عشرة جرحى، ونُقلوا إلى المستشفى الوطني."
PARAGRAPHS: Final = (
    "أعلنت وزارة الصحة السورية اليوم أن الانفجار الذي وقع في مرفأ اللاذقية أوقع عشرة جرحى، "
    "نقلوا جميعاً إلى المستشفى الوطني لتلقي العلاج.",
    "وقال مدير المرفأ إن فرق الدفاع المدني سيطرت على الحريق خلال ساعة، وإن التحقيق جار "
    "لمعرفة أسباب الانفجار وتقدير الأضرار في الأرصفة.",
)
ENCODINGS: Final = (  # codec, label, byte-order mark
    ("cp1256", "windows-1256", b""),
    ("iso8859-6", "iso-8859-6", b""),
    ("utf-16-le", "utf-16", b"\xff\xfe"),
    ("utf-16-be", "utf-16", b"\xfe\xff"),
    ("utf-16-le", "utf-16", b""),
    ("utf-16-be", "utf-16", b""),
)
DECLARED: Final = ("undeclared", "in-document", "http-charset", "both")


@dataclass(frozen=True, slots=True)
class EncodingCase:
    name: str
    body: bytes
    content_type: str
    refused: bool = False  # the text is mojibake in its own bytes: a recorded error, no article


def arabic_feed(label: str | None, title: str = TITLE, body: str = BODY) -> str:
    declaration = f'<?xml version="1.0" encoding="{label}"?>\n' if label else ""
    return (
        f'{declaration}<rss version="2.0"><channel><title>نشرة الاختبار</title>'
        f"<link>https://e.example/</link><language>ar</language><item><title>{title}</title>"
        f"<link>https://e.example/1</link><guid>ar-1</guid><description>{body}</description>"
        "</item></channel></rss>"
    )


def arabic_page(label: str | None) -> str:
    meta = f'<meta charset="{label}">' if label else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<!doctype html><html lang="ar" dir="rtl"><head>{meta}<title>{TITLE}</title></head>'
        f"<body><article><h1>{TITLE}</h1>{paragraphs}</article></body></html>"
    )


def encoding_cases(kind: str) -> list[EncodingCase]:
    """Each encoding × each way of declaring it, as a feed or a page; then a Latin label on
    windows-1256 bytes, and text that is mojibake in its own bytes."""
    document = arabic_feed if kind == "feed" else arabic_page
    media = "text/xml" if kind == "feed" else "text/html"
    cases = []
    for codec, label, bom in ENCODINGS:
        for how in DECLARED:
            in_document, in_http = how in ("in-document", "both"), how in ("http-charset", "both")
            cases.append(
                EncodingCase(
                    f"{kind}-{codec}{'-bom' if bom else ''}-{how}",
                    bom + document(label if in_document else None).encode(codec),
                    f"{media}; charset={label}" if in_http else media,
                )
            )
    cases.append(
        EncodingCase(
            f"{kind}-cp1256-labelled-latin-1",
            document(None).encode("cp1256"),
            f"{media}; charset=iso-8859-1",
        )
    )
    garbled = document(None).encode("cp1256").decode("cp1252").encode("utf-8")
    cases.append(EncodingCase(f"{kind}-mojibake-in-its-bytes", garbled, media, refused=True))
    return cases


async def run_feed_encodings() -> list[Outcome]:
    """Every feed case is a source polled by the real poller: it stores the Arabic title, or
    records an error on the source and stores nothing."""
    cases = encoding_cases("feed")
    async with FeedServer() as server, fresh_database() as (url, sessions):
        ids = {}
        for index, case in enumerate(cases):
            server.add(f"/feed/{index}", case.body, content_type=case.content_type)
            ids[case.name] = await add(sessions, server.url(f"/feed/{index}"))
        settings = Settings(
            _env_file=None,
            database_url=url,
            fetch_allow_networks="127.0.0.1/32",
            fulltext_min_chars=0,
            backfill_count=1,
        )
        async with Fetcher(settings) as fetcher:
            await Poller(settings, sessions, fetcher).poll_due(limit=len(cases))
        async with sessions() as session:
            rows = await session.execute(select(Article.source_id, Article.title))
            titles = dict(rows.all())
            errors = {
                source.id: source.last_error for source in await session.scalars(select(Source))
            }
    outcomes = []
    for case in cases:
        source_id = ids[case.name]
        title, error = titles.get(source_id), errors.get(source_id)
        if case.refused:
            expected = "refused: the error recorded on the source, nothing stored"
            handled = title is None and bool(error) and "mojibake" in (error or "")
            detail = error or f"stored {title!r}"
        else:
            expected = "the Arabic title stored exactly"
            handled = title == TITLE
            detail = f"error: {error}" if error else f"stored {title!r}"[:80]
        outcomes.append(Outcome(case.name, expected, handled, detail))
    return outcomes


def run_page_encodings() -> list[Outcome]:
    outcomes = []
    for case in encoding_cases("page"):
        article = extract_article(
            case.body, url="https://e.example/1", content_type=case.content_type
        )
        if case.refused:
            expected = "refused: no text taken from the page (the teaser stays)"
            handled, detail = article is None, "refused" if article is None else article.text[:60]
        else:
            expected = "the page's Arabic paragraphs read exactly"
            handled = article is not None and all(p in article.text for p in PARAGRAPHS)
            detail = "no text" if article is None else article.text[:60]
        outcomes.append(Outcome(case.name, expected, handled, detail))
    return outcomes
