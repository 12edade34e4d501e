"""Sitemaps (sitemaps.org 0.9 with Google's news and image extensions) to typed, bounded lists.

Pure and streaming: the document goes through expat in pieces (a gzip body is decompressed
piece by piece, at most MAX_UNCOMPRESSED bytes), at most `max_urls` entries are read (the
protocol's own limit is 50,000) and only the `keep` newest are held, so a sitemap of any size
costs bounded memory and time. Entity declarations are refused (no billion laughs, no
external entities) and nothing is fetched while parsing.
"""

from __future__ import annotations

import heapq
import xml.parsers.expat as expat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final, NoReturn
from urllib.parse import urljoin

from bot.ingest.parse_common import utc_from_text
from bot.text.clean import clean_text

MAX_URLS: Final = 50_000
MAX_UNCOMPRESSED: Final = 50 * 1024 * 1024
MAX_URL_CHARS: Final = 2048
DEFAULT_KEEP: Final = 5_000
_PIECE: Final = 256 * 1024
_FIELD_CHARS: Final = 4096
_GZIP_MAGIC: Final = b"\x1f\x8b"
# Leaf elements read, by (parent, local name); the news ones sit in <news:news> or below.
_FIELDS: Final = {
    ("url", "loc"): "loc",
    ("sitemap", "loc"): "loc",
    ("url", "lastmod"): "lastmod",
    ("sitemap", "lastmod"): "lastmod",
    ("news", "title"): "title",
    ("news", "publication_date"): "published",
    ("publication", "language"): "language",
    ("publication", "name"): "publication",
    ("image", "loc"): "image",
}


_TEXT_FIELDS: Final = frozenset({"title", "publication"})


class SitemapKind(StrEnum):
    URLSET = "urlset"
    INDEX = "sitemapindex"


class SitemapError(Exception):
    """The document is not a sitemap this reader can use; the message says why."""


@dataclass(frozen=True, slots=True)
class SitemapUrl:
    """A page the sitemap lists, with what the sitemap says about it."""

    url: str
    lastmod: datetime | None = None
    title: str | None = None
    published: datetime | None = None
    language: str | None = None
    publication: str | None = None
    image_url: str | None = None

    @property
    def date(self) -> datetime | None:
        """The news publication date, else the last modification."""
        return self.published or self.lastmod


@dataclass(frozen=True, slots=True)
class Sitemap:
    """A parsed sitemap. `urls` are its pages (for an index: the sitemaps it lists), newest
    first, at most `keep`; `read` counts the entries read; `truncated` says `max_urls` stopped
    the reading; `news` says some entry carried <news:news>."""

    kind: SitemapKind
    urls: tuple[SitemapUrl, ...]
    read: int
    truncated: bool = False
    news: bool = False


def parse_sitemap(
    body: bytes, *, url: str | None = None, keep: int = DEFAULT_KEEP, max_urls: int = MAX_URLS
) -> Sitemap:
    """The sitemap or sitemap index in `body` (gzip or not); relative locations are
    resolved against `url`. Raises SitemapError, and nothing else, for anything else."""
    reader = _Reader(url, keep, max_urls)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.buffer_text = True
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.characters
    parser.EntityDeclHandler = _refuse_entity
    parser.UnparsedEntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity
    try:
        for piece in _pieces(body):
            parser.Parse(piece, False)
        parser.Parse(b"", True)
    except _Enough:
        reader.truncated = True
    except expat.ExpatError as exc:
        raise SitemapError(f"not well-formed XML: {expat.ErrorString(exc.code)}") from None
    except zlib.error as exc:
        raise SitemapError(f"a broken gzip body: {exc}") from None
    return reader.result()


class _Enough(Exception):
    """max_urls entries have been read."""


