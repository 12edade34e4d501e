"""JSON Feed 1.0/1.1 (and Dave Winer's RSS-in-JSON) read with the json module.

feedparser 6 reads no JSON at all and fastfeedparser's mapping drops fields
(item language, image fallbacks), so the key mapping lives here.
https://www.jsonfeed.org/version/1.1/ ; http://scripting.com/rss.json
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from bot.ingest.entry import Enclosure, Link, ParsedEntry, ParsedFeed
from bot.ingest.parse_common import (
    absolute,
    first_img_src,
    image_enclosure,
    length,
    optional,
    text,
    utc_from_text,
)


class NotAJsonFeed(ValueError):
    """The bytes are not JSON, or JSON that is neither a JSON Feed nor RSS-in-JSON."""


def _dicts(value: Any) -> Iterable[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        value = [value]
    if not isinstance(value, list):
        return ()
    return [item for item in value if isinstance(item, Mapping)]


def _strings(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return ()
    return tuple(item.strip() for item in value if isinstance(item, str) and item.strip())


def _identifier(value: Any) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return str(value)
    return optional(value)


def _author(item: Mapping[str, Any]) -> str | None:
    for author in (*_dicts(item.get("authors")), *_dicts(item.get("author"))):
        if name := optional(author.get("name")):
            return name
    return None


def load(body: bytes, *, base: str | None = None) -> ParsedFeed:
    """The document as a JSON Feed or RSS-in-JSON feed; NotAJsonFeed otherwise.

    Relative URLs resolve against `base` (where the document was fetched from).
    """
    try:
        data = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise NotAJsonFeed(f"not valid JSON: {exc}") from exc
    if not isinstance(data, Mapping):
        raise NotAJsonFeed("JSON document is not an object")
    if isinstance(data.get("items"), list) or "jsonfeed.org" in text(data.get("version")):
        return _json_feed(data, base)
    rss = data.get("rss")
    if isinstance(rss, Mapping) and isinstance(rss.get("channel"), Mapping):
        return _rss_in_json(rss["channel"], base)
    raise NotAJsonFeed("JSON document is neither a JSON Feed nor RSS-in-JSON")


# --- JSON Feed ------------------------------------------------------------


def _attachment(raw: Mapping[str, Any], base: str | None) -> Enclosure | None:
    url = absolute(optional(raw.get("url")), base)
    if url is None:
        return None
    return Enclosure(
        url=url, type=optional(raw.get("mime_type")), length=length(raw.get("size_in_bytes"))
    )


def _json_links(url: str | None, external_url: str | None) -> tuple[Link, ...]:
    links = []
    if url:
        links.append(Link(href=url, rel="alternate"))
    if external_url:
        links.append(Link(href=external_url, rel="related"))
    return tuple(links)


def _json_item(item: Mapping[str, Any], base: str | None, language: str | None) -> ParsedEntry:
    url = absolute(optional(item.get("url")), base)
    external_url = absolute(optional(item.get("external_url")), base)
    html, plain = text(item.get("content_html")), text(item.get("content_text"))
    enclosures = tuple(
        enc for raw in _dicts(item.get("attachments")) if (enc := _attachment(raw, base))
    )
    links = _json_links(url, external_url)
    image = optional(item.get("image")) or optional(item.get("banner_image"))
    return ParsedEntry(
        guid=_identifier(item.get("id")),
        link=url or external_url,
        title=text(item.get("title")),
        summary=text(item.get("summary")),
        content=html or plain,
        published=utc_from_text(item.get("date_published")),
        updated=utc_from_text(item.get("date_modified")),
        author=_author(item),
        tags=_strings(item.get("tags")),
        links=links
        + tuple(Link(href=enc.url, rel="enclosure", type=enc.type) for enc in enclosures),
        enclosures=enclosures,
        image_url=absolute(image or image_enclosure(enclosures) or first_img_src(html), base),
        language=optional(item.get("language")) or language,
    )


def _json_feed(data: Mapping[str, Any], base: str | None) -> ParsedFeed:
    base = base or optional(data.get("feed_url"))
    language = optional(data.get("language"))
    extra = {
        "subtitle": optional(data.get("description")),
        "image": optional(data.get("icon")) or optional(data.get("favicon")),
        "version": optional(data.get("version")),
    }
    return ParsedFeed(
        kind="json",
        title=text(data.get("title")),
        link=optional(data.get("home_page_url")),
        language=language,
        entries=tuple(_json_item(item, base, language) for item in _dicts(data.get("items"))),
        parser="json",
        encoding="utf-8",
        extra={key: value for key, value in extra.items() if value},
    )


# --- RSS-in-JSON ----------------------------------------------------------


def _guid(value: Any) -> str | None:
    if isinstance(value, Mapping):
        return _identifier(value.get("#value") or value.get("value"))
    return _identifier(value)


def _rss_item(item: Mapping[str, Any], base: str | None) -> ParsedEntry:
    guid = _guid(item.get("guid"))
    link = absolute(optional(item.get("link")), base)
    enclosures = tuple(
        Enclosure(url=url, type=optional(raw.get("type")), length=length(raw.get("length")))
        for raw in _dicts(item.get("enclosure"))
        if (url := absolute(optional(raw.get("url")), base))
    )
    summary = text(item.get("description"))
    return ParsedEntry(
        guid=guid,
        link=link,
        title=text(item.get("title")),
        summary=summary,
        published=utc_from_text(item.get("pubDate")),
        author=optional(item.get("author")),
        tags=_strings(item.get("category")),
        links=(Link(href=link),) if link else (),
        enclosures=enclosures,
        image_url=image_enclosure(enclosures) or absolute(first_img_src(summary), base),
    )


def _rss_in_json(channel: Mapping[str, Any], base: str | None) -> ParsedFeed:
    extra = {"subtitle": optional(channel.get("description"))}
    return ParsedFeed(
        kind="rss-in-json",
        title=text(channel.get("title")),
        link=optional(channel.get("link")),
        language=optional(channel.get("language")),
        entries=tuple(_rss_item(item, base) for item in _dicts(channel.get("item"))),
        parser="json",
        encoding="utf-8",
        extra={key: value for key, value in extra.items() if value},
    )
