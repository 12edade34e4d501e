"""One message of a Telegram web preview (`.tgme_widget_message`) to a typed ChannelMessage.

Pure; reads the markup t.me serves on `/s/NAME` pages and `?embed=1` post pages. A field the
markup lacks comes back empty (None, "", ()), never as an exception: only a message without
any id is refused (None), since nothing could then name it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final
from urllib.parse import urlsplit

import lxml.etree
import lxml.html

from bot.ingest.parse_common import utc_from_text
from bot.text.clean import clean_text

MAX_LINKS: Final = 20
TITLE_CHARS: Final = 200

_BACKGROUND: Final = re.compile(r"""background-image:\s*url\(\s*(?:&quot;|["'])?([^"')&]+)""")
_POST_PATH: Final = re.compile(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{2,31})/(\d{1,12})/?$", re.ASCII)
_USERNAME_PATH: Final = re.compile(r"^/([A-Za-z][A-Za-z0-9_]{2,31})(?:/\d+)?/?$", re.ASCII)
_WHITESPACE: Final = re.compile(r"\s+")
_BLOCK_TAGS: Final = frozenset({"div", "p", "blockquote", "pre", "ul", "ol", "table", "h1", "h2"})
_LINE_TAGS: Final = frozenset({"br", "li", "tr"})
_MEDIA_SUFFIXES: Final = (
    ".jpg",
    ".jpeg",
    ".png",
    ".gif",
    ".webp",
    ".mp4",
    ".mov",
    ".webm",
    ".flv",
    ".mp3",
    ".ogg",
    ".m4a",
    ".pdf",
    ".zip",
)
_TELEGRAM_HOSTS: Final = frozenset({"t.me", "telegram.me", "telegram.dog"})
# Element classes that mark a kind of media (the reply quote is skipped, see _walk).
_MEDIA_CLASSES: Final = {
    "tgme_widget_message_photo_wrap": "photo",
    "tgme_widget_message_video_player": "video",
    "tgme_widget_message_roundvideo": "round_video",
    "tgme_widget_message_voice": "voice",
    "tgme_widget_message_document_wrap": "document",
    "tgme_widget_message_sticker_wrap": "sticker",
    "tgme_widget_message_poll": "poll",
    "tgme_widget_message_grouped_wrap": "album",
    "tgme_widget_message_location_wrap": "location",
}


# Classes whose first element in a message is the one read.
_FIRST_OF: Final = {
    "tgme_widget_message_text": "text",
    "tgme_widget_message_date": "date",
    "tgme_widget_message_meta": "meta",
    "tgme_widget_message_from_author": "author",
    "tgme_widget_message_forwarded_from": "forwarded",
    "tgme_widget_message_link_preview": "preview",
    "tgme_widget_message_video_thumb": "video_thumb",
    "tgme_widget_message_roundvideo_thumb": "video_thumb",
}


class SkipReason(StrEnum):
    """Why a message is not an article."""

    SERVICE = "service"  # pinned, channel created, live stream started/finished…
    STICKER = "sticker"
    POLL = "poll"  # a poll and nothing else
    EMPTY = "empty"  # no text and no link preview (a bare photo, voice or video)


@dataclass(frozen=True, slots=True)
class ForwardOrigin:
    """Where a forwarded message first appeared; `name`/`url` only for a public channel."""

    title: str
    name: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class LinkPreview:
    url: str
    site_name: str = ""
    title: str = ""
    description: str = ""
    image_url: str | None = None

    @property
    def is_article(self) -> bool:
        """Whether the preview points at a web page (not a file, not Telegram itself)."""
        parts = urlsplit(self.url)
        host = (parts.hostname or "").removeprefix("www.")
        return host not in _TELEGRAM_HOSTS and not parts.path.lower().endswith(_MEDIA_SUFFIXES)


@dataclass(frozen=True, slots=True)
class ChannelMessage:
    """A message as the page shows it. `text` is plain, paragraphs split by blank lines."""

    id: int
    channel: str
    text: str
    published: datetime | None
    edited: bool = False
    service: bool = False
    media: tuple[str, ...] = ()
    image_url: str | None = None
    link_preview: LinkPreview | None = None
    forwarded_from: ForwardOrigin | None = None
    author: str | None = None
    links: tuple[str, ...] = ()
    last_id: int = 0  # the highest id the message covers (an album spans several)

    @property
    def skip_reason(self) -> SkipReason | None:
        if self.service:
            return SkipReason.SERVICE
        if "sticker" in self.media:
            return SkipReason.STICKER
        if self.text or self.link_preview is not None:
            return None
        return SkipReason.POLL if "poll" in self.media else SkipReason.EMPTY

    @property
    def title(self) -> str:
        """A headline: the first line of the text (cut at a word), else the preview's title."""
        first = self.text.split("\n", 1)[0].strip()
        if not first and self.link_preview is not None:
            first = self.link_preview.title or self.link_preview.description
        return _shorten(first, TITLE_CHARS)


def parse_message(element: lxml.html.HtmlElement) -> ChannelMessage | None:
    """The message in a `.tgme_widget_message` element; None when it carries no post id."""
    found = _Found()
    for part in _walk(element):
        found.see(part)
    identity = _identity(element, found)
    if identity is None:
        return None
    channel, post_id = identity
    return ChannelMessage(
        id=post_id,
        channel=channel,
        text=message_text(found.text) if found.text is not None else "",
        published=_published(found.date),
        edited="edited" in _text(found.meta).lower(),
        service="service_message" in _classes(element),
        media=tuple(found.media),
        image_url=_image(found),
        link_preview=_link_preview(found.preview),
        forwarded_from=_forward(found.forwarded),
        author=_text(found.author) or None,
        links=_links(found.text),
        last_id=max([post_id, *found.album_ids]),
    )


def message_text(element: lxml.html.HtmlElement) -> str:
    """Plain text of Telegram's message markup: <br> breaks lines, blocks make paragraphs,
    emoji keep their character, whitespace in the source is just a space."""
    parts: list[str] = []

    def walk(node: lxml.html.HtmlElement) -> None:
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if tag in _LINE_TAGS:
            parts.append("\n")
        elif tag in _BLOCK_TAGS:
            parts.append("\n\n")
        if tag and tag not in ("script", "style"):
            parts.append(_spaces(node.text))
            for child in node:
                walk(child)
        if tag in _BLOCK_TAGS:
            parts.append("\n\n")
        if node is not element:
            parts.append(_spaces(node.tail))

    walk(element)
    return clean_text("".join(parts))


@dataclass(slots=True)
class _Found:
    """The elements of one message worth reading, gathered in a single walk."""

    text: lxml.html.HtmlElement | None = None
    date: lxml.html.HtmlElement | None = None
    meta: lxml.html.HtmlElement | None = None
    author: lxml.html.HtmlElement | None = None
    forwarded: lxml.html.HtmlElement | None = None
    preview: lxml.html.HtmlElement | None = None
    video_thumb: lxml.html.HtmlElement | None = None
    photos: list[lxml.html.HtmlElement] = field(default_factory=list)
    media: list[str] = field(default_factory=list)
    album_ids: list[int] = field(default_factory=list)

    def see(self, element: lxml.html.HtmlElement) -> None:
        for name in _classes(element):
            kind = _MEDIA_CLASSES.get(name)
            if kind is not None and kind not in self.media:
                self.media.append(kind)
            if name == "tgme_widget_message_photo_wrap":
                self.photos.append(element)
            elif name == "grouped_media_wrap":
                if (album_id := _post_id(element.get("href"))) is not None:
                    self.album_ids.append(album_id)
            elif name in _FIRST_OF and getattr(self, _FIRST_OF[name]) is None:
                setattr(self, _FIRST_OF[name], element)


def _walk(message: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    """The message's elements in document order, without the quoted message of a reply
    and without the link preview's inside (read on its own)."""
    walker = lxml.etree.iterwalk(message, events=("start",))
    for _event, element in walker:
        if not isinstance(element.tag, str):
            continue
        classes = _classes(element)
        if "tgme_widget_message_reply" in classes:
            walker.skip_subtree()
            continue
        yield element
        if "tgme_widget_message_link_preview" in classes:
            walker.skip_subtree()


def _identity(message: lxml.html.HtmlElement, found: _Found) -> tuple[str, int] | None:
    """(channel, id) from data-post ("NAME/ID"), else from the date's permalink."""
    channel, _, post = (message.get("data-post") or "").partition("/")
    if channel and post.isdigit() and post.isascii():
        return channel, int(post)
    href = found.date.get("href") if found.date is not None else None
    match = _POST_PATH.match(urlsplit(href or "").path)
    return (match.group(1), int(match.group(2))) if match else None


def _post_id(href: str | None) -> int | None:
    match = _POST_PATH.match(urlsplit(href or "").path)
    return int(match.group(2)) if match else None


def _published(date_link: lxml.html.HtmlElement | None) -> datetime | None:
    if date_link is None:
        return None
    for time in date_link.iter("time"):
        return utc_from_text(time.get("datetime"))
    return None


def _image(found: _Found) -> str | None:
    """The photo (the first of an album), else a video's thumbnail, else the preview's image."""
    for element in [*(found.photos or []), found.video_thumb]:
        if element is not None and (url := _background(element)):
            return url
    if found.preview is not None:
        preview = _link_preview(found.preview)
        return preview.image_url if preview is not None else None
    return None


def _link_preview(element: lxml.html.HtmlElement | None) -> LinkPreview | None:
    if element is None:
        return None
    url = _http_url(element.get("href"))
    if url is None:
        return None
    texts: dict[str, str] = {}
    image: str | None = None
    for child in element.iter():
        for name in _classes(child):
            if name in ("link_preview_site_name", "link_preview_title", "link_preview_description"):
                texts.setdefault(name, message_text(child))
            elif name in ("link_preview_image", "link_preview_right_image") and image is None:
                image = _background(child)
    return LinkPreview(
        url=url,
        site_name=texts.get("link_preview_site_name", ""),
        title=texts.get("link_preview_title", ""),
        description=texts.get("link_preview_description", ""),
        image_url=image,
    )


def _forward(element: lxml.html.HtmlElement | None) -> ForwardOrigin | None:
    if element is None:
        return None
    for named in element.find_class("tgme_widget_message_forwarded_from_name"):
        title = _text(named)
        url = _http_url(named.get("href"))
        match = _USERNAME_PATH.match(urlsplit(url or "").path)
        name = match.group(1) if match and url and _is_telegram(url) else None
        return ForwardOrigin(title=title, name=name, url=url)
    title = _text(element).removeprefix("Forwarded from").strip()
    return ForwardOrigin(title=title) if title else None


def _links(text: lxml.html.HtmlElement | None) -> tuple[str, ...]:
    """The web links in the message text, in order, without repeats, at most MAX_LINKS."""
    if text is None:
        return ()
    links: dict[str, None] = {}
    for anchor in text.iter("a"):
        url = _http_url(anchor.get("href"))
        if url is not None:
            links.setdefault(url)
            if len(links) == MAX_LINKS:
                break
    return tuple(links)


def _http_url(href: str | None) -> str | None:
    href = (href or "").strip()
    return href if href.startswith(("https://", "http://")) and len(href) <= 2048 else None


def _is_telegram(url: str) -> bool:
    return (urlsplit(url).hostname or "").removeprefix("www.") in ("t.me", "telegram.me")


def _background(element: lxml.html.HtmlElement) -> str | None:
    match = _BACKGROUND.search(element.get("style") or "")
    if match is None:
        return None
    url = match.group(1).strip()
    return f"https:{url}" if url.startswith("//") else _http_url(url)


def _classes(element: lxml.html.HtmlElement) -> list[str]:
    value = element.get("class")
    return value.split() if value else []


def _text(element: lxml.html.HtmlElement | None) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""


def _spaces(text: str | None) -> str:
    """Source whitespace (indentation, newlines) as HTML shows it: one space."""
    return _WHITESPACE.sub(" ", text) if text else ""


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:-") + "…"
