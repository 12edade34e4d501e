"""A post as Telegram HTML, in the sample post's order, within Telegram's limits.

    <b>headline</b>

    attribution sentence (the title quoted, the site, the fetch date; without a title, the
    untitled template's sentence)
    disclaimer

    summary

    #category

and a "read at source" button. Everything that came from a source or from a setting is
cleaned (control, zero-width and bidi-control characters, NULs and lone surrogates go)
and HTML-escaped; the only tag in the output is the headline's <b>.

Length is counted as Telegram counts it: the text after entity parsing (tags gone,
`&amp;` one character). We count UTF-16 code units, which is never less than the code
points Telegram is reported to count, so the limits hold either way. When a post is too
long the summary is shortened first (at a sentence, else a word boundary), then the
headline; cuts happen in the plain text before escaping, so never inside an entity or a
tag. The attribution, the disclaimer and the hashtag always stay.

Right-to-left: Telegram clients pick each line's direction from its first strong
character. A line of an Arabic post that would start with a Latin letter gets a leading
RLM (LRM for the English lines of other posts), and a value inserted into a template
whose script runs against the sentence and whose first or last character is not a strong
letter (`24.ae`, `Putin?`) is wrapped in marks of its own direction, so its digits and
punctuation stay in place. Nothing is added where nothing would move: the sample post
comes out word for word. The hashtag line gets no mark; a mark inside a hashtag would end it.
"""

from __future__ import annotations

import contextlib
import html
import string
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final, Literal
from urllib.parse import urlsplit

import idna

from bot.compose.dates import fetch_date
from bot.settings import Settings
from bot.text.clean import clean_text
from bot.text.sentences import last_sentence_end

TEXT_LIMIT: Final = 4096
CAPTION_LIMIT: Final = 1024
DIGEST_HEADLINE_MAX: Final = 200
HEADLINE_MAX_CHARS: Final = 300
TITLE_MAX_CHARS: Final = 300
SITE_MAX_CHARS: Final = 100
HASHTAG_MAX_CHARS: Final = 64
# Below this many UTF-16 units a summary is no use: it is left out and the headline shortened.
MIN_SUMMARY_UNITS: Final = 40
MIN_HEADLINE_UNITS: Final = 1

ELLIPSIS: Final = "…"
RLM: Final = "\u200f"
LRM: Final = "\u200e"

BUTTON_TEXT: Final[Mapping[str, str]] = {"ar": "اقرأ في المصدر", "en": "Read at source"}

Direction = Literal["ltr", "rtl"]

_TRAILING_JOINERS: Final = ",،؛;:-–—(\"'“‘«[ \t\n"
_RIGHT_TO_LEFT: Final = frozenset({"R", "AL"})
_SINHALA: Final = range(0x0D80, 0x0E00)


@dataclass(frozen=True, slots=True)
class PostContent:
    headline: str
    summary: str
    title: str
    site: str
    fetched_at: datetime
    language: str
    category: str
    url: str | None
    image_url: str | None = None
    note: str = ""  # a line after the disclaimer ("machine-translated …"), kept like it


@dataclass(frozen=True, slots=True)
class RenderedPost:
    """`text` (Telegram HTML, within TEXT_LIMIT) is always set, for a text message or as the
    fallback when the photo fails; `caption` and `photo_url` are set together or not at all."""

    text: str
    caption: str | None
    photo_url: str | None
    button_text: str
    button_url: str | None
    plain: str = ""  # `text` without markup, for when Telegram cannot parse the HTML


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    html: str


@dataclass(frozen=True, slots=True)
class _Post:
    text: str
    html: str

    @property
    def units(self) -> int:
        return utf16_units(self.text)


@dataclass(frozen=True, slots=True)
class _Parts:
    """A post's cleaned pieces before assembly; the ones fitting may shorten."""

    headline: str
    summary: str
    notice: tuple[_Line, ...]
    hashtag: str
    body_direction: Direction | None


def render_post(content: PostContent, settings: Settings) -> RenderedPost:
    """The post as Telegram HTML, with a photo caption when a photo is to be sent.

    Raises ValueError only when the attribution and disclaimer templates alone are too long
    for a Telegram message.
    """
    parts = _parts(content, settings)
    text = _fit(parts, TEXT_LIMIT)
    if text is None:
        raise ValueError("the attribution and disclaimer templates leave no room in a message")
    photo_url = _http_url(content.image_url) if settings.post_photos else None
    caption = _fit(parts, CAPTION_LIMIT) if photo_url else None
    return RenderedPost(
        text=text.html,
        caption=caption.html if caption else None,
        photo_url=photo_url if caption else None,
        button_text=_button_text(content.language),
        button_url=_http_url(content.url),
        plain=text.text,
    )


