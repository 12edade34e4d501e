"""Source lists: TOML, CSV/TSV and OPML reading, validation messages, OPML writing."""

from __future__ import annotations

import codecs
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.ingest.opml import export_opml, read_opml, write_opml
from bot.ingest.sourcelist import parse_source_text, read_source_file
from bot.ingest.sourcespec import (
    MAX_INTERVAL_SECONDS,
    SourceListError,
    SourceSpec,
    TextFormat,
    make_spec,
    parse_interval,
)

TOML_EXAMPLE = """\
# Nashra sources
[[source]]
url = "https://example.com/arabic/rss.xml"
name = "الجزيرة نت"
language = "ar"
category = "سياسة"
interval = "15m"

[[source]]
url = "https://example.org/world/feed"
name = "World News"
language = "en-GB"
interval = 3600

[[source]]
url = "http://example.net/feed"
"""

TOML_SPECS = [
    SourceSpec("https://example.com/arabic/rss.xml", "الجزيرة نت", "ar", "سياسة", 900),
    SourceSpec("https://example.org/world/feed", "World News", "en", None, 3600),
    SourceSpec("http://example.net/feed"),
]

CSV_EXAMPLE = """\
# Nashra sources: url,name,language,category,interval
url,name,language,category,interval

https://example.com/arabic/rss.xml,الجزيرة نت,ar,سياسة,15m
https://example.org/world/feed, "World News, daily",EN,world,1h
# paused for now:
# https://example.org/sport/feed,Sport,en,sport,30m
http://example.net/feed
"""

CSV_SPECS = [
    SourceSpec("https://example.com/arabic/rss.xml", "الجزيرة نت", "ar", "سياسة", 900),
    SourceSpec("https://example.org/world/feed", "World News, daily", "en", "world", 3600),
    SourceSpec("http://example.net/feed"),
]


def problems_of(excinfo: pytest.ExceptionInfo[SourceListError]) -> list[str]:
    assert str(excinfo.value) == "\n".join(excinfo.value.problems)
    return list(excinfo.value.problems)


def csv_problems(text: str) -> list[str]:
    with pytest.raises(SourceListError) as excinfo:
        parse_source_text(text, fmt="csv", source="s.csv")
    return problems_of(excinfo)


def toml_problems(text: str) -> list[str]:
    with pytest.raises(SourceListError) as excinfo:
        parse_source_text(text, fmt="toml", source="s.toml")
    return problems_of(excinfo)


def opml_problems(data: bytes) -> list[str]:
    with pytest.raises(SourceListError) as excinfo:
        read_opml(data, source="s.opml")
    return problems_of(excinfo)


def opml(body: str, *, head: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n'
        f"<head>{head}</head>\n<body>\n{body}\n</body>\n</opml>\n"
    ).encode()


# Intervals


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("900", 900),
        ("90s", 90),
        ("15m", 900),
        ("1h", 3600),
        ("1h30m", 5400),
        ("1d", 86_400),
        ("1h30m15s", 5415),
        (" 2H 5M ", 7500),
        ("1 h 30 m", 5400),
        ("120m", 7200),
    ],
)
def test_parse_interval(text: str, seconds: int) -> None:
    assert parse_interval(text) == seconds


@pytest.mark.parametrize("text", ["", "  ", "abc", "1.5h", "30m1h", "-5", "15 minutes", "1hh", "m"])
def test_parse_interval_rejects_what_is_not_a_duration(text: str) -> None:
    with pytest.raises(ValueError, match="is not a duration: write seconds") as excinfo:
        parse_interval(text)
    assert repr(text) in str(excinfo.value)


@pytest.mark.parametrize("text", ["0", "0m", "0h0s"])
def test_parse_interval_rejects_zero(text: str) -> None:
    with pytest.raises(ValueError, match="must be longer than zero"):
        parse_interval(text)


# TOML


def test_toml_file() -> None:
    assert parse_source_text(TOML_EXAMPLE, fmt="toml") == TOML_SPECS


def test_toml_empty_values_are_not_given() -> None:
    text = '[[source]]\nurl = " https://example.com/feed "\nname = ""\nlanguage = " "\n'
    assert parse_source_text(text, fmt="toml") == [SourceSpec("https://example.com/feed")]


