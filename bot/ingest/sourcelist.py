"""Reading source lists (TOML, CSV/TSV, and OPML through `bot.ingest.opml`) for the admin
CLI; no DB, no network.

Every reader validates the whole file and raises one `SourceListError` that lists every
problem, one line each, naming the file and the line. `docs/sources.md` describes the formats.
"""

from __future__ import annotations

import codecs
import csv
import re
import tomllib
from pathlib import Path

from bot.ingest.opml import read_opml
from bot.ingest.sourcespec import (
    EXTENSIONS,
    FIELDS,
    Entry,
    SourceListError,
    SourceSpec,
    TextFormat,
    finish,
    unknown_key_problems,
)

_TOML_SOURCE_HEADER = re.compile(r"^[ \t]*\[\[[ \t]*source[ \t]*\]\]", re.MULTILINE)
_TOML_LOOKING_LINE = re.compile(r"\[|[A-Za-z0-9_\"'-]+\s*=")


def read_source_file(path: Path) -> list[SourceSpec]:
    """The sources in the file at `path`: TOML, CSV, TSV or OPML by extension, else by content."""
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SourceListError([f"{source}: cannot read the file ({exc.strerror or exc})"]) from exc
    fmt = EXTENSIONS.get(path.suffix.lower())
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
    return finish(entries, problems, source)


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


def _toml_entries(text: str, source: str) -> tuple[list[Entry], list[str]]:
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
    entries: list[Entry] = []
    for index, table in enumerate(tables):
        known_line = len(header_lines) == len(tables)
        where = f"line {header_lines[index]}" if known_line else f"source #{index + 1}"
        entries.append(Entry(source, where, dict(table), unknown_key_problems(table, "key")))
    return entries, problems


def _delimited_entries(text: str, source: str) -> tuple[list[Entry], list[str]]:
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
) -> Entry | None:
    """The entry of one row, None for a row of empty cells."""
    where = f"line {number}"
    try:
        cells = _split(line, delimiter)
    except csv.Error as exc:
        return Entry(source, where, None, [str(exc)])
    if not cells:
        return None
    if len(cells) > len(header):
        name = "a tab" if delimiter == "\t" else repr(delimiter)
        problem = (
            f"{len(cells)} fields but the header has {len(header)} "
            f"(put a name that contains {name} in double quotes)"
        )
        return Entry(source, where, None, [problem])
    return Entry(source, where, dict(zip(header, cells, strict=False)))


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
    problems += unknown_key_problems(named, "column")
    if "url" not in header:
        problems.append("the header has no 'url' column")
    return problems
