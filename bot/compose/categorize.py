"""An article's category: the source's fixed one, the feed's own tags, keywords, or the default.

`Categorizer` is built once from the deployment's categories and then called for every new
article. In order:

1. `fixed`: the source's fixed category, when it still exists;
2. tags: the feed's own category tags, matched against every category's slug, names and
   aliases through `alias_key`, also in the shapes feeds write them ("World News",
   "news/world", "Politics,Middle East", "أخبار سياسية", "World > Middle East");
3. keywords: Arabic and English keyword lists (`bot.compose.keywords`), scored over the
   title (weighted) and the text's opening, decided only when the best category clearly
   leads; a story set abroad (it names foreign places) is world news when it is politics
   or local news, or when no category leads;
4. the default category.

Only slugs of the given categories are ever returned: keywords of a deleted category are
ignored, and a category an admin added is found by its names and aliases, as tags and as
keywords. Title and text are plain text; words are matched after `alias_key`
normalization and light stemming (`bot.ingest.similarity`), so inflected Arabic forms
("السياسية", "للانتخابات") and English plurals meet their keywords.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import lru_cache
from itertools import product
from typing import Final, Literal

from bot.compose.keywords import KEYWORDS, PLACES, SURFACE_MARK
from bot.text.fold import alias_key, normalize_arabic
from bot.text.stems import stem_arabic, stem_english

TITLE_WEIGHT: Final = 2
"""A keyword in the title counts this many times one in the text: titles name the topic."""

TEXT_CHARS: Final = 1500
"""Only the text's opening is read: the lead says what the story is about, and it is fast."""

MIN_SCORE: Final = 4
"""The least score to decide on: one keyword in the title, or two different ones in the
text."""

MARGIN: Final = 1.2
"""The best category must score at least this many times the runner-up."""

KEYWORD_WEIGHT: Final = 2
"""A keyword of `KEYWORDS`, or a name or alias of a category that has none there."""

PLACE_WEIGHT: Final = 1
"""A place abroad (`PLACES`). Places do not vote for a category: they tell where a story
is set, and culture or sports news abroad is still culture or sports."""

ABROAD_MIN: Final = 3
"""From this place score on, a story is set abroad (a place in the title and one in the
text, or three in the text): then politics or local news is world news, and so is a
story no category clearly claims."""

WORLD: Final = "world"
GOES_ABROAD: Final = frozenset({"politics", "local"})
_ABROAD: Final = "@abroad"
"""What place terms score for in the lexicon; no category is named so (slugs are words)."""

Reason = Literal["source", "tags", "keywords", "default"]


@dataclass(frozen=True, slots=True)
class CategoryInfo:
    slug: str
    names: Mapping[str, str]
    """Language code -> display name, e.g. {"ar": "سياسة", "en": "Politics"}."""
    aliases: tuple[str, ...]
    """Already `alias_key`-normalized, as stored."""


@dataclass(frozen=True, slots=True)
class Categorization:
    slug: str
    reason: Reason


class Categorizer:
    """Chooses one of `categories` for an article; see the module's docstring for the order."""

    def __init__(self, categories: Sequence[CategoryInfo], *, default: str = "general") -> None:
        slugs = [category.slug for category in categories]
        if default not in slugs:
            raise ValueError(f"default category {default!r} is not among {slugs}")
        self._default = default
        self._has_world = WORLD in slugs
        self._names = _NameIndex(categories, default)
        self._lexicon = _Lexicon(_keyword_terms(categories, default))

    def categorize(
        self,
        *,
        title: str,
        text: str,
        tags: Sequence[str],
        language: str | None,
        fixed: str | None = None,
    ) -> Categorization:
        if fixed is not None and (slug := self._names.lookup(fixed)) is not None:
            return Categorization(slug, "source")
        if (slug := self._names.match_tags(tags)) is not None:
            return Categorization(slug, "tags")
        if _has_keywords(language) and (slug := self.classify(title, text)) is not None:
            return Categorization(slug, "keywords")
        return Categorization(self._default, "default")

    def classify(self, title: str, text: str) -> str | None:
        """Step 3 alone: a slug, or None when no category clearly leads."""
        scores = self._scores(title, text)
        abroad = scores.pop(_ABROAD, 0)
        best = _decide(scores)
        if self._has_world and abroad >= ABROAD_MIN and (best is None or best in GOES_ABROAD):
            return WORLD
        return best

    def _scores(self, title: str, text: str) -> Counter[str]:
        """Each category's keyword score, and the places' under a name no category has:
        distinct keywords in the title and in the text's opening."""
        scores: Counter[str] = Counter()
        for field, weight in ((title, TITLE_WEIGHT), (text[:TEXT_CHARS], 1)):
            for slug, term_weight in self._lexicon.hits(field):
                scores[slug] += weight * term_weight
        return scores

    def tag_category(self, tags: Sequence[str]) -> str | None:
        """Step 2 alone: the category the tags name, or None."""
        return self._names.match_tags(tags)