def test_toml_unknown_keys_are_named_with_their_line() -> None:
    text = (
        '[[source]]\nurl = "https://example.com/a"\n\n'
        '[[source]]\nurl = "https://example.com/b"\nintervall = "15m"\ncolour = "red"\n'
    )
    assert toml_problems(text) == [
        "s.toml: line 4: unknown key 'intervall' (did you mean 'interval'?)",
        "s.toml: line 4: unknown key 'colour' "
        "(known: url, name, language, category, interval, kind)",
    ]


@pytest.mark.parametrize(
    ("key", "meant"),
    [
        ("title", "name"),
        ("interval_seconds", "interval"),
        ("lang", "language"),
        ("xmlUrl", "url"),
        ("catgory", "category"),
    ],
)
def test_toml_unknown_key_hints(key: str, meant: str) -> None:
    text = f'[[source]]\nurl = "https://example.com/a"\n{key} = "x"\n'
    assert toml_problems(text) == [f"s.toml: line 1: unknown key {key!r} (did you mean {meant!r}?)"]


def test_toml_unknown_top_level_key() -> None:
    text = 'title = "mine"\n[[source]]\nurl = "https://example.com/a"\n'
    assert toml_problems(text) == [
        "s.toml: unknown top-level key 'title' (write each source as a [[source]] table)"
    ]


def test_toml_single_brackets() -> None:
    assert toml_problems('[source]\nurl = "https://example.com/a"\n') == [
        "s.toml: write each source as a [[source]] table (two brackets)"
    ]


def test_toml_syntax_error() -> None:
    [problem] = toml_problems('[[source]]\nurl = "https://example.com/a\n')
    assert problem.startswith("s.toml: is not valid TOML: ")
    assert "line 2" in problem


def test_toml_wrong_types() -> None:
    text = "[[source]]\nurl = 5\nname = true\nlanguage = []\ninterval = 1.5\n"
    assert toml_problems(text) == [
        "s.toml: line 1: url must be text, not a number",
        "s.toml: line 1: name must be text, not true/false",
        "s.toml: line 1: language must be text, not a list",
        "s.toml: line 1: interval must be text such as '15m' or seconds, not a fractional number",
    ]


def test_toml_integer_interval_limits() -> None:
    text = (
        '[[source]]\nurl = "https://example.com/a"\ninterval = 0\n'
        '[[source]]\nurl = "https://example.com/b"\ninterval = 59\n'
        '[[source]]\nurl = "https://example.com/c"\ninterval = 60\n'
    )
    assert toml_problems(text) == [
        "s.toml: line 1: interval 0 must be longer than zero",
        "s.toml: line 4: interval 59 is below the minimum of 60 s",
    ]


def test_toml_inline_array_is_located_by_position() -> None:
    text = 'source = [{url = "https://example.com/a"}, {url = "gopher://example.com/b"}]\n'
    assert toml_problems(text) == [
        "s.toml: source #2: url 'gopher://example.com/b' must start with http:// or https://"
    ]


def test_toml_name_with_line_break() -> None:
    text = '[[source]]\nurl = "https://example.com/a"\nname = "two\\nlines"\n'
    assert toml_problems(text) == [
        "s.toml: line 1: name 'two\\nlines' contains control characters (a line break?)"
    ]


# CSV and TSV


def test_csv_file() -> None:
    assert parse_source_text(CSV_EXAMPLE, fmt="csv") == CSV_SPECS


def test_csv_header_in_any_order_and_case() -> None:
    text = "Interval,URL\n1h,https://example.com/a\n"
    assert parse_source_text(text, fmt="csv") == [
        SourceSpec("https://example.com/a", None, None, None, 3600)
    ]


def test_csv_rows_may_stop_early_and_skip_empty_rows() -> None:
    text = "url,name,language\nhttps://example.com/a,A\n,,\n  \nhttps://example.com/b\n"
    assert parse_source_text(text, fmt="csv") == [
        SourceSpec("https://example.com/a", "A"),
        SourceSpec("https://example.com/b"),
    ]


def test_csv_trailing_empty_columns_of_spreadsheets() -> None:
    text = "url,name,,\nhttps://example.com/a,A,,,\n"
    assert parse_source_text(text, fmt="csv") == [SourceSpec("https://example.com/a", "A")]


