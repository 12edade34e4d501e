"""The encoding of bytes that declare none (no HTTP charset, XML declaration or <meta>), or
whose label is in doubt, read from the bytes themselves, for feeds and pages alike:

1. a byte-order mark; UTF-16 or UTF-32 without one, by where the zero bytes of markup fall;
   then UTF-8, when the bytes are valid UTF-8;
2. windows-1256 or ISO-8859-6, when the bytes read there as Arabic (`reads_as_arabic`: the
   two share no letter positions, so the wrong one gives Latin letters inside Arabic words,
   or fails to decode);
3. windows-1252, the legacy code page of Western European sites, when its reading is not
   mojibake (other scripts' code pages read there as runs of accented letters, Central
   European ones as symbols inside words);
4. else charset-normalizer's best reading that is not mojibake. It alone is no guide for
   Latin scripts: on short news text it names windows-1250 for Spanish (ñ read as ń) and
   mac-latin2 for French.

Whoever decodes checks the result with `bot.text.mojibake`: detection can still be wrong
(Turkish in windows-1254 reads as windows-1252 without showing it).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from typing import Final

import charset_normalizer

from bot.text.mojibake import mojibake, reads_as_arabic

_SNIFF_BYTES: Final = 1024
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_ARABIC_CODECS: Final = ("cp1256", "iso8859-6")
_LABELS: Final = {
    "cp1250": "windows-1250",
    "cp1251": "windows-1251",
    "cp1252": "windows-1252",
    "cp1253": "windows-1253",
    "cp1254": "windows-1254",
    "cp1255": "windows-1255",
    "cp1256": "windows-1256",
    "cp1257": "windows-1257",
    "cp1258": "windows-1258",
    "utf-16-le": "utf-16le",
    "utf-16-be": "utf-16be",
    "utf-32-le": "utf-32le",
    "utf-32-be": "utf-32be",
}


@dataclass(frozen=True, slots=True)
class Detected:
    """The bytes as text, and the encoding they were read in (a common label)."""

    text: str
    encoding: str


def label(codec: str) -> str:
    """A codec's usual name in documents: windows-1256, iso8859-6, utf-16le…"""
    try:
        name = codecs.lookup(codec).name
    except LookupError:
        return codec
    if name.startswith("iso8859-"):
        return "iso-8859-" + name.removeprefix("iso8859-")
    return _LABELS.get(name, name)


def wide_unicode(data: bytes) -> str | None:
    """utf-32-le/-be or utf-16-le/-be when the zero bytes of ASCII text say so, else None.

    Markup is ASCII, so in UTF-16 every other byte of it is zero, on the odd offsets for
    little-endian; UTF-32 has three zero bytes in each four.
    """
    head = data[:_SNIFF_BYTES]
    size = len(head) // 4 * 4
    if size < 4:
        return None
    zeros = [sum(1 for i in range(offset, size, 4) if head[i] == 0) for offset in range(4)]
    quarter = size // 4
    if zeros[0] < quarter // 10 and min(zeros[1:]) >= quarter * 3 // 10:
        return "utf-32-le" if _decodes(data, "utf-32-le") else None
    if zeros[3] < quarter // 10 and min(zeros[:3]) >= quarter * 3 // 10:
        return "utf-32-be" if _decodes(data, "utf-32-be") else None
    even, odd = zeros[0] + zeros[2], zeros[1] + zeros[3]
    if odd >= quarter * 6 // 10 and even < quarter // 5:
        return "utf-16-le" if _decodes(data, "utf-16-le") else None
    if even >= quarter * 6 // 10 and odd < quarter // 5:
        return "utf-16-be" if _decodes(data, "utf-16-be") else None
    return None


def detect(data: bytes) -> Detected | None:
    """`data` decoded in the encoding its bytes show; None when nothing reads them."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return Detected(data[len(bom) :].decode(codec, errors="replace"), label(codec))
    wide = wide_unicode(data)
    if wide is not None:
        return Detected(data.decode(wide), label(wide))
    utf8 = _decoded(data, "utf-8")
    if utf8 is not None:
        return Detected(utf8, "utf-8")
    for codec in _ARABIC_CODECS:
        text = _decoded(data, codec)
        if text is not None and reads_as_arabic(text):
            return Detected(text, label(codec))
    western = _decoded(data, "cp1252")
    if western is not None and mojibake(western) is None:
        return Detected(western, "windows-1252")
    matches = list(charset_normalizer.from_bytes(data))  # the best reading first
    if not matches:
        return None
    readings = [(str(match), match.encoding) for match in matches]
    text, codec = next(((t, c) for t, c in readings if mojibake(t) is None), readings[0])
    return Detected(text, label(codec))


def _decoded(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _decodes(data: bytes, codec: str) -> bool:
    return _decoded(data, codec) is not None
