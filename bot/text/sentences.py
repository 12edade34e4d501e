"""Sentence splitting for news text: Arabic first, English second, any script passes.

A paragraph (a line of the text) never continues into the next one, except a hard-wrapped
English line whose next line starts in lower case. Inside a paragraph a sentence ends at
. ! ? ؟ … ۔ । 。 ！ ？ (and any closing quotes or brackets right after them) followed by
white space, by an Arabic letter with no space (a common typing slip), or, after a CJK
full stop, by anything. The Arabic comma and semicolon (، ؛) never end a sentence.

Not every full stop ends one. Titles (Mr. Dr. د. م.), initials (J. R. R. Tolkien), decimals
(3.5, ٣٫٥), "e.g." and any abbreviation before a lower-case word ("etc. and") do not;
dotted abbreviations and short forms such as U.S., Inc., Jan. do only before a word that
usually opens a sentence ("the U.S. He said"); an Arabic era letter after a year (1250 م.)
does. Ellipses and two dots end a sentence only before a capital letter, since Arabic
writers use them as pauses. A full stop inside a quotation that closes in the same
paragraph does not split it.

Regular expressions and string tests, linear in the text: no model, no network. pysbd (the
evalset README's English splitter) agreed on 767 of the 1,200 English articles, the rest
mostly its stray quote marks, but took 18 ms an article (the summarizer's whole budget is
5) and split "د. أحمد" in Arabic, so it is not used.
"""

from __future__ import annotations

import bisect
import itertools
import re
from typing import Final

from bot.text.clean import strip_markup

SENTENCE_END: Final = re.compile(r"[.!?؟…。](?:[\"'”’»)\]]*)(?=\s|$)")
"""Where a sentence of finished text ends (a terminal mark, closing quotes, then a space)."""

MAX_QUOTE_CHARS: Final = 600
"""A quotation longer than this may be split inside; a stray quote mark cannot glue a page."""


_TERMINAL: Final = ".!?؟…۔।。！？‼⁇⁈⁉"
_CLOSERS: Final = "\"'»”’)]›』」）"
# A run of marks is taken whole (possessive, and only from its first mark), so a page of
# dots costs linear time.
_CANDIDATE: Final = re.compile(
    rf"(?<![{re.escape(_TERMINAL)}])[{re.escape(_TERMINAL)}]++[{re.escape(_CLOSERS)}]*+"
    r"(?:\s+|(?=[\u0621-\u064a])|(?<=[。！？])(?=\S))"
)
_UNWRAPPED: Final = _TERMINAL + _CLOSERS + ":"
_WINDOW: Final = 64
"""Characters looked at on each side of a full stop: longer words decide nothing."""
_OPENERS: Final = "\"'«“‘([‹『「（"

_HAS_WORD: Final = re.compile(r"[^\W_]")
_ARABIC_LETTER: Final = re.compile(r"[\u0621-\u064a]")
_LATIN_LOWER_START: Final = re.compile(r"[a-zà-ÿ]")
_NUMBER: Final = re.compile(r"^[\d٠-٩۰-۹][\d٠-٩۰-۹.,٫٬]*$")
_DOTTED: Final = re.compile(r"^(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}$")


def _word_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


# Never end a sentence, whatever follows (English titles and Latin set phrases).
_TITLES: Final = _word_set(
    """mr mrs ms messrs mme mlle dr prof st sr jr rev hon gen col lt sgt capt cmdr adm maj
    cpl pvt brig gov sen rep pres supt insp det fr mt ft vs v cf e.g i.e viz approx ca"""
)
# End a sentence only before a word that usually opens one ("the U.S. He said").
_AMBIGUOUS: Final = _word_set(
    """etc inc ltd co corp plc llc bros dept univ est jan feb mar apr jun jul aug sep sept oct
    nov dec mon tue tues wed thu thur thurs fri sat sun no nos vol fig pp p"""
)
_SENTENCE_STARTERS: Final = _word_set(
    """a an and as at but he her his however i if in it its meanwhile mr mrs ms dr on our she
    so that the their there these they this those we what when while yet you"""
)


def last_sentence_end(text: str, within: int) -> int:
    """The end of the last sentence that ends within the first `within` characters (0: none)."""
    end = 0
    for match in SENTENCE_END.finditer(text):
        if match.end() > within:
            break
        end = match.end()
    return end


