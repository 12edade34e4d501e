"""From a parsed feed to the articles it would store: identity keys first, text second."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from bot.ingest.entry import ParsedEntry, ParsedFeed
from bot.ingest.normalize import canonical_url, to_utc
from bot.text.clean import html_to_text, title_or_lead
from bot.text.language import detect_language, language_code
from storage.articles import NewArticle
from storage.models import ArticleStatus

MAX_KEY_CHARS = 512
MAX_URL_CHARS = 2048


@dataclass(frozen=True, slots=True)
class Candidate:
    """A feed entry with the keys that say whether its source has it already."""

    entry: ParsedEntry
    guid_key: str
    url_key: str | None  # None when the link does not identify the entry
    url: str | None  # the canonical link, kept on the article whatever it identifies


def _bounded_key(prefix: str, value: str) -> str:
    key = f"{prefix}{value}"
    if len(key) <= MAX_KEY_CHARS:
        return key
    return f"sha256:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def entry_keys(entry: ParsedEntry, base_url: str | None) -> tuple[str, str | None]:
    """(guid key, url key): the entry's id, else its canonical link, else a content hash."""
    url_key = canonical_url(entry.link, base_url) if entry.link else None
    if url_key is not None and len(url_key) > MAX_URL_CHARS:
        url_key = None
    guid = (entry.guid or "").strip()
    if guid:
        return _bounded_key("id:", guid), url_key
    if url_key is not None:
        return _bounded_key("url:", url_key), url_key
    if entry.link:
        return _bounded_key("url:", entry.link.strip()), None
    stamp = entry.published.isoformat() if entry.published else ""
    fingerprint = "\x1f".join((entry.title.strip(), stamp, entry.summary[:500].strip()))
    return _bounded_key(
        "sha256:", hashlib.sha256(fingerprint.encode("utf-8", "replace")).hexdigest()
    ), None


def keyed_entries(feed: ParsedFeed, *, base_url: str | None, limit: int) -> list[Candidate]:
    """The feed's first `limit` entries with their keys, each key kept by its first entry only.

    A link that several entries with ids of their own share (a feed pointing every item at its
    home page) identifies none of them: those entries are known by their ids alone.
    """
    keyed = [(entry, *entry_keys(entry, base_url)) for entry in feed.entries[:limit]]
    ids_per_url: dict[str, set[str]] = {}
    for entry, guid_key, url_key in keyed:
        if url_key is not None and entry.guid:
            ids_per_url.setdefault(url_key, set()).add(guid_key)
    shared = {url for url, ids in ids_per_url.items() if len(ids) > 1}
    seen_guids: set[str] = set()
    seen_urls: set[str] = set()
    candidates: list[Candidate] = []
    for entry, guid_key, url in keyed:
        url_key = None if url in shared else url
        if guid_key in seen_guids or (url_key is not None and url_key in seen_urls):
            continue
        seen_guids.add(guid_key)
        if url_key is not None:
            seen_urls.add(url_key)
        candidates.append(Candidate(entry, guid_key, url_key, url))
    return candidates


def build_article(
    candidate: Candidate,
    *,
    base_url: str | None,
    language_hint: str | None,
    fetched_at: datetime,
    status: ArticleStatus,
    max_chars: int,
) -> NewArticle:
    """The article to store: markup removed, language detected, time in UTC; a title with
    no words is replaced by the first words of the text. An entry stored as already seen
    (never delivered) keeps its declared language: detecting it is the costliest step here,
    and nothing reads it."""
    entry = candidate.entry
    body = entry.content if len(entry.content) >= len(entry.summary) else entry.summary
    text = html_to_text(body)[:max_chars]
    title = title_or_lead(html_to_text(entry.title), text)[:2000]
    published = to_utc(entry.published or entry.updated, fetched_at)
    return NewArticle(
        guid_key=candidate.guid_key,
        url_key=candidate.url_key,
        guid=entry.guid[:MAX_URL_CHARS] if entry.guid else None,
        url=candidate.url,
        title=title,
        text=text,
        text_source="feed",
        author=html_to_text(entry.author)[:512] if entry.author else None,
        origin=_origin(entry),
        tags=[tag[:128] for tag in entry.tags[:20]],
        image_url=_absolute(entry.image_url, base_url),
        language=(
            language_code(entry.language or language_hint)
            if status is ArticleStatus.SEEN
            else detect_language(f"{title}\n{text}", hint=entry.language or language_hint)
        ),
        category_id=None,
        published_at=published,
        fetched_at=fetched_at,
        status=status,
    )


def _origin(entry: ParsedEntry) -> str | None:
    """Where a republished entry first appeared, as its attribution names it."""
    forwarded = entry.forwarded_from
    return (forwarded.title or "")[:256] or None if forwarded is not None else None


def _absolute(url: str | None, base_url: str | None) -> str | None:
    if not url:
        return None
    resolved = canonical_url(url, base_url)
    return resolved if resolved is not None and len(resolved) <= MAX_URL_CHARS else None
