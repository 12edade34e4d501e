"""fetch_date: Levantine Arabic months with Arabic-Indic digits, English, other locales."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from bot.compose.dates import fetch_date

SAMPLE_MOMENT = datetime(2026, 1, 28, 9, 30, tzinfo=UTC)
DIRECTION_MARKS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def test_sample_date_in_arabic_is_exactly_the_samples() -> None:
    assert fetch_date(SAMPLE_MOMENT, "ar") == "٢٨ كانون الثاني ٢٠٢٦"


def test_sample_date_in_english() -> None:
    assert fetch_date(SAMPLE_MOMENT, "en") == "28 January 2026"


@pytest.mark.parametrize(
    ("month", "name"),
    [
        (1, "كانون الثاني"),
        (2, "شباط"),
        (3, "آذار"),
        (4, "نيسان"),
        (5, "أيار"),
        (6, "حزيران"),
        (7, "تموز"),
        (8, "آب"),
        (9, "أيلول"),
        (10, "تشرين الأول"),
        (11, "تشرين الثاني"),
        (12, "كانون الأول"),
    ],
)
def test_every_levantine_month(month: int, name: str) -> None:
    assert fetch_date(datetime(2025, month, 5, tzinfo=UTC), "ar") == f"٥ {name} ٢٠٢٥"


@pytest.mark.parametrize("tag", ["ar", "AR", "ar-SY", "ar_EG", " ar "])
def test_any_arabic_tag_uses_the_levantine_months(tag: str) -> None:
    assert fetch_date(SAMPLE_MOMENT, tag) == "٢٨ كانون الثاني ٢٠٢٦"


def test_arabic_date_has_only_arabic_indic_digits_and_no_marks() -> None:
    for day in range(1, 32):
        text = fetch_date(date(2031, 12, day), "ar")
        assert not any(char.isascii() and char.isdigit() for char in text)
        assert not any(char in DIRECTION_MARKS for char in text)
        assert text.split()[0] == str(day).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))


@pytest.mark.parametrize("tag", ["en", "en-US", "en_GB", "EN"])
def test_english_is_day_month_year(tag: str) -> None:
    assert fetch_date(SAMPLE_MOMENT, tag) == "28 January 2026"


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("fr", "28 janvier 2026"), ("de", "28. Januar 2026"), ("tr", "28 Ocak 2026")],
)
def test_other_languages_use_their_own_locale(tag: str, expected: str) -> None:
    assert fetch_date(SAMPLE_MOMENT, tag) == expected


@pytest.mark.parametrize("tag", ["fa", "he", "ur", "ckb"])
def test_right_to_left_locales_carry_no_direction_marks(tag: str) -> None:
    text = fetch_date(SAMPLE_MOMENT, tag)
    assert text
    assert not any(char in DIRECTION_MARKS for char in text)


@pytest.mark.parametrize("tag", ["xx", "zz-ZZ", "", "not a language", "../etc"])
def test_unknown_languages_fall_back_to_english(tag: str) -> None:
    assert fetch_date(SAMPLE_MOMENT, tag) == "28 January 2026"


def test_the_date_is_taken_in_the_moments_own_time_zone() -> None:
    damascus = timezone(timedelta(hours=3))
    late_utc = datetime(2026, 1, 27, 22, 30, tzinfo=UTC)
    assert fetch_date(late_utc, "en") == "27 January 2026"
    assert fetch_date(late_utc.astimezone(damascus), "en") == "28 January 2026"


def test_naive_datetimes_and_plain_dates_work() -> None:
    assert fetch_date(datetime(2026, 1, 28), "ar") == "٢٨ كانون الثاني ٢٠٢٦"
    assert fetch_date(date(2026, 1, 28), "en") == "28 January 2026"