def test_csv_semicolons() -> None:
    text = "url;name;interval\nhttps://example.com/a;Name, with comma;2m\n"
    assert parse_source_text(text, fmt="csv") == [
        SourceSpec("https://example.com/a", "Name, with comma", None, None, 120)
    ]


def test_tsv() -> None:
    text = "url\tname\tcategory\nhttps://example.com/a\tأخبار, اليوم\tعربي\n"
    expected = [SourceSpec("https://example.com/a", "أخبار, اليوم", None, "عربي")]
    assert parse_source_text(text, fmt="tsv") == expected
    assert parse_source_text(text) == expected


def test_csv_without_header_row() -> None:
    assert csv_problems("https://example.com/a,A\n") == [
        "s.csv: line 1: the first row must be a header row, such as "
        "'url,name,language,category,interval,kind'"
    ]


def test_csv_header_problems_are_all_reported() -> None:
    assert csv_problems("# sources\nname,,titel,name\nA,,,\n") == [
        "s.csv: line 2: column 2 of the header is empty",
        "s.csv: line 2: column 'name' appears twice",
        "s.csv: line 2: unknown column 'titel' "
        "(known: url, name, language, category, interval, kind)",
        "s.csv: line 2: the header has no 'url' column",
    ]


def test_csv_unknown_column_suggestion() -> None:
    assert csv_problems("url,langauge\nhttps://example.com/a,ar\n") == [
        "s.csv: line 1: unknown column 'langauge' (did you mean 'language'?)"
    ]


def test_csv_too_many_fields() -> None:
    assert csv_problems("url,name\nhttps://example.com/a,Smith, John\n") == [
        "s.csv: line 2: 3 fields but the header has 2 "
        "(put a name that contains ',' in double quotes)"
    ]


def test_tsv_too_many_fields() -> None:
    [problem] = csv_problems("url\tname\nhttps://example.com/a\tA\tB\n")
    assert problem.endswith("(put a name that contains a tab in double quotes)")


# Validation of every field; every problem of the file is reported, in line order.


NOT_A_LANGUAGE = "is not a language code such as 'ar' or 'en'"
BAD_CATEGORY = "must not contain '/', ',' or control characters"
NOT_A_DURATION = (
    "is not a duration: write seconds (900) or numbers with units d, h, m, s, "
    "largest first (15m, 1h30m)"
)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (",A", "url is missing"),
        (
            "ftp://example.com/feed",
            "url 'ftp://example.com/feed' must start with http:// or https://",
        ),
        ("example.com/feed", "url 'example.com/feed' must start with http:// or https://"),
        ("https:///feed", "url 'https:///feed' has no host"),
        (
            '"https://example.com/a b"',
            "url 'https://example.com/a b' contains spaces or control characters",
        ),
        (
            "https://example.com:99999/",
            "url 'https://example.com:99999/' is malformed (Port out of range 0-65535)",
        ),
        ("https://[::1/feed", "url 'https://[::1/feed' is malformed (Invalid IPv6 URL)"),
        ("https://example.com/" + "a" * 2048, "url is longer than 2048 characters"),
        ("https://example.com/a," + "n" * 257, "name is longer than 256 characters"),
        ("https://example.com/a,,arabic", f"language 'arabic' {NOT_A_LANGUAGE}"),
        ("https://example.com/a,,a", f"language 'a' {NOT_A_LANGUAGE}"),
        ("https://example.com/a,,en-", f"language 'en-' {NOT_A_LANGUAGE}"),
        ("https://example.com/a,,,news/world", f"category 'news/world' {BAD_CATEGORY}"),
        ('https://example.com/a,,,"news,world"', f"category 'news,world' {BAD_CATEGORY}"),
        ("https://example.com/a,,," + "c" * 129, "category is longer than 128 characters"),
        ("https://example.com/a,,,,30s", "interval '30s' is below the minimum of 60 s"),
        ("https://example.com/a,,,,8d", "interval '8d' is above the maximum of 7 days"),
        ("https://example.com/a,,,,soon", f"interval 'soon' {NOT_A_DURATION}"),
        ("https://example.com/a,,,,0", "interval '0' must be longer than zero"),
    ],
)
def test_field_validation(row: str, message: str) -> None:
    assert csv_problems(f"url,name,language,category,interval\n{row}\n") == [
        f"s.csv: line 2: {message}"
    ]


