"""Reading and writing source lists (TOML, CSV/TSV, OPML) for the admin CLI; no DB, no network.

Every reader validates the whole file and raises one `SourceListError` that lists every
problem, one line each, naming the file and the line. `docs/sources.md` describes the formats.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
import tomllib
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NoReturn, TypeVar
from urllib.parse import urlsplit
from xml.parsers import expat

_T = TypeVar("_T")

SourceFormat = Literal["toml", "csv", "tsv", "opml"]
TextFormat = Literal["toml", "csv", "tsv"]

FIELDS = ("url", "name", "language", "category", "interval")
MIN_INTERVAL_SECONDS = 60
MAX_INTERVAL_SECONDS = 7 * 86_400
MAX_URL_LENGTH = 2048
MAX_NAME_LENGTH = 256
MAX_CATEGORY_LENGTH = 128
NASHRA_NAMESPACE = "https://github.com/nashra-bot/nashra"

_EXTENSIONS: dict[str, SourceFormat] = {
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
_KEY_HINTS = {
    "title": "name",
    "text": "name",
    "lang": "language",
    "interval_seconds": "interval",
    "link": "url",
    "feed": "url",
    "xmlurl": "url",
}
_UNIT_SECONDS = {"d": 86_400, "h": 3600, "m": 60, "s": 1}
_LANGUAGE = re.compile(r"([A-Za-z]{2,3})(?:[-_](?:[A-Za-z]{2}|[0-9]{3}))?")
_TOML_SOURCE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*source[ \t]*\]\]", re.MULTILINE)
_TOML_LOOKING_LINE = re.compile(r"\[|[A-Za-z0-9_\"'-]+\s*=")
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True, slots=True)
class SourceSpec:
    """One source as a list file describes it; None means "not given" (the DB default applies).

    `language` is the primary ISO 639 subtag, lower-cased ("ar-EG" in a file becomes "ar").
    `category` is a category slug or alias exactly as written; the caller resolves it.
    """

    url: str
    name: str | None = None
    language: str | None = None
    category: str | None = None
    interval_seconds: int | None = None


class SourceListError(ValueError):
    """A source list is unusable; `problems` holds one line per problem, file and line included."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(self.problems))


@dataclass(slots=True)
class _Entry:
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
    return control or _XML_ILLEGAL.search(text) is not None


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
    url = _checked(_check_url, values, "url", found)
    name = _checked(_check_name, values, "name", found)
    language = _checked(_check_language, values, "language", found)
    category = _checked(_check_category, values, "category", found)
    interval = _checked(_check_interval, values, "interval", found)
    problems.extend(found)
    if found or url is None:
        return None
    return SourceSpec(url, name, language, category, interval)


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


def _duplicate_problem(entry: _Entry, first: dict[str, _Entry]) -> list[str]:
    """What is wrong if the url of `entry` was seen before; `first` maps url keys to entries."""
    try:
        url = _check_url((entry.values or {}).get("url"))
    except ValueError:
        return []
    earlier = first.setdefault(_url_key(url), entry)
    if earlier is entry:
        return []
    return [f"url {url!r} is listed twice (first at {earlier.where})"]


def _unknown_key_problems(keys: Iterable[str], kind: str) -> list[str]:
    problems: list[str] = []
    for key in keys:
        if key in FIELDS:
            continue
        close = difflib.get_close_matches(key, FIELDS, n=1, cutoff=0.7)
        meant = _KEY_HINTS.get(key.lower()) or (close[0] if close else None)
        hint = f"did you mean {meant!r}?" if meant else f"known: {', '.join(FIELDS)}"
        problems.append(f"unknown {kind} {key!r} ({hint})")
    return problems


def _finish(entries: list[_Entry], file_problems: list[str], source: str) -> list[SourceSpec]:
    """The validated specs of `entries`, or SourceListError with every problem, in file order."""
    problems = list(file_problems)
    specs: list[SourceSpec] = []
    first: dict[str, _Entry] = {}
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


