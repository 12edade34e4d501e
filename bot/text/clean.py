"""Plain text out of what sources give: HTML documents and fragments, stray markup, invisible
characters, entity references no parser expanded; and a title for an article that has none.
Pure; nothing raises on bad input (garbage in gives "" out)."""

from __future__ import annotations

import html
import re
import threading
import unicodedata
from html.entities import html5
from typing import Final

import lxml.etree
import lxml.html

_DROP_TAGS: Final = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "meta",
        "link",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "select",
        "button",
        "input",
    }
)
_PARAGRAPH_TAGS: Final = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "pre",
        "ul",
        "ol",
        "dl",
        "table",
        "section",
        "article",
        "header",
        "footer",
        "aside",
        "nav",
        "main",
        "figure",
        "figcaption",
        "address",
        "details",
        "hr",
        "form",
        "fieldset",
        "center",
    }
)
_LINE_TAGS: Final = frozenset({"br", "li", "tr", "dt", "dd", "caption", "summary", "option"})
_CELL_TAGS: Final = frozenset({"td", "th"})

# C0/C1 controls except \t \n, zero-width space, bidi embeddings/overrides/isolates and
# marks, the Arabic letter mark, soft hyphen, lone surrogates and the U+FFFE/U+FFFF nonchars.
_INVISIBLE: Final = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b\u200e\u200f"
    "\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\ufffe\uffff\ud800-\udfff]"
)
# C1 controls in feed text are windows-1252 punctuation read as Latin-1 (&#146; for ’, as in
# feedparser's "demoronize" tests): they become what windows-1252 puts there, as feedparser does.
_C1_AS_CP1252: Final = {
    code: bytes((code,)).decode("cp1252")
    for code in range(0x80, 0xA0)
    # unassigned in windows-1252, and NEL (U+0085, a line break in EBCDIC text): removed
    if code not in (0x81, 0x85, 0x8D, 0x8F, 0x90, 0x9D)
}
# ZWNJ and ZWJ shape Persian words and emoji; kept only between two non-space characters.
_LOOSE_JOINER: Final = re.compile(r"(?<!\S)[\u200c\u200d]+|[\u200c\u200d]+(?!\S)")
_XML_DECLARATION: Final = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_TAG: Final = re.compile(r"<[^>]*>")
# A reference to an entity a DTD declared (&lol9;, &xxe;), left as text by a parser that
# refuses to expand such entities. References HTML defines were expanded before.
_ENTITY_REFERENCE: Final = re.compile(r"&([A-Za-z_][A-Za-z0-9._-]{0,63});")
LEAD_MAX_CHARS: Final = 100


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML document or fragment; "" when there is none.

    Scripts, styles and other non-text elements are dropped; block elements become line
    breaks and paragraphs (one blank line between paragraphs); entities are decoded;
    runs of spaces collapse; control, zero-width and bidi-control characters and lone
    surrogates are removed; the result is NFC.
    """
    if isinstance(html, str) and "<" not in html and "&" not in html:
        return clean_text(html)
    try:
        raw = _html_text(html)
    except (ValueError, TypeError, lxml.etree.LxmlError):
        raw = _TAG.sub(" ", html) if isinstance(html, str) else ""
    return clean_text(raw)


def clean_text(text: str) -> str:
    """Drop invisible characters and unexpanded entity references (`&xxe;`), collapse blanks
    within lines, keep paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_C1_AS_CP1252)
    text = _INVISIBLE.sub("", text)
    if "&" in text:
        text = _ENTITY_REFERENCE.sub(_html_entity_only, text)
    text = _LOOSE_JOINER.sub("", text)
    text = unicodedata.normalize("NFC", text)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _html_entity_only(match: re.Match[str]) -> str:
    """An HTML entity's reference stays as written (it was escaped on purpose); any other
    goes."""
    return match.group() if f"{match.group(1)};" in html5 else ""