@pytest.mark.parametrize(
    ("written", "stored"),
    [
        ("ar", "ar"),
        ("AR", "ar"),
        ("ar-EG", "ar"),
        ("en_us", "en"),
        ("es-419", "es"),
        ("ckb", "ckb"),
    ],
)
def test_language_is_the_primary_subtag(written: str, stored: str) -> None:
    [spec] = parse_source_text(f"url,language\nhttps://example.com/a,{written}\n", fmt="csv")
    assert spec.language == stored


def test_interval_limits_are_inclusive() -> None:
    text = f"url,interval\nhttps://example.com/a,1m\nhttps://example.com/b,{MAX_INTERVAL_SECONDS}\n"
    assert [spec.interval_seconds for spec in parse_source_text(text, fmt="csv")] == [
        60,
        MAX_INTERVAL_SECONDS,
    ]


def test_duplicate_urls() -> None:
    text = (
        "url,name\nhttps://example.com/a,A\nhttps://example.com/b,B\n"
        "HTTPS://Example.COM/a,A again\nhttps://example.com/A,other path\n"
    )
    assert csv_problems(text) == [
        "s.csv: line 4: url 'HTTPS://Example.COM/a' is listed twice (first at line 2)"
    ]


def test_all_problems_are_collected_in_line_order() -> None:
    text = (
        "url,name,language,interval\n"
        "ftp://example.com/a,A,english,5s\n"
        "https://example.com/b,B,ar,1h\n"
        "https://example.com/b,B again,xx-yy-zz,\n"
    )
    assert csv_problems(text) == [
        "s.csv: line 2: url 'ftp://example.com/a' must start with http:// or https://",
        "s.csv: line 2: language 'english' is not a language code such as 'ar' or 'en'",
        "s.csv: line 2: interval '5s' is below the minimum of 60 s",
        "s.csv: line 4: language 'xx-yy-zz' is not a language code such as 'ar' or 'en'",
        "s.csv: line 4: url 'https://example.com/b' is listed twice (first at line 3)",
    ]


def test_source_list_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="url is missing"):
        parse_source_text("url,name\n,A\n", fmt="csv")


@pytest.mark.parametrize(
    ("text", "fmt"),
    [
        ("", "csv"),
        ("# nothing yet\n\n", "csv"),
        ("url,name\n", "csv"),
        ("# none\n", "toml"),
        ("source = []\n", "toml"),
    ],
)
def test_a_list_without_sources_is_refused(text: str, fmt: TextFormat) -> None:
    with pytest.raises(SourceListError) as excinfo:
        parse_source_text(text, fmt=fmt, source="s")
    assert problems_of(excinfo) == ["s: lists no sources"]


# Files: format by extension or content, encodings, line endings


@pytest.mark.parametrize(
    ("filename", "content"),
    [("sources.toml", TOML_EXAMPLE), ("sources.TOML", TOML_EXAMPLE), ("sources.csv", CSV_EXAMPLE)],
)
def test_read_source_file_by_extension(tmp_path: Path, filename: str, content: str) -> None:
    path = tmp_path / filename
    path.write_text(content, encoding="utf-8")
    assert read_source_file(path) in (TOML_SPECS, CSV_SPECS)


def test_read_tsv_file(tmp_path: Path) -> None:
    path = tmp_path / "sources.tsv"
    path.write_text("url\tname\nhttps://example.com/a\tالعربية\n", encoding="utf-8")
    assert read_source_file(path) == [SourceSpec("https://example.com/a", "العربية")]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (TOML_EXAMPLE, TOML_SPECS),
        (CSV_EXAMPLE, CSV_SPECS),
        ("url\tname\nhttps://example.com/a\tA\n", [SourceSpec("https://example.com/a", "A")]),
        (
            opml('<outline text="A" xmlUrl="https://example.com/a"/>').decode(),
            [SourceSpec("https://example.com/a", "A")],
        ),
    ],
)
def test_read_source_file_sniffs_other_extensions(
    tmp_path: Path, content: str, expected: list[SourceSpec]
) -> None:
    for name in ("sources.txt", "sources"):
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
        assert read_source_file(path) == expected


