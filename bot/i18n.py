"""The readers' bot's message catalog, in Arabic (the default) and English.

The texts live in ``bot/locales/ar.toml`` and ``bot/locales/en.toml`` (the readers' texts) and
in ``bot/locales/ar/*.toml`` and ``bot/locales/en/*.toml`` (one file per further audience, such
as the admins'): plain files a translator can edit without touching Python, with the same
dotted keys (``"subscribe.done"``) and the same ``{placeholders}`` in both languages;
tests/test_i18n.py holds them to that. A key is defined in one file only.

Which function to use:

* ``t_html(key, language, **values)`` for every message sent with ``parse_mode="HTML"``, which
  is every message: catalog texts are Telegram HTML (they may hold ``<b>``), and the values,
  which may come from users or sources (a first name, a category typed by the reader, a
  headline), are HTML-escaped. Wrap a value that is already HTML in ``Html`` (for instance a
  list built with ``t_html`` itself) and it goes in as it is. The result is an ``Html``.
* ``t(key, language, **values)`` for plain-text places only: ``alert.*`` (answerCallbackQuery
  texts), ``button.*`` (inline keyboard texts) and ``command.*`` (``setMyCommands``
  descriptions), whose catalog texts hold no markup; values are substituted as they are.
* ``tn_html`` / ``tn`` for a counted noun: the catalog entry is a table of CLDR plural forms
  (Arabic has six: zero, one, two, few, many, other — «لا مجموعات», «مجموعة واحدة»,
  «مجموعتان», «٣ مجموعات», «١١ مجموعة», «١٠٠ مجموعة»; English one and other), chosen by
  Babel's plural rules for ``count``.

Numbers: every Arabic text uses Arabic-Indic digits (٠–٩), as the posts' dates do. An ``int``
value is written in the language's digits; text already holding digits (a time, a date) goes
through ``local_digits`` first. Readers may type either kind of digit: ``ascii_digits``
reads them back.
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Iterable, Mapping
from datetime import datetime
from importlib.resources import files
from typing import Final
from zoneinfo import ZoneInfo

from babel import Locale

SUPPORTED_LANGUAGES: Final = ("ar", "en")
DEFAULT_LANGUAGE: Final = "ar"
PLURAL_FORMS: Final = ("zero", "one", "two", "few", "many", "other")

Plural = Mapping[str, str]
"""A counted text: CLDR plural form → text (``other`` always present)."""
Entry = str | Plural

_ARABIC_INDIC: Final = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_TO_ASCII: Final = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "0123456789" * 2)
_LOCALES: Final = {language: Locale.parse(language) for language in SUPPORTED_LANGUAGES}


class Html(str):
    """Text that is already Telegram HTML: ``t_html`` inserts it without escaping."""

    __slots__ = ()


def _is_plural(table: Mapping[str, object]) -> bool:
    return "other" in table and all(
        name in PLURAL_FORMS and isinstance(text, str) for name, text in table.items()
    )


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, Entry]:
    flat: dict[str, Entry] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping) and _is_plural(value):
            flat[key] = {form: str(text) for form, text in value.items()}
        elif isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise TypeError(f"catalog entry {key!r} is not text: {value!r}")
    return flat


def _load(language: str) -> dict[str, Entry]:
    locales = files("bot").joinpath("locales")
    catalog = _flatten(tomllib.loads(locales.joinpath(f"{language}.toml").read_text("utf-8")))
    folder = locales.joinpath(language)
    parts = (
        sorted(
            (entry for entry in folder.iterdir() if entry.name.endswith(".toml")),
            key=lambda entry: entry.name,
        )
        if folder.is_dir()
        else []
    )
    for part in parts:
        for key, text in _flatten(tomllib.loads(part.read_text("utf-8"))).items():
            if key in catalog:
                raise ValueError(f"catalog key {key!r} is defined twice ({language}/{part.name})")
            catalog[key] = text
    return catalog


CATALOGS: Final[Mapping[str, Mapping[str, Entry]]] = {
    language: _load(language) for language in SUPPORTED_LANGUAGES
}


def placeholders(entry: Entry) -> frozenset[str]:
    """The names of the ``{placeholders}`` in a catalog text (in any form of a counted one)."""
    texts = [entry] if isinstance(entry, str) else list(entry.values())
    return frozenset(
        name
        for text in texts
        for _, name, _, _ in string.Formatter().parse(text)
        if name is not None
    )


def local_digits(text: str, language: str | None) -> str:
    """`text` with its digits in the language's own (Arabic-Indic for Arabic)."""
    if (normalize_language(language) or DEFAULT_LANGUAGE) == "ar":
        return text.translate(_ARABIC_INDIC)
    return text


