"""A Telegram web preview page (`t.me/s/NAME`) to a typed ChannelPage, and the page to a
ParsedFeed whose entries are the messages that are articles.

Pure. A page without message history (a group's, a bot's or a person's landing page, the
"Contact @…" page of a name nobody has, or markup this parser does not know) raises
ChannelUnavailable with a typed reason.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import Final
from urllib.parse import parse_qs, urlsplit

import lxml.etree
import lxml.html

from bot.ingest.entry import Link, ParsedEntry, ParsedFeed
from bot.ingest.extract import decode_html
from bot.ingest.parse_common import text_html
from bot.ingest.telegram_message import ChannelMessage, ForwardOrigin, parse_message
from bot.ingest.telegram_ref import channel_url, post_url
from bot.text.clean import clean_text

_TITLE_SUFFIX: Final = re.compile(r"\s*[–-]\s*Telegram\s*$")
_SUBSCRIBERS: Final = re.compile(r"\bsubscribers?\b", re.IGNORECASE)
_MEMBERS: Final = re.compile(r"\bmembers?\b|\bonline\b", re.IGNORECASE)


class Unavailable(StrEnum):
    """Why a channel's preview shows no messages."""

    NOT_FOUND = "not_found"  # no public chat has this username
    GROUP = "group"
    BOT = "bot"
    USER = "user"  # a person's account
    NO_PREVIEW = "no_preview"  # a channel whose web preview shows no message history
    UNRECOGNIZED = "unrecognized"  # not a page this parser knows (Telegram changed its markup?)


_MESSAGES: Final = {
    Unavailable.NOT_FOUND: "no public Telegram channel is called @{name}",
    Unavailable.GROUP: "@{name} is a group, not a channel: only channels can be followed",
    Unavailable.BOT: "@{name} is a bot, not a channel",
    Unavailable.USER: "@{name} is a person's account, not a channel",
    Unavailable.NO_PREVIEW: "@{name} is a channel whose web preview shows no messages",
    Unavailable.UNRECOGNIZED: "the page for @{name} shows no messages this reader recognizes",
}


class ChannelUnavailable(Exception):
    """The page shows no channel history; `reason` says what it shows instead."""

    def __init__(self, reason: Unavailable, name: str) -> None:
        self.reason = reason
        self.name = name
        self.message = _MESSAGES[reason].format(name=name or "?")
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class ChannelPage:
    """One preview page. `messages` are in page order (oldest first); `before` is the cursor
    of the page of older messages (None at the channel's start); `unidentified` counts
    message blocks without any id (skipped)."""

    name: str
    title: str
    messages: tuple[ChannelMessage, ...]
    before: int | None = None
    description: str = ""
    image_url: str | None = None
    unidentified: int = 0

    @property
    def site_name(self) -> str:
        """The attribution: the channel's title with its @username."""
        return f"{self.title} (@{self.name})" if self.title else f"@{self.name}"


def parse_channel_page(document: bytes | str, *, name: str = "") -> ChannelPage:
    """The channel page in `document`; `name` is the username it was fetched for.

    Also reads a single-post `?embed=1` page and a bare message fragment (as a page of
    those messages). Raises ChannelUnavailable when the page shows no message history.
    """
    text = decode_html(document) if isinstance(document, bytes) else document
    try:
        root = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        raise ChannelUnavailable(Unavailable.UNRECOGNIZED, name) from None
    history = _first(root, "tgme_channel_history")
    blocks = _message_blocks(history if history is not None else root)
    if history is None and not blocks:
        raise ChannelUnavailable(_landing_reason(root), name or _landing_name(root))
    messages = [message for block in blocks if (message := parse_message(block)) is not None]
    before = _before(root)
    if (blocks and not messages) or (not blocks and before is not None):
        raise ChannelUnavailable(Unavailable.UNRECOGNIZED, name)
    username = _username(root) or name or (messages[0].channel if messages else "")
    return ChannelPage(
        name=username,
        title=_title(root),
        messages=tuple(messages),
        before=before,
        description=_text(_first(root, "tgme_channel_info_description")),
        image_url=_meta(root, "og:image") or None,
        unidentified=len(blocks) - len(messages),
    )


def to_feed(page: ChannelPage, *, name: str | None = None) -> ParsedFeed:
    """The page's articles as a feed, newest first; links and ids are public
    `https://t.me/NAME/ID` permalinks under `name` (the followed username; default the
    page's own)."""
    username = name or page.name
    entries = tuple(
        message_entry(message, username)
        for message in reversed(page.messages)
        if message.skip_reason is None
    )
    return ParsedFeed(
        kind="telegram",
        title=page.title or f"@{username}",
        link=channel_url(username),
        entries=entries,
        parser="telegram",
        extra={
            key: value
            for key, value in {
                "username": f"@{username}",
                "site_name": page.site_name,
                "subtitle": page.description,
                "image": page.image_url or "",
            }.items()
            if value
        },
    )


