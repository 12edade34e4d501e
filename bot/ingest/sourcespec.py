"""A news source as a list file describes it, and the rules every list format applies; no DB,
no network. The formats' readers are `bot.ingest.sourcelist` (TOML, CSV/TSV) and
`bot.ingest.opml`; `docs/sources.md` describes them.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from bot.ingest.telegram_ref import ChannelRefError, channel_name, channel_url, is_telegram_ref
from storage.models import SourceKind

_T = TypeVar("_T")

SourceFormat = Literal["toml", "csv", "tsv", "opml"]
TextFormat = Literal["toml", "csv", "tsv"]

FIELDS = ("url", "name", "language", "category", "interval", "kind")
KINDS = tuple(kind.value for kind in SourceKind)
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 7 * 86_400
MAX_URL_LENGTH = 2048
MAX_NAME_LENGTH = 256
MAX_CATEGORY_LENGTH = 128
NASHRA_NAMESPACE = "https://github.com/nashra-bot/nashra"

EXTENSIONS: dict[str, SourceFormat] = {
    ".toml": "toml",
    ".csv": "csv",
    ".tsv": "tsv",
    ".opml": "opml",
    ".xml": "opml",
}
_INTERVAL = re.compile(
    r"(?:(?P<d>[0-9]+)\s*d)?\s*(?:(?P<h>[0-9]+)\s*h)?\s*"
    r"(?:(?P<m>[0-9]+)\s*m)?\s*(?:(?P<s>[0-9]+)\s*s)?",
    re.IGNORECASE,
)
KEY_HINTS = {
    "title": "name",
    "text": "name",
    "lang": "language",
    "interval_seconds": "interval",
    "link": "url",
    "feed": "url",
    "xmlurl": "url",
    "type": "kind",
    "source_type": "kind",
}
_UNIT_SECONDS = {"d": 86_400, "h": 3600, "m": 60, "s": 1}
_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(?:[-_](?:[A-Za-z]{2}|[0-9]{3}))?")
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source as a list file describes it; None means "not given" (the DB default applies).

    `language` is the primary ISO 639 subtag, lower-cased ("ar-EG" in a file becomes "ar").
    `category` is a category slug or alias exactly as written; the caller resolves it.
    `kind` is feed, telegram, sitemap or page; a Telegram channel (`@NAME`, a t.me link) is
    one whatever is written, its url then `https://t.me/name`.
    """

    url: str
    name: str | None = None
    language: str | None = None
    category: str | None = None
    interval_seconds: int | None = None
    kind: str | None = None


class SourceListError(ValueError):
    """A source list is unusable; `problems` holds one line per problem, file and line included."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(slots=True)
class Entry:
    """One source's raw values as found in a file, before validation."""

    source: str
    where: str
    values: dict[str, object] | None  # None: the reader could not make sense of the entry
    problems: list[str] = field(default_factory=list)  # found by the reader

    @property
    def location(self) -> str:
        return f"{self.source}: {self.where}"


# Intervals


def parse_interval(text: str) -> int:
    """Seconds in an interval such as "900", "90s", "15m", "1h30m" or "1d"; ValueError otherwise.

    Units are d, h, m, s (any case), each at most once and largest first; a bare number is seconds.
    """
    stripped = text.strip()
    if stripped.isascii() and stripped.isdigit():
        seconds = int(stripped)
    else:
        match = _INTERVAL.fullmatch(stripped)
        if not stripped or match is None:
            raise ValueError(
                f"interval {text!r} is not a duration: write seconds (900) or "
                "numbers with units d, h, m, s, largest first (15m, 1h30m)"
            )
        seconds = sum(
            int(amount) * _UNIT_SECONDS[unit]
            for unit, amount in match.groupdict().items()
            if amount is not None
        )
    if seconds <= 0:
        raise ValueError(f"interval {text!r} must be longer than zero")
    return seconds


# Field validation: each returns the normalized value or raises ValueError with the message.


