"""poll_sitemap and fetch_articles against the local feed server: news sitemaps, indexes
(bounded, never into themselves), robots.txt, seen URLs, and real article pages from
../shared/evalsets/pages."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import pytest
from aiohttp import web

from bot.ingest.article_page import SeenUrls, article_entry, fetch_articles, nothing_seen
from bot.ingest.entry import ParsedEntry
from bot.ingest.fetch import Fetcher, FetchError
from bot.ingest.normalize import canonical_url
from bot.ingest.robots import RobotsDisallowed, RobotsUnavailable
from bot.ingest.sitemap import SitemapError
from bot.ingest.sitemap_poll import poll_sitemap
from bot.settings import Settings
from bot.text.clean import html_to_text
from tests.conftest import evalset
from tests.fakes.feed_server import FeedServer

XML = "application/xml; charset=utf-8"
HTML = "text/html; charset=utf-8"
AGENT = "Nashra/0.1 (Telegram news bot)"


def urlset(server: FeedServer, *items: tuple[str, str]) -> bytes:
    rows = "".join(
        f"<url><loc>{server.url(path)}</loc><lastmod>{mod}</lastmod></url>" for path, mod in items
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'.encode()


def index(server: FeedServer, *paths: str) -> bytes:
    rows = "".join(f"<sitemap><loc>{server.url(path)}</loc></sitemap>" for path in paths)
    return f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>'.encode()


def known(keys: set[str | None]) -> SeenUrls:
    """A source's lookup that has `keys` (canonical URLs) already."""

    async def lookup(asked: Sequence[str]) -> set[str]:
        return {key for key in asked if key in keys}

    return lookup


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(Settings()) as shared:
        yield shared


