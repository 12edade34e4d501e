"""Main text and metadata of an article page, for entries whose feed carries only a teaser.

CPU-bound and synchronous (callers run it in a thread); never raises, returns None when
the page yields no text, or text that reads as mojibake. Bytes are decoded by: byte-order
mark, the HTTP charset, the page's own <meta charset> / XML declaration (a label whose
reading is mojibake is passed over), then the encoding the bytes show (bot.ingest.charset).
"""

from __future__ import annotations

import codecs
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

import trafilatura

from bot.ingest.charset import detect, wide_unicode
from bot.text.clean import clean_text, title_or_lead
from bot.text.language import detect_language
from bot.text.mojibake import mojibake

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ExtractedArticle:
    """What a page gave: plain text (paragraphs split by newlines) and what metadata it has."""

    text: str
    title: str | None
    image_url: str | None
    language: str | None
    published: datetime | None


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """trafilatura's knobs; DEFAULT_OPTIONS was chosen with `python -m bench.extract`."""

    favor_precision: bool = False
    favor_recall: bool = False
    include_tables: bool = True
    fast: bool = False


DEFAULT_OPTIONS: Final = ExtractOptions(favor_precision=True)
"""Precision first: a teaser is better than an article padded with menus or comments."""

_DATE_FORMAT: Final = "%Y-%m-%dT%H:%M:%S%z"
_SNIFF_BYTES: Final = 4096
_META_CHARSET: Final = re.compile(
    rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE
)
_XML_ENCODING: Final = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._:-]+)""")
_HTTP_CHARSET: Final = re.compile(r"""charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.IGNORECASE)
_XML_DECLARATION: Final = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_HTML_LANG: Final = re.compile(
    r"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.I
)
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# WHATWG: these labels mean windows-1252 in practice; a <meta> claiming UTF-16 means UTF-8.
_LABEL_ALIASES: Final = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "x-user-defined": "cp1252",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "arabic": "iso8859-6",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
}
_MAX_REPLACEMENT_SHARE: Final = 0.001


def extract_article(
    html: bytes | str,
    *,
    url: str | None = None,
    content_type: str | None = None,
    options: ExtractOptions = DEFAULT_OPTIONS,
) -> ExtractedArticle | None:
    """The article in `html` (a page as fetched), or None when it has no main text.

    `content_type` is the HTTP Content-Type header, whose charset wins for bytes; `url`
    resolves a relative image URL and helps trafilatura. Titles, images and dates come
    from the page's metadata (a title without words becomes the text's first words);
    `language` is detected from the text, the page's <html lang> being the hint.
    """
    try:
        return _extract(html, url, content_type, options)
    except Exception:  # trafilatura, lxml and htmldate raise a wide variety on odd pages
        log.warning("article extraction failed for %s", url, exc_info=True)
        return None


def _extract(
    html: bytes | str, url: str | None, content_type: str | None, options: ExtractOptions
) -> ExtractedArticle | None:
    markup = decode_html(html, content_type) if isinstance(html, bytes) else html
    markup = _XML_DECLARATION.sub("", markup, count=1)
    if not markup.strip():
        return None
    document = trafilatura.bare_extraction(
        markup,
        url=url,
        fast=options.fast,
        favor_precision=options.favor_precision,
        favor_recall=options.favor_recall,
        include_comments=False,
        include_tables=options.include_tables,
        include_images=False,
        include_links=False,
        with_metadata=True,
        date_extraction_params=_date_params(),
    )
    if document is None:
        return None
    text = clean_text(_attribute(document, "text") or "")
    if not text:
        return None
    title = title_or_lead(clean_text(_attribute(document, "title") or ""), text) or None
    garbled = mojibake(f"{title or ''}\n{text}")
    if garbled is not None:
        log.warning("article page %s not used: its text reads as mojibake (%s)", url, garbled)
        return None
    lang_match = _HTML_LANG.search(markup[: _SNIFF_BYTES * 4])
    return ExtractedArticle(
        text=text,
        title=title,
        image_url=_absolute_http_url(_attribute(document, "image"), url),
        language=detect_language(text, lang_match.group(1) if lang_match else None),
        published=_parse_date(_attribute(document, "date")),
    )


def _attribute(document: Any, name: str) -> str | None:
    value = getattr(document, name, None)
    return value if isinstance(value, str) else None


def _date_params() -> dict[str, Any]:
    """htmldate without its extensive search, which guesses (2013/8/3 in a URL → 2013-01-01)."""
    return {
        "original_date": True,
        "extensive_search": False,
        "outputformat": _DATE_FORMAT,
        "max_date": datetime.now(UTC).strftime("%Y-%m-%d"),
    }


def _parse_date(value: str | None) -> datetime | None:
    if not value:
        return None
    for fmt in (_DATE_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
        if parsed.tzinfo is None:
            return parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    return None


def _absolute_http_url(candidate: str | None, base: str | None) -> str | None:
    if not candidate or not candidate.strip():
        return None
    try:
        absolute = urljoin(base, candidate.strip()) if base else candidate.strip()
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


# --------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """`data` as text: BOM, HTTP charset, <meta>/XML charset, then what the bytes show.

    A label whose reading is mojibake is passed over for the next, then for detection;
    when every reading is mojibake, the first label's stands (the caller refuses it).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(_bom_codec(encoding, bom), errors="replace")
    declared = [_http_charset(content_type), _document_charset(data[:_SNIFF_BYTES])]
    garbled: str | None = None
    for label in declared:
        codec = _codec(label)
        if codec in ("utf-16", "utf-32"):  # without a BOM the label leaves the order open
            codec = wide_unicode(data) or f"{codec}-le"
        text = None if codec is None else _decode_declared(data, codec)
        if text is None:
            continue
        if mojibake(text) is None:
            return text
        garbled = garbled or text
    found = detect(data)
    if found is not None and (garbled is None or mojibake(found.text) is None):
        return found.text
    return garbled or data.decode("utf-8", errors="replace")


def _bom_codec(encoding: str, bom: bytes) -> str:
    if encoding == "utf-8":
        return "utf-8"
    little = bom in (codecs.BOM_UTF16_LE, codecs.BOM_UTF32_LE)
    return f"{encoding}-{'le' if little else 'be'}"


def _http_charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return match.group(1) if match else None


def _document_charset(head: bytes) -> str | None:
    match = _XML_ENCODING.match(head) or _META_CHARSET.search(head)
    if match is None:
        return None
    label = match.group(1).decode("ascii", errors="ignore")
    return "utf-8" if label.lower().startswith(("utf-16", "utf-32")) else label


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    try:
        return codecs.lookup(_LABEL_ALIASES.get(label, label)).name
    except LookupError:
        return None


def _decode_declared(data: bytes, codec: str) -> str | None:
    """Decode with a declared codec; None when it is plainly wrong for these bytes."""
    if codec != "utf-8" and _is_non_ascii_utf8(data):
        return data.decode("utf-8")
    try:
        text = data.decode(codec, errors="replace")
    except (LookupError, ValueError):
        return None
    if text.count("\ufffd") > max(8, len(text) * _MAX_REPLACEMENT_SHARE):
        return None
    return text


def _is_non_ascii_utf8(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
