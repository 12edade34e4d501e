"""Map fastfeedparser's and feedparser's result dicts onto the project's model.

Both libraries return feedparser-shaped dicts that differ in details: dates
(ISO strings vs UTC struct_time), the entry summary key, enclosure keys,
which links they list and how they write an author. Each mapper smooths those
over so a document reads the same whichever library parsed it. This runs for
every entry of every poll, so it sticks to plain dict lookups (both libraries
build dict subclasses) and resolves relative URLs only when there are some.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot.ingest.entry import Enclosure, Link, ParsedEntry, ParsedFeed
from bot.ingest.parse_common import (
    absolute,
    display_name,
    first_img_src,
    image_enclosure,
    is_image_media,
    length,
    optional,
    text,
    utc_from_struct,
    utc_from_text,
)
from bot.ingest.parse_sniff import DocumentMarkers

_EMPTY: dict[str, Any] = {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    if not value or not isinstance(value, list):
        return []
    return [item for item in value if isinstance(item, dict)]


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else _EMPTY


def _link(raw: dict[str, Any], base: str | None) -> Link | None:
    href = absolute(optional(raw.get("href")), base)
    if href is None:
        return None
    return Link(
        href=href,
        rel=optional(raw.get("rel")) or "alternate",
        type=optional(raw.get("type")),
        title=optional(raw.get("title")),
    )


def _enclosure(raw: dict[str, Any], base: str | None) -> Enclosure | None:
    url = absolute(optional(raw.get("href")) or optional(raw.get("url")), base)
    if url is None:
        return None
    return Enclosure(url=url, type=optional(raw.get("type")), length=length(raw.get("length")))


def _links_and_enclosures(
    raw_links: list[dict[str, Any]], raw_enclosures: list[dict[str, Any]], base: str | None
) -> tuple[tuple[Link, ...], tuple[Enclosure, ...]]:
    """Links and enclosures, each completed from the other as feedparser does.

    An Atom rel="enclosure" link is an enclosure, and an RSS <enclosure> is
    also listed among the links with rel "enclosure".
    """
    links = [link for raw in raw_links if (link := _link(raw, base))]
    enclosures = [enc for raw in raw_enclosures if (enc := _enclosure(raw, base))]
    if not enclosures and all(link.rel != "enclosure" for link in links):
        return tuple(links), ()
    known = {enc.url for enc in enclosures}
    enclosures.extend(
        Enclosure(url=link.href, type=link.type)
        for link in links
        if link.rel == "enclosure" and link.href not in known
    )
    linked = {link.href for link in links if link.rel == "enclosure"}
    links.extend(
        Link(href=enc.url, rel="enclosure", type=enc.type)
        for enc in enclosures
        if enc.url not in linked
    )
    return tuple(links), tuple(enclosures)


def _alternate(links: tuple[Link, ...]) -> str | None:
    for link in links:
        if link.rel == "alternate":
            return link.href
    return None


def _permalink(guid: str | None) -> str | None:
    """An id that is a web URL doubles as the link of an entry without one (as in feedparser)."""
    return guid if guid is not None and guid.startswith(("http://", "https://")) else None


def _tags(raw_tags: Any) -> tuple[str, ...]:
    return tuple(term for tag in _dicts(raw_tags) if (term := optional(tag.get("term"))))


def _first_content(entry: dict[str, Any]) -> dict[str, Any]:
    content = entry.get("content")
    return _dict(content[0]) if isinstance(content, list) and content else _EMPTY


def _image(
    media: Iterable[str | None], enclosures: tuple[Enclosure, ...], *html: str
) -> str | None:
    """The entry's picture: media thumbnail/content, image enclosure, or first <img>."""
    for url in media:
        if url:
            return url
    return image_enclosure(enclosures) or first_img_src(*html)


def _feed_extra(feed: dict[str, Any], base: str | None) -> dict[str, str]:
    image = _dict(feed.get("image"))
    values = {
        "subtitle": optional(feed.get("subtitle")),
        "image": absolute(optional(image.get("href")) or optional(image.get("url")), base),
    }
    return {key: value for key, value in values.items() if value}


# --- fastfeedparser -------------------------------------------------------


def _ffp_media_images(entry: dict[str, Any]) -> list[str | None]:
    media = _dicts(entry.get("media_content"))
    if not media:
        return []
    thumbnails = [optional(item.get("thumbnail_url")) for item in media]
    return thumbnails + [optional(item.get("url")) for item in media if is_image_media(item)]


def _ffp_dates(
    entry: dict[str, Any], guid: str | None, markers: DocumentMarkers
) -> tuple[datetime | None, datetime | None]:
    """(published, updated), without the date fastfeedparser reads into a guid like "10"."""
    published, updated = utc_from_text(entry.get("published")), utc_from_text(entry.get("updated"))
    from_guid = updated is None and guid is not None and not guid.startswith(("http:", "https:"))
    if published is not None and from_guid and not markers.has_dates:
        published = None
    return published, updated