@dataclass(frozen=True, slots=True)
class RenderedDigest:
    """Several posts as one text message: `count` of the items given fit in it."""

    text: str
    plain: str
    count: int


def render_digest(header: str, items: Sequence[PostContent], footer: str = "") -> RenderedDigest:
    """A bold header, then one line per post (its headline linked to the article, its site),
    as many as fit in a message, at least one; then `footer`, when given."""
    heading = _one_line(header)
    text = [heading, ""]
    markup = [f"<b>{_escape(heading)}</b>", ""]
    ending = _one_line(footer)
    room = TEXT_LIMIT - (utf16_units(ending) + 2 if ending else 0)
    count = 0
    for item in items:
        plain, line = digest_line(item)
        if count and utf16_units("\n".join([*text, plain])) > room:
            break
        text.append(plain)
        markup.append(line)
        count += 1
    if ending:
        text += ["", ending]
        markup += ["", _escape(ending)]
    return RenderedDigest("\n".join(markup), "\n".join(text), count)


def digest_line(item: PostContent, extra: str = "") -> tuple[str, str]:
    """A post as one line of a digest, as text and as HTML: "• headline — site", the headline
    linked to the article, `extra` (plain text) after it."""
    headline = _capped(_one_line(item.headline) or _one_line(item.title), DIGEST_HEADLINE_MAX)
    site = _capped(_one_line(item.site) or _host(item.url), SITE_MAX_CHARS)
    extra = _one_line(extra)
    url = _http_url(item.url)
    linked = f'<a href="{html.escape(url)}">{_escape(headline)}</a>' if url else _escape(headline)
    tail = "".join(f" {part}" for part in (f"— {site}" if site else "", extra) if part)
    line = _line(
        f"• {headline}{tail}", f"• {linked}{_escape(tail)}", _body_direction(item.language)
    )
    return line.text, line.html


def text_line(text: str, language: str, *, bold: bool = False) -> tuple[str, str]:
    """`text` on one line starting in the direction of `language`, as text and as HTML."""
    plain = _one_line(text)
    markup = f"<b>{_escape(plain)}</b>" if bold else _escape(plain)
    line = _line(plain, markup, _body_direction(language))
    return line.text, line.html


def render_plain(content: PostContent, settings: Settings) -> str:
    """The text message as a reader sees it (no markup), then the button as a last line."""
    post = _fit(_parts(content, settings), TEXT_LIMIT)
    if post is None:
        raise ValueError("the attribution and disclaimer templates leave no room in a message")
    url = _http_url(content.url)
    return f"{post.text}\n\n[{_button_text(content.language)}] {url}" if url else post.text


def site_name(url: str | None, configured: str | None) -> str:
    """The configured name when there is one, else the link's host without `www.` ("" if none).

    Punycode hosts are shown in Unicode (`xn--mgbh0fb.xn--kgbechtv` → `مثال.إختبار`).
    """
    name = _one_line(configured or "")
    return name if name else _host(url)


def hashtag(name: str) -> str:
    """`name` as one Telegram hashtag ("#سياسة", "#Middle_East"); "" when it has no letter.

    Telegram's hashtags are letters, decimal digits and `_` (and ZWNJ and the Sinhala block),
    with at least one letter; anything else ends the tag. So spaces and punctuation become
    `_`, combining marks (Arabic harakat among them) and invisible characters are dropped,
    and the tag is cut at HASHTAG_MAX_CHARS.
    """
    body: list[str] = []
    for char in _one_line(name):
        kind = unicodedata.category(char)
        if kind.startswith("L") or kind == "Nd" or ord(char) in _SINHALA:
            body.append(char)
        elif not kind.startswith("M") and body and body[-1] != "_":
            body.append("_")
    tag = "".join(body[:HASHTAG_MAX_CHARS]).strip("_")
    if not any(unicodedata.category(char).startswith("L") for char in tag):
        return ""
    return "#" + tag