def _has_keywords(language: str | None) -> bool:
    """Keyword lists exist for Arabic and English; other languages are not guessed at."""
    if not language:
        return True
    return re.split(r"[-_]", language.strip().casefold(), maxsplit=1)[0] in {"ar", "en"}


def _decide(scores: Counter[str]) -> str | None:
    ranked = scores.most_common(2)
    if not ranked:
        return None
    best, best_score = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if best_score < MIN_SCORE or best_score < MARGIN * runner_up:
        return None
    return best


# ---- words -----------------------------------------------------------------------------------

_WORD: Final = re.compile(r"[^\W\d_]+")
_ARABIC_WORD: Final = re.compile(r"^[\u0621-\u064a]+$")
_PROCLITICS: Final = "بل"
"""Prepositions the light stemmer leaves on; ف and ك begin too many words (فكرة, كتاب)."""
_SURFACE_PROCLITICS: Final = "وفبلك"
_RESOLVED_CACHE: Final = 1 << 16


def _words(text: str) -> list[str]:
    """Letters-only words, normalized like `alias_key` plus the stemmer's Arabic letter forms."""
    return _WORD.findall(normalize_arabic(alias_key(text).replace("-", " ")))


@lru_cache(maxsize=1 << 16)
def _forms(word: str) -> tuple[str, ...]:
    """A text word's possible stems, likeliest first.

    Arabic: the light stem, then the stem without a one-letter proclitic, which the light
    stemmer leaves on ("لكرة" -> "كرة"). English: the stem.
    """
    if not _ARABIC_WORD.match(word):
        return (stem_english(word) if word.isascii() else word,)
    forms = [_stem_arabic(word)]
    if word[0] in _PROCLITICS and len(word) >= 4:
        forms.append(_stem_arabic(word[1:]))
    return tuple(dict.fromkeys(forms))


def _stem_arabic(word: str) -> str:
    """The light stem, without a relative-adjective ي on a long stem, so that "سياسي" and
    "اقتصادي" meet "سياسة" and "اقتصاد" (the light stemmer already strips "ية")."""
    stem = stem_arabic(word)
    return stem[:-1] if len(stem) >= 5 and stem.endswith("ي") else stem


def _term_forms(word: str) -> tuple[str, ...]:
    """Every stem a written keyword's word may take in text.

    The stemmer treats a word differently with and without the article ("وزراء" loses its
    و as a conjunction, "الوزراء" keeps it), and an English word in singular and plural
    ("movie", "movies").
    """
    if _ARABIC_WORD.match(word):
        with_article = word if word.startswith("ال") else "ال" + word
        return tuple(dict.fromkeys((_stem_arabic(word), _stem_arabic(with_article))))
    if word.isascii():
        return tuple(dict.fromkeys((stem_english(word), stem_english(word + "s"))))
    return (word,)


# ---- keyword lexicon -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Term:
    slug: str
    text: str
    weight: int


def _keyword_terms(categories: Sequence[CategoryInfo], default: str) -> Iterator[_Term]:
    """Places abroad; built-in keywords of the categories that exist; for a category without
    built-in keywords (one an admin added), its slug, names and aliases.

    The default category takes none: it is what remains when nothing else is found.
    Built-in categories do without their names, whose everyday senses mislead: "world"
    in "world title", "العالم" in "أغنى رجل في العالم", "أعمال" in "أعمال عنف".
    """
    for text in PLACES:
        yield _Term(_ABROAD, text, PLACE_WEIGHT)
    for category in categories:
        if category.slug == default:
            continue
        keywords = KEYWORDS.get(category.slug, ())
        for text in keywords:
            yield _Term(category.slug, text, KEYWORD_WEIGHT)
        if not keywords:
            for name in (category.slug, *category.names.values(), *category.aliases):
                yield _Term(category.slug, name, KEYWORD_WEIGHT)