def _ffp_entry(
    entry: dict[str, Any], base: str | None, markers: DocumentMarkers, entry_count: int
) -> ParsedEntry:
    raw_link = optional(entry.get("link"))
    raw_links = _dicts(entry.get("links"))
    if raw_link and all(raw.get("href") != raw_link for raw in raw_links):
        raw_links.insert(0, {"href": raw_link})  # RSS <link>: fastfeedparser lists Atom links only
    links, enclosures = _links_and_enclosures(raw_links, _dicts(entry.get("enclosures")), base)
    guid = optional(entry.get("id"))
    if guid is not None and guid == raw_link and not markers.has_ids_for(entry_count):
        guid = None  # some entry has no id, and fastfeedparser made its link the id
    published, updated = _ffp_dates(entry, guid, markers)
    content = _first_content(entry)
    summary, body = text(entry.get("description")), text(content.get("value"))
    return ParsedEntry(
        guid=guid,
        link=_alternate(links) or absolute(raw_link, base) or _permalink(guid),
        title=text(entry.get("title")),
        summary=summary,
        content=body,
        published=published,
        updated=updated,
        author=display_name(entry.get("author")),
        tags=_tags(entry.get("tags")),
        links=links,
        enclosures=enclosures,
        image_url=absolute(_image(_ffp_media_images(entry), enclosures, body, summary), base),
        language=optional(content.get("language")),
    )


def from_fastfeedparser(
    result: dict[str, Any],
    *,
    kind: str,
    base: str | None,
    markers: DocumentMarkers,
    encoding: str,
    problem: str | None = None,
) -> ParsedFeed:
    """A fastfeedparser result; `problem` is what was wrong with the bytes, if anything."""
    feed = _dict(result.get("feed"))
    entries = _dicts(result.get("entries"))
    return ParsedFeed(
        kind=kind or "unknown",
        title=text(feed.get("title")),
        link=absolute(optional(feed.get("link")), base),
        language=optional(feed.get("language")) or markers.language,
        entries=tuple(_ffp_entry(entry, base, markers, len(entries)) for entry in entries),
        bozo=problem is not None,
        bozo_reason=problem,
        parser="fastfeedparser",
        encoding=encoding,
        extra=_feed_extra(feed, base),
    )


# --- feedparser -----------------------------------------------------------


def _fp_media_images(entry: dict[str, Any]) -> list[str | None]:
    thumbnails = [optional(item.get("url")) for item in _dicts(entry.get("media_thumbnail"))]
    return thumbnails + [
        optional(item.get("url"))
        for item in _dicts(entry.get("media_content"))
        if is_image_media(item)
    ]


def _fp_language(entry: dict[str, Any]) -> str | None:
    for key in ("title_detail", "summary_detail"):
        if language := optional(_dict(entry.get(key)).get("language")):
            return language
    return optional(_first_content(entry).get("language"))


def _fp_entry(fp_entry: dict[str, Any], base: str | None) -> ParsedEntry:
    # A plain dict: FeedParserDict.get("updated_parsed") falls back to published_parsed
    # (with a DeprecationWarning) and .get("enclosures") rebuilds them without rel.
    entry = dict(fp_entry)
    raw_links = _dicts(entry.get("links"))
    raw_enclosures = [raw for raw in raw_links if raw.get("rel") == "enclosure"]
    links, enclosures = _links_and_enclosures(raw_links, raw_enclosures, base)
    summary = text(entry.get("summary"))
    body = text(_first_content(entry).get("value"))
    return ParsedEntry(
        guid=optional(entry.get("id")),
        link=absolute(optional(entry.get("link")), base) or _alternate(links),
        title=text(entry.get("title")),
        summary=summary,
        content=body,
        published=utc_from_struct(entry.get("published_parsed")),
        updated=utc_from_struct(entry.get("updated_parsed")),
        # feedparser writes an Atom author as "name (email)"; the model keeps the name
        author=optional(_dict(entry.get("author_detail")).get("name"))
        or optional(entry.get("author")),
        tags=_tags(entry.get("tags")),
        links=links,
        enclosures=enclosures,
        image_url=absolute(_image(_fp_media_images(entry), enclosures, body, summary), base),
        language=_fp_language(entry),
    )


def from_feedparser(result: dict[str, Any], *, kind: str, base: str | None) -> ParsedFeed:
    feed = _dict(result.get("feed"))
    bozo = bool(result.get("bozo"))
    error = result.get("bozo_exception")
    reason = f"{type(error).__name__}: {error}" if error is not None else "feedparser: bozo"
    return ParsedFeed(
        kind=kind or "unknown",
        title=text(feed.get("title")),
        link=absolute(optional(feed.get("link")), base),
        language=optional(feed.get("language")),
        entries=tuple(_fp_entry(entry, base) for entry in _dicts(result.get("entries"))),
        bozo=bozo,
        bozo_reason=reason if bozo else None,
        parser="feedparser",
        encoding=optional(result.get("encoding")),
        extra=_feed_extra(feed, base),
    )
