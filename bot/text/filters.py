"""Keyword filters: what a reader writes after `/filter politics`, and whether an article
passes.

    +سوريا +دمشق -كرة +"مجلس الأمن"

An article passes when it has at least one `+` term (if any is given) and none of the `-`
terms. A term is a word or a quoted phrase (its words in that order, next to each other);
words compare as `bot.text.words` says (whole words, Arabic prefixes, English plurals). No
pattern syntax is read from readers: a term is only ever compared word for word.

`parse_filter` reads a reader's text (raising `FilterError` with a code the handlers turn
into a message); `Filter.stored()` / `Filter.from_stored()` are the JSON kept on the
subscription; `ArticleWords` indexes an article's texts once for every filter tested on it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from bot.text.words import forms, key, words

MAX_TERMS: Final = 20
MAX_TERM_CHARS: Final = 100
MIN_WORD_CHARS: Final = 2
QUOTES: Final = '"“”„«»'
SIGNS: Final = "+-"
_CHUNK: Final = re.compile(r"\S+")


class FilterError(ValueError):
    """A filter that cannot be read: `code` names what is wrong, `values` fill the message."""

    def __init__(self, code: str, **values: object) -> None:
        super().__init__(code)
        self.code = code
        self.values = values


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase: as the reader wrote it (`text`) and as it is matched (`keys`)."""

    text: str
    keys: tuple[str, ...]

    @property
    def is_phrase(self) -> bool:
        return len(self.keys) > 1

    def shown(self) -> str:
        """The term as a filter line writes it: a phrase in quotes."""
        return f'"{self.text}"' if self.is_phrase else self.text


@functools.lru_cache(maxsize=4096)
def make_term(text: str) -> Term:
    """The term for a word or phrase; FilterError when it is too long or has no word."""
    shown = " ".join(text.split())
    if len(shown) > MAX_TERM_CHARS:
        raise FilterError("too_long", term=shown[:MAX_TERM_CHARS] + "…", most=MAX_TERM_CHARS)
    folded = words(shown)
    if not folded:
        raise FilterError("no_words", term=shown)
    if all(len(word) < MIN_WORD_CHARS for word in folded):
        raise FilterError("too_short", term=shown)  # the texts say "two letters"
    return Term(shown, tuple(key(word) for word in folded))


@dataclass(frozen=True, slots=True)
class Filter:
    include: tuple[Term, ...] = ()
    exclude: tuple[Term, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def stored(self) -> dict[str, Any]:
        """The JSON kept on the subscription ({} for no filter)."""
        if not self:
            return {}
        return {
            "include": [term.text for term in self.include],
            "exclude": [term.text for term in self.exclude],
        }

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any] | None) -> Filter:
        """The filter kept on a subscription; terms that no longer read are left out."""
        if not stored:
            return NO_FILTER
        include, exclude = stored.get("include") or [], stored.get("exclude") or []
        if isinstance(include, list) and isinstance(exclude, list):
            try:
                return _read_stored(tuple(include), tuple(exclude))
            except TypeError:  # something unhashable among the texts
                pass
        return _read_stored(_texts(include), _texts(exclude))

    def shown(self) -> str:
        """The filter as a reader would type it: `+سوريا -كرة`."""
        return " ".join(
            [f"+{t.shown()}" for t in self.include] + [f"-{t.shown()}" for t in self.exclude]
        )

    def admits(self, article: ArticleWords) -> bool:
        if any(article.has(term) for term in self.exclude):
            return False
        return not self.include or any(article.has(term) for term in self.include)


NO_FILTER: Final = Filter()


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(text for text in value if isinstance(text, str))


@functools.lru_cache(maxsize=4096)
def _read_stored(include: tuple[str, ...], exclude: tuple[str, ...]) -> Filter:
    """A stored filter read once (fan-out meets the same ones again and again)."""
    return Filter(_terms(include), _terms(exclude))


def _terms(texts: tuple[str, ...]) -> tuple[Term, ...]:
    terms = []
    for text in texts:
        if not isinstance(text, str):
            continue
        try:
            terms.append(make_term(text))
        except FilterError:
            continue
    return tuple(terms)


class ArticleWords:
    """An article's words indexed by form, with their positions (a phrase is its words at
    consecutive positions; the texts are kept apart, so no phrase runs from one to the next)."""

    __slots__ = ("_positions",)

    def __init__(self, texts: Iterable[str]) -> None:
        positions: dict[str, list[int]] = {}
        at = 0
        for text in texts:
            for word in words(text):
                for form in forms(word):
                    positions.setdefault(form, []).append(at)
                at += 1
            at += 1
        self._positions = positions

    def has(self, term: Term) -> bool:
        first = self._positions.get(term.keys[0])
        if first is None:
            return False
        if not term.is_phrase:
            return True
        rest = []
        for word_key in term.keys[1:]:
            found = self._positions.get(word_key)
            if found is None:
                return False
            rest.append(set(found))
        return any(all(p + i in s for i, s in enumerate(rest, 1)) for p in first)


def admitter(texts: Sequence[str]) -> Callable[[Mapping[str, Any]], bool]:
    """For fan-out: the article's texts indexed once; the function says whether a stored
    filter lets the article through."""
    article = ArticleWords(texts)
    return lambda stored: Filter.from_stored(stored).admits(article)


# ---- reading what a reader typed -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    sign: str  # "+", "-", or "" for a word without one
    text: str


def _tokens(text: str) -> Iterable[_Token]:
    """Signed words and quoted phrases, in order. FilterError on a quote never closed or a
    sign with nothing after it."""
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        sign = ""
        if text[i] in SIGNS:
            sign = text[i]
            i += 1
            if i >= n or text[i].isspace():
                raise FilterError("bare_sign", sign=sign)
        if text[i] in QUOTES:
            end = next((j for j in range(i + 1, n) if text[j] in QUOTES), -1)
            if end < 0:
                raise FilterError("unclosed_quote", term=text[i + 1 : i + 1 + MAX_TERM_CHARS])
            yield _Token(sign, text[i + 1 : end])
            i = end + 1
            continue
        end = i
        while end < n and not text[end].isspace():
            end += 1
        yield _Token(sign, text[i:end])
        i = end


def split_terms(text: str) -> tuple[str, str]:
    """`text` cut before its first signed word or quote: what names the category, and the
    terms."""
    for match in _CHUNK.finditer(text):
        if match[0][0] in SIGNS or match[0][0] in QUOTES:
            return text[: match.start()], text[match.start() :]
    return text, ""


def parse_filter(text: str) -> Filter:
    """The filter a reader typed (the text after the category). Raises FilterError: too many
    terms, a term too long or without a word, a word without + or -, a quote never closed,
    a term both wanted and refused, or nothing at all."""
    tokens = list(_tokens(text))
    if not tokens:
        raise FilterError("empty")
    if len(tokens) > MAX_TERMS:
        raise FilterError("too_many", count=len(tokens), most=MAX_TERMS)
    include: dict[tuple[str, ...], Term] = {}
    exclude: dict[tuple[str, ...], Term] = {}
    for token in tokens:
        if not token.sign:
            raise FilterError("sign_needed", term=" ".join(token.text.split())[:MAX_TERM_CHARS])
        term = make_term(token.text)
        (include if token.sign == "+" else exclude).setdefault(term.keys, term)
    both = include.keys() & exclude.keys()
    if both:
        raise FilterError("conflict", term=include[next(iter(both))].text)
    return Filter(tuple(include.values()), tuple(exclude.values()))
