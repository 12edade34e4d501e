"""Feed autodiscovery: advertised feeds in page order, the usual places, and what else may
work when a page offers no feed — against the local feed server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.ingest.discover import (
    FeedLink,
    Outcome,
    advertised_feeds,
    discover,
    usual_feed_urls,
)
from bot.ingest.doctype import PageKind
from bot.ingest.fetch import Fetcher, FetchError
from bot.settings import Settings
from tests.fakes.feed_server import FeedServer

HTML = "text/html; charset=utf-8"
RSS = b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
<title>%s</title><link>https://example.com/</link>
<item><title>One</title><link>https://example.com/1</link></item>
<item><title>Two</title><link>https://example.com/2</link></item>
</channel></rss>"""
ATOM = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
<title>Atom news</title><id>urn:x</id><updated>2024-05-01T00:00:00Z</updated>
<entry><title>A</title><id>urn:a</id><updated>2024-05-01T00:00:00Z</updated></entry></feed>"""
JSON_FEED = b'{"version": "https://jsonfeed.org/version/1.1", "title": "JSON news", "items": []}'


def homepage(head: str, body: str = "") -> bytes:
    page = f"<!DOCTYPE html><html><head><title>Site</title>{head}</head><body>{body}</body></html>"
    return page.encode()


def test_advertised_feeds_in_page_order_resolved_once_each() -> None:
    page = homepage(
        '<base href="https://cdn.example.com/ar/">'
        '<link rel="stylesheet" href="/style.css">'
        '<link rel="alternate" type="application/rss+xml" title="الأخبار" href="feed/">'
        '<link rel="alternate" hreflang="en" href="https://example.com/en/">'
        '<link rel="alternate" type="application/atom+xml" title="Atom" href="/atom.xml">'
        '<link rel="ALTERNATE" type="application/feed+json" href="https://example.com/feed.json">'
        '<link rel="alternate" type="application/rss+xml" title="again" href="feed/">'
        '<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">'
    )

    assert advertised_feeds(page, url="https://example.com/") == (
        FeedLink("https://cdn.example.com/ar/feed/", "الأخبار", "rss"),
        FeedLink("https://cdn.example.com/atom.xml", "Atom", "atom"),
        FeedLink("https://example.com/feed.json", "", "json"),
    )


@pytest.mark.parametrize("document", [b"", b"\x00\xff", b"not html at all", homepage("")])
def test_a_page_without_feed_links_advertises_none(document: bytes) -> None:
    assert advertised_feeds(document, url="https://example.com/") == ()


def test_the_usual_places_are_at_the_site_root() -> None:
    assert usual_feed_urls("https://example.com/section/page.html?x=1") == (
        "https://example.com/feed",
        "https://example.com/rss",
        "https://example.com/rss.xml",
        "https://example.com/atom.xml",
        "https://example.com/feed.xml",
        "https://example.com/index.xml",
    )


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(Settings()) as shared:
        yield shared


async def test_a_feed_url_is_its_own_answer(server: FeedServer, fetcher: Fetcher) -> None:
    server.add("/feed.xml", RSS % b"Direct")

    found = await discover(fetcher, server.url("/feed.xml"))

    assert found.outcome is Outcome.IS_FEED
    assert [(f.url, f.title, f.kind, f.entries) for f in found.feeds] == [
        (server.url("/feed.xml"), "Direct", "rss20", 2)
    ]
    assert len(server.requests) == 1


async def test_advertised_feeds_are_checked_and_listed_with_their_titles(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add(
        "/",
        homepage(
            '<link rel="alternate" type="application/rss+xml" title="كل الأخبار" href="/rss/all">'
            '<link rel="alternate" type="application/atom+xml" href="/atom">'
            '<link rel="alternate" type="application/rss+xml" title="Broken" href="/broken">'
            '<link rel="alternate" type="application/feed+json" title="JSON" href="/feed.json">'
        ),
        content_type=HTML,
    )
    server.add("/rss/all", RSS % "أخبار".encode())
    server.add("/atom", ATOM, content_type="application/atom+xml")
    server.add("/broken", b"<html><body>oops</body></html>", content_type=HTML)
    server.add("/feed.json", JSON_FEED, content_type="application/feed+json")

    found = await discover(fetcher, server.url("/"))

    assert found.outcome is Outcome.FOUND
    assert [(f.url, f.title, f.advertised) for f in found.feeds] == [
        (server.url("/rss/all"), "كل الأخبار", True),
        (server.url("/atom"), "Atom news", True),
        (server.url("/feed.json"), "JSON", True),
    ]
    assert [(r.url, "not a feed" in r.reason) for r in found.rejected] == [
        (server.url("/broken"), True)
    ]
    assert server.requests_to("/feed") == []  # nothing guessed when the page advertises feeds


async def test_without_advertised_feeds_the_usual_places_are_tried(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/", homepage(""), content_type=HTML)
    server.add("/rss.xml", RSS % b"Found at /rss.xml")
    server.add("/feed", homepage(""), content_type=HTML)  # a CMS that serves its homepage

    found = await discover(fetcher, server.url("/"))

    assert found.outcome is Outcome.FOUND
    assert [(f.url, f.advertised) for f in found.feeds] == [(server.url("/rss.xml"), False)]
    assert found.rejected == ()
    assert {r.path for r in server.requests} == {
        "/",
        *("/feed", "/rss", "/rss.xml", "/atom.xml", "/feed.xml", "/index.xml"),
    }


async def test_candidates_are_bounded(server: FeedServer, fetcher: Fetcher) -> None:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/feed/{i}">' for i in range(40)
    )
    server.add("/", homepage(links), content_type=HTML)

    found = await discover(fetcher, server.url("/"), max_candidates=4)

    assert found.outcome is Outcome.NONE
    assert len(server.requests) <= 1 + 4 + 1  # the page, four candidates, robots.txt
    assert len(found.rejected) == 4


async def test_no_feed_says_what_else_may_work(server: FeedServer, fetcher: Fetcher) -> None:
    articles = "".join(
        f'<article><a href="/news/2024/05/0{i}/story-of-the-day-{i}">Story {i}</a></article>'
        for i in range(1, 8)
    )
    server.add("/politics", homepage("", f"<main>{articles}</main>"), content_type=HTML)
    server.add(
        "/robots.txt",
        b"User-agent: *\nAllow: /\nSitemap: /news-sitemap.xml\nSitemap: https://cdn.example/s.xml\n",
        content_type="text/plain",
    )

    found = await discover(fetcher, server.url("/politics"))

    assert found.outcome is Outcome.NONE
    assert found.feeds == ()
    assert found.sitemaps == (server.url("/news-sitemap.xml"), "https://cdn.example/s.xml")
    assert found.section_links == 7
    assert found.section_page


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "image/png", PageKind.OTHER),
        (b"%PDF-1.7 ...", "application/pdf", PageKind.OTHER),
        (b'{"not": "a feed"}', "application/json", PageKind.OTHER),
        (b"plain words", "text/plain", PageKind.OTHER),
    ],
)
async def test_neither_feed_nor_html_is_said_plainly(
    server: FeedServer, fetcher: Fetcher, body: bytes, content_type: str, kind: PageKind
) -> None:
    server.add("/thing", body, content_type=content_type)

    found = await discover(fetcher, server.url("/thing"))

    assert (found.outcome, found.page, found.feeds) == (Outcome.NOT_A_PAGE, kind, ())
    assert len(server.requests) == 1


async def test_a_sitemap_given_as_a_page_is_recognised(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add(
        "/sitemap.xml",
        b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>',
        content_type="application/xml",
    )

    found = await discover(fetcher, server.url("/sitemap.xml"))

    assert (found.outcome, found.page) == (Outcome.NOT_A_PAGE, PageKind.SITEMAP)
    assert found.sitemaps == (server.url("/sitemap.xml"),)


async def test_a_feed_cut_short_is_still_the_feed_it_recovers(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/feed.xml", b'<?xml version="1.0"?><rss version="2.0"><channel><item>')

    found = await discover(fetcher, server.url("/feed.xml"))

    assert found.outcome is Outcome.IS_FEED
    assert [(f.kind, f.entries) for f in found.feeds] == [("rss20", 1)]


async def test_an_unreachable_page_is_a_fetch_error(server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError):
        await discover(fetcher, server.url("/missing"))
