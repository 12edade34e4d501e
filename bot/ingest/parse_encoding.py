"""A feed document's bytes as UTF-8 for fastfeedparser, decoded the way feedparser would.

fastfeedparser hands bytes to libxml2, which ignores the HTTP charset, decodes
legacy code pages with iconv (windows-1255 comes out in presentation forms) and
silently drops entries at bytes invalid in the declared encoding. So documents
are brought to UTF-8 here first, with Python's codecs and feedparser's rules.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from email.message import Message

from feedparser.encodings import convert_to_utf8

from bot.ingest.charset import detect

_HEAD_BYTES = 4096
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_XML_DECL_ENCODING = re.compile(rb"""<\?xml[^<>]*?encoding\s*=\s*["']([^"'>\s]+)["']""")
# Labels feedparser reads as a superset, and names by it: gb2312 documents often hold GBK.
_SUPERSETS = {"gb2312": "gb18030"}
_C1_UTF8 = re.compile(rb"\xc2[\x80-\x9f]")
_CP1252_FOR_C1 = {
    bytes((0xC2, code)): bytes((code,)).decode("cp1252").encode("utf-8")
    for code in range(0x80, 0xA0)
    if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)  # unassigned in windows-1252
}


_XML_DECL_TEXT = re.compile(r"""^(\s*<\?xml[^<>]*?encoding\s*=\s*["'])[^"'>\s]+(["'])""")


@dataclass(frozen=True, slots=True)
class Utf8Body:
    """The document as UTF-8 bytes, the encoding it was read in, and any decoding trouble.

    `detected` says the encoding was read from the bytes (`bot.ingest.charset`), not from a
    label: the body then no longer carries the original encoding's declaration or BOM.
    """

    body: bytes
    encoding: str = "utf-8"
    problem: str | None = None
    detected: bool = False


def http_charset(content_type: str | None) -> str | None:
    """The charset parameter of an HTTP Content-Type header, lower-cased."""
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    charset = (message.get_content_charset() or "").strip("'\" ")  # charset='x' occurs
    return charset or None


def declared_encoding(body: bytes) -> str | None:
    """The encoding a byte-order mark or the XML declaration names, if any."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    match = _XML_DECL_ENCODING.search(body, 0, _HEAD_BYTES)
    return match.group(1).decode("ascii", "replace").lower() if match else None


def read_utf8(body: bytes, content_type: str | None) -> Utf8Body | None:
    """The document as UTF-8, or None when nothing reads it (feedparser then tries alone).

    A byte-order mark, a UTF-16/32 label or zero bytes mean UTF-16/32, read by the BOM or
    the zero bytes (a label without BOM does not say which byte order). Else labelled
    bytes go by their label (`as_utf8`, `transcoded`), unlabelled ones by `detected`.
    """
    charset = http_charset(content_type)
    if _wide(body, charset):
        return detected(body) or transcoded(body, content_type)
    utf8 = as_utf8(body, charset)
    if utf8 is None and charset is None and declared_encoding(body) is None:
        utf8 = detected(body)
    return utf8 or transcoded(body, content_type)


def _wide(body: bytes, charset: str | None) -> bool:
    if any(body.startswith(bom) for bom, _ in _BOMS) or b"\x00" in body[:_HEAD_BYTES]:
        return True
    return charset is not None and charset.replace("-", "").startswith(("utf16", "utf32"))


def detected(body: bytes) -> Utf8Body | None:
    """The document re-encoded to UTF-8 from the encoding its bytes show, whatever labels
    say; an XML declaration that names an encoding is made to name UTF-8."""
    found = detect(body)
    if found is None:
        return None
    text = _XML_DECL_TEXT.sub(r"\1utf-8\2", found.text.removeprefix("\ufeff"), count=1)
    return Utf8Body(text.encode("utf-8"), found.encoding, detected=True)


def _is_utf8_name(name: str) -> bool:
    try:
        return codecs.lookup(name).name == "utf-8"
    except LookupError:
        return False


def as_utf8(body: bytes, charset: str | None) -> Utf8Body | None:
    """The document as UTF-8 bytes, or None when it is in another encoding.

    The HTTP charset outranks the XML declaration (RFC 3023). Pure-ASCII bytes
    read the same in every ASCII-compatible encoding, so their label does not
    matter. A UTF-8 document with a few invalid bytes is repaired with U+FFFD
    rather than handed on: feedparser would re-read all of it as windows-1252.
    """
    label = charset or declared_encoding(body) or "utf-8"
    label = _SUPERSETS.get(label, label)
    if body.isascii() and b"\x00" not in body:
        return Utf8Body(body, label)
    if not _is_utf8_name(label):
        return None
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return _repaired_utf8(body)
    return Utf8Body(body)


def _repaired_utf8(body: bytes) -> Utf8Body | None:
    text = body.decode("utf-8", "replace")
    invalid = text.count("\ufffd")
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    if non_ascii - invalid <= invalid:
        return None  # mostly invalid: a legacy encoding mislabelled or unlabelled
    reason = f"{invalid} invalid UTF-8 byte sequence(s) replaced with U+FFFD"
    return Utf8Body(text.encode("utf-8"), problem=reason)


def transcoded(body: bytes, content_type: str | None) -> Utf8Body | None:
    """The document re-encoded to UTF-8 by feedparser's charset detection; None if it found none.

    This is the step feedparser.parse itself runs first (HTTP charset per RFC 3023,
    then the XML declaration, BOM, and utf-8 / windows-1252 / iso-8859-2 fallbacks,
    all with Python's codecs), so the text is exactly what feedparser would read.
    """
    headers = {"content-type": content_type} if content_type else {}
    result: dict[str, object] = {}
    try:
        data = convert_to_utf8(headers, body, result)
    except Exception:  # a feedparser internal: should it change, feedparser.parse still reads
        return None
    encoding = result.get("encoding")
    if not isinstance(data, bytes) or not isinstance(encoding, str) or not encoding:
        return None
    error = result.get("bozo_exception")
    problem = f"{type(error).__name__}: {error}" if error is not None else None
    return Utf8Body(data, encoding, problem)


def cp1252_punctuation(body: bytes) -> bytes:
    """C1 control characters (U+0080-U+009F) replaced by what windows-1252 puts there.

    They only appear in text mis-decoded from windows-1252 (smart quotes, dashes,
    the euro sign); feedparser makes the same replacement in every text field.
    """
    if b"\xc2" not in body:
        return body
    return _C1_UTF8.sub(lambda match: _CP1252_FOR_C1.get(match.group(), match.group()), body)