class _Phrases:
    """Phrases (tuples of word forms) with a weight per slug, found longest first."""

    def __init__(self) -> None:
        self.weights: dict[tuple[str, ...], dict[str, int]] = {}
        self.vocabulary: set[str] = set()
        self._longest: dict[str, int] = {}

    def add(self, phrase: tuple[str, ...], slug: str, weight: int) -> None:
        if not phrase:
            return
        _keep_max(self.weights.setdefault(phrase, {}), slug, weight)
        self.vocabulary.update(phrase)
        self._longest[phrase[0]] = max(len(phrase), self._longest.get(phrase[0], 0))

    def length_at(self, forms: list[str], start: int) -> int:
        """The length of the longest phrase at `start`, 0 for none."""
        longest = self._longest.get(forms[start])
        if longest is None:
            return 0
        for length in range(min(longest, len(forms) - start), 0, -1):
            if tuple(forms[start : start + length]) in self.weights:
                return length
        return 0


class _Lexicon:
    """Keyword phrases, as written (SURFACE_MARK) or as stems, found in a text's words.

    At each word the longest written-form phrase is tried first, then the longest stem
    phrase; a match moves past its words, so "world cup" is not also "world".
    """

    def __init__(self, terms: Iterable[_Term]) -> None:
        self._surfaces = _Phrases()
        self._stems = _Phrases()
        for term in terms:
            words = _words(term.text)
            if term.text.startswith(SURFACE_MARK):
                self._surfaces.add(tuple(words), term.slug, term.weight)
                continue
            for phrase in product(*(_term_forms(word) for word in words)):
                self._stems.add(phrase, term.slug, term.weight)
        self._resolved: dict[str, tuple[str, str]] = {}

    def hits(self, text: str) -> Iterator[tuple[str, int]]:
        """(slug, weight) once per distinct keyword found in `text`."""
        found: dict[tuple[str, ...], dict[str, int]] = {}
        pairs = [self._resolve(word) for word in _words(text)]
        surfaces = [surface for surface, _ in pairs]
        stems = [stem for _, stem in pairs]
        i = 0
        while i < len(stems):
            if length := self._surfaces.length_at(surfaces, i):
                key = tuple(surfaces[i : i + length])
                found[(SURFACE_MARK, *key)] = self._surfaces.weights[key]
            elif length := self._stems.length_at(stems, i):
                key = tuple(stems[i : i + length])
                found[key] = self._stems.weights[key]
            i += length or 1
        for weights in found.values():
            yield from weights.items()

    def _resolve(self, word: str) -> tuple[str, str]:
        """The word as a written form and as a stem, each the one some keyword has if any:
        without a proclitic when that makes it a keyword's, else the likeliest."""
        resolved = self._resolved.get(word)
        if resolved is None:
            if len(self._resolved) >= _RESOLVED_CACHE:
                self._resolved.clear()
            surface = word
            if word not in self._surfaces.vocabulary and word[0] in _SURFACE_PROCLITICS:
                surface = word[1:] if word[1:] in self._surfaces.vocabulary else word
            forms = _forms(word)
            stem = next((form for form in forms if form in self._stems.vocabulary), forms[0])
            resolved = self._resolved[word] = (surface, stem)
        return resolved


def _keep_max(weights: dict[str, int], slug: str, weight: int) -> None:
    weights[slug] = max(weight, weights.get(slug, 0))


# ---- names and tags --------------------------------------------------------------------------

