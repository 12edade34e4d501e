"""parse_sitemap (news, plain, index, gzip, hostile), robots.txt rules, and same_site."""

from __future__ import annotations

import gzip
import tracemalloc
from datetime import UTC, datetime

import pytest

from bot.ingest.robots import parse_robots, robots_url
from bot.ingest.site import same_site
from bot.ingest.sitemap import MAX_UNCOMPRESSED, SitemapError, SitemapKind, parse_sitemap

NEWS = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"
        xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>https://www.enabbaladi.net/archives/700101</loc>
    <news:news>
      <news:publication>
        <news:name>عنب بلدي</news:name><news:language>ar</news:language>
      </news:publication>
      <news:publication_date>2024-05-01T10:00:00+03:00</news:publication_date>
      <news:title>انقطاع الكهرباء في ريف دمشق &amp; حلب</news:title>
    </news:news>
    <image:image><image:loc>https://www.enabbaladi.net/img/1.jpg</image:loc></image:image>
  </url>
  <url>
    <loc>https://www.enabbaladi.net/archives/700102</loc>
    <news:news>
      <news:publication>
        <news:name>Enab Baladi</news:name><news:language>EN</news:language>
      </news:publication>
      <news:publication_date>2024-05-01T12:30Z</news:publication_date>
      <news:title>Power cuts in rural Damascus</news:title>
    </news:news>
  </url>
