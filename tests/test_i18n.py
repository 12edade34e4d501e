"""The message catalog: both languages complete and alike, rendering, language choice, escaping."""

from __future__ import annotations

import re
import string
from html.parser import HTMLParser

import pytest

from bot.i18n import (
    CATALOGS,
    DEFAULT_LANGUAGE,
    PLURAL_FORMS,
    SUPPORTED_LANGUAGES,
    Html,
    ascii_digits,
    choose_language,
    join,
    local_digits,
    placeholders,
    t,
    t_html,
    tn,
    tn_html,
)
from handlers.commands import ADMINS
from handlers.readers import COMMANDS

ALL_KEYS = sorted(CATALOGS["ar"])
COUNTED_KEYS = sorted(key for key, entry in CATALOGS["ar"].items() if not isinstance(entry, str))
PLAIN_KEYS = sorted(key for key, entry in CATALOGS["ar"].items() if isinstance(entry, str))
# Where Arabic prose may hold ASCII digits: inside <code>, placeholders, and the slug rule
# (a slug really is made of a-z, 0-9 and _).
NOT_ARABIC_DIGITS = re.compile(r"<code>.*?</code>|\{\w+\}|a-z و0-9|0-9|429|UTC", re.S)
PLAIN_PREFIXES = ("alert.", "button.", "command.")
TELEGRAM_TAGS = {"b", "i", "code"}

ARABIC_LETTER = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
# Commands, language codes, placeholders, tags and the languages' own names (each written in
# its own script in both catalogs) say nothing about the language of a text.
NOT_PROSE = re.compile(
    r"/\w+|\b(?:ar|en)\b|\{\w+\}|<[^>]*>|English|العربية"
    r"|\b[A-Z][A-Za-z]+/[A-Za-z_]+\b|\b[A-Z][A-Z_]{2,}\b"  # time zones, setting names
)


def _sample_values(key: str) -> dict[str, object]:
    counted = not isinstance(CATALOGS["ar"][key], str)
    return {
        name: f"<{name}>"
        for name in placeholders(CATALOGS["ar"][key])
        if not (counted and name == "count")
    }


def _texts(language: str, key: str) -> list[str]:
    entry = CATALOGS[language][key]
    return [entry] if isinstance(entry, str) else list(entry.values())


def _letters(text: str) -> list[str]:
    return [char for char in NOT_PROSE.sub(" ", text) if char.isalpha()]


def test_both_catalogs_have_the_same_keys() -> None:
    assert set(CATALOGS) == set(SUPPORTED_LANGUAGES)
    assert CATALOGS["ar"].keys() == CATALOGS["en"].keys()


@pytest.mark.parametrize("key", ALL_KEYS)
def test_same_placeholders_in_both_languages(key: str) -> None:
    assert placeholders(CATALOGS["ar"][key]) == placeholders(CATALOGS["en"][key])


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("key", PLAIN_KEYS)
def test_every_key_renders(key: str, language: str) -> None:
    text = CATALOGS[language][key]
    assert isinstance(text, str)
    for _, name, spec, conversion in string.Formatter().parse(text):
        if name is not None:
            assert name.isidentifier(), f"{key}: {{{name}}} is not a plain placeholder"
            assert not spec, f"{key}: {{{name}}} has a format spec"
            assert conversion is None, f"{key}: {{{name}}} has a conversion"
    values = _sample_values(key)
    rendered = t(key, language, **values)
    assert rendered.strip()
    for value in values.values():
        assert str(value) in rendered
    assert "&lt;" in t_html(key, language, **values) or not values


@pytest.mark.parametrize("key", COUNTED_KEYS)
def test_counted_texts_have_each_languages_plural_forms(key: str) -> None:
    """Arabic has CLDR's six forms, English one and other; every form renders."""
    arabic, english = CATALOGS["ar"][key], CATALOGS["en"][key]
    assert not isinstance(arabic, str)
    assert not isinstance(english, str)
    assert set(arabic) == set(PLURAL_FORMS), key
    assert set(english) == {"one", "other"}, key
    assert "{count}" in arabic["few"]
    assert "{count}" in english["other"]
    values = _sample_values(key)
    for count in (0, 1, 2, 3, 11, 100, 102):
        for language in SUPPORTED_LANGUAGES:
            rendered = tn_html(key, language, count, **values)
            assert rendered.strip()
    assert tn("admin_manage.count.sources", "ar", 11) == "١١ مصدرًا"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_arabic_texts_are_arabic(key: str) -> None:
    for text in _texts("ar", key):
        letters = _letters(text)
        arabic = [char for char in letters if ARABIC_LETTER.match(char)]
        assert len(arabic) >= 0.8 * len(letters), f"{key} is not mostly Arabic: {letters}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_english_texts_are_english(key: str) -> None:
    for text in _texts("en", key):
        letters = _letters(text)
        latin = [char for char in letters if char.isascii()]
        assert len(latin) >= 0.8 * len(letters), f"{key} is not mostly English: {letters}"


@pytest.mark.parametrize("key", ALL_KEYS)
def test_each_language_writes_its_own_digits(key: str) -> None:
    """Arabic-Indic digits in Arabic prose (as in a post's date), ASCII ones in English."""
    for text in _texts("ar", key):
        assert not re.search(r"[0-9]", NOT_ARABIC_DIGITS.sub("", text)), key
    for text in _texts("en", key):
        assert not re.search(r"[٠-٩]", text), key


