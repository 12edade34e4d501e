"""Encodings (issue "Hostile sources and inputs", item 3, and issue 16, item 2): Arabic in
windows-1256, ISO-8859-6 and UTF-16 (with and without a BOM), declared or not, in feeds and
article pages served from a local feed server; feedparser's encoding conformance category.

Precedence, as feedparser's tests define it: a BOM names UTF-8/16 outright; otherwise the
HTTP charset outranks the XML declaration (RFC 3023); without either, the bytes decide
(bot.ingest.charset). A label whose reading is mojibake gives way to the bytes; text that
reads as mojibake either way is refused, never stored.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bench.hostile import bench_settings
from bench.hostile_sources import run_feed_encodings, run_page_encodings
from bot.ingest.extract import extract_article
from bot.ingest.fetch import ARTICLE_ACCEPT, Fetcher, FetchPool
from bot.ingest.parse import FeedParseError, MojibakeError, parse_feed
from bot.pipeline.poller import Poller, PollStatus
from bot.text.clean import html_to_text
from tests.conftest import Database, evalset
from tests.fakes.feed_server import FeedServer
from tests.test_poller import add, articles_of, settings_for, source_row

FIXTURES = Path(__file__).parent / "fixtures" / "hostile"  # written here, see its README
TITLE = "انفجار في مرفأ اللاذقية يوقع إصابات"
BODY = "قالت وزارة الصحة إن الانفجار أوقع عشرة جرحى، ونُقلوا إلى المستشفى الوطني."


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.mark.parametrize(
    ("fixture", "content_type"),
    [
        ("arabic-windows-1256.xml", "application/rss+xml"),
        ("arabic-windows-1256.xml", "application/rss+xml; charset=windows-1256"),
        ("arabic-windows-1256.xml", "text/xml; charset=windows-1256"),
        ("arabic-windows-1256-undeclared.xml", "application/rss+xml; charset=windows-1256"),
        ("arabic-windows-1256-undeclared.xml", "application/xml; charset=cp1256"),
        ("arabic-iso-8859-6.xml", "application/rss+xml"),
        ("arabic-iso-8859-6.xml", "application/rss+xml; charset=iso-8859-6"),
        ("arabic-iso-8859-6-undeclared.xml", "application/rss+xml; charset=ISO-8859-6"),
        ("arabic-iso-8859-6-undeclared.xml", "text/xml; charset=arabic"),
        ("arabic-utf-8-bom.xml", "application/rss+xml"),
        ("arabic-utf-8-bom.xml", "application/rss+xml; charset=utf-8"),
        ("arabic-utf-16-bom.xml", "application/rss+xml"),
        ("arabic-utf-16-bom.xml", "application/xml; charset=utf-16"),
    ],
)
async def test_arabic_legacy_encodings_decode_exactly_when_fetched(
    server: FeedServer, fixture: str, content_type: str
) -> None:
    server.add("/feed.xml", (FIXTURES / fixture).read_bytes(), content_type=content_type)
    async with Fetcher(bench_settings()) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml"))
    feed = parse_feed(result.body, url=result.url, content_type=result.content_type)
    [entry] = feed.entries
    assert feed.title == "نشرة الاختبار"
    assert entry.title == TITLE
    assert html_to_text(entry.summary) == BODY


def test_the_http_charset_outranks_a_wrong_xml_declaration() -> None:
    body = (FIXTURES / "arabic-windows-1256.xml").read_bytes()
    relabelled = body.replace(b'encoding="windows-1256"', b'encoding="iso-8859-1"')
    feed = parse_feed(relabelled, content_type="application/rss+xml; charset=windows-1256")
    assert feed.entries[0].title == TITLE


def test_undeclared_legacy_arabic_never_crashes_and_gives_text() -> None:
    """Without any label the bytes are not UTF-8: a fallback reads them, never an exception."""
    for name in ("arabic-windows-1256-undeclared.xml", "arabic-iso-8859-6-undeclared.xml"):
        try:
            feed = parse_feed((FIXTURES / name).read_bytes())
        except FeedParseError:
            continue
        for entry in feed.entries:
            entry.title.encode("utf-8")


# ---- issue 16: every encoding, declared every way or not at all ------------------------------

UNDECLARED = (FIXTURES / "arabic-windows-1256-undeclared.xml").read_bytes().decode("cp1256")
PARAGRAPHS = (
    "أعلنت وزارة الصحة السورية اليوم أن الانفجار الذي وقع في مرفأ اللاذقية أوقع عشرة جرحى، "
    "نقلوا جميعاً إلى المستشفى الوطني لتلقي العلاج.",
    "وقال مدير المرفأ إن فرق الدفاع المدني سيطرت على الحريق خلال ساعة، وإن التحقيق جار "
    "لمعرفة أسباب الانفجار وتقدير الأضرار في الأرصفة.",
)
# (codec, label, byte-order mark)
ENCODINGS = [
    ("cp1256", "windows-1256", b""),
    ("iso8859-6", "iso-8859-6", b""),
    ("utf-16-le", "utf-16", b"\xff\xfe"),
    ("utf-16-be", "utf-16", b"\xfe\xff"),
    ("utf-16-le", "utf-16", b""),
    ("utf-16-be", "utf-16", b""),
]
CASES = [
    pytest.param(codec, name, bom, in_document, in_http, id=f"{codec}{'-bom' * bool(bom)}-{how}")
    for codec, name, bom in ENCODINGS
    for in_document, in_http, how in [
        (False, False, "undeclared"),
        (True, False, "in-document"),
        (False, True, "http-charset"),
        (True, True, "both"),
    ]
]


def arabic_feed(label: str | None) -> str:
    declaration = f'<?xml version="1.0" encoding="{label}"?>\n' if label else ""
    return declaration + UNDECLARED


def arabic_page(label: str | None) -> str:
    meta = f'<meta charset="{label}">' if label else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (
        f'<!doctype html><html lang="ar" dir="rtl"><head>{meta}<title>{TITLE}</title></head>'
        f"<body><nav><a href='/'>الرئيسية</a></nav><article><h1>{TITLE}</h1>{paragraphs}"
        "</article></body></html>"
    )


def content_type(base: str, label: str, in_http: bool) -> str:
    return f"{base}; charset={label}" if in_http else base


@pytest.mark.parametrize(("codec", "label", "bom", "in_document", "in_http"), CASES)
async def test_arabic_feeds_in_every_encoding_are_read_right(
    server: FeedServer, codec: str, label: str, bom: bytes, in_document: bool, in_http: bool
) -> None:
    body = bom + arabic_feed(label if in_document else None).encode(codec)
    server.add("/feed.xml", body, content_type=content_type("text/xml", label, in_http))
    async with Fetcher(bench_settings()) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml"))
    feed = parse_feed(result.body, url=result.url, content_type=result.content_type)
    [entry] = feed.entries
    assert (feed.title, entry.title, html_to_text(entry.summary)) == ("نشرة الاختبار", TITLE, BODY)


@pytest.mark.parametrize(("codec", "label", "bom", "in_document", "in_http"), CASES)
async def test_arabic_pages_in_every_encoding_are_read_right(
    server: FeedServer, codec: str, label: str, bom: bytes, in_document: bool, in_http: bool
) -> None:
    body = bom + arabic_page(label if in_document else None).encode(codec)
    server.add("/story", body, content_type=content_type("text/html", label, in_http))
    async with Fetcher(bench_settings()) as fetcher:
        page = await fetcher.fetch(
            server.url("/story"), accept=ARTICLE_ACCEPT, pool=FetchPool.PAGES
        )
    article = extract_article(page.body, url=page.url, content_type=page.content_type)
    assert article is not None
    assert all(paragraph in article.text for paragraph in PARAGRAPHS)
    assert article.language == "ar"


@pytest.mark.parametrize(
    ("http", "document"),
    [("iso-8859-1", None), ("windows-1252", None), ("iso-8859-1", "iso-8859-1")],
)
def test_arabic_under_a_latin_label_is_read_as_its_bytes_show(
    http: str, document: str | None
) -> None:
    body = arabic_feed(document).encode("cp1256")
    feed = parse_feed(body, content_type=f"text/xml; charset={http}")
    assert feed.entries[0].title == TITLE
    assert feed.encoding == "windows-1256"
    assert feed.bozo
    assert "read as windows-1256" in (feed.bozo_reason or "")
    page = extract_article(
        arabic_page(document).encode("cp1256"), content_type=f"text/html; charset={http}"
    )
    assert page is not None
    assert PARAGRAPHS[0] in page.text


def test_text_that_is_mojibake_in_its_own_bytes_is_refused_with_the_reason() -> None:
    """A publisher's feed whose text was garbled before it was written (valid UTF-8 of
    mojibake): no encoding reads it right, so nothing of it is stored."""
    garbled = TITLE.encode("cp1256").decode("cp1252")
    body = UNDECLARED.encode("cp1256").decode("cp1252").encode("utf-8")
    with pytest.raises(MojibakeError) as caught:  # a FeedParseError: the poller records it
        parse_feed(body, content_type="text/xml; charset=utf-8")
    message = str(caught.value)
    assert "mojibake" in message
    assert "another script read as windows-1252 or Latin-1" in message
    assert "declare its encoding" in message
    page = f"<html><body><article><h1>{garbled}</h1><p>{garbled} — {garbled}.</p>" * 3
    assert extract_article(page.encode(), content_type="text/html; charset=utf-8") is None


async def test_the_poller_stores_undeclared_windows_1256_as_arabic_and_refuses_mojibake(
    database: Database, server: FeedServer
) -> None:
    """The issue's case: windows-1256 served as text/xml, no charset, no XML declaration;
    and beside it a feed whose text is mojibake in any encoding, recorded as a parse error."""
    server.add("/ar.xml", UNDECLARED.encode("cp1256"), content_type="text/xml")
    garbled = UNDECLARED.encode("cp1256").decode("cp1252").encode("utf-8")
    server.add("/garbled.xml", garbled, content_type="text/xml")
    settings = settings_for(database, backfill_count=5)
    arabic_id = await add(database, server.url("/ar.xml"))
    garbled_id = await add(database, server.url("/garbled.xml"))
    async with Fetcher(settings) as fetcher:
        outcomes = {
            o.source_id: o for o in await Poller(settings, database.sessions, fetcher).poll_due()
        }

    assert outcomes[arabic_id].new == 1
    [article] = await articles_of(database, arabic_id)
    assert (article.title, article.text, article.language) == (TITLE, BODY, "ar")
    assert outcomes[garbled_id].status is PollStatus.ERROR
    source = await source_row(database, garbled_id)
    assert source.last_error_kind == "parse"
    assert "mojibake" in (source.last_error or "")
    assert "ÇäÝÌÇÑ" in (source.last_error or "")  # the example a person can recognize
    assert await articles_of(database, garbled_id) == []


async def test_every_encoding_case_of_the_bench_is_handled() -> None:
    """bench/hostile.py's encoding cases (the same matrix, through the real poller) hold."""
    outcomes = await run_feed_encodings() + run_page_encodings()
    assert len(outcomes) == 52
    assert [o for o in outcomes if not o.handled] == []