</urlset>
""".encode()


def urlset(*urls: tuple[str, str | None]) -> bytes:
    rows = "".join(
        f"<url><loc>{loc}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>"
        for loc, mod in urls
    )
    return (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{rows}</urlset>"
    ).encode()


def big_sitemap(count: int) -> bytes:
    rows = b"".join(
        b"<url><loc>https://example.com/news/%d</loc><lastmod>2024-%02d-%02dT08:00:00Z</lastmod></url>"
        % (i, i % 12 + 1, i % 28 + 1)
        for i in range(count)
    )
    return b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + rows + b"</urlset>"


def test_a_news_sitemap_gives_titles_dates_and_languages_newest_first() -> None:
    sitemap = parse_sitemap(NEWS, url="https://www.enabbaladi.net/sitemap-news.xml")

    assert sitemap.kind is SitemapKind.URLSET
    assert sitemap.news
    assert sitemap.read == 2
    newest, older = sitemap.urls
    assert newest.url == "https://www.enabbaladi.net/archives/700102"
    assert newest.published == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert newest.language == "en"
    assert older.title == "انقطاع الكهرباء في ريف دمشق & حلب"
    assert older.published == datetime(2024, 5, 1, 7, 0, tzinfo=UTC)
    assert (older.language, older.publication) == ("ar", "عنب بلدي")
    assert older.image_url == "https://www.enabbaladi.net/img/1.jpg"


def test_a_plain_sitemap_is_ordered_by_lastmod_then_document_order() -> None:
    sitemap = parse_sitemap(
        urlset(
            ("https://example.com/a", "2024-01-01"),
            ("https://example.com/undated-1", None),
            ("https://example.com/b", "2024-03-01T00:00:00+00:00"),
            ("/relative", "2023-12-31"),
            ("https://example.com/undated-2", None),
            ("javascript:alert(1)", "2025-01-01"),
        ),
        url="https://example.com/sitemap.xml",
    )
    assert [item.url for item in sitemap.urls] == [
        "https://example.com/b",
        "https://example.com/a",
        "https://example.com/relative",
        "https://example.com/undated-1",
        "https://example.com/undated-2",
    ]
    assert sitemap.read == 6
    assert not sitemap.news


def test_a_sitemap_index_lists_its_sitemaps() -> None:
    index = (
        b'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        b"<sitemap><loc>https://example.com/s1.xml</loc><lastmod>2024-01-01</lastmod></sitemap>"
        b"<sitemap><loc>https://example.com/s2.xml.gz</loc><lastmod>2024-02-01</lastmod></sitemap>"
        b"</sitemapindex>"
    )
    sitemap = parse_sitemap(index)
    assert sitemap.kind is SitemapKind.INDEX
    assert [item.url for item in sitemap.urls] == [
        "https://example.com/s2.xml.gz",
        "https://example.com/s1.xml",
    ]


def test_a_gzip_sitemap_reads_like_the_plain_one() -> None:
    assert parse_sitemap(gzip.compress(NEWS)) == parse_sitemap(NEWS)


def test_fifty_thousand_urls_keep_only_the_newest_in_bounded_memory() -> None:
    body = big_sitemap(60_000)
    tracemalloc.start()
    try:
        sitemap = parse_sitemap(body, keep=100)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert sitemap.read == 50_000
    assert sitemap.truncated
    assert len(sitemap.urls) == 100
    dates = [item.lastmod for item in sitemap.urls]
    assert dates == sorted(dates, reverse=True)  # type: ignore[type-var]
    assert all(item.lastmod == datetime(2024, 12, 28, 8, tzinfo=UTC) for item in sitemap.urls[:5])
    assert peak < len(body)  # the kept entries, not a tree of the whole document


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "not well-formed"),
        (b"   ", "not well-formed"),
        (b"<html><body><p>hello</p></body></html>", "root element is <html>"),
        (b'<rss version="2.0"><channel></channel></rss>', "root element is <rss>"),
        (b"<urlset><url><loc>https://example.com/a</loc>", "not well-formed"),
        (b"\x1f\x8b\x08\x00garbage", "broken gzip"),
        (
            b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            b"<urlset><url><loc>&b;</loc></url></urlset>",
            "entit",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b"<urlset><url><loc>&x;</loc></url></urlset>",
            "entit",
        ),
    ],
)
def test_what_is_not_a_sitemap_is_a_clear_error(body: bytes, reason: str) -> None:
    with pytest.raises(SitemapError, match=reason):
        parse_sitemap(body)


def test_a_gzip_bomb_stops_at_the_decompressed_limit() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (MAX_UNCOMPRESSED + 1024))
    with pytest.raises(SitemapError, match="decompressed"):
        parse_sitemap(bomb)


# --- robots.txt --------------------------------------------------------------------------

ROBOTS = """
User-agent: *
Disallow: /private/
Disallow: /*.pdf$
Allow: /private/open/

User-agent: Nashra
Disallow: /no-bots/

Sitemap: https://example.com/news-sitemap.xml
Sitemap: /sitemap_index.xml
"""


def test_robots_rules_and_sitemap_lines() -> None:
    robots = parse_robots(ROBOTS, url="https://example.com/robots.txt")
    agent = "Nashra/0.1 (Telegram news bot)"
    assert robots.sitemaps == (
        "https://example.com/news-sitemap.xml",
        "https://example.com/sitemap_index.xml",
    )
    assert robots.allows("https://example.com/news/1", agent)
    assert not robots.allows("https://example.com/no-bots/1", agent)
    assert robots.allows("https://example.com/private/1", agent)  # its own group wins
    other = "SomeBot/1.0"
    assert not robots.allows("https://example.com/private/1", other)
    assert robots.allows("https://example.com/private/open/1", other)
    assert not robots.allows("https://example.com/report.pdf", other)


def test_robots_url_is_at_the_site_root() -> None:
    assert robots_url("https://example.com:8443/a/b?c=d") == "https://example.com:8443/robots.txt"


@pytest.mark.parametrize(
    ("url", "reference", "same"),
    [
        ("https://www.example.com/a", "https://example.com/", True),
        ("https://news.bbc.co.uk/a", "https://www.bbc.co.uk/news", True),
        ("https://example.org/a", "https://example.com/", False),
        ("https://bbc.co.uk.evil.com/a", "https://www.bbc.co.uk/", False),
        ("http://127.0.0.1:8080/a", "http://127.0.0.1:8080/", True),
        ("http://127.0.0.2:8080/a", "http://127.0.0.1:8080/", False),
        ("not a url", "https://example.com/", False),
    ],
)
def test_same_site(url: str, reference: str, same: bool) -> None:
    assert same_site(url, reference) is same