def ascii_digits(text: str) -> str:
    """Arabic-Indic and Persian digits a reader typed, as ASCII digits."""
    return text.translate(_TO_ASCII)


def local_time(moment: datetime, zone: str, language: str | None) -> str:
    """`moment` as YYYY-MM-DD HH:MM in the time zone `zone` (the text around it names the
    zone), in the language's digits."""
    return local_digits(moment.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M"), language)


def number(value: int, language: str | None) -> str:
    """An integer in the language's digits (no grouping: counts and ids alike)."""
    return local_digits(str(value), language)


def normalize_language(code: str | None) -> str | None:
    """``"ar"``, ``"ar-SY"``, ``"AR_eg"`` → ``"ar"``; ``"en-US"`` → ``"en"``; else None."""
    if not code:
        return None
    primary = code.strip().replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in SUPPORTED_LANGUAGES else None


def choose_language(chat_language: str | None, user_language_code: str | None, default: str) -> str:
    """The chat's own setting, else the user's Telegram ``language_code``, else ``default``."""
    fallback = normalize_language(default)
    if fallback is None:
        raise ValueError(f"unsupported default language {default!r}")
    return normalize_language(chat_language) or normalize_language(user_language_code) or fallback


def _entry(key: str, language: str) -> Entry:
    try:
        return CATALOGS[language][key]
    except KeyError:
        raise KeyError(f"no catalog text {key!r}") from None


def _render(
    key: str, language: str | None, values: Mapping[str, object], count: int | None = None
) -> str:
    shown = normalize_language(language) or DEFAULT_LANGUAGE
    entry = _entry(key, shown)
    if isinstance(entry, str) != (count is None):
        use = "t or t_html" if isinstance(entry, str) else "tn or tn_html"
        raise TypeError(f"catalog text {key!r} is {'not ' * isinstance(entry, str)}counted: {use}")
    expected = placeholders(entry) - ({"count"} if count is not None else set())
    if expected != values.keys():
        missing = sorted(expected - values.keys())
        extra = sorted(values.keys() - expected)
        raise TypeError(
            f"catalog text {key!r} takes {sorted(expected)}: missing {missing}, extra {extra}"
        )
    if isinstance(entry, str):
        text = entry
    else:
        assert count is not None
        text = entry.get(_LOCALES[shown].plural_form(abs(count)), entry["other"])
        values = {**values, "count": count}
    localized = {
        name: number(value, shown)
        if isinstance(value, int) and not isinstance(value, bool)
        else value
        for name, value in values.items()
    }
    return text.format_map(localized)


def t(key: str, language: str | None, **values: object) -> str:
    """The catalog text ``key`` in ``language`` (``"ar"``/``"en"``, else Arabic), values as is
    (integers in the language's digits).

    For plain-text places only (``alert.*``, ``button.*``, ``command.*``); messages use ``t_html``.
    """
    return _render(key, language, values)


def t_html(key: str, language: str | None, **values: object) -> Html:
    """The catalog text ``key`` as Telegram HTML, its values HTML-escaped unless ``Html``."""
    return Html(_render(key, language, _escaped(values)))


def tn(key: str, language: str | None, count: int, **values: object) -> str:
    """The counted text ``key`` in the plural form ``count`` takes in ``language``."""
    return _render(key, language, values, count)


def tn_html(key: str, language: str | None, count: int, **values: object) -> Html:
    """``tn`` as Telegram HTML, its values HTML-escaped unless ``Html``."""
    return Html(_render(key, language, _escaped(values), count))


def _escaped(values: Mapping[str, object]) -> dict[str, object]:
    return {
        name: value
        if isinstance(value, Html | int) and not isinstance(value, bool)
        else html.escape(str(value))
        for name, value in values.items()
    }


def join(items: Iterable[object], language: str | None) -> str:
    """Items joined with the language's list separator (Arabic ``"، "``, English ``", "``)."""
    return t("list.separator", language).join(str(item) for item in items)