EUROPEAN = {
    "fr": "Élection présidentielle : le débat télévisé s’est tenu à Paris, déjà très suivi",
    "de": "Die Bundesregierung beschließt Maßnahmen für größere Städte in Köln",
    "es": "El Gobierno español anunció más ayudas; la economía crecerá según el Banco",
    "pt": "O governo anunciou ações para a educação; não há previsão de greve em São Paulo",
    "is": "Ríkisstjórnin kynnti nýjar aðgerðir í húsnæðismálum í gær að sögn ráðherra",
}


@pytest.mark.parametrize("language", sorted(EUROPEAN))
@pytest.mark.parametrize("codec", ["cp1252", "latin-1"])
def test_undeclared_western_european_feeds_and_pages_still_read_right(
    language: str, codec: str
) -> None:
    title = EUROPEAN[language]
    if codec == "latin-1" and "’" in title:
        title = title.replace("’", "'")
    item = f"<item><title>{title}</title></item>"
    feed = f"<rss version='2.0'><channel><title>t</title>{item}</channel></rss>"
    parsed = parse_feed(feed.encode(codec), content_type="text/xml")
    assert parsed.entries[0].title == title
    paragraphs = "".join(f"<p>{title}, {n}.</p>" for n in range(6))
    page = f"<html lang='{language}'><body><article><h1>{title}</h1>{paragraphs}</article>"
    article = extract_article(page.encode(codec), content_type="text/html")
    assert article is not None
    assert title in article.text


