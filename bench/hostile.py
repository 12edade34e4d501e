"""Hostile sources and inputs: a catalogue of attacks run against the real code, and the corpus.

    python -m bench.hostile                  # every case, the whole corpus, the bomb's RSS
    python -m bench.hostile --corpus-sample 200 --skip-bot

Each case states the outcome it is designed to have ("refused as too_large", "valid Telegram
HTML without the script", "answered with the usage line"…) and counts as handled when the
real code does exactly that:

* feeds: hostile documents served by a local aiohttp server (127.0.0.1) and fetched with the
  real Fetcher: a gzip bomb, a server dripping one byte a second, a body that never ends,
  redirect loops and chains, a redirect to file://; then parsed, stored-article-built,
  summarized and rendered: malformed XML, billion laughs, an external entity, huge
  entries, bad encodings, hostile titles and bodies (scripts, text that looks like
  Telegram HTML, bidi overrides, zero-width characters, NULs, lone surrogates).
* bot: hostile command arguments and forged callback data through the real Application
  against FakeTelegram on a fresh SQLite database, with the token scanned for in the logs.
* corpus: every document of ../shared/evalsets/feeds (FEEDS_INDEX.tsv and the feedparser
  suite, with its HTTP headers) through parse → article → summary → post; every post is
  checked with FakeTelegram's own HTML parser, within Telegram's UTF-16 length limits.
  Any exception but FeedParseError counts.
* the gzip bomb (20 MB of zeros in ~20 kB, then a 1 GB one) is fetched in a child process,
  whose peak RSS is reported.
* sources (bench/hostile_sources.py): a feed whose teasers point at ten names of one server
  dripping a byte a second, while another source falls due (how late is it fetched?); Arabic
  in windows-1256, ISO-8859-6 and UTF-16 with and without a BOM, declared every way or not
  at all, as feeds through the real poller and as article pages.

Ends with `hostile: cases=… handled=… corpus_feeds=… exceptions=… bomb_peak_rss_mb=…
stall_healthy_late_s=… stall_slow_poll_s=… encodings=… encodings_read=… encodings_refused=…`.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import re
import resource
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from bench.categorize import default_categories
from bench.hostile_sources import (
    Outcome,
    Stall,
    run_feed_encodings,
    run_page_encodings,
    run_stall,
)
from bot.compose.compose import CategorySet
from bot.compose.post import post_for
from bot.compose.render import CAPTION_LIMIT, TEXT_LIMIT, RenderedPost
from bot.compose.summarize import summarize
from bot.ingest.candidates import build_article, keyed_entries
from bot.ingest.fetch import Fetcher, FetchError
from bot.ingest.parse import FeedParseError, parse_feed
from bot.pipeline.read import SourceInfo
from bot.settings import Settings
from handlers import readers
from handlers.common import toggle_data
from storage.articles import NewArticle
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from storage.models import ArticleStatus
from tests.botharness import ADMIN, AR_USER, EN_USER, GROUP, MEMBER, Harness, bot_harness
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.telegram_server import (
    DEFAULT_TOKEN,
    ApiError,
    HtmlParseError,
    parse_html,
    utf16_len,
)

FEEDS: Final = Path(__file__).resolve().parents[2] / "shared" / "evalsets" / "feeds"
FETCHED_AT: Final = datetime(2026, 1, 28, 9, 0, tzinfo=UTC)

# What render_post may leave in a post: its own direction marks, and nothing else invisible.
ALLOWED_ENTITIES: Final = frozenset({"bold", "text_link"})
MARKS: Final = frozenset({"\u200e", "\u200f"})
_BARE_AMPERSAND: Final = re.compile(r"&(?!(?:lt|gt|amp|quot);)")


# ---- the pipeline a feed goes through, and what its posts must be ------------------------------


def bench_settings(**overrides: object) -> Settings:
    values: dict[str, object] = {"database_url": "sqlite+aiosqlite://", **overrides}
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


def bench_categories() -> CategorySet:
    infos = default_categories()
    return CategorySet.build(infos, {info.slug: i for i, info in enumerate(infos, start=1)})


def articles_of(
    body: bytes, settings: Settings, *, url: str | None = None, content_type: str | None = None
) -> list[NewArticle]:
    """The articles a poll would store from this document (FeedParseError if it is no feed)."""
    feed = parse_feed(body, url=url, content_type=content_type)
    candidates = keyed_entries(feed, base_url=url, limit=settings.max_entries_per_poll)
    return [
        build_article(
            candidate,
            base_url=url,
            language_hint=feed.language,
            fetched_at=FETCHED_AT,
            status=ArticleStatus.NEW,
            max_chars=settings.max_article_chars,
        )
        for candidate in candidates
    ]


def post_of(article: NewArticle, settings: Settings, categories: CategorySet) -> RenderedPost:
    """The article summarized (extractively, as without an LLM), categorized and rendered."""
    summary = summarize(
        article.title,
        article.text,
        article.language,
        max_sentences=settings.summary_sentences,
        max_chars=settings.summary_max_chars,
    )
    decision = categories.categorizer.categorize(
        title=article.title,
        text=article.text,
        tags=article.tags,
        language=article.language,
        fixed=None,
    )
    written = replace(
        article,
        headline=article.title,
        summary=summary,
        category_id=categories.ids.get(decision.slug),
    )
    return post_for(
        written, SourceInfo(url=article.url or ""), categories=categories, settings=settings
    )


def posts_of(
    body: bytes,
    settings: Settings,
    categories: CategorySet,
    *,
    url: str | None = None,
    content_type: str | None = None,
) -> list[RenderedPost]:
    return [
        post_of(a, settings, categories)
        for a in articles_of(body, settings, url=url, content_type=content_type)
    ]


def markup_problems(markup: str, limit: int) -> list[str]:
    """Why `markup` is not Telegram HTML we may send ([] when it is): it must parse as
    Telegram parses it, with bold and links only, every & < > escaped, within `limit` UTF-16
    units after parsing, and with no control, bidi-override, zero-width or surrogate
    characters in its text (render_post's own RLM/LRM marks aside)."""
    problems: list[str] = []
    try:
        text, entities = parse_html(markup)
    except HtmlParseError as exc:
        return [f"Telegram would refuse it: {exc}"]
    kinds = {entity["type"] for entity in entities}
    if not kinds <= ALLOWED_ENTITIES:
        problems.append(f"entities {sorted(kinds - ALLOWED_ENTITIES)}")
    if _BARE_AMPERSAND.search(markup):
        problems.append("an unescaped &")
    bare = re.sub(r"</?b>|<a href=\"[^\"<>]*\">|</a>", "", markup)
    if "<" in bare or ">" in bare:
        problems.append("an unescaped < or >")
    units = utf16_len(text.strip())
    if not 0 < units <= limit:
        problems.append(f"{units} UTF-16 units (limit {limit})")
    odd = sorted({f"U+{ord(c):04X}" for c in text if _invisible(c)})
    if odd:
        problems.append(f"invisible characters {', '.join(odd[:5])}")
    return problems


def _invisible(char: str) -> bool:
    if char == "\n" or char in MARKS:
        return False
    category = unicodedata.category(char)
    if category in ("Cc", "Cs") or char in "\ufffe\uffff":
        return True
    return category == "Cf" and char not in "\u200c\u200d"  # joiners shape words and emoji


def post_problems(post: RenderedPost) -> list[str]:
    problems = markup_problems(post.text, TEXT_LIMIT)
    if post.caption is not None:
        problems += [f"caption: {p}" for p in markup_problems(post.caption, CAPTION_LIMIT)]
    if post.button_url is not None and not post.button_url.startswith(("http://", "https://")):
        problems.append(f"button to {post.button_url[:40]!r}")
    return problems


# ---- the corpus ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Document:
    name: str
    path: Path
    content_type: str | None = None


@dataclass
class CorpusRun:
    documents: int = 0
    feeds: int = 0
    not_feeds: int = 0
    entries: int = 0
    posts: int = 0
    exceptions: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    seconds: float = 0.0


def corpus(root: Path = FEEDS) -> list[Document]:
    """Every real feed of FEEDS_INDEX.tsv, then every file of the feedparser suite (with the
    Content-Type its HTTP tests are served with)."""
    documents = []
    with (root / "FEEDS_INDEX.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            documents.append(Document(row["file"], root / row["file"]))
    suite = root / "conformance" / "feedparser"
    with (suite / "MANIFEST.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            case = json.loads(line)
            headers = {k.lower(): v for k, v in (case["http_headers"] or {}).items()}
            path = suite / case["file"].removeprefix("conformance/feedparser/")
            documents.append(Document(case["file"], path, headers.get("content-type")))
    return documents


def sample(documents: list[Document], size: int | None) -> list[Document]:
    """`size` documents spread evenly over the list (a fixed, reproducible choice)."""
    if size is None or size >= len(documents):
        return documents
    step = len(documents) / size
    return [documents[int(i * step)] for i in range(size)]


def run_corpus(documents: list[Document], settings: Settings | None = None) -> CorpusRun:
    settings = settings or bench_settings()
    categories = bench_categories()
    run = CorpusRun()
    started = time.perf_counter()
    for document in documents:
        run.documents += 1
        body = document.path.read_bytes()
        url = f"https://feeds.example/{document.name}"
        try:
            articles = articles_of(body, settings, url=url, content_type=document.content_type)
        except FeedParseError:
            run.not_feeds += 1
            continue
        except Exception as exc:
            run.exceptions.append(f"{document.name}: parse: {_one_line(exc)}")
            continue
        run.feeds += 1
        run.entries += len(articles)
        for index, article in enumerate(articles):
            try:
                post = post_of(article, settings, categories)
            except Exception as exc:
                run.exceptions.append(f"{document.name}[{index}]: {_one_line(exc)}")
                continue
            run.posts += 1
            problems = post_problems(post)
            if problems:
                run.invalid.append(f"{document.name}[{index}]: {'; '.join(problems)}")
    run.seconds = time.perf_counter() - started
    return run


def _one_line(exc: BaseException) -> str:
    where = traceback.extract_tb(exc.__traceback__)[-1:] if exc.__traceback__ else []
    at = f" at {Path(where[0].filename).name}:{where[0].lineno}" if where else ""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:200]}{at}"


# ---- the catalogue ----------------------------------------------------------------------------


Check = Callable[[list[RenderedPost]], str | None]  # None when as designed, else what went wrong


@dataclass(frozen=True, slots=True)
class DocumentCase:
    """A hostile document, parsed → article → summary → post without any network."""

    name: str
    expected: str
    body: bytes
    check: Check
    content_type: str | None = None


def _rss_item(title: str, description: str = "", *, link: str = "https://e.example/1") -> str:
    return (
        f"<item><title>{title}</title><link>{link}</link>"
        f"<description>{description}</description></item>"
    )


def rss_document(items: list[str], *, encoding: str = "utf-8", declare: bool = True) -> bytes:
    head = f'<?xml version="1.0" encoding="{encoding}"?>' if declare else ""
    text = (
        f'{head}<rss version="2.0"><channel><title>Hostile</title>'
        f"<link>https://e.example/</link>{''.join(items)}</channel></rss>"
    )
    return text.encode(encoding)


def json_feed(title: str, content_html: str = "") -> bytes:
    item = {"id": "1", "url": "https://e.example/1", "title": title, "content_html": content_html}
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Hostile", "items": [item]}
    return json.dumps(feed).encode("ascii")  # escapes lone surrogates as \\ud800, as JSON may


def visible(post: RenderedPost) -> str:
    return parse_html(post.text)[0]


def one_post(predicate: Callable[[RenderedPost, str], str | None]) -> Check:
    """A check for a document of one entry: its post is valid and `predicate` holds."""

    def check(posts: list[RenderedPost]) -> str | None:
        if len(posts) != 1:
            return f"{len(posts)} posts, expected 1"
        problems = post_problems(posts[0])
        if problems:
            return "; ".join(problems)
        return predicate(posts[0], visible(posts[0]))

    return check


def shows(*wanted: str, absent: tuple[str, ...] = ()) -> Check:
    """The one post's visible text contains each of `wanted` and none of `absent`."""

    def predicate(post: RenderedPost, text: str) -> str | None:
        missing = [w for w in wanted if w not in text]
        present = [a for a in absent if a in text or a in post.text]
        if missing or present:
            return f"missing {missing!r}, present {present!r}"
        return None

    return one_post(predicate)


def entries_at_most(limit: int) -> Check:
    def check(posts: list[RenderedPost]) -> str | None:
        if not 0 < len(posts) <= limit:
            return f"{len(posts)} posts (limit {limit})"
        bad = [p for post in posts for p in post_problems(post)]
        return "; ".join(bad[:3]) or None

    return check


def bold_only_headline(post: RenderedPost, text: str) -> str | None:
    tags = re.findall(r"<[^>]*>", post.text)
    return None if tags == ["<b>", "</b>"] else f"tags {tags!r}"


LEAD_BODY: Final = (
    "The harbour authority approved the expansion of the eastern container terminal on "
    "Tuesday after two years of negotiations. Officials said it would double capacity."
)


def headline_is_lead(post: RenderedPost, text: str) -> str | None:
    headline = text.split("\n", 1)[0]
    if not headline.startswith("The harbour authority approved") or '""' in text:
        return f"headline {headline[:60]!r}"
    return bold_only_headline(post, text)


def untitled_attribution(text: str) -> str | None:
    if '""' in text or "titled" in text or "بعنوان" in text:
        return f"{text[:120]!r}"
    return None


BIDI_AND_ZERO_WIDTH: Final = (
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\u2060\ufeff"
)
ARABIC_TITLE: Final = "انفجار في مرفأ اللاذقية يوقع إصابات"


def document_cases() -> list[DocumentCase]:
    laughs = "".join(f'<!ENTITY l{i + 1} "{f"&l{i};" * 10}">' for i in range(9))
    billion_laughs = (
        f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY l0 "lol">{laughs}]>'
        '<rss version="2.0"><channel><title>t</title>'
        f"{_rss_item('Laughs &l9;')}</channel></rss>"
    ).encode()
    xxe = (
        '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        f'<rss version="2.0"><channel><title>t</title>{_rss_item("Entity &x; here")}'
        "</channel></rss>"
    ).encode()
    huge_title = "Headline " + "word " * 200_000
    many = [
        _rss_item(f"Story {i}", f"Body {i}.", link=f"https://e.example/{i}") for i in range(5000)
    ]
    deep = "<div>" * 5000 + "deep text" + "</div>" * 5000
    return [
        DocumentCase(
            "script-in-body",
            "rendered valid HTML; script and style text dropped",
            rss_document(
                [
                    _rss_item(
                        "Clean title",
                        "&lt;p&gt;Real text.&lt;script&gt;alert('x')&lt;/script&gt;"
                        "&lt;style&gt;p{color:red}&lt;/style&gt;&lt;/p&gt;",
                    )
                ]
            ),
            shows("Real text.", absent=("alert", "color:red", "<script")),
        ),
        DocumentCase(
            "markup-in-title",
            "tags in a title stripped to their text, never Telegram markup",
            rss_document(
                [
                    _rss_item(
                        "&lt;b&gt;Bold&lt;/b&gt; &lt;a href='https://evil.example'&gt;link&lt;/a&gt;"
                    )
                ]
            ),
            one_post(
                lambda post, text: (
                    bold_only_headline(post, text)
                    or (None if "Bold link" in text and "evil" not in post.text else text[:80])
                )
            ),
        ),
        DocumentCase(
            "telegram-html-lookalike",
            "text that reads as Telegram HTML shown literally, escaped",
            rss_document([_rss_item("Use &amp;lt;b&amp;gt;bold&amp;lt;/b&amp;gt; &amp;amp;lt;")]),
            one_post(
                lambda post, text: (
                    bold_only_headline(post, text)
                    or (None if "<b>bold</b>" in text else f"{text[:80]!r}")
                )
            ),
        ),
        DocumentCase(
            "tg-tags-in-cdata",
            "<tg-spoiler>, <a>, <pre> inside CDATA stripped to text",
            rss_document(
                [
                    _rss_item(
                        "<![CDATA[<tg-spoiler>hidden</tg-spoiler> <pre>code</pre> "
                        '<a href="tg://user?id=1">me</a>]]>',
                        "<![CDATA[<blockquote expandable>Quoted</blockquote>]]>",
                    )
                ]
            ),
            one_post(
                lambda post, text: (
                    bold_only_headline(post, text)
                    or (
                        None if "hidden code me" in text and "tg://" not in post.text else text[:80]
                    )
                )
            ),
        ),
        DocumentCase(
            "bidi-and-zero-width",
            "bidi overrides, isolates and zero-width characters removed",
            json_feed(
                f"{ARABIC_TITLE[:6]}\u202e{ARABIC_TITLE[6:]}\u2066x\u2069\u200b", "<p>a\u202eb</p>"
            ),
            one_post(
                lambda post, text: (
                    None
                    if not any(c in post.text for c in BIDI_AND_ZERO_WIDTH) and ARABIC_TITLE in text
                    else f"{text[:80]!r}"
                )
            ),
        ),
        DocumentCase(
            "nul-and-lone-surrogates",
            "NULs, C0 controls and lone surrogates (legal in JSON) removed",
            json_feed("A\u0000B\ud800C\udfffD\u0007E", "<p>x\u0000y\ud83dz</p>"),
            shows("ABCDE", absent=("\x00", "\ud800", "\udfff", "\x07")),
        ),
        DocumentCase(
            "numeric-references-to-controls",
            "&#0;-style references in HTML content decoded harmlessly",
            json_feed("Ref &#0;&#x202E;&#xD800;&#1;ok", "<p>&#0;&#27;text&#xFEFF;</p>"),
            shows("ok", absent=("\x00", "\u202e", "\x1b")),
        ),
        DocumentCase(
            "billion-laughs",
            "internal entities not expanded; a small post",
            billion_laughs,
            one_post(lambda post, text: None if "lollol" not in text else "entities expanded"),
        ),
        DocumentCase(
            "external-entity",
            "an external entity (file:///etc/passwd) never read",
            xxe,
            one_post(lambda post, text: None if "root:" not in text else "/etc/passwd read"),
        ),
        DocumentCase(
            "unexpanded-entity-in-title",
            "a reference the parser left unexpanded (&l9;) removed, not shown",
            billion_laughs,
            shows("Laughs", absent=("&l9;", "&amp;l9;")),
        ),
        DocumentCase(
            "unexpanded-entity-in-text",
            "&x; and &lol9; in a title and body removed",
            rss_document([_rss_item("Entity &amp;x; here", "Body &amp;lol9; text, long enough.")]),
            shows("Entity here", "Body text", absent=("&x;", "&lol9;", "&amp;")),
        ),
        DocumentCase(
            "title-of-tags-only",
            "a title of tags alone: the headline is the text's first words",
            rss_document([_rss_item("&lt;b&gt;&lt;/b&gt;&lt;img src='x.png'&gt;", LEAD_BODY)]),
            one_post(lambda post, text: headline_is_lead(post, text)),
        ),
        DocumentCase(
            "title-of-marks-only",
            "a title of combining marks alone: the headline is the text's first words",
            rss_document([_rss_item("&#x301;&#x651;&#x301;", LEAD_BODY)]),
            one_post(lambda post, text: headline_is_lead(post, text)),
        ),
        DocumentCase(
            "no-title-no-text",
            'no title and no text: the attribution names none, never titled ""',
            rss_document([_rss_item("", "")]),
            one_post(lambda post, text: untitled_attribution(text)),
        ),
        DocumentCase(
            "huge-title",
            "a 1 MB title stored capped and rendered within 4096 units",
            rss_document([_rss_item(huge_title, "Short body.")]),
            one_post(lambda post, text: None),
        ),
        DocumentCase(
            "5000-entries",
            "only MAX_ENTRIES_PER_POLL (200) entries handled",
            rss_document(many),
            entries_at_most(200),
        ),
        DocumentCase(
            "deeply-nested-html",
            "5000 nested <div>s in a body read without a crash",
            rss_document([_rss_item("Nested", deep.replace("<", "&lt;").replace(">", "&gt;"))]),
            one_post(lambda post, text: None),
        ),
        DocumentCase(
            "malformed-xml",
            "unclosed tags recovered from, or refused as no feed",
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>t<item><title>Broken'
            b"<link>https://e.example/1</item>",
            lambda posts: "; ".join(p for post in posts for p in post_problems(post)) or None,
        ),
        DocumentCase(
            "arabic-windows-1256",
            "Arabic in windows-1256 (declared) decodes exactly",
            rss_document([_rss_item(ARABIC_TITLE)], encoding="windows-1256"),
            shows(ARABIC_TITLE),
        ),
        DocumentCase(
            "arabic-iso-8859-6-http-charset",
            "Arabic in ISO-8859-6, declared only by the HTTP charset, decodes exactly",
            rss_document([_rss_item(ARABIC_TITLE)], encoding="iso-8859-6", declare=False),
            shows(ARABIC_TITLE),
            content_type="application/rss+xml; charset=iso-8859-6",
        ),
        DocumentCase(
            "mislabelled-encoding",
            "windows-1256 bytes labelled UTF-8 give valid text, not a crash",
            rss_document([_rss_item(ARABIC_TITLE)], encoding="windows-1256").replace(
                b"windows-1256", b"utf-8"
            ),
            lambda posts: "; ".join(p for post in posts for p in post_problems(post)) or None,
        ),
    ]