def message_entry(message: ChannelMessage, name: str) -> ParsedEntry:
    """A message as a feed entry. Text fields are HTML (escaped text, paragraphs as <p>)
    so that the pipeline's markup removal gives back exactly the message's text."""
    link = post_url(name, message.id)
    preview = message.link_preview
    text = message.text or (preview.description if preview is not None else "")
    forwarded = message.forwarded_from
    return ParsedEntry(
        guid=link,
        link=link,
        title=html.escape(message.title, quote=False),
        content=text_html(text),
        published=message.published,
        author=message.author,
        links=tuple(Link(href=url, rel="related") for url in message.links),
        image_url=message.image_url,
        preview_url=preview.url if preview is not None and preview.is_article else None,
        forwarded_from=(
            Link(href=forwarded.url or "", rel="via", title=_origin(forwarded))
            if forwarded is not None
            else None
        ),
    )


def _origin(forwarded: ForwardOrigin) -> str:
    """A forwarded message's origin as an attribution names it: "Title (@name)"."""
    if forwarded.name and forwarded.title:
        return f"{forwarded.title} (@{forwarded.name})"
    return forwarded.title or (f"@{forwarded.name}" if forwarded.name else "")


def _message_blocks(scope: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    return [
        element
        for element in scope.iter("div")
        if "tgme_widget_message" in (element.get("class") or "").split()
    ]


def _landing_reason(root: lxml.html.HtmlElement) -> Unavailable:
    """What a page without history is, from the landing page t.me serves instead."""
    page = _first(root, "tgme_page")
    if page is None:
        return Unavailable.UNRECOGNIZED
    if _first(page, "tgme_page_title") is None:
        return Unavailable.NOT_FOUND  # "If you have Telegram, you can contact @name right away"
    extra = _text(_first(page, "tgme_page_extra"))
    if _MEMBERS.search(extra):
        return Unavailable.GROUP
    context_links = page.find_class("tgme_page_context_link")
    if _SUBSCRIBERS.search(extra) or any("/s/" in (a.get("href") or "") for a in context_links):
        return Unavailable.NO_PREVIEW
    if not extra.startswith("@"):
        return Unavailable.UNRECOGNIZED
    # A bot's page looks like a person's; bot usernames end in "bot" (a few old ones start so).
    username = extra[1:].lower()
    return (
        Unavailable.BOT
        if username.endswith("bot") or username.startswith("bot")
        else (Unavailable.USER)
    )


def _landing_name(root: lxml.html.HtmlElement) -> str:
    """The username a landing page is about (its tg://resolve link)."""
    for anchor in root.iter("a"):
        href = anchor.get("href") or ""
        if href.startswith("tg://resolve?"):
            return parse_qs(href.partition("?")[2]).get("domain", [""])[0][:32]
    return ""


def _before(root: lxml.html.HtmlElement) -> int | None:
    for element in root.find_class("tme_messages_more"):
        value = element.get("data-before") or ""
        if value.isdigit() and value.isascii():
            return int(value)
    for link in root.iter("link"):
        if (link.get("rel") or "").lower() == "prev":
            values = parse_qs(urlsplit(link.get("href") or "").query).get("before", [""])
            if values[0].isdigit() and values[0].isascii():
                return int(values[0])
    return None


def _username(root: lxml.html.HtmlElement) -> str:
    element = _first(root, "tgme_channel_info_header_username")
    return _text(element).removeprefix("@")


def _title(root: lxml.html.HtmlElement) -> str:
    for class_name in ("tgme_channel_info_header_title", "tgme_header_title"):
        if title := _text(_first(root, class_name)):
            return title
    if title := _meta(root, "og:title"):
        return title
    titles = [_text(element) for element in root.iter("title")]
    title = _TITLE_SUFFIX.sub("", titles[0]) if titles else ""
    if title and title != "Telegram Widget":
        return title
    return _text(_first(root, "tgme_widget_message_owner_name"))


def _meta(root: lxml.html.HtmlElement, prop: str) -> str:
    for meta in root.iter("meta"):
        if meta.get("property") == prop:
            return clean_text(meta.get("content") or "")
    return ""


def _first(scope: lxml.html.HtmlElement, class_name: str) -> lxml.html.HtmlElement | None:
    found = scope.find_class(class_name)
    return found[0] if found else None


def _text(element: lxml.html.HtmlElement | None) -> str:
    return clean_text("".join(element.itertext())) if element is not None else ""