# "news/world/middle-east", "World > Middle East", "Category: Sport": general to specific.
_TAG_LEVELS: Final = re.compile(r"[/\\>|»›:]|\s[-–—]\s")
# "Politics, Latin America", "Arts & Culture", "Politics and Government": alternatives.
_TAG_SIBLINGS: Final = re.compile(r"[,،;؛&+]|\s(?:and|و)\s", re.IGNORECASE)
_PARENTHESES: Final = re.compile(r"\([^()]*\)")
_FILLER_WORDS: Final = frozenset(
    _words("news, أخبار, الأخبار, خبر, latest, top, stories, section, category, قسم, عاجل")
)


class _Match(IntEnum):
    """How well a piece of a tag names a category; stronger wins."""

    PART = 1
    """The head words of the piece are a name: "US politics", "Personal Finance",
    "الاقتصاد العالمي"; not "General Motors", "World War II"."""
    WHOLE = 2
    """Its stems, filler words dropped, are a name's: "World News", "أخبار سياسية", "Sports"."""
    EXACT = 3
    """It is a slug, name or alias."""


class _NameIndex:
    """Every category's slug, names and aliases, exactly and as stems without filler words."""

    def __init__(self, categories: Sequence[CategoryInfo], default: str) -> None:
        self._default = default
        self._slugs = frozenset(category.slug for category in categories)
        self._exact: dict[str, str] = {}
        self._stems: dict[tuple[str, ...], str] = {}
        for category in categories:
            self._exact.setdefault(alias_key(category.slug), category.slug)
        for category in categories:
            for name in (*category.names.values(), *category.aliases):
                self._exact.setdefault(alias_key(name), category.slug)
        for key, slug in self._exact.items():
            for stems in _name_stems(key):
                self._stems.setdefault(stems, slug)

    def lookup(self, name: str) -> str | None:
        """The category whose slug, name or alias `name` is."""
        return name if name in self._slugs else self._exact.get(alias_key(name))

    def match_tags(self, tags: Sequence[str]) -> str | None:
        """The category the tags name: not the default one if another is named, then the
        best-matched, then the earlier tag's."""
        best: tuple[bool, _Match, int] | None = None
        chosen: str | None = None
        for position, tag in enumerate(tags):
            found = self._match_tag(tag)
            if found is None:
                continue
            slug, strength = found
            rank = (slug != self._default, strength, -position)
            if best is None or rank > best:
                best, chosen = rank, slug
        return chosen

    def _match_tag(self, tag: str) -> tuple[str, _Match] | None:
        """The match in the deepest level of a tag path that has one."""
        levels = _TAG_LEVELS.split(_PARENTHESES.sub(" ", html.unescape(tag)))
        for level in reversed(levels):
            found = self._match_level(level)
            if found is not None:
                return found
        return None

    def _match_level(self, level: str) -> tuple[str, _Match] | None:
        """The level as a whole, else its strongest-matched alternative, the first among equals."""
        whole = self._match_piece(level)
        if whole is not None and whole[1] >= _Match.WHOLE:
            return whole
        found = [match for part in _TAG_SIBLINGS.split(level) if (match := self._match_piece(part))]
        return max(found, key=lambda match: match[1], default=None)

    def _match_piece(self, piece: str) -> tuple[str, _Match] | None:
        key = alias_key(piece)
        if not key:
            return None
        if key in self._exact:
            return self._exact[key], _Match.EXACT
        stems = tuple(_forms(word)[0] for word in _words(key) if word not in _FILLER_WORDS)
        if stems in self._stems:
            return self._stems[stems], _Match.WHOLE
        for head in _heads(stems):
            if head in self._stems:
                return self._stems[head], _Match.PART
        return None


def _heads(stems: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    """The word runs that head a phrase, longest first: English phrases end in their head
    ("US sports"), Arabic ones begin with it, or with a noun its adjective qualifies
    ("الاقتصاد العالمي", "شؤون دولية")."""
    if len(stems) < 2:
        return
    if _ARABIC_WORD.match(stems[0]):
        yield from (stems[:length] for length in range(len(stems) - 1, 0, -1))
        if len(stems) == 2:
            yield stems[1:]
    else:
        yield from (stems[-length:] for length in range(len(stems) - 1, 0, -1))


def _name_stems(name: str) -> Iterator[tuple[str, ...]]:
    words = [word for word in _words(name) if word not in _FILLER_WORDS]
    if words:
        yield from product(*(_term_forms(word) for word in words))