def run_document_case(case: DocumentCase, settings: Settings, categories: CategorySet) -> Outcome:
    try:
        posts = posts_of(
            case.body,
            settings,
            categories,
            url="https://e.example/feed",
            content_type=case.content_type,
        )
    except FeedParseError as exc:
        if case.name == "malformed-xml":
            return Outcome(case.name, case.expected, True, f"refused: {exc}")
        return Outcome(case.name, case.expected, False, f"FeedParseError: {exc}")
    except Exception as exc:
        return Outcome(case.name, case.expected, False, _one_line(exc))
    wrong = case.check(posts)
    return Outcome(case.name, case.expected, wrong is None, wrong or "")


# ---- fetches from a hostile server ------------------------------------------------------------

BOMB_BYTES: Final = 1 << 30  # 1 GiB of zeros, about 1 MB gzipped
FETCH_LIMITS: Final[dict[str, object]] = {
    "fetch_max_bytes": 1_000_000,
    "fetch_total_timeout": 3.0,
    "fetch_read_timeout": 2.0,
    "fetch_max_redirects": 5,
}
# The hostile server listens on loopback, which the fetcher's SSRF guard refuses unless allowed.
if "fetch_allow_networks" in Settings.model_fields:
    FETCH_LIMITS["fetch_allow_networks"] = "127.0.0.1/32"


