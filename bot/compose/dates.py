"""The fetch date as a post writes it: `٢٨ كانون الثاني ٢٠٢٦`, `28 January 2026`.

Month names come from CLDR through Babel (`ar_SY` has the Levantine months: كانون الثاني
is January); Babel writes Latin digits, so Arabic dates get Arabic-Indic ones afterwards.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Final

from babel import Locale, UnknownLocaleError
from babel.dates import format_date

# CLDR's long date for ar_SY and en is day, month, year today; spelling the pattern out keeps
# it so if CLDR ever adds a weekday or changes the order.
DAY_MONTH_YEAR: Final = "d MMMM y"
ARABIC_LOCALE: Final = "ar_SY"
ENGLISH_LOCALE: Final = "en"

_ARABIC_INDIC_DIGITS: Final = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
# Babel puts RLM/LRM/ALM and, in some locales, embeddings or isolates around date parts.
_DIRECTION_MARKS: Final = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def fetch_date(moment: datetime | date, language: str) -> str:
    """The date of `moment` (in its own time zone) in `language`: day, month name, year.

    Arabic (any `ar` tag) uses the Levantine months of `ar_SY` and Arabic-Indic digits;
    English is "28 January 2026"; another language gets Babel's long date in its locale
    when Babel knows one, else English. Direction marks are never part of the result.
    """
    day = moment.date() if isinstance(moment, datetime) else moment
    base = _base_language(language)
    if base == "ar":
        text = format_date(day, format=DAY_MONTH_YEAR, locale=ARABIC_LOCALE)
        return _strip_marks(text).translate(_ARABIC_INDIC_DIGITS)
    if base == "en":
        return _strip_marks(format_date(day, format=DAY_MONTH_YEAR, locale=ENGLISH_LOCALE))
    locale = _locale(language)
    if locale is None:
        return fetch_date(day, ENGLISH_LOCALE)
    return _strip_marks(format_date(day, format="long", locale=locale))


def _base_language(language: str) -> str:
    return language.strip().replace("-", "_").split("_", 1)[0].lower()


def _locale(language: str) -> Locale | None:
    tag = language.strip().replace("-", "_")
    if not tag:
        return None
    try:
        return Locale.parse(tag)
    except (UnknownLocaleError, ValueError, TypeError):
        return None


def _strip_marks(text: str) -> str:
    return _DIRECTION_MARKS.sub("", text).strip()