@pytest.mark.parametrize(
    ("filename", "content", "expected"),
    [
        ("sources.toml", TOML_EXAMPLE, TOML_SPECS),
        ("sources.csv", CSV_EXAMPLE, CSV_SPECS),
        ("sources.txt", CSV_EXAMPLE, CSV_SPECS),
    ],
)
def test_bom_and_windows_line_endings(
    tmp_path: Path, filename: str, content: str, expected: list[SourceSpec]
) -> None:
    path = tmp_path / filename
    path.write_bytes(codecs.BOM_UTF8 + content.replace("\n", "\r\n").encode())
    assert read_source_file(path) == expected


def test_utf16_file_as_windows_notepad_saves_it(tmp_path: Path) -> None:
    path = tmp_path / "sources.csv"
    path.write_bytes(CSV_EXAMPLE.replace("\n", "\r\n").encode("utf-16"))
    assert read_source_file(path) == CSV_SPECS


def test_bom_in_text() -> None:
    assert parse_source_text("\ufeff" + TOML_EXAMPLE) == TOML_SPECS


def test_line_numbers_with_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "sources.toml"
    text = '[[source]]\r\nurl = "https://example.com/a"\r\n\r\n[[source]]\r\nurl = "nope"\r\n'
    path.write_bytes(codecs.BOM_UTF8 + text.encode())
    with pytest.raises(SourceListError) as excinfo:
        read_source_file(path)
    assert problems_of(excinfo) == [
        f"{path}: line 4: url 'nope' must start with http:// or https://"
    ]


def test_line_numbers_with_old_mac_line_endings() -> None:
    assert csv_problems("url\r\rhttps://example.com/a\rftp://example.com/b\r") == [
        "s.csv: line 4: url 'ftp://example.com/b' must start with http:// or https://"
    ]


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "sources.csv"
    path.write_bytes("url,name\nhttps://example.com/a,الجزيرة\n".encode("cp1256"))
    with pytest.raises(SourceListError) as excinfo:
        read_source_file(path)
    assert problems_of(excinfo) == [
        f"{path}: is not UTF-8 text (bad byte at offset 31); save it as UTF-8"
    ]


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"
    with pytest.raises(SourceListError) as excinfo:
        read_source_file(path)
    assert problems_of(excinfo) == [f"{path}: cannot read the file (No such file or directory)"]


# OPML reading


def test_opml_1_0() -> None:
    data = b"""<?xml version="1.0"?>
<opml version="1.0"><head><title>mine</title></head><body>
<outline text="Example" type="rss" xmlUrl="https://example.com/rss"/>
<outline text="Other" type="rss" xmlurl="https://example.org/rss"/>
</body></opml>"""
    assert read_opml(data) == [
        SourceSpec("https://example.com/rss", "Example"),
        SourceSpec("https://example.org/rss", "Other"),
    ]


def test_opml_attributes() -> None:
    data = opml(
        '<outline text="text" title="عنوان" type="rss" xmlUrl="https://example.com/a" '
        'language="ar-SA" category="/Boston/Weather,/Harvard/Economics" nashra:interval="30m"/>\n'
        '<outline text="B" xmlUrl="https://example.com/b" category="sport" interval="3600"/>\n'
        '<outline text="C" xmlUrl="https://example.com/c" category="/" nashra:interval="" />'
    )
    assert read_opml(data) == [
        SourceSpec("https://example.com/a", "عنوان", "ar", "Weather", 1800),
        SourceSpec("https://example.com/b", "B", None, "sport", 3600),
        SourceSpec("https://example.com/c", "C"),
    ]


def test_opml_nested_folders_are_flattened() -> None:
    data = opml("""
<outline text="أخبار">
  <outline text="Al Example" xmlUrl="https://example.com/a"/>
  <outline text="World">
    <outline text="Deep" xmlUrl="https://example.com/deep"/>
    <outline text="Own category" xmlUrl="https://example.com/own" category="/x/tech"/>
  </outline>
  <outline title="" text="">
    <outline text="Untitled folder" xmlUrl="https://example.com/untitled"/>
  </outline>
  <outline text="After" xmlUrl="https://example.com/after"/>
</outline>
<outline text="Top" xmlUrl="https://example.com/top"/>
""")
    assert read_opml(data) == [
        SourceSpec("https://example.com/a", "Al Example", category="أخبار"),
        SourceSpec("https://example.com/deep", "Deep", category="World"),
        SourceSpec("https://example.com/own", "Own category", category="tech"),
        SourceSpec("https://example.com/untitled", "Untitled folder", category="أخبار"),
        SourceSpec("https://example.com/after", "After", category="أخبار"),
        SourceSpec("https://example.com/top", "Top"),
    ]


