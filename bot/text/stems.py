"""Light stemmers: Arabic (Light10's prefixes and suffixes) and English (plurals, -ed, -ing).
Both take words already folded (`bot.text.fold.fold`)."""

from __future__ import annotations

from typing import Final

# Light10 (Larkey, Ballesteros & Connell 2002): و alone, and the article with or without a
# proclitic. ب ل ف ك alone are left: they begin too many stems (بيت لبنان فلسطين كتائب).
_ARABIC_PREFIXES: Final = ("وال", "بال", "كال", "فال", "لل", "ال")
_ARABIC_SUFFIXES: Final = ("ات", "ون", "ين", "ها", "يه", "ه")


def stem_arabic(word: str) -> str:
    """Light stemming of a normalised Arabic word: one prefix, then one suffix, if long enough."""
    if word.startswith("و") and len(word) >= 4:
        word = word[1:]
    for prefix in _ARABIC_PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            word = word[len(prefix) :]
            break
    for suffix in _ARABIC_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def stem_english(word: str) -> str:
    """Plural, possessive, -ed and -ing stripping, so "strikes"/"strike", "killed"/"kills"."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("sses") or (word.endswith("es") and word[:-2].endswith(("sh", "ch", "x"))):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) >= 5:
        word = _undouble(word[:-2])
    if word.endswith("e") and len(word) >= 5:
        word = word[:-1]
    return word


def _undouble(word: str) -> str:
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "lsz":
        return word[:-1]
    return word


# Words ending in s that are not plurals, or whose plural is themselves (news, series).
_INVARIANT_PLURALS: Final = frozenset(
    {"news", "series", "species", "means", "chaos", "bias", "gas", "atlas", "canvas", "lens"}
)


def singular_english(word: str) -> str:
    """A folded English word without a simple plural ending: "strikes" → "strike",
    "cities" → "city", "boxes" → "box"; "news", "crisis", "politics" stay as they are."""
    if len(word) <= 3 or not word.isascii() or not word.isalpha() or word in _INVARIANT_PLURALS:
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("sses") or word.endswith(("xes", "zes", "ches", "shes")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is", "ics")):
        return word[:-1]
    return word
