"""One source cannot stall the others: feeds and pages fetched in separate pools, limits per
site (registrable domain) and per connected address, a deadline and a page budget per poll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from prometheus_client import REGISTRY

from bot.ingest.fetch import ARTICLE_ACCEPT, Fetcher, FetchPool, make_connector
from bot.ingest.fulltext import PageOutcome, fetch_full_texts
from bot.ingest.hostlimits import site_of
from bot.pipeline.poller import Poller, PollStatus
from bot.settings import Settings
from storage.articles import NewArticle
from storage.models import ArticleStatus
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, article_page, rss
from tests.fakes.resolver import FakeResolver
from tests.test_poller import Clock, add, articles_of, items, settings_for

PARAGRAPHS = [
    "The harbour authority approved the expansion of the eastern container terminal on "
    "Tuesday after two years of negotiations with shipping companies and unions.",
    "Officials said the project would double the port's capacity and create about three "
    "thousand jobs in the region over the next five years, most of them in logistics.",
]
PAGE = article_page("Port expansion approved", PARAGRAPHS)
WAIT = 30.0  # seconds: only a hang reaches it


class HeldPages:
    """Article pages that send their first byte at once and the rest only when released:
    the drip of a slow server, without depending on how slow."""

    def __init__(self, body: bytes = PAGE) -> None:
        self.body = body
        self.released = asyncio.Event()
        self.started: list[str] = []
        self.finished = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._changed = asyncio.Condition()

    async def handler(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        response.content_length = len(self.body)
        await response.prepare(request)
        async with self._changed:
            self.started.append(request.host)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
        try:
            await response.write(self.body[:1])
            await self.released.wait()
            await response.write(self.body[1:])
        finally:
            self.in_flight -= 1
        self.finished += 1
        return response

    async def wait_started(self, count: int) -> None:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.started) >= count), WAIT)


def teasers(server: FeedServer, hosts: list[str]) -> list[Item]:
    return [
        Item(
            f"Port story {i} from {host}",
            link=server.url(f"/page/{i}", host=host),
            guid=f"teaser-{i}",
            description="The harbour authority approved…",
        )
        for i, host in enumerate(hosts)
    ]


def slow_hosts(count: int) -> list[str]:
    return [f"h{i}.slow.test" for i in range(count)]


def resolving(resolver: FakeResolver) -> Callable[[Settings], aiohttp.BaseConnector]:
    return lambda settings: make_connector(settings, resolver=resolver)


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


def late_pages() -> float:
    return REGISTRY.get_sample_value("nashra_fulltext_pages_total", {"outcome": "late"}) or 0.0


# --- the stall of issue 16 ----------------------------------------------------------------


async def test_pages_dripping_from_one_server_do_not_delay_another_sources_feed(
    database: Database, server: FeedServer
) -> None:
    """Ten teasers point at ten names of one slow server. While its pages hang, a healthy
    source that falls due is polled to the end; the slow pages finish only afterwards."""
    pages = HeldPages()
    hosts = slow_hosts(10)
    for i in range(10):
        server.add_handler(f"/page/{i}", pages.handler)
    settings = settings_for(
        database,
        fetch_concurrency=4,
        fetch_per_host=2,
        fetch_per_address=3,
        fulltext_min_chars=200,
        fetch_read_timeout=60.0,
        fetch_total_timeout=60.0,
    )
    clock = Clock()
    server.add("/teasers.xml", rss([]))
    slow_id = await add(database, server.url("/teasers.xml"))
    fetcher = Fetcher(settings, connector_factory=resolving(FakeResolver.pointing(hosts)))
    async with fetcher:
        poller = Poller(settings, database.sessions, fetcher, clock=clock)
        await poller.poll_due()  # the first poll only learns what is there
        server.add("/teasers.xml", rss(teasers(server, hosts)))
        clock.advance(601)
        slow_poll = asyncio.create_task(poller.poll_due())
        await pages.wait_started(settings.fetch_per_host)

        server.add("/healthy.xml", rss(items(3)))
        healthy_id = await add(database, server.url("/healthy.xml"))
        [healthy] = await asyncio.wait_for(poller.poll_due(), WAIT)
        finished_before_healthy_was_done = pages.finished

        pages.released.set()
        [slow] = await asyncio.wait_for(slow_poll, WAIT)

    assert (healthy.source_id, healthy.status) == (healthy_id, PollStatus.BACKFILL)
    assert finished_before_healthy_was_done == 0
    assert (slow.source_id, slow.status, slow.new) == (slow_id, PollStatus.NEW, 10)
    assert pages.max_in_flight == settings.fetch_per_host  # ten names, one site
    assert sorted(pages.started) == sorted(f"{h}:{server.port}" for h in hosts)
    stored = await articles_of(database, slow_id)
    assert [a.text_source for a in stored] == ["page"] * 10


async def test_pages_still_hanging_at_the_deadline_keep_the_feed_text(
    database: Database, server: FeedServer
) -> None:
    pages = HeldPages()
    hosts = slow_hosts(6)
    for i in range(6):
        server.add_handler(f"/page/{i}", pages.handler)
    settings = settings_for(
        database,
        fulltext_min_chars=200,
        fulltext_deadline_seconds=0.5,
        fetch_read_timeout=60.0,
        fetch_total_timeout=60.0,
    )
    clock = Clock()
    server.add("/teasers.xml", rss([]))
    source_id = await add(database, server.url("/teasers.xml"))
    late_before = late_pages()
    fetcher = Fetcher(settings, connector_factory=resolving(FakeResolver.pointing(hosts)))
    async with fetcher:
        poller = Poller(settings, database.sessions, fetcher, clock=clock)
        await poller.poll_due()
        server.add("/teasers.xml", rss(teasers(server, hosts)))
        clock.advance(601)
        [outcome] = await asyncio.wait_for(poller.poll_due(), WAIT)
        pages.released.set()

    assert (outcome.status, outcome.new) == (PollStatus.NEW, 6)
    stored = await articles_of(database, source_id)
    assert [(a.text_source, a.status) for a in stored] == [("feed", ArticleStatus.READY)] * 6
    assert all(a.text == "The harbour authority approved…" for a in stored)
    assert late_pages() - late_before == 6
    assert pages.finished == 0


# --- the full-text step's own accounting -----------------------------------------------------


def teaser_articles(server: FeedServer, hosts: list[str]) -> list[NewArticle]:
    """One teaser per host, the i-th linking to /page/i there."""
    now = Clock()()
    return [
        NewArticle(
            guid_key=f"id:t{i}",
            url_key=None,
            guid=f"t{i}",
            url=server.url(f"/page/{i}", host=host),
            title=f"Teaser {i}",
            text="The harbour authority approved…",
            text_source="feed",
            author=None,
            tags=[],
            image_url=None,
            language="en",
            category_id=None,
            published_at=now - timedelta(hours=i),
            fetched_at=now,
            status=ArticleStatus.NEW,
        )
        for i, host in enumerate(hosts)
    ]


async def test_the_page_budget_fetches_the_first_teasers_and_counts_the_rest(
    server: FeedServer,
) -> None:
    for i in range(10):
        server.add(f"/page/{i}", PAGE, content_type="text/html; charset=utf-8")
    articles = teaser_articles(server, ["127.0.0.1"] * 10)
    async with Fetcher(Settings(fulltext_max_pages=3)) as fetcher:
        done = await fetch_full_texts(fetcher, articles, min_chars=200, max_chars=10_000)

    assert [a.text_source for a in done.articles] == ["page"] * 3 + ["feed"] * 7
    assert [a.guid for a in done.articles] == [a.guid for a in articles]
    assert dict(done.outcomes) == {PageOutcome.PAGE: 3, PageOutcome.OVER_BUDGET: 7}
    assert done.skipped == 7
    assert sorted(r.path for r in server.requests) == ["/page/0", "/page/1", "/page/2"]


async def test_failed_and_short_pages_are_counted_apart_from_skipped_ones(
    server: FeedServer,
) -> None:
    server.add("/page/0", PAGE, content_type="text/html; charset=utf-8")
    server.add("/page/1", b"<html><body><p>Hi.</p></body></html>", content_type="text/html")
    articles = teaser_articles(server, ["127.0.0.1"] * 3)  # /page/2 answers 404
    async with Fetcher(Settings()) as fetcher:
        done = await fetch_full_texts(fetcher, articles, min_chars=200, max_chars=10_000)

    assert dict(done.outcomes) == {
        PageOutcome.PAGE: 1,
        PageOutcome.TEASER: 1,
        PageOutcome.FAILED: 1,
    }
    assert done.skipped == 0


async def test_one_poll_fetches_at_most_its_share_of_pages_at_once(server: FeedServer) -> None:
    hosts = [f"site{i}.test" for i in range(8)]  # eight sites: only the poll's share limits
    for i in range(8):
        server.add_drip(f"/page/{i}", b"<p>Hi.</p>", interval=0.03, content_type="text/html")
    articles = teaser_articles(server, hosts)
    settings = Settings(fulltext_per_poll=2, fetch_per_address=8, fetch_per_host=8)
    async with Fetcher(settings, connector_factory=resolving(FakeResolver.pointing(hosts))) as f:
        done = await fetch_full_texts(f, articles, min_chars=200, max_chars=10_000)

    assert done.outcomes[PageOutcome.TEASER] == 8
    assert server.max_in_flight == 2


# --- pools, sites and addresses in the fetcher ----------------------------------------------


async def test_a_feed_is_fetched_while_every_page_slot_is_taken(server: FeedServer) -> None:
    pages = HeldPages()
    server.add_handler("/page/0", pages.handler)
    server.add("/feed.xml", rss(items(1)))
    settings = Settings(fetch_concurrency=1, fulltext_concurrency=1)
    async with Fetcher(settings) as fetcher:
        page = asyncio.create_task(
            fetcher.fetch(server.url("/page/0"), accept=ARTICLE_ACCEPT, pool=FetchPool.PAGES)
        )
        await pages.wait_started(1)
        feed = await asyncio.wait_for(fetcher.fetch(server.url("/feed.xml")), WAIT)
        assert pages.finished == 0
        pages.released.set()
        assert (await page).body == PAGE
    assert feed.status == 200


async def test_names_of_one_site_share_its_limit(server: FeedServer) -> None:
    server.add_drip("/slow", b"abcd", interval=0.03)
    hosts = [f"h{i}.news.example.co.uk" for i in range(6)]
    settings = Settings(fetch_per_host=1, fetch_per_address=6)
    async with Fetcher(settings, connector_factory=resolving(FakeResolver.pointing(hosts))) as f:
        await asyncio.gather(*(f.fetch(server.url("/slow", host=host)) for host in hosts))

    assert server.max_in_flight == 1


async def test_sites_on_one_address_share_its_limit(server: FeedServer) -> None:
    server.add_drip("/slow", b"abcd", interval=0.03)
    hosts = [f"news{i}.example" for i in range(6)]  # six sites, one server
    settings = Settings(fetch_per_host=6, fetch_per_address=2)
    async with Fetcher(settings, connector_factory=resolving(FakeResolver.pointing(hosts))) as f:
        results = await asyncio.gather(*(f.fetch(server.url("/slow", host=h)) for h in hosts))

    assert [r.body for r in results] == [b"abcd"] * 6
    assert server.max_in_flight == 2


async def test_the_address_limit_holds_on_reused_connections(server: FeedServer) -> None:
    server.add_drip("/slow", b"abcd", interval=0.03)
    settings = Settings(fetch_per_host=8, fetch_per_address=1)
    async with Fetcher(settings) as fetcher:
        for _ in range(2):  # the second round reuses the first round's pooled connections
            await asyncio.gather(*(fetcher.fetch(server.url("/slow")) for _ in range(4)))

    assert server.max_in_flight == 1
    assert len(server.requests) == 8


@pytest.mark.parametrize(
    ("host", "site"),
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("WWW.BBC.CO.UK.", "bbc.co.uk"),
        ("a.b.enabbaladi.net", "enabbaladi.net"),
        ("alice.github.io", "alice.github.io"),  # a private suffix: each user a site
        ("h3.slow.test", "slow.test"),  # unknown suffix: the list's default rule
        ("localhost", "localhost"),
        ("co.uk", "co.uk"),
        ("127.0.0.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("xn--mgbh0fb.xn--mgbaam7a8h", "xn--mgbh0fb.xn--mgbaam7a8h"),  # مثال.امارات
    ],
)
def test_site_of_is_the_registrable_domain(host: str, site: str) -> None:
    assert site_of(host) == site