def read_source_file(path: Path) -> list[SourceSpec]:
    """The sources in the file at `path`: TOML, CSV, TSV or OPML by extension, else by content."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceListError([f"{source}: cannot read the file ({exc.strerror or exc})"]) from exc
    fmt = _EXTENSIONS.get(path.suffix.lower())
    if fmt == "opml":
        return read_opml(data, source=source)
    text = _decode(data, source)
    if fmt is None and text.lstrip().startswith("<"):
        return read_opml(data, source=source)
    return parse_source_text(text, fmt=fmt, source=source)


def _decode(data: bytes, source: str) -> str:
    utf16 = data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    try:
        return data.decode("utf-16" if utf16 else "utf-8-sig")
    except UnicodeDecodeError as exc:
        message = f"{source}: is not UTF-8 text (bad byte at offset {exc.start}); save it as UTF-8"
        raise SourceListError([message]) from None


def parse_source_text(
    text: str, *, fmt: TextFormat | None = None, source: str = "<text>"
) -> list[SourceSpec]:
    """The sources in `text`, a TOML, CSV or TSV sources file (guessed from the text if no `fmt`).

    `source` names the text in error messages, usually the file's path.
    """
    text = text.removeprefix("\ufeff")
    fmt = fmt or _sniff(text)
    if fmt == "toml":
        entries, problems = _toml_entries(text, source)
    else:
        entries, problems = _delimited_entries(text, source)
    return _finish(entries, problems, source)


def _lines(text: str) -> list[str]:
    """The lines of `text` as an editor numbers them, whatever the line endings."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _sniff(text: str) -> TextFormat:
    for line in _lines(text):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if _TOML_LOOKING_LINE.match(stripped):
            return "toml"
        return "tsv" if "\t" in line else "csv"
    return "csv"


