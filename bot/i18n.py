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
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Iterable, Mapping
from importlib.resources import files
from typing import Final

SUPPORTED_LANGUAGES: Final = ("ar", "en")
DEFAULT_LANGUAGE: Final = "ar"


class Html(str):
    """Text that is already Telegram HTML: ``t_html`` inserts it without escaping."""

    __slots__ = ()


def _flatten(table: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{key}."))
        elif isinstance(value, str):
            flat[key] = value
        else:
            raise TypeError(f"catalog entry {key!r} is not text: {value!r}")
    return flat


def _load(language: str) -> dict[str, str]:
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


CATALOGS: Final[Mapping[str, Mapping[str, str]]] = {
    language: _load(language) for language in SUPPORTED_LANGUAGES
}


def placeholders(text: str) -> frozenset[str]:
    """The names of the ``{placeholders}`` in a catalog text."""
    return frozenset(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


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


def _render(key: str, language: str | None, values: Mapping[str, object]) -> str:
    catalog = CATALOGS[normalize_language(language) or DEFAULT_LANGUAGE]
    try:
        text = catalog[key]
    except KeyError:
        raise KeyError(f"no catalog text {key!r}") from None
    expected = placeholders(text)
    if expected != values.keys():
        missing = sorted(expected - values.keys())
        extra = sorted(values.keys() - expected)
        raise TypeError(
            f"catalog text {key!r} takes {sorted(expected)}: missing {missing}, extra {extra}"
        )
    return text.format_map(values)


def t(key: str, language: str | None, **values: object) -> str:
    """The catalog text ``key`` in ``language`` (``"ar"``/``"en"``, else Arabic), values as is.

    For plain-text places only (``alert.*``, ``button.*``, ``command.*``); messages use ``t_html``.
    """
    return _render(key, language, values)


def t_html(key: str, language: str | None, **values: object) -> Html:
    """The catalog text ``key`` as Telegram HTML, its values HTML-escaped unless ``Html``."""
    escaped = {
        name: value if isinstance(value, Html) else html.escape(str(value))
        for name, value in values.items()
    }
    return Html(_render(key, language, escaped))


def join(items: Iterable[object], language: str | None) -> str:
    """Items joined with the language's list separator (Arabic ``"، "``, English ``", "``)."""
    return t("list.separator", language).join(str(item) for item in items)
