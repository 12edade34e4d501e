"""Whether text reads as written, or as bytes decoded with the wrong code page (mojibake).

Three shapes give mis-decoded text away, whatever the language, on any text long enough:

- UTF-8 read as windows-1252 / Latin-1: a lead byte's letter followed by continuation bytes'
  punctuation (`Ã©` for é, `Ø§Ù„` for ال, `â€™` for ’).
- Another script's single-byte code page read as windows-1252 / Latin-1: words that are long
  runs of accented Latin letters (`ÚÇÌá: ÇáÍßæãÉ` is windows-1256 Arabic, `Íîâîñòè` is
  windows-1251 Russian). Real European words have their accents one or two at a time.
- A Central European code page read as windows-1252: Latin-1 symbols inside words
  (`Rz¹d og³osi³` for Rząd ogłosił).
- A Latin or another Arabic code page read as windows-1256: Arabic and Latin letters inside
  one word (`Stنdte`, `انشçêد`), which real text does not write.

Plus text with more U+FFFD than a quarter of its letters: bytes the encoding could not read.
"""

from __future__ import annotations

import re
from typing import Final

MIN_LETTERS: Final = 12  # fewer non-ASCII letters than this: too little to judge

# What windows-1252 shows for the bytes 0x80-0xBF (UTF-8 continuation bytes); 0x81, 0x8D,
# 0x8F, 0x90 and 0x9D are unassigned there and come out as C1 controls from Latin-1.
_CONTINUATION: Final = (
    "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
)
_UTF8_AS_LATIN: Final = re.compile(
    f"[\u00c2-\u00df][{_CONTINUATION}]|[\u00e0-\u00ef][{_CONTINUATION}]{{2}}"
)
_ACCENTED_RUN: Final = re.compile("[\u00c0-\u00ff]{3,}")
# ¡-¿ but the middle dot (Catalan col·legi), between two letters.
_SYMBOL_IN_WORD: Final = re.compile(r"[^\W\d_][\u00a1-\u00b6\u00b8-\u00bf]+[^\W\d_]")
_WORD: Final = re.compile(r"\w+")
_ARABIC_LETTER: Final = re.compile("[\u0620-\u064a\u066e-\u06d3\u06d5\u06fa-\u06ff]")
_LATIN_LETTER: Final = re.compile("[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f]")
_NON_ASCII: Final = re.compile("[^\x00-\x7f]")
_NON_ASCII_LETTER: Final = re.compile("[^\\W\\d_\x00-\x7f]")
_LETTER: Final = re.compile("[^\\W\\d_]")


def mojibake(text: str) -> str | None:
    """Why `text` looks mis-decoded (one line, with an example), or None when it does not."""
    if text.isascii():
        return None
    replaced = text.count("\ufffd")
    if replaced >= 8 and replaced * 4 > len(_LETTER.findall(text)):
        return f"{replaced} characters could not be decoded (U+FFFD)"
    non_ascii = _NON_ASCII.findall(text)
    letters = len(_NON_ASCII_LETTER.findall(text))
    pairs = _UTF8_AS_LATIN.findall(text)
    if len(pairs) >= 3 and 2 * len(pairs) >= letters // 5:
        return f"UTF-8 read as a Latin code page ({_example(pairs)})"
    symbols = _SYMBOL_IN_WORD.findall(text)
    if len(symbols) >= 3 and len(symbols) * 5 >= len(non_ascii):
        return f"Central European text read as windows-1252 ({_example(symbols)})"
    if letters < MIN_LETTERS:
        return None
    runs = _ACCENTED_RUN.findall(text)
    if len(runs) >= 2 and sum(map(len, runs)) >= letters * 3 // 10:
        return f"another script read as windows-1252 or Latin-1 ({_example(runs)})"
    arabic_words, mixed = _arabic_words(text)
    if len(mixed) >= 2 and len(mixed) * 20 > arabic_words:
        return f"Arabic and Latin letters inside one word ({_example(mixed)})"
    return None


def reads_as_arabic(text: str) -> bool:
    """Whether `text` holds Arabic-script words, and its other non-ASCII letters are few and
    apart from them: how windows-1256 or ISO-8859-6 bytes read in the right one of the two."""
    arabic = len(_ARABIC_LETTER.findall(text))
    others = len(_NON_ASCII_LETTER.findall(text)) - arabic
    return arabic >= MIN_LETTERS and others * 10 <= arabic and mojibake(text) is None


def _arabic_words(text: str) -> tuple[int, list[str]]:
    """How many words have Arabic letters, and those of them that have Latin letters too."""
    words = [word for word in _WORD.findall(text) if _ARABIC_LETTER.search(word)]
    return len(words), [word for word in words if _LATIN_LETTER.search(word)]


def _example(found: list[str]) -> str:
    """The first few findings, quoted, for a message a person reads."""
    return "e.g. " + ", ".join(f"“{item[:16]}”" for item in list(dict.fromkeys(found))[:3])