class _Reader:
    """expat callbacks that collect <url>/<sitemap> entries into a bounded heap."""

    def __init__(self, base: str | None, keep: int, max_urls: int) -> None:
        self.base = base
        self.keep = max(0, keep)
        self.max_urls = max_urls
        self.kind: SitemapKind | None = None
        self.stack: list[str] = []
        self.fields: dict[str, str] = {}
        self.field: str | None = None
        self.text: list[str] = []
        self.heap: list[tuple[tuple[int, float, int], SitemapUrl]] = []
        self.read = 0
        self.truncated = False
        self.news = False

    def start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(" ")[2]
        if self.kind is None:
            if local not in (SitemapKind.URLSET, SitemapKind.INDEX):
                raise SitemapError(f"not a sitemap: its root element is <{local[:40]}>")
            self.kind = SitemapKind(local)
        parent = self.stack[-1] if self.stack else ""
        self.stack.append(local)
        if local in ("url", "sitemap") and len(self.stack) == 2:
            if self.read >= self.max_urls:
                raise _Enough
            self.fields = {}
        elif local == "news":
            self.news = True
        self.field = _FIELDS.get((parent, local)) if len(self.stack) > 2 else None
        self.text = []

    def characters(self, data: str) -> None:
        if self.field is not None and len(self.text) < 64:
            self.text.append(data)

    def end(self, name: str) -> None:
        local = self.stack.pop()
        if self.field is not None:
            value = "".join(self.text)[:_FIELD_CHARS]
            text = clean_text(value) if self.field in _TEXT_FIELDS else value.strip()
            self.fields.setdefault(self.field, text)
            self.field = None
        if local in ("url", "sitemap") and len(self.stack) == 1:
            self.read += 1
            self._add(self.fields)

    def _add(self, fields: dict[str, str]) -> None:
        location = _absolute(fields.get("loc"), self.base)
        if location is None or self.keep == 0:
            return
        item = SitemapUrl(
            url=location,
            lastmod=utc_from_text(fields.get("lastmod")),
            title=fields.get("title") or None,
            published=utc_from_text(fields.get("published")),
            language=(fields.get("language") or "").lower() or None,
            publication=fields.get("publication") or None,
            image_url=_absolute(fields.get("image"), self.base),
        )
        date = item.date
        key = (1, date.timestamp(), -self.read) if date else (0, 0.0, -self.read)
        if len(self.heap) < self.keep:
            heapq.heappush(self.heap, (key, item))
        elif key > self.heap[0][0]:
            heapq.heapreplace(self.heap, (key, item))

    def result(self) -> Sitemap:
        if self.kind is None:
            raise SitemapError("an empty document")
        ordered = sorted(self.heap, key=lambda pair: pair[0], reverse=True)
        return Sitemap(
            kind=self.kind,
            urls=tuple(item for _, item in ordered),
            read=self.read,
            truncated=self.truncated,
            news=self.news,
        )


def _pieces(body: bytes) -> Iterator[bytes]:
    """The body in pieces; a gzip body decompressed as it is read, MAX_UNCOMPRESSED at most."""
    if body[:2] != _GZIP_MAGIC:
        for start in range(0, len(body), _PIECE):
            yield body[start : start + _PIECE]
        return
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    pending, total = body, 0
    while pending:
        piece = inflater.decompress(pending, _PIECE)
        pending = inflater.unconsumed_tail
        total += len(piece)
        if total > MAX_UNCOMPRESSED:
            raise SitemapError(f"over {MAX_UNCOMPRESSED} bytes once decompressed")
        yield piece
    yield inflater.flush()
    if not inflater.eof:
        raise SitemapError("a broken gzip body: it ends before its end marker")


def _absolute(location: str | None, base: str | None) -> str | None:
    if not location:
        return None
    try:
        absolute = urljoin(base, location) if base else location
    except ValueError:
        return None
    if not absolute.startswith(("http://", "https://")) or len(absolute) > MAX_URL_CHARS:
        return None
    return absolute


def _refuse_entity(*_: object) -> NoReturn:
    raise SitemapError("declares or refers to an entity; entities are not allowed")