def split_sentences(text: str, language: str | None) -> list[str]:
    """The sentences of `text`, cleaned (`strip_markup`) but otherwise in their own words.

    `language` is accepted for the caller's symmetry: every rule is chosen by the script
    of the words around a full stop, which also copes with mixed Arabic and English text.
    """
    del language
    sentences: list[str] = []
    for paragraph in _paragraphs(strip_markup(text)):
        sentences.extend(_split_paragraph(paragraph))
    return sentences


def _paragraphs(text: str) -> list[str]:
    """Lines of the text, a hard-wrapped line joined to the next when that starts lower-case."""
    groups: list[list[str]] = []
    for line in text.split("\n"):
        if groups and _LATIN_LOWER_START.match(line) and groups[-1][-1][-1] not in _UNWRAPPED:
            groups[-1].append(line)
        else:
            groups.append([line])
    return [" ".join(group) for group in groups]


def _split_paragraph(paragraph: str) -> list[str]:
    quotations = _Quotations(paragraph)
    pieces: list[str] = []
    start = 0
    for match in _CANDIDATE.finditer(paragraph):
        end, mark = match.end(), match.group().rstrip()
        if end >= len(paragraph) or quotations.inside(match.start(), match.start() + len(mark)):
            continue
        if _ends_sentence(paragraph, match.start(), mark, end):
            pieces.append(paragraph[start:end].strip())
            start = end
    pieces.append(paragraph[start:].strip())
    return _merge_wordless(pieces)


def _merge_wordless(pieces: list[str]) -> list[str]:
    """Pieces without a letter or digit (a stray ". " or "***") join the sentence before."""
    groups: list[list[str]] = []
    for piece in pieces:
        if _HAS_WORD.search(piece):
            groups.append([piece])
        elif groups and piece:
            groups[-1].append(piece)
    return [" ".join(group) for group in groups]


class _Quotations:
    """The short quotations of a paragraph: «…», “…” and paired straight quotes."""

    def __init__(self, paragraph: str) -> None:
        spans = sorted(_quote_spans(paragraph))
        self._opened = [opened for opened, _ in spans]
        self._reach = list(itertools.accumulate((closed for _, closed in spans), max))

    def inside(self, start: int, end: int) -> bool:
        """Whether a mark from `start` to `end` lies inside a quotation without closing it."""
        before = bisect.bisect_left(self._opened, start)
        return before > 0 and self._reach[before - 1] >= end


def _quote_spans(paragraph: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for opener, closer in (("«", "»"), ("“", "”")):
        position = paragraph.find(opener)
        while position != -1:
            close = paragraph.find(closer, position + 1)
            if close == -1:
                break
            if close - position <= MAX_QUOTE_CHARS:
                spans.append((position, close))
            position = paragraph.find(opener, close + 1)
    straight = [index for index, char in enumerate(paragraph) if char == '"']
    if len(straight) % 2 == 0:
        for open_at, close_at in zip(straight[::2], straight[1::2], strict=True):
            if close_at - open_at <= MAX_QUOTE_CHARS:
                spans.append((open_at, close_at))
    return spans


def _ends_sentence(paragraph: str, at: int, mark: str, after: int) -> bool:
    """Whether the terminal mark `mark` at `at` (the next word begins at `after`) ends one."""
    next_word = paragraph[after : after + _WINDOW].split(" ", 1)[0].lstrip(_OPENERS)
    if next_word[:1].islower():
        return False
    punctuation = mark.rstrip(_CLOSERS)
    if punctuation.startswith(("..", "…")) or punctuation.endswith(".."):
        return next_word[:1].isupper()
    if not punctuation.endswith(".") or len(punctuation) > 1:
        return True
    words = paragraph[max(0, at - _WINDOW) : at].rsplit(None, 2)
    word = words[-1].lstrip(_OPENERS) if words else ""
    before = words[-2] if len(words) >= 2 else ""
    return _full_stop_ends(word, before, next_word)


def _full_stop_ends(word: str, before: str, next_word: str) -> bool:
    """Whether a full stop after `word` (preceded by `before`) ends a sentence."""
    folded = word.casefold()
    if _ARABIC_LETTER.match(word) and (len(word) == 1 or _DOTTED.match(word)):
        return bool(_NUMBER.match(before))
    if folded in _TITLES:
        return False
    if len(word) == 1 and word.isupper():
        return False
    if folded in _AMBIGUOUS or _DOTTED.match(word):
        if next_word[:1].isdigit():
            return False
        return (
            next_word.strip(",;:").casefold() in _SENTENCE_STARTERS or not next_word[:1].isascii()
        )
    return True