def gzip_bomb(size: int) -> bytes:
    """`size` zero bytes gzipped, built a megabyte at a time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunk = bytes(1 << 20)
    parts = [
        compressor.compress(chunk[: min(len(chunk), size - start)])
        for start in range(0, size, len(chunk))
    ]
    return b"".join(parts) + compressor.flush()


@dataclass(frozen=True, slots=True)
class FetchCase:
    name: str
    expected_kind: str  # the FetchErrorKind the fetch must fail with
    path: str
    setup: Callable[[FeedServer], None]
    within_seconds: float = 10.0


def fetch_cases(bomb: bytes) -> list[FetchCase]:
    def served(path: str, body: bytes, **kwargs: object) -> Callable[[FeedServer], None]:
        return lambda server: server.add(path, body, **kwargs)  # type: ignore[arg-type]

    def loop(server: FeedServer) -> None:
        server.add_redirect("/loop-a", "/loop-b")
        server.add_redirect("/loop-b", "/loop-a", status=302)

    def chain(server: FeedServer) -> None:
        for hop in range(6):
            server.add_redirect(f"/hop{hop}", f"/hop{hop + 1}")
        server.add("/hop6", rss_document([_rss_item("end")]))

    return [
        FetchCase(
            "gzip-bomb",
            "too_large",
            "/bomb.xml",
            served("/bomb.xml", bomb, compress=None, headers={"Content-Encoding": "gzip"}),
        ),
        FetchCase(
            "deflate-bomb",
            "too_large",
            "/deflate.xml",
            served(
                "/deflate.xml",
                zlib.compress(bytes(50_000_000), 9),
                compress=None,
                headers={"Content-Encoding": "deflate"},
            ),
        ),
        FetchCase(
            "huge-content-length",
            "too_large",
            "/huge-declared",
            lambda server: server.add_stream("/huge-declared", 5_000_000_000),
        ),
        FetchCase(
            "endless-chunked-body",
            "too_large",
            "/endless",
            lambda server: server.add_stream("/endless", 10_000_000_000, declare_length=False),
        ),
        FetchCase(
            "one-byte-a-second",
            "timeout",
            "/drip",
            lambda server: server.add_drip("/drip", b"<rss>" * 100, interval=1.0),
            within_seconds=5.0,
        ),
        FetchCase("redirect-loop", "too_many_redirects", "/loop-a", loop),
        FetchCase("six-redirects", "too_many_redirects", "/hop0", chain),
        FetchCase(
            "redirect-to-file",
            "invalid_url",
            "/to-file",
            lambda server: server.add_redirect("/to-file", "file:///etc/passwd"),
        ),
    ]


async def run_fetch_cases(bomb: bytes) -> list[Outcome]:
    outcomes = []
    async with FeedServer() as server, Fetcher(bench_settings(**FETCH_LIMITS)) as fetcher:
        for case in fetch_cases(bomb):
            case.setup(server)
            expected = f"refused as {case.expected_kind} within {case.within_seconds:.0f} s"
            started = time.perf_counter()
            try:
                await fetcher.fetch(server.url(case.path))
            except FetchError as exc:
                seconds = time.perf_counter() - started
                handled = exc.kind == case.expected_kind and seconds <= case.within_seconds
                detail = f"{exc.kind} after {seconds:.1f} s: {exc.message}"
                outcomes.append(Outcome(case.name, expected, handled, detail))
                continue
            except Exception as exc:
                outcomes.append(Outcome(case.name, expected, False, _one_line(exc)))
                continue
            outcomes.append(Outcome(case.name, expected, False, "fetched"))
    return outcomes


def bomb_child(path: str) -> None:
    """In a child process: serve the gzip bomb in `path` and fetch it; print JSON with the
    outcome, the RSS before the fetch and the peak RSS (server and fetcher in this process)."""

    bomb = Path(path).read_bytes()

    async def go() -> dict[str, object]:
        async with FeedServer() as server, Fetcher(bench_settings(**FETCH_LIMITS)) as fetcher:
            server.add("/bomb.xml", bomb, compress=None, headers={"Content-Encoding": "gzip"})
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            try:
                await fetcher.fetch(server.url("/bomb.xml"))
                kind = "fetched"
            except FetchError as exc:
                kind = str(exc.kind)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {"kind": kind, "gzipped": len(bomb), "rss_before_mb": before, "peak_rss_mb": peak}

    print(json.dumps(asyncio.run(go())))


def measure_bomb(size: int) -> dict[str, object]:
    with tempfile.NamedTemporaryFile(suffix=".gz") as file:
        file.write(gzip_bomb(size))
        file.flush()
        result = subprocess.run(
            [sys.executable, "-m", "bench.hostile", "--bomb-child", file.name],
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        return {"kind": "child failed", "peak_rss_mb": 0.0, "error": result.stderr[-2000:]}
    figures: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


# ---- the bot: hostile command arguments and forged callbacks ----------------------------------

COMMANDS: Final = (*readers.COMMANDS, "politics", "sports")  # two category shortcuts too
HOSTILE_ARGUMENTS: Final = (
    "",
    "x" * 4000,  # with the command, a message near Telegram's 4096 limit
    "سياسة " * 600,
    "1 2 3 4 5 6 7 8 9 10 11 12",
    "-1",
    "99999999999999999999999999",
    "0x10",
    "١٥",
    "\u202eevil\u202c \u2066x\u2069",
    "\u200b\u200c\u200d\ufeff",
    "🇸🇾👨‍👩‍👧 emoji",
    "<b>bold</b> &amp; &lt; <a href='tg://x'>",
    "' OR 1=1; DROP TABLE chats; --",
    "%s %(x)s {0} {category}",
    "all",
    "off",
    "23:00 07:00 Mars/Olympus",
    "25:99 07:00",
    "ar en",
    "\\x00 \\ud800",
    "/start /help",
)


def forged_callbacks(category_id: int) -> list[str]:
    return [
        f"sub:v1:{category_id}:-1005001",  # another chat named in the data
        f"sub:v2:{category_id}",  # a version that does not exist
        "sub:v1:999999",  # a category that does not exist
        "sub:v1:0",
        "sub:v1:-1",
        f"sub:v1:{category_id} ",
        "sub:v1:" + "9" * 60,
        "admin:ban:1002",
        "unsub:all",
        "x" * 64,
        "",
        "\u202e\u0000",
    ]


class LogRecords(logging.Handler):
    """Every record logged while the bot runs, rendered as it would be output."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.formatter_ = logging.Formatter("%(levelname)s %(name)s: %(message)s")

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record))