def test_opml_outline_inside_a_feed_outline_is_read_without_its_category() -> None:
    data = opml(
        '<outline text="Feed" xmlUrl="https://example.com/a">'
        '<outline text="Child" xmlUrl="https://example.com/b"/></outline>'
    )
    assert read_opml(data) == [
        SourceSpec("https://example.com/a", "Feed"),
        SourceSpec("https://example.com/b", "Child"),
    ]


def test_opml_without_feed_outlines() -> None:
    data = opml(
        '<outline text="Empty folder"/><outline text="Link" type="link" url="https://example.com/"/>'
        '<outline text="Blank" xmlUrl="  "/>',
        head="<title>none</title>",
    )
    assert opml_problems(data) == ["s.opml: lists no sources"]


def test_opml_outlines_outside_the_body_are_ignored() -> None:
    data = b"""<opml version="2.0"><head><outline xmlUrl="https://example.com/head"/></head>
<body><outline text="A" xmlUrl="https://example.com/a"/></body></opml>"""
    assert read_opml(data) == [SourceSpec("https://example.com/a", "A")]


def test_opml_validation_names_the_outline_line() -> None:
    data = opml(
        '<outline text="A" xmlUrl="https://example.com/a"/>\n'
        '<outline text="Bad" xmlUrl="feed://example.com/b" nashra:interval="10s"/>\n'
        '<outline text="Folder, with comma">\n'
        '  <outline text="A again" xmlUrl="https://example.com/a"/>\n'
        "</outline>"
    )
    assert opml_problems(data) == [
        "s.opml: line 6: url 'feed://example.com/b' must start with http:// or https://",
        "s.opml: line 6: interval '10s' is below the minimum of 60 s",
        f"s.opml: line 8: category 'Folder, with comma' {BAD_CATEGORY}",
        "s.opml: line 8: url 'https://example.com/a' is listed twice (first at line 5)",
    ]


def test_opml_with_bom_and_windows_line_endings(tmp_path: Path) -> None:
    data = opml('<outline text="أ" xmlUrl="https://example.com/a"/>\n<outline xmlUrl="x"/>')
    path = tmp_path / "feeds.opml"
    path.write_bytes(codecs.BOM_UTF8 + data.replace(b"\n", b"\r\n"))
    with pytest.raises(SourceListError) as excinfo:
        read_source_file(path)
    assert problems_of(excinfo) == [f"{path}: line 6: url 'x' must start with http:// or https://"]


def test_opml_in_a_legacy_arabic_encoding() -> None:
    data = (
        '<?xml version="1.0" encoding="windows-1256"?>\n<opml version="2.0"><body>'
        '<outline text="الجزيرة" xmlUrl="https://example.com/a"/></body></opml>'
    )
    assert read_opml(data.encode("cp1256")) == [SourceSpec("https://example.com/a", "الجزيرة")]


def test_opml_malformed() -> None:
    assert opml_problems(b'<opml>\n<body>\n<outline text="A & B"/></body></opml>') == [
        "s.opml: line 3: is not well-formed XML (not well-formed (invalid token))"
    ]
    assert opml_problems(b"") == ["s.opml: line 1: is not well-formed XML (no element found)"]


