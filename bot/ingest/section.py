"""Section pages as sources: the links on a listing page (a site's politics section) that
point to article pages of the same site, in page order, bounded.

Not articles: links inside navigation (nav, menus, breadcrumbs, pagination, the page's own
header and footer), other sites, files and feeds (courlan's extension filter), taxonomy and
author pages, search, pagination, account and static pages, media hubs, and short paths
with neither an id nor a slug (other sections: /politics, /world/africa). Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qs, unquote, urljoin, urlsplit, urlunsplit

import lxml.etree
import lxml.html
from courlan.filters import extension_filter

from bot.ingest.extract import decode_html
from bot.ingest.normalize import canonical_url
from bot.ingest.site import same_site
from bot.text.clean import clean_text

DEFAULT_LIMIT: Final = 100
MAX_ANCHORS: Final = 10_000
MAX_URL_CHARS: Final = 2048
_NOT_ARTICLE_SEGMENTS: Final = frozenset(
    {
        # taxonomy, people, search, pagination
        *("tag", "tags", "category", "categories", "cat", "topic", "topics", "section"),
        *("sections", "label", "labels", "keyword", "keywords", "author", "authors"),
        *("writer", "writers", "user", "users", "profile", "people", "search", "page"),
        *("وسم", "الوسوم", "تصنيف", "قسم", "كاتب", "الكاتب", "كتاب", "بحث"),
        # accounts and site pages
        *("login", "logout", "signin", "sign-in", "signup", "sign-up", "register", "account"),
        *("my-account", "subscribe", "subscription", "newsletter", "newsletters", "wp-admin"),
        *("wp-login.php", "about", "about-us", "contact", "contact-us", "privacy"),
        *("privacy-policy", "terms", "terms-of-use", "cookies", "cookie-policy", "advertise"),
        *("feed", "rss", "atom", "amp-stories", "wp-json", "cdn-cgi"),
    }
)
# First path segments of pages that collect media rather than tell a story.
_MEDIA_HUBS: Final = frozenset(
    {
        *("video", "videos", "gallery", "galleries", "photo", "photos", "multimedia"),
        *("media", "podcast", "podcasts", "audio", "live", "tv", "watch", "فيديو", "صور"),
    }
)
_NOT_ARTICLE_QUERY: Final = frozenset(
    {"s", "q", "query", "search", "page", "paged", "start", "offset"}
)
_NAVIGATION_TAGS: Final = frozenset({"nav", "menu"})
_NAVIGATION_ROLES: Final = frozenset({"navigation", "menu", "menubar", "banner", "contentinfo"})
_NAVIGATION_CLASS: Final = re.compile(
    r"(?:^|[-_])(?:nav|navbar|navigation|menu|breadcrumbs?|pagination|pager|footer|header"
    r"|topbar|masthead)(?:$|[-_])",
    re.IGNORECASE,
)
_CONTENT_TAGS: Final = frozenset({"article", "main"})
_LONG_ID: Final = re.compile(r"\d{4,}")
_WORDS: Final = re.compile(r"[-_+.\s]+")


@dataclass(frozen=True, slots=True)
class ArticleLink:
    url: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class SectionLinks:
    """Article links in page order, `limit` at most; `anchors` counts the links looked at,
    `truncated` says MAX_ANCHORS or `limit` stopped the scan."""

    links: tuple[ArticleLink, ...]
    anchors: int
    truncated: bool = False


def article_links(
    document: bytes | str,
    *,
    url: str,
    content_type: str | None = None,
    limit: int = DEFAULT_LIMIT,
    max_anchors: int = MAX_ANCHORS,
) -> SectionLinks:
    """The links on the page at `url` that lead to article pages of its site."""
    text = decode_html(document, content_type) if isinstance(document, bytes) else document
    if not text.strip():
        return SectionLinks((), 0)
    try:
        root = lxml.html.document_fromstring(text)
    except (ValueError, lxml.etree.ParserError):
        return SectionLinks((), 0)
    base = _base(root, url)
    own = _key(url)
    found: dict[str, ArticleLink] = {}
    anchors = 0
    for anchor in _content_anchors(root):
        anchors += 1
        if anchors > max_anchors or len(found) >= limit:
            return SectionLinks(tuple(found.values()), anchors - 1, truncated=True)
        link = _article_url(anchor.get("href"), base, url)
        key = _key(link) if link else None
        if link is None or key is None or key == own:
            continue
        words = clean_text(anchor.text_content())[:500]
        known = found.get(key)
        if known is None:
            found[key] = ArticleLink(link, words)
        elif not known.text and words:
            found[key] = ArticleLink(known.url, words)
    return SectionLinks(tuple(found.values()), anchors)


def is_article_url(url: str, *, site: str) -> bool:
    """Whether `url` looks like an article page of `site`'s site (the same rules as above)."""
    return _article_url(url, site, site) is not None


