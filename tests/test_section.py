"""Section pages: which links on a listing are articles (article_links), and poll_section
with fetch_articles against the local feed server and real article pages."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence

import pytest

from bot.ingest.article_page import SeenUrls, fetch_articles, nothing_seen
from bot.ingest.doctype import PageKind, page_kind
from bot.ingest.fetch import Fetcher
from bot.ingest.normalize import canonical_url
from bot.ingest.robots import RobotsDisallowed
from bot.ingest.section import article_links, is_article_url
from bot.ingest.section_poll import NotAListing, poll_section
from bot.settings import Settings
from bot.text.clean import html_to_text
from tests.conftest import evalset
from tests.fakes.feed_server import FeedServer

HTML = "text/html; charset=utf-8"
AGENT = "Nashra/0.1 (Telegram news bot)"
SITE = "https://www.example.com/politics/"

LISTING = """<!DOCTYPE html><html><head><base href="https://www.example.com/"></head><body>
<header class="site-header">
  <a href="/">Home</a><a href="/politics/">Politics</a>
  <a href="/news/2024/05/01/breaking-banner-story-link">Breaking</a>
</header>
<nav><a href="/news/2024/05/01/story-in-the-menu">Menu story</a></nav>
<div class="main-menu"><a href="/economy/a-story-linked-from-a-menu">menu</a></div>
<ul class="breadcrumb"><li><a href="/world/middle-east/syria-news-hub-page">Syria</a></li></ul>
<main>
  <article>
    <header class="entry-header"><h2>
      <a href="news/2024/05/02/ceasefire-talks-resume-in-cairo">Ceasefire talks resume in Cairo</a>
    </h2></header>
    <footer class="entry-footer">
      <a href="/tag/cairo/">Cairo</a> <a href="/author/jo-smith/">Jo</a>
    </footer>
  </article>
  <article>
    <a href="https://www.example.com/archives/700101"><img src="/img/1.jpg"></a>
    <h2><a href="https://example.com/archives/700101#comments">
      مقتل ثلاثة مدنيين بقصف على ريف إدلب</a></h2>
  </article>
  <article><h2><a href="/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9/%D8%A7%D9%84%D8%AD%D9%83%D9%88%D9%85%D8%A9-
%D8%AA%D8%B9%D9%84%D9%86-%D9%85%D9%88%D8%A7%D8%B2%D9%86%D8%A9-%D8%AC%D8%AF%D9%8A%D8%AF%D8%A9"
  >الحكومة تعلن موازنة جديدة</a></h2></article>
  <article><h2><a href="/world/middle-east-12345678">BBC-style id</a></h2></article>
  <a href="/world/africa">Africa</a>
  <a href="/politics/page/2/">Next page</a>
  <a href="/politics/?page=3">3</a>
  <a href="/search?q=election">Search</a>
  <a href="/?s=election">Search</a>
  <a href="/video/2024/05/01/a-video-clip-page">Video</a>
  <a href="/files/report-2024-final.pdf">Report</a>
  <a href="/feed/">RSS</a>
  <a href="https://other.org/news/2024/05/01/story-elsewhere">Elsewhere</a>
  <a href="/login">Log in</a>
  <a href="/about-us/our-long-history-page">About</a>
  <a href="mailto:desk@example.com">Mail</a>
  <a href="javascript:void(0)">JS</a>
  <a href="#top">Top</a>
  <a href="/news/2024/05/02/ceasefire-talks-resume-in-cairo?utm_source=homepage">again</a>
  <a href="/politics/">this page</a>