def test_numbers_come_out_in_the_languages_digits() -> None:
    assert t("digest.header", "ar", count=12) == "📰 آخر الأخبار (١٢)"
    assert t("digest.header", "en", count=12) == "📰 Latest news (12)"
    assert local_digits("23:05", "ar") == "٢٣:٠٥"
    assert ascii_digits("٢٣:٠٥ ۱۲") == "23:05 12"


class _TagChecker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open: list[str] = []
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in TELEGRAM_TAGS or attrs:
            self.problems.append(f"<{tag} {attrs}>")
        self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open.pop() != tag:
            self.problems.append(f"</{tag}> closes nothing")


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
@pytest.mark.parametrize("key", ALL_KEYS)
def test_markup_is_telegram_html(key: str, language: str) -> None:
    for text in _texts(language, key):
        _check_markup(key, text)


def _check_markup(key: str, text: str) -> None:
    if key.startswith(PLAIN_PREFIXES):
        assert not re.search(r"[<>&]", text), f"{key} is plain text and may hold no markup"
        return
    assert not re.search(r"&(?!(lt|gt|amp|quot);)", text), f"{key}: bare & in HTML"
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    assert not checker.problems, checker.problems
    assert not checker.open, f"{key}: unclosed {checker.open}"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_command_descriptions_fit_set_my_commands(language: str) -> None:
    for command in [*COMMANDS, *ADMINS, "shortcut"]:
        description = t(f"command.{command}", language, **_sample_values(f"command.{command}"))
        assert 1 <= len(description) <= 256


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_help_lists_every_command(language: str) -> None:
    text = t("help.text", language, min_count=1, max_count=20, shortcuts="/politics")
    for command in COMMANDS:
        assert re.search(rf"^/{command}\b", text, re.MULTILINE), command
    assert "1" in text or "١" in text
    assert "20" in text or "٢٠" in text
    assert text.endswith("/politics")


def test_rendering_examples() -> None:
    assert t("subscribe.done", "ar", categories="سياسة، اقتصاد").startswith(
        "اشتركت في: سياسة، اقتصاد."
    )
    assert t("subscribe.done", "en", categories="Politics").startswith(
        "You're subscribed to Politics."
    )
    assert t("button.read_at_source", "en") == "Read at source"
    assert t("button.read_at_source", "ar") == "اقرأ في المصدر"
    assert t("language.changed", "en") == "This chat's language is now English."


@pytest.mark.parametrize("language", [None, "", "fr", "de-DE", "xx"])
def test_unknown_language_falls_back_to_arabic(language: str | None) -> None:
    assert DEFAULT_LANGUAGE == "ar"
    assert t("button.read_at_source", language) == CATALOGS["ar"]["button.read_at_source"]


def test_regional_codes_are_accepted() -> None:
    assert t("button.read_at_source", "en-US") == "Read at source"


def test_unknown_key_and_wrong_values_are_errors() -> None:
    with pytest.raises(KeyError, match=r"no\.such\.key"):
        t("no.such.key", "ar")
    with pytest.raises(TypeError, match="missing"):
        t("subscribe.done", "ar")
    with pytest.raises(TypeError, match="extra"):
        t("button.read_at_source", "ar", url="https://example.org")


def test_t_html_escapes_values_not_catalog_text() -> None:
    hostile = '<a href="x">Tom & Jerry</a>'
    rendered = t_html("start.greeting", "en", name=hostile)
    assert isinstance(rendered, Html)
    assert rendered.startswith("Hello &lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&lt;/a&gt;, ")
    assert "<b>Nashra</b>" in rendered
    assert t("start.greeting", "en", name=hostile).startswith(f"Hello {hostile}, ")


def test_html_values_are_inserted_as_they_are() -> None:
    items = [
        t_html("categories.item", "ar", category="علوم & تقنية", command="tech"),
        t_html("categories.item", "ar", category="<رياضة>", command="sport"),
    ]
    shortcuts = Html("\n".join(items))
    rendered = t_html("help.text", "ar", min_count=1, max_count=20, shortcuts=shortcuts)
    assert rendered.endswith("• علوم &amp; تقنية — /tech\n• &lt;رياضة&gt; — /sport")


def test_values_with_braces_are_not_reformatted() -> None:
    assert t("category.unknown", "en", category="{valid}", valid="a, b").startswith(
        "There is no category called “{valid}”."
    )


def test_join_uses_each_language_separator() -> None:
    assert join(["سياسة", "اقتصاد"], "ar") == "سياسة، اقتصاد"
    assert join(["Politics", "Economy"], "en") == "Politics, Economy"
    assert join([], "en") == ""


@pytest.mark.parametrize(
    ("chat", "user", "default", "expected"),
    [
        ("en", "ar", "ar", "en"),
        ("ar", "en-US", "en", "ar"),
        (None, "ar", "en", "ar"),
        (None, "ar-SY", "en", "ar"),
        (None, "en-US", "ar", "en"),
        (None, "EN_gb", "ar", "en"),
        (None, "fr", "ar", "ar"),
        (None, "fr", "en", "en"),
        (None, None, "ar", "ar"),
        ("", "", "en", "en"),
        ("de", "en", "ar", "en"),
    ],
)
def test_choose_language(chat: str | None, user: str | None, default: str, expected: str) -> None:
    assert choose_language(chat, user, default) == expected


def test_choose_language_rejects_an_unsupported_default() -> None:
    with pytest.raises(ValueError, match="unsupported default"):
        choose_language(None, None, "fr")
