"""Folding text for comparison: Arabic letter forms unified, case and width folded."""

from __future__ import annotations

import re
import unicodedata
from typing import Final

_ARABIC_DIACRITICS: Final = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_ARABIC_LETTERS: Final = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ی": "ي",  # Farsi yeh and keheh, from Persian keyboards
        "ک": "ك",
        **{chr(0x0660 + d): str(d) for d in range(10)},
        **{chr(0x06F0 + d): str(d) for d in range(10)},
    }
)
_ALIAS_FORMS: Final = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})
"""Letter forms an alias key folds (hamza seats and digits stay: stored keys have them)."""


def normalize_arabic(text: str) -> str:
    """Strip harakat and tatweel, unify alef/yeh/teh marbuta/hamza seats, ASCII digits."""
    return _ARABIC_DIACRITICS.sub("", text).translate(_ARABIC_LETTERS)


def fold(text: str) -> str:
    """NFKC, case-folded, Arabic normalized: the form words are compared in."""
    return normalize_arabic(unicodedata.normalize("NFKC", text).casefold())


def alias_key(text: str) -> str:
    """The lookup form of a category name: case-folded, Arabic letter forms unified, no '#'."""
    text = unicodedata.normalize("NFKC", text).strip().lstrip("#").casefold()
    text = _ARABIC_DIACRITICS.sub("", text).translate(_ALIAS_FORMS)
    return " ".join(text.replace("_", " ").split())