def test_opml_that_is_rss() -> None:
    assert opml_problems(b'<rss version="2.0"><channel/></rss>') == [
        "s.opml: is not OPML: its root element is <rss>, not <opml>"
    ]


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE opml [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<opml version="2.0"><body>
<outline text="&lol9;" xmlUrl="https://example.com/&lol9;"/>
</body></opml>
"""


def test_opml_billion_laughs_is_refused_without_expansion() -> None:
    started = time.perf_counter()
    assert opml_problems(BILLION_LAUGHS) == [
        "s.opml: line 3: declares entity 'lol'; entities are not allowed"
    ]
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "doctype",
    [
        '<!DOCTYPE opml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
        '<!DOCTYPE opml [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>',
        '<!DOCTYPE opml [<!ENTITY logo SYSTEM "logo.gif" NDATA gif><!NOTATION gif SYSTEM "gif">]>',
    ],
)
def test_opml_external_entities_are_refused(doctype: str) -> None:
    data = f'<?xml version="1.0"?>\n{doctype}\n<opml><body><outline text="&xxe;" xmlUrl="https://example.com/a"/></body></opml>'
    [problem] = opml_problems(data.encode())
    assert problem.startswith("s.opml: line 2: declares entity ")
    assert problem.endswith("; entities are not allowed")


def test_opml_undeclared_entity_is_not_resolved() -> None:
    data = b'<opml><body><outline text="&passwd;" xmlUrl="https://example.com/a"/></body></opml>'
    assert opml_problems(data) == ["s.opml: line 1: is not well-formed XML (undefined entity)"]


def test_opml_doctype_without_entities_is_fine() -> None:
    data = b'<?xml version="1.0"?>\n<!DOCTYPE opml>\n<opml><body><outline text="A" xmlUrl="https://example.com/a"/></body></opml>'
    assert read_opml(data) == [SourceSpec("https://example.com/a", "A")]


# OPML writing and the round trip

ARABIC_NAME = 'الجزيرة & <العربية> "مباشر"'
TRICKY_SPECS = [
    SourceSpec("https://example.com/rss?lang=ar&section=1", ARABIC_NAME, "ar", "سياسة", 900),
    SourceSpec("https://example.org/feed", 'Tom & Jerry\'s <News> "Daily"', "en", "world", 3600),
    SourceSpec("http://example.net/feed"),
    SourceSpec("https://example.net/other", name="Only a name"),
    SourceSpec("https://example.net/third", language="fr", interval_seconds=60),
]


def test_write_opml_round_trip() -> None:
    assert read_opml(write_opml(TRICKY_SPECS)) == TRICKY_SPECS


def test_write_opml_round_trip_through_a_file(tmp_path: Path) -> None:
    path = tmp_path / "export.opml"
    path.write_bytes(write_opml(TRICKY_SPECS))
    assert read_source_file(path) == TRICKY_SPECS


def test_write_opml_document() -> None:
    data = write_opml(TRICKY_SPECS[:1] + TRICKY_SPECS[2:3], title="مصادر & more")
    text = data.decode("utf-8")
    assert text.startswith(
        "<?xml version='1.0' encoding='utf-8'?>\n<opml version=\"2.0\" xmlns:nashra="
    )
    assert "<title>مصادر &amp; more</title>" in text
    assert (
        '<outline text="الجزيرة &amp; &lt;العربية&gt; &quot;مباشر&quot;" type="rss" '
        'xmlUrl="https://example.com/rss?lang=ar&amp;section=1" '
        'title="الجزيرة &amp; &lt;العربية&gt; &quot;مباشر&quot;" language="ar" '
        'category="سياسة" nashra:interval="900" />'
    ) in text
    assert '<outline text="" type="rss" xmlUrl="http://example.net/feed" />' in text


def test_write_opml_is_readable_by_a_namespace_aware_parser() -> None:
    root = ET.fromstring(write_opml(TRICKY_SPECS))
    intervals = [
        outline.get("{https://github.com/nashra-bot/nashra}interval")
        for outline in root.iter("outline")
    ]
    assert intervals == ["900", "3600", None, None, "60"]


def test_write_opml_refuses_what_would_not_read_back() -> None:
    specs = [
        SourceSpec("https://example.com/a", category="news/world"),
        SourceSpec("https://example.com/b", name="bell\x07"),
    ]
    with pytest.raises(SourceListError) as excinfo:
        write_opml(specs)
    assert problems_of(excinfo) == [
        "'https://example.com/a': category 'news/world' contains '/' or ','",
        "'https://example.com/b': name contains characters XML cannot hold",
    ]


def test_write_opml_of_nothing_is_a_valid_document() -> None:
    assert opml_problems(write_opml([])) == ["s.opml: lists no sources"]


def _stripped_text(max_size: int, *, forbidden: str = "") -> st.SearchStrategy[str]:
    characters = st.characters(
        blacklist_categories=("Cc", "Cs", "Cn"), blacklist_characters=forbidden
    )
    return st.text(characters, min_size=1, max_size=max_size).map(str.strip).filter(bool)


@st.composite
def spec_lists(draw: st.DrawFn) -> list[SourceSpec]:
    count = draw(st.integers(min_value=1, max_value=5))
    return [
        SourceSpec(
            url=f"https://example.com/feed/{index}?q={draw(st.sampled_from(['a&b', 'ع', '<x>']))}",
            name=draw(st.none() | _stripped_text(60)),
            language=draw(st.none() | st.sampled_from(["ar", "en", "fa", "ckb"])),
            category=draw(st.none() | _stripped_text(30, forbidden="/,")),
            interval_seconds=draw(st.none() | st.integers(60, MAX_INTERVAL_SECONDS)),
        )
        for index in range(count)
    ]


@settings(max_examples=200, deadline=None)
@given(spec_lists())
def test_write_opml_round_trip_property(specs: list[SourceSpec]) -> None:
    assert read_opml(write_opml(specs)) == specs


# Source kinds


def test_a_kind_column_and_telegram_addresses_in_a_sources_file() -> None:
    text = (
        "url,name,kind\n"
        "https://example.com/feed.xml,Example,\n"
        "https://example.com/news-sitemap.xml,,sitemap\n"
        "https://example.com/politics/,Politics,page\n"
        "@EnabBaladi,,\n"
        "t.me/s/another_channel,,telegram\n"
        "third_channel,,telegram\n"
    )
    specs = parse_source_text(text, fmt="csv", source="s.csv")
    assert [(s.url, s.kind) for s in specs] == [
        ("https://example.com/feed.xml", None),
        ("https://example.com/news-sitemap.xml", "sitemap"),
        ("https://example.com/politics/", "page"),
        ("https://t.me/enabbaladi", "telegram"),
        ("https://t.me/another_channel", "telegram"),
        ("https://t.me/third_channel", "telegram"),
    ]


def test_a_kind_in_toml_and_the_problems_kinds_can_have() -> None:
    specs = parse_source_text(
        '[[source]]\nurl = "https://t.me/enabbaladi"\nname = "عنب بلدي"\n', fmt="toml"
    )
    assert specs == [SourceSpec("https://t.me/enabbaladi", "عنب بلدي", kind="telegram")]
    assert toml_problems(
        '[[source]]\nurl = "https://example.com/x"\nkind = "podcast"\n\n'
        '[[source]]\nurl = "https://t.me/enabbaladi"\nkind = "sitemap"\n\n'
        '[[source]]\nurl = "https://t.me/+AbCdEf123"\n\n'
        '[[source]]\nurl = "@EnabBaladi"\n\n[[source]]\nurl = "t.me/enabbaladi"\n'
    ) == [
        "s.toml: line 1: kind 'podcast' is not one of feed, telegram, sitemap, page",
        "s.toml: line 5: url 'https://t.me/enabbaladi' is a Telegram channel, not a sitemap",
        "s.toml: line 9: url 'https://t.me/+AbCdEf123': an invite or private link: only "
        "public channels (t.me/NAME) can be followed",
        "s.toml: line 12: url 'https://t.me/enabbaladi' is listed twice (first at line 5)",
        "s.toml: line 15: url 'https://t.me/enabbaladi' is listed twice (first at line 5)",
    ]


def test_make_spec_takes_a_channel_by_name_and_any_kind() -> None:
    assert make_spec({"url": "@Nashra_News"}) == SourceSpec(
        "https://t.me/nashra_news", kind="telegram"
    )
    assert make_spec({"url": "https://example.com/", "kind": "PAGE"}).kind == "page"
    with pytest.raises(SourceListError) as excinfo:
        make_spec({"url": "@no"})
    assert "is not a Telegram username" in str(excinfo.value)


def test_opml_export_keeps_feeds_and_names_the_sources_it_leaves_out() -> None:
    specs = [
        SourceSpec("https://example.com/feed.xml", "Example"),
        SourceSpec("https://t.me/enabbaladi", kind="telegram"),
        SourceSpec("https://example.com/sitemap.xml", kind="sitemap"),
        SourceSpec("https://example.org/rss", kind="feed"),
    ]
    exported = export_opml(specs)
    assert [s.url for s in exported.feeds] == [
        "https://example.com/feed.xml",
        "https://example.org/rss",
    ]
    assert [(s.url, s.kind) for s in exported.left_out] == [
        ("https://t.me/enabbaladi", "telegram"),
        ("https://example.com/sitemap.xml", "sitemap"),
    ]
    assert [s.url for s in read_opml(exported.document)] == [
        "https://example.com/feed.xml",
        "https://example.org/rss",
    ]