def utf16_units(text: str) -> int:
    """The length of `text` in UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def template_language(language: str) -> Literal["ar", "en"]:
    """Which templates a post in `language` uses: Arabic for Arabic, English for the rest."""
    return "ar" if _base_language(language) == "ar" else "en"


# ---- parts ------------------------------------------------------------------------------


def _parts(content: PostContent, settings: Settings) -> _Parts:
    language = template_language(content.language)
    notice_direction: Direction = "rtl" if language == "ar" else "ltr"
    title = _capped(_one_line(content.title), TITLE_MAX_CHARS)
    site = _capped(_one_line(content.site) or _host(content.url), SITE_MAX_CHARS)
    values = {
        "title": _embed(title, notice_direction),
        "site": _embed(site, notice_direction),
        "date": fetch_date(content.fetched_at, language),
    }
    if title:
        attribution = settings.attribution_ar if language == "ar" else settings.attribution_en
    elif language == "ar":
        attribution = settings.attribution_untitled_ar
    else:
        attribution = settings.attribution_untitled_en
    disclaimer = settings.disclaimer_ar if language == "ar" else settings.disclaimer_en
    notice = (
        *_template_lines(attribution, values, notice_direction),
        *_template_lines(disclaimer, {}, notice_direction),
    )
    note = _one_line(content.note)
    if note:
        notice = (*notice, _line(note, _escape(note), notice_direction))
    headline = _one_line(content.headline) or title
    return _Parts(
        headline=_capped(headline, HEADLINE_MAX_CHARS),
        summary=_paragraphs(content.summary),
        notice=notice,
        hashtag=hashtag(content.category),
        body_direction=_body_direction(content.language),
    )


def _template_lines(
    template: str, values: Mapping[str, str], direction: Direction
) -> tuple[_Line, ...]:
    """Fill a settings template: its own text escaped too, format specs ignored."""
    text: list[str] = []
    markup: list[str] = []
    for literal, field, _spec, _conversion in string.Formatter().parse(clean_text(template)):
        text.append(literal)
        markup.append(_escape(literal))
        if field is not None:
            value = values.get(field, "")
            text.append(value)
            markup.append(_escape(value))
    lines = zip("".join(text).split("\n"), "".join(markup).split("\n"), strict=True)
    return tuple(_line(plain, escaped, direction) for plain, escaped in lines if plain.strip())


def _body_direction(language: str) -> Direction | None:
    base = _base_language(language)
    return "rtl" if base == "ar" else "ltr" if base == "en" else None


def _base_language(language: str) -> str:
    return language.strip().replace("-", "_").split("_", 1)[0].lower()


def _button_text(language: str) -> str:
    return BUTTON_TEXT[template_language(language)]


# ---- assembly and fitting ---------------------------------------------------------------


def _assemble(parts: _Parts) -> _Post:
    blocks: list[tuple[_Line, ...]] = []
    if parts.headline:
        plain = parts.headline
        blocks.append((_line(plain, f"<b>{_escape(plain)}</b>", parts.body_direction),))
    if parts.notice:
        blocks.append(parts.notice)
    if parts.summary:
        blocks.append(
            tuple(
                _line(paragraph, _escape(paragraph), parts.body_direction)
                for paragraph in parts.summary.split("\n")
            )
        )
    if parts.hashtag:
        blocks.append((_Line(parts.hashtag, _escape(parts.hashtag)),))
    return _Post(
        text="\n\n".join("\n".join(line.text for line in block) for block in blocks),
        html="\n\n".join("\n".join(line.html for line in block) for block in blocks),
    )


def _fit(parts: _Parts, limit: int) -> _Post | None:
    """The whole post if it fits; else with a shorter summary; else with no summary and a
    shorter headline; None when even that is too long."""
    post = _assemble(parts)
    if post.units <= limit:
        return post
    shorter_summary = _shrink(
        lambda summary: replace(parts, summary=summary), parts.summary, limit, MIN_SUMMARY_UNITS
    )
    if shorter_summary is not None:
        return shorter_summary
    return _shrink(
        lambda headline: replace(parts, headline=headline, summary=""),
        parts.headline,
        limit,
        MIN_HEADLINE_UNITS,
    )


def _shrink(build: Callable[[str], _Parts], text: str, limit: int, minimum: int) -> _Post | None:
    """Assemble with `text` shortened as little as needed to fit `limit`.

    The room is first guessed from the post without `text`; line breaks and direction marks
    that come with it are then paid for by shortening further.
    """
    room = limit - _assemble(build("")).units
    for _ in range(8):
        if room < minimum:
            return None
        post = _assemble(build(shorten(text, room)))
        if post.units <= limit:
            return post
        room -= post.units - limit
    return None


def shorten(text: str, limit: int) -> str:
    """`text` cut to at most `limit` UTF-16 units at a sentence end (when that keeps at least
    half of it), else at a word boundary with "…"; "" when not even "…" fits."""
    if utf16_units(text) <= limit:
        return text
    if limit < utf16_units(ELLIPSIS):
        return ""
    whole = _prefix_length(text, limit)
    sentence_end = last_sentence_end(text, whole)
    if sentence_end * 2 >= whole:
        return text[:sentence_end].rstrip()
    cut = _prefix_length(text, limit - utf16_units(ELLIPSIS))
    head = text[:cut]
    if cut < len(text) and not text[cut].isspace():
        space = max(head.rfind(" "), head.rfind("\n"))
        head = head[:space] if space > 0 else _whole_graphemes(head, text[cut:])
    return head.rstrip(_TRAILING_JOINERS) + ELLIPSIS if head.strip() else ELLIPSIS


def _prefix_length(text: str, units: int) -> int:
    """How many code points of `text` fit in `units` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return index
    return len(text)