def _toml_entries(text: str, source: str) -> tuple[list[_Entry], list[str]]:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return [], [f"{source}: is not valid TOML: {exc}"]
    problems = [
        f"{source}: unknown top-level key {key!r} (write each source as a [[source]] table)"
        for key in document
        if key != "source"
    ]
    tables = document.get("source", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        return [], [*problems, f"{source}: write each source as a [[source]] table (two brackets)"]
    header_lines = [
        text.count("\n", 0, match.start()) + 1 for match in _TOML_SOURCE_HEADER.finditer(text)
    ]
    entries: list[_Entry] = []
    for index, table in enumerate(tables):
        known_line = len(header_lines) == len(tables)
        where = f"line {header_lines[index]}" if known_line else f"source #{index + 1}"
        entries.append(_Entry(source, where, dict(table), _unknown_key_problems(table, "key")))
    return entries, problems


def _delimited_entries(text: str, source: str) -> tuple[list[_Entry], list[str]]:
    numbered = [
        (number, line)
        for number, line in enumerate(_lines(text), start=1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    if not numbered:
        return [], []
    (header_number, header_line), rows = numbered[0], numbered[1:]
    delimiter = _delimiter(header_line)
    header = [cell.lower() for cell in _split(header_line, delimiter)]
    header_location = f"{source}: line {header_number}"
    problems = [f"{header_location}: {problem}" for problem in _header_problems(header)]
    if problems:
        return [], problems
    entries = [_row_entry(source, number, line, delimiter, header) for number, line in rows]
    return [entry for entry in entries if entry is not None], []


def _row_entry(
    source: str, number: int, line: str, delimiter: str, header: list[str]
) -> _Entry | None:
    """The entry of one row, None for a row of empty cells."""
    where = f"line {number}"
    try:
        cells = _split(line, delimiter)
    except csv.Error as exc:
        return _Entry(source, where, None, [str(exc)])
    if not cells:
        return None
    if len(cells) > len(header):
        name = "a tab" if delimiter == "\t" else repr(delimiter)
        problem = (
            f"{len(cells)} fields but the header has {len(header)} "
            f"(put a name that contains {name} in double quotes)"
        )
        return _Entry(source, where, None, [problem])
    return _Entry(source, where, dict(zip(header, cells, strict=False)))


def _delimiter(header_line: str) -> str:
    for delimiter in ("\t", ",", ";"):
        if delimiter in header_line:
            return delimiter
    return ","


def _split(line: str, delimiter: str) -> list[str]:
    """The cells of one line, stripped, without the empty cells spreadsheets add at the end."""
    cells = [
        cell.strip()
        for cell in next(csv.reader([line], delimiter=delimiter, skipinitialspace=True), [])
    ]
    while cells and not cells[-1]:
        cells.pop()
    return cells


def _header_problems(header: list[str]) -> list[str]:
    if header and "://" in header[0]:
        return [f"the first row must be a header row, such as {','.join(FIELDS)!r}"]
    problems = [
        f"column {i} of the header is empty" for i, column in enumerate(header, 1) if not column
    ]
    named = [column for column in header if column]
    repeated = sorted({column for column in named if named.count(column) > 1})
    problems += [f"column {column!r} appears twice" for column in repeated]
    problems += _unknown_key_problems(named, "column")
    if "url" not in header:
        problems.append("the header has no 'url' column")
    return problems


# OPML


class _RefusedXml(Exception):
    """The document uses an XML feature that is refused (entity declarations)."""


class _OpmlReader:
    """expat callbacks that collect the feed outlines of an OPML body, folders flattened."""

    def __init__(self, parser: expat.XMLParserType, source: str) -> None:
        self.parser = parser
        self.source = source
        self.elements: list[str] = []
        self.folders: list[str | None] = []  # per open outline: its title if it is a folder
        self.entries: list[_Entry] = []

    def start(self, name: str, attributes: dict[str, str]) -> None:
        if not self.elements and name != "opml":
            raise _RefusedXml(f"is not OPML: its root element is <{name}>, not <opml>")
        self.elements.append(name)
        if name != "outline" or "body" not in self.elements:
            return
        attrs = {key.lower(): value for key, value in attributes.items()}
        url = attrs.get("xmlurl", "").strip()
        title = attrs.get("title", "").strip() or attrs.get("text", "").strip()
        self.folders.append(None if url else title or None)
        if url:
            values: dict[str, object] = {
                "url": url,
                "name": title,
                "language": attrs.get("language"),
                "category": _opml_category(attrs.get("category", "")) or self._folder(),
                "interval": attrs.get("nashra:interval", attrs.get("interval")),
            }
            where = f"line {self.parser.CurrentLineNumber}"
            self.entries.append(_Entry(self.source, where, values))

    def end(self, name: str) -> None:
        self.elements.pop()
        if name == "outline" and "body" in self.elements:
            self.folders.pop()

    def _folder(self) -> str | None:
        return next((title for title in reversed(self.folders) if title), None)

    def refuse_entity(self, name: str, *_: object) -> NoReturn:
        line = self.parser.CurrentLineNumber
        raise _RefusedXml(f"line {line}: declares entity {name!r}; entities are not allowed")

    def refuse_external(self, *_: object) -> NoReturn:
        raise _RefusedXml("refers to an external entity; entities are not allowed")


def _opml_category(value: str) -> str | None:
    """The last path segment of the first category in an OPML 2.0 category attribute."""
    first = value.split(",")[0]
    segments = [segment.strip() for segment in first.split("/") if segment.strip()]
    return segments[-1] if segments else None


def read_opml(data: bytes, *, source: str = "<opml>") -> list[SourceSpec]:
    """The feeds of an OPML 1.0/2.0 document; `source` names it in error messages.

    Entity declarations are refused (no billion laughs, no external entities); folders are
    flattened and the nearest folder's title is the category of a feed that names none.
    """
    parser = expat.ParserCreate()
    reader = _OpmlReader(parser, source)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.EntityDeclHandler = reader.refuse_entity
    parser.UnparsedEntityDeclHandler = reader.refuse_entity
    parser.ExternalEntityRefHandler = reader.refuse_external
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        reason = expat.ErrorString(exc.code)
        raise SourceListError(
            [f"{source}: line {exc.lineno}: is not well-formed XML ({reason})"]
        ) from None
    except _RefusedXml as exc:
        raise SourceListError([f"{source}: {exc}"]) from None
    return _finish(reader.entries, [], source)


def write_opml(specs: Sequence[SourceSpec], *, title: str = "Nashra sources") -> bytes:
    """An OPML 2.0 document (UTF-8) of `specs` that `read_opml` reads back as the same specs.

    SourceListError if a spec holds what OPML cannot carry (control characters, or a
    category with '/' or ',', which OPML reads as a path or a list).
    """
    problems = [problem for spec in specs for problem in _unwritable(spec)]
    if problems:
        raise SourceListError(problems)
    root = ET.Element("opml", {"version": "2.0", "xmlns:nashra": NASHRA_NAMESPACE})
    ET.SubElement(ET.SubElement(root, "head"), "title").text = title
    body = ET.SubElement(root, "body")
    for spec in specs:
        ET.SubElement(body, "outline", _outline_attributes(spec))
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def _unwritable(spec: SourceSpec) -> list[str]:
    problems = [
        f"{spec.url!r}: {key} contains characters XML cannot hold"
        for key, value in (
            ("url", spec.url),
            ("name", spec.name),
            ("language", spec.language),
            ("category", spec.category),
        )
        if value is not None and _XML_ILLEGAL.search(value)
    ]
    if spec.category is not None and ("/" in spec.category or "," in spec.category):
        problems.append(f"{spec.url!r}: category {spec.category!r} contains '/' or ','")
    return problems


def _outline_attributes(spec: SourceSpec) -> dict[str, str]:
    # OPML requires "text"; an unnamed source gets an empty one so that it reads back unnamed.
    attributes = {"text": spec.name or "", "type": "rss", "xmlUrl": spec.url}
    if spec.name:
        attributes["title"] = spec.name
    if spec.language:
        attributes["language"] = spec.language
    if spec.category:
        attributes["category"] = spec.category
    if spec.interval_seconds is not None:
        attributes["nashra:interval"] = str(spec.interval_seconds)
    return attributes