def _content_anchors(root: lxml.html.HtmlElement) -> Iterator[lxml.html.HtmlElement]:
    """<a href> elements outside navigation, in document order."""
    walker = lxml.etree.iterwalk(root, events=("start", "end"))
    content = 0  # how many <article>/<main> elements enclose the current one
    for event, element in walker:
        tag = element.tag.lower() if isinstance(element.tag, str) else ""
        if not tag:
            continue
        if tag in _CONTENT_TAGS:
            content += 1 if event == "start" else -1
            continue
        if event == "end":
            continue
        if _is_navigation(element, tag, inside_content=content > 0):
            walker.skip_subtree()
        elif tag == "a" and element.get("href"):
            yield element


def _is_navigation(element: lxml.html.HtmlElement, tag: str, *, inside_content: bool) -> bool:
    if tag in _NAVIGATION_TAGS or (element.get("role") or "").lower() in _NAVIGATION_ROLES:
        return True
    if inside_content:
        return False  # an article's own header or a listing item's footer is content
    if tag in ("header", "footer", "aside"):
        return True
    names = f"{element.get('class') or ''} {element.get('id') or ''}".split()
    return any(_NAVIGATION_CLASS.search(name) for name in names)


def _article_url(href: str | None, base: str, page: str) -> str | None:
    """The absolute URL of `href` if it looks like an article page of `page`'s site."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    try:
        parts = urlsplit(urljoin(base, href))
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    absolute = urlunsplit(parts._replace(fragment=""))
    if len(absolute) > MAX_URL_CHARS or not same_site(absolute, page):
        return None
    path = unquote(parts.path)
    segments = [segment.lower() for segment in path.split("/") if segment]
    if not segments or not extension_filter(parts.path) or parts.path.lower().endswith(".xml"):
        return None
    if any(segment in _NOT_ARTICLE_SEGMENTS for segment in segments):
        return None
    if segments[0] in _MEDIA_HUBS:
        return None
    if _NOT_ARTICLE_QUERY & parse_qs(parts.query).keys():
        return None
    return absolute if _looks_like_a_story(segments) else None


def _looks_like_a_story(segments: list[str]) -> bool:
    """An id (four digits or more: /archives/700101, /2024/05/…), or a slug of three words or
    more in the last segment; a short path of plain words is another section."""
    if any(_LONG_ID.search(segment) for segment in segments):
        return True
    stem = segments[-1].rsplit(".", 1)[0]
    return len([word for word in _WORDS.split(stem) if word]) >= 3


def _key(url: str) -> str | None:
    """What makes two links the same page: the canonical URL, "www." aside."""
    key = canonical_url(url)
    return key.replace("://www.", "://", 1) if key else None


def _base(root: lxml.html.HtmlElement, url: str) -> str:
    for base in root.iter("base"):
        href = (base.get("href") or "").strip()
        if href:
            try:
                return urljoin(url, href)
            except ValueError:
                return url
    return url