def _whole_graphemes(head: str, rest: str) -> str:
    """Drop from the end of `head` what would leave a mark or joiner cut from its letter."""
    following = rest[:1]
    while head and (_attaches(following) or head[-1] in "\u200c\u200d"):
        following = head[-1]
        head = head[:-1]
    return head


def _attaches(char: str) -> bool:
    return bool(char) and (
        unicodedata.category(char).startswith("M")
        or char == "\u200d"
        or 0xFE00 <= ord(char) <= 0xFE0F
        or 0xE0020 <= ord(char) <= 0xE007F
        or 0x1F3FB <= ord(char) <= 0x1F3FF
    )


# ---- text -------------------------------------------------------------------------------


def _one_line(text: str) -> str:
    return " ".join(clean_text(text).split())


def _paragraphs(text: str) -> str:
    lines = (" ".join(line.split()) for line in clean_text(text).split("\n"))
    return "\n".join(line for line in lines if line)


def _capped(text: str, max_chars: int) -> str:
    return shorten(text, max_chars) if len(text) > max_chars else text


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _line(text: str, markup: str, direction: Direction | None) -> _Line:
    """A line that starts in `direction` (None: whatever its own text says)."""
    first = _first_strong(text)
    if direction is None or first is None or first == direction:
        return _Line(text, markup)
    mark = RLM if direction == "rtl" else LRM
    return _Line(mark + text, mark + markup)


def _embed(value: str, context: Direction) -> str:
    """`value` with marks of its own direction around it when, inside a sentence running
    in `context`, its edge digits or punctuation would otherwise move."""
    own = _first_strong(value)
    against = "ltr" if context == "rtl" else "rtl"
    if own is None or not any(_strong(char) == against for char in value):
        return value
    if _strong(value[0]) == own and _strong(value[-1]) == own:
        return value
    mark = RLM if own == "rtl" else LRM
    return f"{mark}{value}{mark}"


def _first_strong(text: str) -> Direction | None:
    for char in text:
        direction = _strong(char)
        if direction is not None:
            return direction
    return None


def _strong(char: str) -> Direction | None:
    kind = unicodedata.bidirectional(char)
    if kind == "L":
        return "ltr"
    if kind in _RIGHT_TO_LEFT:
        return "rtl"
    return None


# ---- links ------------------------------------------------------------------------------


def _http_url(url: str | None) -> str | None:
    """`url` when it is an absolute http(s) URL Telegram can open, else None."""
    if not url:
        return None
    url = url.strip()
    if any(char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Cs") for char in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and host else None


def _host(url: str | None) -> str:
    if not url:
        return ""
    url = url.strip()
    if "://" not in url and not url.startswith("//"):
        url = "//" + url
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.rstrip(".").removeprefix("www.")
    if not all(char.isalnum() or char in "-._:" for char in host):
        return ""
    if "xn--" in host:
        with contextlib.suppress(idna.IDNAError, UnicodeError):
            host = idna.decode(host)
    return _one_line(host)
