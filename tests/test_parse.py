"""parse_feed on small feeds written for these tests (none is copied from a real site)."""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

import fastfeedparser
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ingest.entry import Enclosure, Link, ParsedFeed
from bot.ingest.parse import FeedParseError, parse_feed
from bot.ingest.parse_common import first_img_src
from bot.ingest.parse_sniff import expected_entries, feedparser_shape, xml_error

RSS20 = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"
     xmlns:media="http://search.yahoo.com/mrss/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel>
  <title>Example World</title>
  <link>https://news.example.com/</link>
  <description>World news</description>
  <language>en-gb</language>
  <item>
    <title>Talks resume in Geneva</title>
    <link>https://news.example.com/geneva</link>
    <guid isPermaLink="false">story-1001</guid>
    <pubDate>Tue, 03 Jun 2025 14:30:00 +0300</pubDate>
    <description><![CDATA[<p>Delegates met <b>again</b>.</p>]]></description>
    <content:encoded><![CDATA[<p>Full text.</p><img src="https://img.example.com/in-body.jpg">]]></content:encoded>
    <category>Politics</category>
    <category>Europe</category>
    <dc:creator>Jo Writer</dc:creator>
    <media:thumbnail url="https://img.example.com/geneva-thumb.jpg" width="120" height="80"/>
    <enclosure url="https://img.example.com/geneva.jpg" type="image/jpeg" length="12345"/>
  </item>
  <item>
    <title>No guid here</title>
    <link>/relative/story</link>
    <description>Second</description>
  </item>
</channel>
</rss>"""

RSS10 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example.org/">
    <title>RDF Example</title>
    <link>https://rdf.example.org/</link>
    <description>An RSS 1.0 feed</description>
    <items><rdf:Seq><rdf:li rdf:resource="https://rdf.example.org/1"/></rdf:Seq></items>
  </channel>
  <item rdf:about="https://rdf.example.org/1">
    <title>First RDF item</title>
    <link>https://rdf.example.org/1</link>
    <description>Body one</description>
    <dc:date>2024-05-06T07:08:09+02:00</dc:date>
  </item>
</rdf:RDF>"""

ATOM10 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <title>Atom Example</title>
  <link rel="alternate" href="https://atom.example.net/"/>
  <link rel="self" href="https://atom.example.net/feed.atom"/>
  <id>urn:uuid:feed</id>
  <updated>2025-01-02T03:04:05Z</updated>
  <entry>
    <title>Entry one</title>
    <id>urn:uuid:entry-1</id>
    <link rel="alternate" type="text/html" href="https://atom.example.net/1"/>
    <link rel="enclosure" type="audio/mpeg" length="999" href="https://atom.example.net/1.mp3"/>
    <published>2025-01-01T10:00:00Z</published>
    <updated>2025-01-02T11:30:00-05:00</updated>
    <summary>Short summary</summary>
    <content type="html">&lt;p&gt;Long &lt;em&gt;content&lt;/em&gt;&lt;/p&gt;</content>
    <category term="science"/>
    <author><name>Ana Auteur</name><email>ana@example.net</email></author>
  </entry>
</feed>"""

ATOM03 = b"""<?xml version="1.0" encoding="utf-8"?>
<feed version="0.3" xmlns="http://purl.org/atom/ns#">
  <title>Old Atom</title>
  <link rel="alternate" type="text/html" href="https://old.example.org/"/>
  <modified>2005-01-02T03:04:05Z</modified>
  <entry>
    <title>Legacy entry</title>
    <link rel="alternate" type="text/html" href="https://old.example.org/1"/>
    <id>tag:old.example.org,2005:1</id>
    <issued>2005-01-01T00:00:00Z</issued>
    <modified>2005-01-01T12:00:00Z</modified>
    <content type="text/html" mode="escaped">&lt;p&gt;Hello&lt;/p&gt;</content>
  </entry>