@asynccontextmanager
async def bot_on_fresh_database() -> AsyncIterator[Harness]:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{directory}/hostile.db"
        engine = create_engine(url)
        try:
            await upgrade(engine)
            async with bot_harness(Database(url, engine, create_sessionmaker(engine))) as bot:
                yield bot
        finally:
            await engine.dispose()


async def answered(bot: Harness, chat: int, user: int, text: str) -> str | None:
    """None when the bot answers `text` in `chat` with a message, else why not."""
    try:
        await bot.command(chat, user, text)
    except AssertionError:
        return "no answer"
    return None


async def run_bot_cases() -> list[Outcome]:
    outcomes: list[Outcome] = []
    records = LogRecords()
    root = logging.getLogger()
    root.addHandler(records)
    previous = root.level
    root.setLevel(logging.INFO)
    try:
        async with bot_on_fresh_database() as bot:
            outcomes += await command_cases(bot, records)
            outcomes += await callback_cases(bot)
            outcomes.append(await failure_case(bot, records))
    finally:
        root.removeHandler(records)
        root.setLevel(previous)
    secret = DEFAULT_TOKEN.split(":", 1)[1]
    leaks = [line for line in records.lines if secret in line]
    outcomes.append(
        Outcome("token-in-logs", "the token's secret part in no log line", not leaks, *leaks[:1])
    )
    return outcomes