</main>
<footer><a href="/news/2024/04/30/a-story-linked-in-the-footer">Footer story</a></footer>
</body></html>"""


def test_a_listing_gives_its_article_links_in_page_order() -> None:
    found = article_links(LISTING, url=SITE)

    assert [(link.url, link.text) for link in found.links] == [
        (
            "https://www.example.com/news/2024/05/02/ceasefire-talks-resume-in-cairo",
            "Ceasefire talks resume in Cairo",
        ),
        ("https://www.example.com/archives/700101", "مقتل ثلاثة مدنيين بقصف على ريف إدلب"),
        (
            "https://www.example.com/%D8%B3%D9%8A%D8%A7%D8%B3%D8%A9/%D8%A7%D9%84%D8%AD%D9%83%D9"
            "%88%D9%85%D8%A9-%D8%AA%D8%B9%D9%84%D9%86-%D9%85%D9%88%D8%A7%D8%B2%D9%86%D8%A9-%D8"
            "%AC%D8%AF%D9%8A%D8%AF%D8%A9",
            "الحكومة تعلن موازنة جديدة",
        ),
        ("https://www.example.com/world/middle-east-12345678", "BBC-style id"),
    ]
    assert not found.truncated


@pytest.mark.parametrize(
    ("url", "article"),
    [
        ("https://www.example.com/news/2024/05/02/ceasefire-talks", True),
        ("https://www.example.com/archives/700101", True),
        ("https://www.example.com/2024/05/some-wordpress-post-slug/", True),
        ("https://www.example.com/?p=4512", False),  # no id in the path: read as another page
        ("https://www.example.com/politics", False),
        ("https://www.example.com/world/africa", False),
        ("https://www.example.com/tag/syria-war-news", False),
        ("https://www.example.com/category/politics/page/2", False),
        ("https://www.example.com/author/jo-smith-the-writer", False),
        ("https://www.example.com/gallery/2024/05/photos-of-the-day", False),
        ("https://www.example.com/news/2024/report.pdf", False),
        ("https://www.example.com/sitemap-2024-05.xml", False),
        ("https://www.example.com/وسم/الحرب-في-سوريا", False),
        ("https://other.example.org/news/2024/05/02/ceasefire-talks", False),
    ],
)
def test_is_article_url(url: str, article: bool) -> None:
    assert is_article_url(url, site=SITE) is article


def test_five_thousand_links_give_a_bounded_result() -> None:
    page = (
        "<html><body><main>"
        + "".join(f'<a href="/news/2024/{i}/story-number-{i}">Story {i}</a>' for i in range(5_000))
        + "</main></body></html>"
    )

    found = article_links(page, url=SITE, limit=100)

    assert len(found.links) == 100
    assert found.truncated
    assert found.links[0].url == "https://www.example.com/news/2024/0/story-number-0"

    capped = article_links(page, url=SITE, limit=10_000, max_anchors=1_000)
    assert len(capped.links) == 1_000
    assert capped.truncated


@pytest.mark.parametrize("document", [b"", b"\x00\x01\x02", "<html></html>", "plain text"])
def test_a_page_without_links_gives_none(document: bytes | str) -> None:
    assert article_links(document, url=SITE).links == ()


# --- poll_section --------------------------------------------------------------------------


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


def listing(paths: list[str]) -> bytes:
    items = "".join(
        f'<article><h2><a href="{path}">Story at {path}</a></h2></article>' for path in paths
    )
    return f"<html><body><nav><a href='/'>Home</a></nav><main>{items}</main></body></html>".encode()


@pytest.mark.evalset
async def test_new_article_links_are_fetched_and_extracted(
    server: FeedServer, fetcher: Fetcher
) -> None:
    arabic = evalset("pages", "newspaper4k", "html", "arabic_article.html").read_bytes()
    server.add("/news/2013/08/03/syria-clashes-story", arabic, content_type="text/html")
    paths = [
        "/news/2013/08/03/syria-clashes-story",
        "/news/2013/08/02/older-story-seen",
        "/private/2013/08/01/members-only",
    ]
    server.add("/politics", listing(paths), content_type=HTML)
    server.add("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    seen = {canonical_url(server.url("/news/2013/08/02/older-story-seen"))}

    poll = await poll_section(
        fetcher, server.url("/politics"), seen=known(seen), user_agent=AGENT, limit=10
    )
    pages = await fetch_articles(fetcher, poll.entries, robots=poll.robots)

    assert (poll.found, poll.seen, poll.disallowed) == (3, 1, 1)
    assert [page.url for page in pages] == [server.url(paths[0])]
    article = pages[0].entry
    assert article is not None
    assert html_to_text(article.title) == "معارضون يسيطرون على مخازن للصواريخ بريف دمشق"
    assert article.language == "ar"
    assert server.requests_to("/private/2013/08/01/members-only") == []


async def test_new_links_are_bounded_per_poll(server: FeedServer, fetcher: Fetcher) -> None:
    server.add(
        "/politics",
        listing([f"/news/2024/{i}/story-number-{i}" for i in range(5_000)]),
        content_type=HTML,
    )

    poll = await poll_section(
        fetcher, server.url("/politics"), seen=nothing_seen, user_agent=AGENT, limit=20
    )

    assert len(poll.entries) == 20
    assert poll.found == 200
    assert poll.entries[0].link == server.url("/news/2024/0/story-number-0")


@pytest.mark.parametrize(
    ("body", "content_type", "kind"),
    [
        (b"<rss version='2.0'><channel></channel></rss>", "application/rss+xml", PageKind.FEED),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "image/png", PageKind.OTHER),
        (b'{"a": 1}', "application/json", PageKind.OTHER),
    ],
)
async def test_a_section_url_that_is_not_a_web_page_is_refused(
    server: FeedServer, fetcher: Fetcher, body: bytes, content_type: str, kind: PageKind
) -> None:
    server.add("/politics", body, content_type=content_type)
    with pytest.raises(NotAListing) as caught:
        await poll_section(
            fetcher, server.url("/politics"), seen=nothing_seen, user_agent=AGENT, limit=5
        )
    assert caught.value.kind is kind
    assert page_kind(body, content_type) is kind


async def test_a_section_robots_txt_forbids_is_not_fetched(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/robots.txt", b"User-agent: *\nDisallow: /\n", content_type="text/plain")
    server.add("/politics", listing(["/news/2024/1/story-number-one"]), content_type=HTML)

    with pytest.raises(RobotsDisallowed):
        await poll_section(
            fetcher, server.url("/politics"), seen=nothing_seen, user_agent=AGENT, limit=5
        )
    assert server.requests_to("/politics") == []