def _text(value: object, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, not {_type_name(value)}")
    return value.strip() or None


def _type_name(value: object) -> str:
    names = {
        bool: "true/false",
        int: "a number",
        float: "a fractional number",
        list: "a list",
        dict: "a table",
    }
    return names.get(type(value), type(value).__name__)


def _has_control_characters(text: str) -> bool:
    """True if `text` holds a control character or one that XML cannot carry."""
    control = any(unicodedata.category(char) == "Cc" for char in text)
    return control or XML_ILLEGAL.search(text) is not None


def _check_url(value: object) -> str:
    url = _text(value, "url")
    if url is None:
        raise ValueError("url is missing")
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"url is longer than {MAX_URL_LENGTH} characters")
    if any(char.isspace() for char in url) or _has_control_characters(url):
        raise ValueError(f"url {url!r} contains spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- urlsplit checks the port only when asked for it
    except ValueError as exc:
        raise ValueError(f"url {url!r} is malformed ({exc})") from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValueError(f"url {url!r} must start with http:// or https://")
    if not parts.hostname:
        raise ValueError(f"url {url!r} has no host")
    return url


def _check_kind(value: object) -> str | None:
    kind = _text(value, "kind")
    if kind is None:
        return None
    if kind.lower() not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind.lower()


def _check_source_url(value: object, kind: str | None) -> tuple[str, str | None]:
    """The url and kind of a source: a Telegram channel's public link, or an http(s) URL."""
    text = _text(value, "url")
    if text is not None and len(text) <= MAX_URL_LENGTH:
        if kind == SourceKind.TELEGRAM and not is_telegram_ref(text):
            text = f"@{text}"
        if is_telegram_ref(text):
            if kind not in (None, SourceKind.TELEGRAM):
                raise ValueError(f"url {text!r} is a Telegram channel, not a {kind}")
            try:
                name = channel_name(text)
            except ChannelRefError as exc:
                raise ValueError(f"url {text!r}: {exc.message}") from None
            return channel_url(name.lower()), SourceKind.TELEGRAM.value
    return _check_url(value), kind


def _check_name(value: object) -> str | None:
    name = _text(value, "name")
    if name is not None and len(name) > MAX_NAME_LENGTH:
        raise ValueError(f"name is longer than {MAX_NAME_LENGTH} characters")
    if name is not None and _has_control_characters(name):
        raise ValueError(f"name {name!r} contains control characters (a line break?)")
    return name


def _check_language(value: object) -> str | None:
    language = _text(value, "language")
    if language is None:
        return None
    match = _LANGUAGE.fullmatch(language)
    if match is None:
        raise ValueError(f"language {language!r} is not a language code such as 'ar' or 'en'")
    return match.group(1).lower()


def _check_category(value: object) -> str | None:
    category = _text(value, "category")
    if category is None:
        return None
    if len(category) > MAX_CATEGORY_LENGTH:
        raise ValueError(f"category is longer than {MAX_CATEGORY_LENGTH} characters")
    if "/" in category or "," in category or _has_control_characters(category):
        raise ValueError(f"category {category!r} must not contain '/', ',' or control characters")
    return category


def _check_interval(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        seconds = value
        if seconds <= 0:
            raise ValueError(f"interval {value} must be longer than zero")
    elif isinstance(value, str):
        seconds = parse_interval(value)
    else:
        raise ValueError(f"interval must be text such as '15m' or seconds, not {_type_name(value)}")
    if seconds < MIN_INTERVAL_SECONDS:
        raise ValueError(f"interval {value!r} is below the minimum of {MIN_INTERVAL_SECONDS} s")
    if seconds > MAX_INTERVAL_SECONDS:
        raise ValueError(f"interval {value!r} is above the maximum of 7 days")
    return seconds


def _checked(
    checker: Callable[[object], _T], values: dict[str, object], key: str, problems: list[str]
) -> _T | None:
    try:
        return checker(values.get(key))
    except ValueError as exc:
        problems.append(str(exc))
        return None


def _build_spec(values: dict[str, object], problems: list[str]) -> SourceSpec | None:
    """The validated spec of `values`, or None after adding what is wrong to `problems`."""
    found: list[str] = []
    kind = _checked(_check_kind, values, "kind", found)
    located = _checked(lambda value: _check_source_url(value, kind), values, "url", found)
    name = _checked(_check_name, values, "name", found)
    language = _checked(_check_language, values, "language", found)
    category = _checked(_check_category, values, "category", found)
    interval = _checked(_check_interval, values, "interval", found)
    problems.extend(found)
    if found or located is None:
        return None
    url, kind = located
    return SourceSpec(url, name, language, category, interval, kind)


def make_spec(values: Mapping[str, object]) -> SourceSpec:
    """One source from loose values (e.g. command-line options), checked like a file's.

    Raises SourceListError naming every problem.
    """
    problems: list[str] = []
    unknown = sorted(set(values) - set(FIELDS))
    problems.extend(f"unknown field {key!r}" for key in unknown)
    spec = _build_spec(dict(values), problems)
    if spec is None or problems:
        raise SourceListError(problems or ["url is missing"])
    return spec


def _url_key(url: str) -> str:
    """`url` with scheme and host lower-cased: two urls with the same key are the same source."""
    parts = urlsplit(url)
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl()


def _duplicate_problem(entry: Entry, first: dict[str, Entry]) -> list[str]:
    """What is wrong if the url of `entry` was seen before; `first` maps url keys to entries."""
    try:
        url, _kind = _check_source_url((entry.values or {}).get("url"), None)
    except ValueError:
        return []
    earlier = first.setdefault(_url_key(url), entry)
    if earlier is entry:
        return []
    return [f"url {url!r} is listed twice (first at {earlier.where})"]


def unknown_key_problems(keys: Iterable[str], kind: str) -> list[str]:
    problems: list[str] = []
    for key in keys:
        if key in FIELDS:
            continue
        close = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.7)
        meant = KEY_HINTS.get(key.lower()) or (close[0] if close else None)
        hint = f"did you mean {meant!r}?" if meant else f"known: {', '.join(FIELDS)}"
        problems.append(f"unknown {kind} {key!r} ({hint})")
    return problems


def finish(entries: list[Entry], file_problems: list[str], source: str) -> list[SourceSpec]:
    """The validated specs of `entries`, or SourceListError with every problem, in file order."""
    problems = list(file_problems)
    specs: list[SourceSpec] = []
    first: dict[str, Entry] = {}
    for entry in entries:
        found = list(entry.problems)
        spec = None
        if entry.values is not None:
            spec = _build_spec(entry.values, found)
            found += _duplicate_problem(entry, first)
        problems += [f"{entry.location}: {problem}" for problem in found]
        if spec is not None and not found:
            specs.append(spec)
    if not entries and not problems:
        problems.append(f"{source}: lists no sources")
    if problems:
        raise SourceListError(problems)
    return specs


# Sources files: TOML and CSV/TSV
