"""Words as filters and search compare them: folded, and each text word with the forms it
can stand for.

Both sides are folded (`bot.text.fold.fold`: case, width, harakat, tatweel, alef/yeh/teh
marbuta forms, digits). A word of a text then stands for itself and for what is left when
its attached prefixes are taken off: a conjunction (و ف), a preposition (ب ك ل) and the
article (ال, or لل after ل), in that order, as long as three letters remain. So «وسوريا»
stands for «سوريا» too, and «والسورية» for «السورية» and «سورية». An English word stands
for itself and its singular ("strikes" for "strike").

The word a reader asks for is kept whole (its `key`), only without the article (so «السورية»
and «سورية» ask for the same) or an English plural: it matches a text word when it is one
of that word's forms. «سوريا» thus matches «سوريا», «وسوريا», «بسوريا», «لسوريا», but not
«السورية» (the adjective "Syrian", another word); «سورية» matches «السورية» and «سورية».
Nothing is cut from the end of an Arabic word, and a prefix is never cut from the word asked
for, so «بيروت» never becomes «يروت» and matches only «بيروت», «وبيروت», «لبيروت»…
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from typing import Final

from bot.text.fold import fold
from bot.text.stems import singular_english

WORD: Final = re.compile(r"[^\W_]+")
MIN_STEM: Final = 3  # letters that must remain once prefixes are taken off
_ARABIC_LETTER: Final = re.compile("[\u0620-\u064a\u066e-\u06d3]")
_ARTICLE: Final = "ال"


def _prefix_chains() -> tuple[str, ...]:
    chains = set()
    for conjunction in ("", "و", "ف"):
        for preposition in ("", "ب", "ك", "ل"):
            for article in ("", _ARTICLE):
                joined = preposition + article
                if preposition == "ل" and article:
                    joined = "لل"  # ل + ال is written لل
                chains.add(conjunction + joined)
    chains.discard("")
    return tuple(sorted(chains, key=len))


PREFIX_CHAINS: Final = _prefix_chains()
"""Every run of attached prefixes a word may begin with: و ف, then ب ك ل, then ال (لل)."""
_CHAINS_BY_LETTER: Final = {
    letter: tuple(chain for chain in PREFIX_CHAINS if chain[0] == letter)
    for letter in {chain[0] for chain in PREFIX_CHAINS}
}


def is_arabic(word: str) -> bool:
    return _ARABIC_LETTER.match(word) is not None


def words(text: str) -> list[str]:
    """The folded words of `text`, in order (punctuation, emoji and spaces separate them)."""
    return WORD.findall(fold(text))


@functools.lru_cache(maxsize=65_536)
def forms(word: str) -> tuple[str, ...]:
    """What a folded text word can stand for: itself first, then without its prefixes
    (Arabic) or its plural ending (English)."""
    if is_arabic(word):
        found = [word]
        for chain in _CHAINS_BY_LETTER.get(word[0], ()):
            if word.startswith(chain) and len(word) - len(chain) >= MIN_STEM:
                found.append(word[len(chain) :])
        return tuple(dict.fromkeys(found))
    single = singular_english(word)
    return (word,) if single == word else (word, single)


def key(word: str) -> str:
    """The form a folded word a reader asks for is matched in: without the article (Arabic,
    when three letters remain) or a simple plural ending (English)."""
    if is_arabic(word):
        if word.startswith(_ARTICLE) and len(word) - len(_ARTICLE) >= MIN_STEM:
            return word[len(_ARTICLE) :]
        return word
    return singular_english(word)


def keys(text: str) -> tuple[str, ...]:
    """The keys of the words of `text`, in order."""
    return tuple(key(word) for word in words(text))


def all_forms(texts: Iterable[str]) -> Iterator[str]:
    """Every form of every word of the texts, each once (what search indexes)."""
    seen: set[str] = set()
    for text in texts:
        for word in words(text):
            for form in forms(word):
                if form not in seen:
                    seen.add(form)
                    yield form