# ---- feedparser's encoding category ----------------------------------------------------------


def _encoding_cases() -> list[dict[str, Any]]:
    root = evalset("feeds", "conformance", "feedparser")
    with (root / "MANIFEST.jsonl").open(encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle]
    return [case for case in cases if case["category"] == "encoding"]


def _value(feed: Any, path: list[Any]) -> Any:
    if path == ["encoding"]:
        return feed.encoding
    if path[0] == "entries":
        if len(feed.entries) <= path[1]:
            return None
        field = {"description": "summary"}.get(path[2], path[2])
        # Compare text as it is stored: markup and entities read (&#146; → ’ as feedparser).
        return html_to_text(getattr(feed.entries[path[1]], field))
    return getattr(feed, path[1], None)


def test_feedparser_encoding_category_precedence_and_decoding() -> None:
    root = evalset("feeds", "conformance", "feedparser")
    checked, misses = 0, []
    cases = _encoding_cases()
    assert len(cases) == 82
    for case in cases:
        spec = case["checks"]
        if spec is None:
            continue  # an expectation the manifest could not translate
        headers = {k.lower(): v for k, v in (case["http_headers"] or {}).items()}
        body = (root / case["file"].removeprefix("conformance/feedparser/")).read_bytes()
        feed = parse_feed(body, content_type=headers.get("content-type"))
        for check in spec["checks"]:
            expected = check["equals"]
            if check["path"][0] == "entries":
                expected = html_to_text(expected)
            got = _value(feed, check["path"])
            checked += 1
            if got != expected:
                misses.append(f"{case['file']}: {check['path']} {got!r} != {expected!r}")
        if spec["bozo"] is not None and feed.bozo != spec["bozo"]:
            misses.append(f"{case['file']}: bozo {feed.bozo} != {spec['bozo']}")
    assert not misses, "\n".join(misses)
    assert checked >= 60