</feed>"""

JSON_FEED = {
    "version": "https://jsonfeed.org/version/1.1",
    "title": "JSON Example",
    "home_page_url": "https://json.example.com/",
    "feed_url": "https://json.example.com/feed.json",
    "description": "A JSON Feed",
    "language": "en",
    "items": [
        {
            "id": 42,
            "url": "https://json.example.com/42",
            "external_url": "https://elsewhere.example.org/story",
            "title": "Numbered item",
            "content_html": "<p>HTML body</p>",
            "summary": "Item summary",
            "date_published": "2025-02-03T04:05:06+01:00",
            "date_modified": "2025-02-04T00:00:00Z",
            "tags": ["alpha", "beta"],
            "image": "https://json.example.com/42.png",
            "authors": [{"name": "Jay Son"}],
            "language": "de",
            "attachments": [
                {
                    "url": "https://json.example.com/42.mp3",
                    "mime_type": "audio/mpeg",
                    "size_in_bytes": 7,
                }
            ],
        },
        {"id": "b", "content_text": "Plain only", "author": {"name": "Old Style"}},
    ],
}

# Self-written Arabic fixture (no Arabic feed is in ../shared/evalsets): an RTL news feed.
ARABIC_TITLES = ("عاجل: استئناف المفاوضات في جنيف", "الأسواق العربية تغلق على ارتفاع")
ARABIC_RSS = (
    """<rss version="2.0"><channel>
  <title>نشرة الأخبار</title>
  <link>https://ar.example.com/</link>
  <language>ar</language>
  <item>
    <title>{}</title>
    <link>https://ar.example.com/1</link>
    <description>&lt;p dir="rtl"&gt;التقى المندوبون مجدداً.&lt;/p&gt;</description>
    <pubDate>Sun, 01 Jun 2025 09:00:00 +0300</pubDate>
  </item>
  <item>
    <title>{}</title>
    <link>https://ar.example.com/2</link>
  </item>