async def command_cases(bot: Harness, records: LogRecords) -> list[Outcome]:
    outcomes = []
    for chat, user in ((EN_USER, EN_USER), (GROUP, MEMBER)):
        for command in COMMANDS:
            for argument in HOSTILE_ARGUMENTS:
                text = f"/{command} {argument}".strip()[:4096]
                name = f"/{command} {argument[:20]!r} in {'group' if chat < 0 else 'private'}"
                before = len(records.lines)
                why = await answered(bot, chat, user, text)
                failed = [line for line in records.lines[before:] if " failed:" in line]
                if why is None and failed:
                    why = failed[0].splitlines()[-1][:200]
                outcomes.append(Outcome(name, "answered, no handler error", why is None, why or ""))
    return outcomes


async def callback_cases(bot: Harness) -> list[Outcome]:
    outcomes = []
    [keyboard] = await bot.command(AR_USER, AR_USER, "/start")
    [group_keyboard] = await bot.command(GROUP, ADMIN, "/start")
    politics = await bot.category_id("politics")
    for chat, user, message in (
        (AR_USER, AR_USER, keyboard),
        (GROUP, MEMBER, group_keyboard),  # a member, not an admin, pressing forged data
    ):
        for data in forged_callbacks(politics) + ([toggle_data(politics)] if chat < 0 else []):
            name = f"callback {data[:24]!r} in {'group by a member' if chat < 0 else 'private'}"
            expected = "refused with an alert, nothing changed"
            try:
                answer = await bot.press(chat, user, message.message_id, data)
            except AssertionError:
                outcomes.append(Outcome(name, expected, False, "no answer"))
                continue
            unchanged = message.edit_count == 0 and await bot.subscriptions(chat) == set()
            alert = bool(answer.get("show_alert"))
            outcomes.append(Outcome(name, expected, unchanged and alert, str(answer)[:120]))
    return outcomes