async def test_new_pages_come_newest_first_and_bounded(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add(
        "/sitemap.xml",
        urlset(
            server,
            ("/news/1", "2024-05-01T08:00:00Z"),
            ("/news/3", "2024-05-03T08:00:00Z"),
            ("/news/2", "2024-05-02T08:00:00Z"),
            ("/news/4", "2024-05-04T08:00:00Z"),
        ),
        content_type=XML,
    )
    seen = {canonical_url(server.url("/news/4"))}

    poll = await poll_sitemap(
        fetcher, server.url("/sitemap.xml"), seen=known(seen), user_agent=AGENT, limit=2
    )

    assert [e.link for e in poll.entries] == [server.url("/news/3"), server.url("/news/2")]
    assert (poll.listed, poll.seen, poll.off_site, poll.disallowed) == (4, 1, 0, 0)
    assert poll.entries[0].published is not None
    assert poll.entries[0].title == ""  # the page gives it later


async def test_robots_txt_is_honoured_for_the_sitemap_and_its_pages(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add(
        "/robots.txt",
        b"User-agent: *\nDisallow: /members/\nDisallow: /closed.xml\n",
        content_type="text/plain",
    )
    server.add(
        "/sitemap.xml",
        urlset(server, ("/news/1", "2024-05-01"), ("/members/2", "2024-05-02")),
        content_type=XML,
    )
    server.add("/closed.xml", urlset(server, ("/news/9", "2024-05-09")), content_type=XML)

    poll = await poll_sitemap(
        fetcher, server.url("/sitemap.xml"), seen=nothing_seen, user_agent=AGENT, limit=10
    )
    assert [e.link for e in poll.entries] == [server.url("/news/1")]
    assert poll.disallowed == 1

    with pytest.raises(RobotsDisallowed):
        await poll_sitemap(
            fetcher, server.url("/closed.xml"), seen=nothing_seen, user_agent=AGENT, limit=10
        )
    assert server.requests_to("/closed.xml") == []
    assert len(server.requests_to("/robots.txt")) == 2  # once per poll


async def test_an_unreadable_robots_txt_stops_the_poll(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/robots.txt", b"down", status=503, content_type="text/plain")
    server.add("/sitemap.xml", urlset(server, ("/news/1", "2024-05-01")), content_type=XML)

    with pytest.raises(RobotsUnavailable):
        await poll_sitemap(
            fetcher, server.url("/sitemap.xml"), seen=nothing_seen, user_agent=AGENT, limit=5
        )
    assert server.requests_to("/sitemap.xml") == []


async def test_an_index_is_followed_one_level_and_never_into_itself(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add(
        "/index.xml",
        index(server, "/index.xml", "/inner-index.xml", "/a.xml", "/b.xml", "/c.xml", "/d.xml"),
        content_type=XML,
    )
    server.add("/inner-index.xml", index(server, "/a.xml"), content_type=XML)
    for name, day in (("a", 1), ("b", 2), ("c", 3), ("d", 4)):
        server.add(
            f"/{name}.xml", urlset(server, (f"/news/{name}", f"2024-05-0{day}")), content_type=XML
        )

    poll = await poll_sitemap(
        fetcher,
        server.url("/index.xml"),
        seen=nothing_seen,
        user_agent=AGENT,
        limit=10,
        max_children=3,
    )

    assert len(server.requests_to("/index.xml")) == 1
    assert poll.sitemaps == (server.url("/index.xml"), server.url("/a.xml"), server.url("/b.xml"))
    assert server.requests_to("/c.xml") == []
    assert [e.link for e in poll.entries] == [server.url("/news/b"), server.url("/news/a")]
    assert any("lists itself" in problem for problem in poll.problems)
    assert any("inside an index" in problem for problem in poll.problems)


async def test_a_broken_child_sitemap_is_recorded_not_fatal(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/index.xml", index(server, "/gone.xml", "/ok.xml"), content_type=XML)
    server.add("/ok.xml", urlset(server, ("/news/1", "2024-05-01")), content_type=XML)

    poll = await poll_sitemap(
        fetcher, server.url("/index.xml"), seen=nothing_seen, user_agent=AGENT, limit=5
    )

    assert [e.link for e in poll.entries] == [server.url("/news/1")]
    assert len(poll.problems) == 1
    assert "404" in poll.problems[0]


async def test_pages_on_other_sites_are_not_followed(server: FeedServer, fetcher: Fetcher) -> None:
    body = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{server.url('/news/1')}</loc></url>"
        "<url><loc>https://elsewhere.example/news/2</loc></url></urlset>"
    ).encode()
    server.add("/sitemap.xml", body, content_type=XML)

    poll = await poll_sitemap(
        fetcher, server.url("/sitemap.xml"), seen=nothing_seen, user_agent=AGENT, limit=5
    )

    assert [e.link for e in poll.entries] == [server.url("/news/1")]
    assert poll.off_site == 1


async def test_fifty_thousand_urls_give_a_bounded_result(
    server: FeedServer, fetcher: Fetcher
) -> None:
    rows = b"".join(
        b"<url><loc>%s</loc><lastmod>2024-01-%02d</lastmod></url>"
        % (server.url(f"/news/{i}").encode(), i % 28 + 1)
        for i in range(50_000)
    )
    server.add(
        "/big.xml",
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + rows + b"</urlset>",
        content_type=XML,
    )

    poll = await poll_sitemap(
        fetcher, server.url("/big.xml"), seen=nothing_seen, user_agent=AGENT, limit=20
    )

    assert len(poll.entries) == 20
    assert poll.listed <= 5_000
    assert not poll.truncated


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"<html><body>no sitemap here</body></html>", HTML), (b"\x89PNG\r\n\x1a\n", "image/png")],
)
async def test_a_page_that_is_not_a_sitemap_is_a_clear_error(
    server: FeedServer, fetcher: Fetcher, body: bytes, content_type: str
) -> None:
    server.add("/sitemap.xml", body, content_type=content_type)
    with pytest.raises(SitemapError):
        await poll_sitemap(
            fetcher, server.url("/sitemap.xml"), seen=nothing_seen, user_agent=AGENT, limit=5
        )


async def test_a_missing_sitemap_is_a_fetch_error(server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError):
        await poll_sitemap(
            fetcher, server.url("/nothing.xml"), seen=nothing_seen, user_agent=AGENT, limit=5
        )


# --- article pages -----------------------------------------------------------------------


@pytest.mark.evalset
async def test_listed_pages_become_articles_with_their_own_title_and_text(
    server: FeedServer, fetcher: Fetcher
) -> None:
    arabic = evalset("pages", "newspaper4k", "html", "arabic_article.html").read_bytes()
    server.add("/news/syria", arabic, content_type="text/html")
    server.add("/news/empty", b"<html><body><nav>menu</nav></body></html>", content_type=HTML)
    server.add("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    news = (
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"<url><loc>{server.url('/news/syria')}</loc><news:news><news:publication>"
        "<news:name>CNN</news:name><news:language>ar</news:language></news:publication>"
        "<news:publication_date>2013-08-03T12:00:00Z</news:publication_date>"
        "<news:title>عنوان من خريطة الموقع</news:title></news:news></url>"
        f"<url><loc>{server.url('/news/empty')}</loc><lastmod>2013-08-02</lastmod></url>"
        f"<url><loc>{server.url('/news/missing')}</loc><lastmod>2013-08-01</lastmod></url>"
        "</urlset>"
    ).encode()
    server.add("/news.xml", news, content_type=XML)

    poll = await poll_sitemap(
        fetcher, server.url("/news.xml"), seen=nothing_seen, user_agent=AGENT, limit=5
    )
    pages = await fetch_articles(fetcher, poll.entries, robots=poll.robots)

    assert [page.url for page in pages] == [
        server.url("/news/syria"),
        server.url("/news/empty"),
        server.url("/news/missing"),
    ]
    article = pages[0].entry
    assert article is not None
    assert html_to_text(article.title) == "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"
    assert "دمشق" in html_to_text(article.content)
    assert article.language == "ar"
    assert article.link == server.url("/news/syria")
    assert pages[1].entry is None
    assert pages[1].problem == "the page has no article text"
    assert pages[2].entry is None
    assert pages[2].problem is not None
    assert "404" in pages[2].problem
    assert len(server.requests_to("/robots.txt")) == 1


def test_the_listing_fills_what_the_page_lacks() -> None:
    page = (
        "<html><body><article><p>"
        + "الفقرة الأولى من الخبر تتحدث عن الأحداث في المدينة. " * 20
        + "</p></article></body></html>"
    )
    listed = ParsedEntry(link="https://example.com/a", title="عنوان &amp; المصدر", language="ar")

    entry = article_entry(page, url="https://example.com/a?utm_source=x", listed=listed)

    assert entry is not None
    assert entry.link == "https://example.com/a"
    assert html_to_text(entry.title) == "عنوان & المصدر"
    assert html_to_text(entry.content).startswith("الفقرة الأولى")


async def test_the_lookup_is_asked_once_pages_before_since_are_old_and_validators_kept(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add(
        "/sitemap.xml",
        urlset(
            server,
            ("/news/1", "2024-05-01T08:00:00Z"),
            ("/news/2", "2024-05-02T08:00:00Z"),
            ("/news/3", "2024-05-03T08:00:00Z"),
        ),
        content_type=XML,
    )
    asked: list[list[str]] = []

    async def lookup(keys: Sequence[str]) -> set[str]:
        asked.append(list(keys))
        return set()

    since = datetime(2024, 5, 2, tzinfo=UTC)
    poll = await poll_sitemap(
        fetcher, server.url("/sitemap.xml"), seen=lookup, user_agent=AGENT, limit=10, since=since
    )
    assert [e.link for e in poll.entries] == [server.url("/news/3"), server.url("/news/2")]
    assert (poll.old, poll.newest) == (1, datetime(2024, 5, 3, 8, tzinfo=UTC))
    assert asked == [[canonical_url(server.url(p)) for p in ("/news/3", "/news/2")]]
    assert poll.etag is not None

    again = await poll_sitemap(
        fetcher,
        server.url("/sitemap.xml"),
        seen=lookup,
        user_agent=AGENT,
        limit=10,
        etag=poll.etag,
        last_modified=poll.last_modified,
    )
    assert again.not_modified
    assert again.entries == ()
    assert server.requests_to("/sitemap.xml")[-1].status == 304


async def test_a_child_sitemap_that_cannot_be_read_is_counted(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/one.xml", urlset(server, ("/news/1", "2024-05-01")), content_type=XML)
    server.add("/index.xml", index(server, "/one.xml", "/gone.xml"), content_type=XML)
    poll = await poll_sitemap(
        fetcher, server.url("/index.xml"), seen=nothing_seen, user_agent=AGENT, limit=5
    )
    assert [e.link for e in poll.entries] == [server.url("/news/1")]
    assert poll.unread == 1
    assert "404" in poll.problems[0]


async def test_a_page_not_fetched_by_the_deadline_is_left_for_a_later_poll(
    server: FeedServer, fetcher: Fetcher
) -> None:
    arabic = evalset("pages", "newspaper4k", "html", "arabic_article.html").read_bytes()
    server.add("/news/quick-story-1", arabic, content_type="text/html")
    release = asyncio.Event()

    async def never(request: web.Request) -> web.StreamResponse:
        await release.wait()
        return web.Response(text="late")

    server.add_handler("/news/stuck-story-2", never)
    listed = [
        ParsedEntry(link=server.url("/news/quick-story-1")),
        ParsedEntry(link=server.url("/news/stuck-story-2")),
    ]
    try:
        pages = await fetch_articles(fetcher, listed, concurrency=1, deadline=5.0)
    finally:
        release.set()
    assert pages[0].entry is not None
    assert (pages[1].entry, pages[1].retry) == (None, True)
    assert pages[1].problem == "not fetched in time"