</channel></rss>"""
).format(*ARABIC_TITLES)


def _xml_declared(text: str, encoding: str) -> bytes:
    return f'<?xml version="1.0" encoding="{encoding}"?>\n{text}'.encode(encoding)


def test_rss20_entries_map_onto_the_model() -> None:
    feed = parse_feed(RSS20, url="https://news.example.com/rss")
    assert (feed.kind, feed.parser, feed.bozo, feed.encoding) == (
        "rss20",
        "fastfeedparser",
        False,
        "utf-8",
    )
    assert (feed.title, feed.link, feed.language) == (
        "Example World",
        "https://news.example.com/",
        "en-gb",
    )
    assert feed.extra["subtitle"] == "World news"
    first, second = feed.entries
    assert first.guid == "story-1001"
    assert first.link == "https://news.example.com/geneva"
    assert first.title == "Talks resume in Geneva"
    assert first.summary == "<p>Delegates met <b>again</b>.</p>"
    assert first.content.startswith("<p>Full text.</p>")
    assert first.published == datetime(2025, 6, 3, 11, 30, tzinfo=UTC)
    assert first.author == "Jo Writer"
    assert first.tags == ("Politics", "Europe")
    assert first.image_url == "https://img.example.com/geneva-thumb.jpg"
    assert first.enclosures == (
        Enclosure("https://img.example.com/geneva.jpg", "image/jpeg", 12345),
    )
    assert Link("https://news.example.com/geneva") in first.links
    assert Link("https://img.example.com/geneva.jpg", "enclosure", "image/jpeg") in first.links
    assert second.guid is None  # fastfeedparser's stand-in id (the link) is not a guid
    assert second.link == "https://news.example.com/relative/story"
    assert second.published is None


def test_rss10_reads_rdf_about_and_dc_date() -> None:
    feed = parse_feed(RSS10)
    assert (feed.kind, feed.title) == ("rss10", "RDF Example")
    (entry,) = feed.entries
    assert entry.guid == "https://rdf.example.org/1"
    assert entry.link == "https://rdf.example.org/1"
    assert entry.summary == "Body one"
    assert (entry.published or entry.updated) == datetime(2024, 5, 6, 5, 8, 9, tzinfo=UTC)


def test_atom10_entry_links_dates_and_author_name() -> None:
    feed = parse_feed(ATOM10)
    assert (feed.kind, feed.parser, feed.title) == ("atom10", "fastfeedparser", "Atom Example")
    assert feed.link == "https://atom.example.net/"
    (entry,) = feed.entries
    assert entry.guid == "urn:uuid:entry-1"
    assert entry.link == "https://atom.example.net/1"
    assert entry.published == datetime(2025, 1, 1, 10, tzinfo=UTC)
    assert entry.updated == datetime(2025, 1, 2, 16, 30, tzinfo=UTC)
    assert entry.summary == "Short summary"
    assert entry.content == "<p>Long <em>content</em></p>"
    assert entry.tags == ("science",)
    assert entry.author == "Ana Auteur"
    assert entry.enclosures == (Enclosure("https://atom.example.net/1.mp3", "audio/mpeg"),)
    assert [link.rel for link in entry.links] == ["alternate", "enclosure"]


def test_atom03_goes_to_feedparser() -> None:
    feed = parse_feed(ATOM03)
    assert (feed.kind, feed.parser, feed.title) == ("atom03", "feedparser", "Old Atom")
    (entry,) = feed.entries
    assert entry.link == "https://old.example.org/1"
    assert entry.guid == "tag:old.example.org,2005:1"
    assert entry.published == datetime(2005, 1, 1, tzinfo=UTC)
    assert entry.updated == datetime(2005, 1, 1, 12, tzinfo=UTC)
    assert entry.content == "<p>Hello</p>"


def test_json_feed_items() -> None:
    feed = parse_feed(json.dumps(JSON_FEED).encode(), content_type="application/feed+json")
    assert (feed.kind, feed.parser, feed.title, feed.language) == (
        "json",
        "json",
        "JSON Example",
        "en",
    )
    assert feed.link == "https://json.example.com/"
    assert feed.extra["subtitle"] == "A JSON Feed"
    first, second = feed.entries
    assert first.guid == "42"
    assert first.link == "https://json.example.com/42"
    assert (first.title, first.summary, first.content) == (
        "Numbered item",
        "Item summary",
        "<p>HTML body</p>",
    )
    assert first.published == datetime(2025, 2, 3, 3, 5, 6, tzinfo=UTC)
    assert first.updated == datetime(2025, 2, 4, tzinfo=UTC)
    assert (first.tags, first.author, first.language) == (("alpha", "beta"), "Jay Son", "de")
    assert first.image_url == "https://json.example.com/42.png"
    assert first.enclosures == (Enclosure("https://json.example.com/42.mp3", "audio/mpeg", 7),)
    assert Link("https://elsewhere.example.org/story", "related") in first.links
    assert (second.guid, second.content, second.author, second.language) == (
        "b",
        "Plain only",
        "Old Style",
        "en",
    )


def test_rss_in_json() -> None:
    body = {
        "rss": {
            "version": "2.0",
            "channel": {
                "title": "Scripted",
                "link": "https://s.example.com/",
                "item": [
                    {
                        "description": "Hello world",
                        "link": "https://s.example.com/1",
                        "pubDate": "Mon, 26 Jun 2017 12:20:05 GMT",
                        "guid": "https://s.example.com/1",
                    }
                ],
            },
        }
    }
    feed = parse_feed(json.dumps(body).encode())
    assert (feed.kind, feed.title) == ("rss-in-json", "Scripted")
    (entry,) = feed.entries
    assert entry.summary == "Hello world"
    assert entry.published == datetime(2017, 6, 26, 12, 20, 5, tzinfo=UTC)


def _titles(feed: ParsedFeed) -> tuple[str, ...]:
    return tuple(entry.title for entry in feed.entries)


def test_arabic_rtl_feed_in_utf8() -> None:
    feed = parse_feed(_xml_declared(ARABIC_RSS, "utf-8"))
    assert (feed.title, feed.language, feed.parser) == ("نشرة الأخبار", "ar", "fastfeedparser")
    assert _titles(feed) == ARABIC_TITLES
    assert feed.entries[0].summary == '<p dir="rtl">التقى المندوبون مجدداً.</p>'
    assert feed.entries[0].published == datetime(2025, 6, 1, 6, tzinfo=UTC)


def test_arabic_feed_in_windows_1256_decodes_with_python_codecs() -> None:
    feed = parse_feed(_xml_declared(ARABIC_RSS, "windows-1256"))
    assert (feed.encoding, feed.parser, feed.bozo) == ("windows-1256", "fastfeedparser", False)
    assert feed.title == "نشرة الأخبار"
    assert _titles(feed) == ARABIC_TITLES


def test_http_charset_outranks_a_missing_declaration() -> None:
    body = ARABIC_RSS.encode("windows-1256")
    feed = parse_feed(body, content_type="application/rss+xml; charset=windows-1256")
    assert _titles(feed) == ARABIC_TITLES


def test_text_xml_without_charset_still_reads_utf8() -> None:
    feed = parse_feed(_xml_declared(ARABIC_RSS, "utf-8"), content_type="text/xml")
    assert _titles(feed) == ARABIC_TITLES


def test_a_stray_byte_in_utf8_is_replaced_not_reread_as_windows_1252() -> None:
    damaged = _xml_declared(ARABIC_RSS, "utf-8").replace("الأسواق".encode(), b"\xff")
    feed = parse_feed(damaged)
    assert feed.bozo
    assert "U+FFFD" in (feed.bozo_reason or "")
    assert feed.title == "نشرة الأخبار"
    assert _titles(feed) == (ARABIC_TITLES[0], ARABIC_TITLES[1].replace("الأسواق", "\ufffd"))


def test_windows_1252_punctuation_labelled_latin1() -> None:
    body = _xml_declared(RSS20.decode(), "iso-8859-1").replace(b"Talks", b"\x93Talks\x94")
    (title, _) = _titles(parse_feed(body))
    assert title == "“Talks” resume in Geneva"


def test_html_entities_and_bare_ampersands_go_to_feedparser() -> None:
    body = RSS20.replace(b"Talks resume", b"Caf&eacute; talks").replace(
        b"/geneva</link>", b"/geneva?a=1&b=2</link>"
    )
    feed = parse_feed(body)
    assert feed.parser == "feedparser"
    assert feed.bozo
    assert feed.entries[0].title == "Café talks in Geneva"
    assert feed.entries[0].link == "https://news.example.com/geneva?a=1&b=2"


def test_markup_inside_a_title_keeps_its_text() -> None:
    body = RSS20.replace(b"Talks resume", b"Talks <b>resume</b>")
    assert parse_feed(body).entries[0].title == "Talks <b>resume</b> in Geneva"


def test_truncated_feed_is_bozo_but_keeps_entries() -> None:
    body = RSS20[: RSS20.index(b"No guid here")]
    feed = parse_feed(body)
    assert feed.bozo
    assert feed.bozo_reason
    assert [entry.title for entry in feed.entries][:1] == ["Talks resume in Geneva"]


def test_a_date_made_up_from_a_numeric_guid_is_dropped() -> None:
    body = b"""<rss version="2.0"><channel><title>T</title>
      <item><title>E</title><guid isPermaLink="false">10</guid></item></channel></rss>"""
    (entry,) = parse_feed(body).entries
    assert (entry.guid, entry.published) == ("10", None)


def test_lost_entries_fall_back_to_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    real_parse = fastfeedparser.parse

    def losing_parse(body: bytes) -> Any:
        result = real_parse(body)
        result["entries"] = result["entries"][:1]
        return result

    monkeypatch.setattr(fastfeedparser, "parse", losing_parse)
    feed = parse_feed(RSS20)
    assert (feed.parser, len(feed.entries)) == ("feedparser", 2)


def test_fastfeedparser_errors_fall_back_to_feedparser(monkeypatch: pytest.MonkeyPatch) -> None:
    def failing_parse(body: bytes) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(fastfeedparser, "parse", failing_parse)
    feed = parse_feed(RSS20)
    assert (feed.parser, len(feed.entries)) == ("feedparser", 2)


HTML_PAGE = b"""<!DOCTYPE html><html><head><title>Not a feed</title></head>
<body><h1>Welcome</h1><p>Nothing to syndicate.</p></body></html>"""


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b" \n\t ", id="whitespace"),
        pytest.param(HTML_PAGE, id="html-page"),
        pytest.param(b"\x00\xff\xfe garbage \x80\x81", id="binary-garbage"),
        pytest.param(b"just some words", id="plain-text"),
        pytest.param(b"{not json", id="broken-json"),
        pytest.param(b'{"hello": "world"}', id="json-not-a-feed"),
        pytest.param(b"<note><to>Tove</to></note>", id="xml-not-a-feed"),
        pytest.param(b"/etc/passwd", id="a-path"),  # feedparser would open it if given bytes
        pytest.param(b"http://127.0.0.1:9/feed", id="a-url"),
    ],
)
def test_non_feeds_raise_feed_parse_error(body: bytes) -> None:
    with pytest.raises(FeedParseError):
        parse_feed(body)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_give_a_feed_or_feed_parse_error(body: bytes) -> None:
    with contextlib.suppress(FeedParseError):  # any other exception fails the test
        parse_feed(body)


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=0, max_value=len(RSS20)), st.binary(max_size=8))
def test_damaged_feeds_give_a_feed_or_feed_parse_error(cut: int, junk: bytes) -> None:
    try:
        feed = parse_feed(RSS20[:cut] + junk + RSS20[cut:])
    except FeedParseError:
        return
    assert all(entry.published is None or entry.published.tzinfo is UTC for entry in feed.entries)


@pytest.mark.parametrize(
    "junk",
    [b"<title ", b"<content type='x/y' ", b"<item ", b"<", b"<!--", b"<img "],
    ids=["open-titles", "typed-content", "open-items", "lt", "comments", "img-tags"],
)
def test_byte_sniffing_stays_linear_on_adversarial_input(junk: bytes) -> None:
    body = b'<rss version="2.0"><channel><title>T</title><description>' + junk * 200_000
    started = time.process_time()
    feedparser_shape(body)
    xml_error(body)
    expected_entries(body)
    first_img_src(body.decode())
    assert time.process_time() - started < 2.0