def title_or_lead(title: str, text: str, *, max_chars: int = LEAD_MAX_CHARS) -> str:
    """`title` (plain text), cleaned; when that holds no letter or digit (its tags were all
    it had, or marks, or symbols), the first words of `text` instead: its first line with
    words, cut at a word boundary within `max_chars`, with "…" when cut. "" when neither
    has words."""
    title = clean_text(title)
    if _has_words(title):
        return title
    lead = next((line for line in clean_text(text).split("\n") if _has_words(line)), "")
    while lead and unicodedata.category(lead[0])[0] in "MZ":  # marks with nothing to mark
        lead = lead[1:]
    if len(lead) <= max_chars:
        return lead
    head = lead[: max_chars + 1]
    cut = head.rsplit(" ", 1)[0] if " " in head else lead[:max_chars]
    return cut.rstrip(" ,،؛;:-–—(\"'“‘«") + "…"


def _has_words(text: str) -> bool:
    return any(unicodedata.category(char)[0] in "LN" for char in text)


_parsers = threading.local()


def _html_parser() -> lxml.html.HTMLParser:
    """This thread's parser: building one per call is slow, sharing one across threads unsafe."""
    parser: lxml.html.HTMLParser | None = getattr(_parsers, "html", None)
    if parser is None:
        parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
        _parsers.html = parser
    return parser


def _html_text(html: str) -> str:
    html = _INVISIBLE.sub("", _XML_DECLARATION.sub("", html).translate(_C1_AS_CP1252))
    if not html.strip():
        return ""
    root = lxml.html.fromstring(html, parser=_html_parser())
    out = _TextBuilder()
    walker = lxml.etree.iterwalk(root, events=("start", "end"))
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if event == "start":
            if tag in _DROP_TAGS or not tag:
                walker.skip_subtree()
                continue
            out.separate(_separator(tag))
            out.text(element.text)
        else:
            if tag and tag not in _DROP_TAGS:
                out.separate(_separator(tag))
            out.text(element.tail)
    return out.result()


class _TextBuilder:
    """Joins text nodes, keeping only the strongest break asked for between two of them."""

    _STRENGTH: Final = {"": 0, " ": 1, "\n": 2, "\n\n": 3}

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pending = ""

    def separate(self, separator: str) -> None:
        if self._STRENGTH[separator] > self._STRENGTH[self._pending]:
            self._pending = separator

    def text(self, text: str | None) -> None:
        if not text:
            return
        if text[0].isspace():
            self.separate(" ")
        words = text.split()
        if words:
            if self._parts:
                self._parts.append(self._pending)
            self._parts.append(" ".join(words))
            self._pending = ""
        if text[-1].isspace():
            self.separate(" ")

    def result(self) -> str:
        return "".join(self._parts)


def _separator(tag: str) -> str:
    if tag in _PARAGRAPH_TAGS:
        return "\n\n"
    if tag in _LINE_TAGS:
        return "\n"
    if tag in _CELL_TAGS:
        return " "
    return ""


_BLOCK_TAG: Final = re.compile(
    r"</?(?:p|br|div|li|ul|ol|h[1-6]|tr|table|blockquote|section|article|header|footer)\b"
    r"[^<>]{0,500}>",
    re.I,
)
_MARKUP_TAG: Final = re.compile(r"</?[A-Za-z][A-Za-z0-9:-]*(?:\s[^<>]{0,500})?/?>")
_ENTITY: Final = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z]{2,10});")
_NEWLINES: Final = re.compile(r"\r\n?|[\u2028\u2029\x85\x0b\x0c]")


def strip_markup(text: str) -> str:
    """Drop tags, entities, control and invisible characters; one space between words.

    Newlines stay (they separate paragraphs); spaces around them and blank runs go.
    """
    text = _NEWLINES.sub("\n", text)
    text = _MARKUP_TAG.sub("", _BLOCK_TAG.sub("\n", _drop_comments(text)))
    if "&" in text:
        text = _ENTITY.sub(lambda match: html.unescape(match.group()), text)
        text = _NEWLINES.sub("\n", text)
    return "\n".join(line for line in clean_text(text).split("\n") if line)


def _drop_comments(text: str) -> str:
    """Text without its closed <!-- … --> comments (str.find, so linear on any input)."""
    kept: list[str] = []
    position = 0
    while (start := text.find("<!--", position)) != -1:
        end = text.find("-->", start + 4)
        if end == -1:
            break
        kept.append(text[position:start])
        position = end + 3
    kept.append(text[position:])
    return "".join(kept)