async def failure_case(bot: Harness, records: LogRecords) -> Outcome:
    """Telegram failing a reply: the reader gets an apology, the log a traceback, no token."""
    before = len(records.lines)
    bot.tg.fail_next("sendMessage", chat_id=EN_USER, error=ApiError.server_error())
    why = await answered(bot, EN_USER, EN_USER, "/help")
    logged = any(" failed:" in line for line in records.lines[before:])
    return Outcome(
        "telegram-500-on-reply",
        "apology sent, failure logged without the token",
        why is None and logged,
        why or ("" if logged else "nothing logged"),
    )


# ---- main ---------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--corpus-sample", type=int, default=None, help="documents (default all)")
    parser.add_argument("--skip-bot", action="store_true", help="leave out the bot's cases")
    parser.add_argument("--bomb-mb", type=int, default=1024, help="the bomb's inflated size")
    parser.add_argument("--verbose", action="store_true", help="print every case")
    parser.add_argument("--bomb-child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bomb_child is not None:
        bomb_child(args.bomb_child)
        return 0
    logging.getLogger().addHandler(logging.NullHandler())  # the bot's failures are by design
    settings, categories = bench_settings(), bench_categories()
    outcomes = [run_document_case(case, settings, categories) for case in document_cases()]
    outcomes += asyncio.run(run_fetch_cases(gzip_bomb(20_000_000)))
    stall_outcome, stall = asyncio.run(run_stall())
    encodings = asyncio.run(run_feed_encodings()) + run_page_encodings()
    outcomes += [stall_outcome, *encodings]
    if not args.skip_bot:
        outcomes += asyncio.run(run_bot_cases())
    for outcome in outcomes:
        if args.verbose or not outcome.handled:
            mark = "ok  " if outcome.handled else "FAIL"
            print(f"{mark} {outcome.case}: {outcome.expected} — {outcome.detail[:160]}")
    handled = sum(o.handled for o in outcomes)
    print(f"cases: {len(outcomes)} tried, {handled} handled as designed")
    print(f"stall: {stall_outcome.detail}")
    refused = [o for o in encodings if o.handled and "refused" in o.expected]
    print(
        f"encodings: {len(encodings)} feeds and pages, {sum(o.handled for o in encodings)} "
        f"handled: {sum(o.handled for o in encodings) - len(refused)} read right, "
        f"{len(refused)} mojibake refused with a recorded error"
    )

    documents = sample(corpus(), args.corpus_sample)
    run = run_corpus(documents, settings)
    print(
        f"corpus: {run.documents} documents, {run.feeds} feeds, {run.not_feeds} refused as no "
        f"feed, {run.entries} entries → {run.posts} posts in {run.seconds:.1f} s; "
        f"{len(run.exceptions)} exceptions, {len(run.invalid)} invalid posts"
    )
    for line in (run.exceptions + run.invalid)[:20]:
        print(f"  {line}")

    bomb = measure_bomb(args.bomb_mb << 20)
    print(
        f"bomb: {args.bomb_mb} MB of zeros as {bomb.get('gzipped', '?')} bytes gzipped → "
        f"{bomb.get('kind')}; RSS {bomb.get('rss_before_mb', 0):.0f} MB before the fetch "
        f"(imports, server), peak {bomb.get('peak_rss_mb', 0):.0f} MB"
    )
    exceptions = len(run.exceptions) + len(run.invalid)
    print(
        f"hostile: cases={len(outcomes)} handled={handled} corpus_feeds={run.feeds} "
        f"exceptions={exceptions} bomb_peak_rss_mb={float(str(bomb['peak_rss_mb'])):.0f} "
        f"{stall_fields(stall)} encodings={len(encodings)} "
        f"encodings_read={sum(o.handled for o in encodings) - len(refused)} "
        f"encodings_refused={len(refused)}"
    )
    return 0


def stall_fields(stall: Stall) -> str:
    return (
        f"stall_healthy_late_s={stall.healthy_late_s:.2f} stall_slow_poll_s={stall.slow_poll_s:.1f}"
    )


if __name__ == "__main__":
    sys.exit(main())
