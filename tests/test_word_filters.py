"""Keyword filters and search words (bot/text/words.py, bot/text/filters.py): the matching rule
docs/readers.md states, and every kind of bad filter refused with its reason."""

from __future__ import annotations

import pytest

from bot.services.search import MAX_QUERY_CHARS, Query, QueryError, parse_query
from bot.text.filters import (
    MAX_TERM_CHARS,
    MAX_TERMS,
    NO_FILTER,
    ArticleWords,
    Filter,
    FilterError,
    admitter,
    parse_filter,
    split_terms,
)
from bot.text.words import all_forms, forms, key, words


def passes(filter_text: str, *texts: str) -> bool:
    return parse_filter(filter_text).admits(ArticleWords(texts))


# ---- the rule ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["أخبار سوريا اليوم", "وسوريا", "فسوريا", "بسوريا", "لسوريا", "كسوريا", "وبسوريا", "سوريا؟"],
)
def test_a_word_matches_itself_with_attached_prefixes(text: str) -> None:
    assert passes("+سوريا", text)


@pytest.mark.parametrize("text", ["الحكومة السورية", "السوريون", "سوريانا", "سوري"])
def test_a_word_does_not_match_other_words_built_on_it(text: str) -> None:
    """سوريا (Syria) is not السورية (Syrian): words match whole, nothing is cut from their end."""
    assert not passes("+سوريا", text)


@pytest.mark.parametrize("text", ["الحكومة السورية", "والسورية", "سورية", "للسورية"])
def test_the_adjective_is_asked_for_with_or_without_the_article(text: str) -> None:
    assert passes("+سورية", text)
    assert passes("+السورية", text)


def test_a_prefix_is_never_cut_from_the_word_asked_for() -> None:
    """بيروت is not ب + يروت: the reader's word stays whole, so it matches only itself."""
    assert passes("+بيروت", "وصل إلى بيروت")
    assert passes("+بيروت", "وبيروت")
    assert not passes("+بيروت", "يروت")
    assert key("بيروت") == "بيروت"
    assert "يروت" in forms("بيروت")  # a text word stands for its stripped forms too


def test_short_words_keep_their_letters() -> None:
    """A prefix comes off only when three letters remain: ولد is not و + لد, الله not ال + له."""
    assert forms("ولد") == ("ولد",)
    assert not passes("+له", "والله")
    assert passes("+الله", "والله")


@pytest.mark.parametrize(
    ("typed", "text"),
    [
        ("+مجلس", "مَجْلِسُ الأمنِ"),  # harakat
        ("+مجلس", "مجـــلس"),  # tatweel
        ("+أمن", "الامن القومي"),  # hamza seats
        ("+إيران", "ايران"),
        ("+مستشفى", "مستشفي"),  # alef maqsura and yeh
        ("+الحكومة", "حكومه جديدة"),  # teh marbuta and heh
        ("+٢٠٢٦", "عام 2026"),  # Arabic-Indic digits
        ("+ﻻ", "لا"),  # presentation forms (NFKC)
    ],
)
def test_letter_forms_are_folded(typed: str, text: str) -> None:
    assert passes(typed, text)


@pytest.mark.parametrize(
    ("typed", "text", "expected"),
    [
        ("+syria", "SYRIA talks", True),
        ("+Strike", "two strikes hit", True),
        ("+strikes", "a strike hit", True),
        ("+city", "cities of the north", True),
        ("+boxes", "a box", True),
        ("+new", "the news tonight", False),
        ("+news", "news tonight", True),
        ("+syria", "syrian army", False),
        ("+iran", "Iran's envoy", True),
    ],
)
def test_english_is_case_insensitive_with_simple_plurals(
    typed: str, text: str, expected: bool
) -> None:
    assert passes(typed, text) is expected


def test_phrases_match_words_side_by_side_in_order() -> None:
    wanted = '+"مجلس الأمن"'
    assert passes(wanted, "اجتماع لمجلس الأمن الدولي")
    assert not passes(wanted, "الأمن في مجلس النواب")
    assert not passes(wanted, "مجلس الوزراء والأمن")
    assert not passes(wanted, "نهاية العنوان مجلس", "الأمن في أول الملخص")  # not across texts
    assert passes('+"security council"', "The UN Security Councils met")


def test_at_least_one_plus_word_and_no_minus_word() -> None:
    both = "+سوريا +دمشق -كرة"
    assert passes(both, "دمشق اليوم")
    assert passes(both, "سوريا", "ملخص عن الاقتصاد")
    assert not passes(both, "لبنان")
    assert not passes(both, "مباراة كرة القدم في دمشق")
    assert not passes(both, "دمشق", "ملخص", "النص الكامل يذكر الكرة")  # the stored text counts


def test_only_minus_words_let_everything_else_through() -> None:
    only_minus = parse_filter("-كرة -رياضة")
    assert only_minus.include == ()
    assert only_minus.admits(ArticleWords(["انتخابات في البلاد"]))
    assert not only_minus.admits(ArticleWords(["الرياضة اليوم"]))


def test_no_filter_lets_everything_through() -> None:
    assert not NO_FILTER
    assert NO_FILTER.admits(ArticleWords(["أي شيء"]))
    assert admitter(["عنوان", "", "ملخص", ""])({})


def test_the_stored_filter_comes_back_the_same() -> None:
    typed = parse_filter('+سوريا +"مجلس الأمن" -كرة +Syria')
    stored = typed.stored()
    assert stored == {"include": ["سوريا", "مجلس الأمن", "Syria"], "exclude": ["كرة"]}
    assert Filter.from_stored(stored) == typed
    assert typed.shown() == '+سوريا +"مجلس الأمن" +Syria -كرة'
    assert parse_filter(typed.shown()) == typed
    assert Filter.from_stored({}) == NO_FILTER
    assert Filter.from_stored({"include": ["!!!", 5, "دمشق"]}).shown() == "+دمشق"


def test_duplicates_are_kept_once() -> None:
    assert parse_filter("+سوريا +سوريا +السوريا").shown() == "+سوريا"


def test_the_category_is_what_comes_before_the_first_term() -> None:
    assert split_terms("مال وأعمال +نفط -ذهب") == ("مال وأعمال ", "+نفط -ذهب")
    assert split_terms('politics "a b"') == ("politics ", '"a b"')
    assert split_terms("politics off") == ("politics off", "")


def test_the_index_holds_every_form_once() -> None:
    assert list(all_forms(["والسورية", "السورية"])) == ["والسوريه", "السوريه", "سوريه"]
    assert words("G7: قمّة!") == ["g7", "قمه"]


# ---- bad filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        (" ".join(f"+كلمة{i}" for i in range(500)), "too_many"),
        ("+" + "ب" * (MAX_TERM_CHARS + 1), "too_long"),
        ("+!!! +؟؟", "no_words"),
        ("+🔥 +🇸🇾", "no_words"),
        ('+"مجلس الأمن', "unclosed_quote"),
        ("+سوريا - كرة", "bare_sign"),
        ("- - -", "bare_sign"),
        ("سوريا", "sign_needed"),
        ('"مجلس الأمن"', "sign_needed"),
        ("+سوريا -سوريا", "conflict"),
        ("+a", "too_short"),
        ("", "empty"),
        ("+.* -(a+)+$", "no_words"),
    ],
)
def test_bad_filters_are_refused_with_their_reason(typed: str, code: str) -> None:
    with pytest.raises(FilterError) as raised:
        parse_filter(typed)
    assert raised.value.code == code


def test_too_many_says_how_many() -> None:
    with pytest.raises(FilterError) as raised:
        parse_filter(" ".join(["+w"] * 21 + ["-x"] * 479))
    assert raised.value.values == {"count": 500, "most": MAX_TERMS}


def test_a_regular_expression_is_only_words() -> None:
    """Nothing typed is a pattern: `(a+)+` is the word "a" at most, never a regex to run."""
    written = parse_filter("+(سوريا)+ +[دمشق]*")
    assert [term.keys for term in written.include] == [("سوريا",), ("دمشق",)]


# ---- search queries ------------------------------------------------------------------------


def test_queries_are_words_and_phrases() -> None:
    query = parse_query('سوريا "مجلس الأمن" Strikes')
    assert [term.keys for term in query.terms] == [("سوريا",), ("مجلس", "امن"), ("strike",)]
    assert query.prefix is None


def test_the_word_being_typed_is_a_prefix() -> None:
    assert parse_query("سوريا السور", as_you_type=True).prefix == "السور"
    assert parse_query("Strikes", as_you_type=True).prefix == "strikes"
    assert parse_query("سوريا السور ", as_you_type=True).prefix is None
    assert parse_query("س", as_you_type=True) == Query(parse_query("س").terms)


@pytest.mark.parametrize(
    "typed",
    ['" OR * NEAR(a b) AND NOT', '"unclosed phrase', "a* OR b:* & !c", "col:word ^x -y"],
)
def test_search_syntax_is_read_as_words(typed: str) -> None:
    query = parse_query(typed)
    assert query.terms
    assert all(all(part.isalnum() for part in term.keys) for term in query.terms)


def test_bad_queries_are_refused() -> None:
    with pytest.raises(QueryError) as too_long:
        parse_query("س" * (MAX_QUERY_CHARS + 100))
    assert too_long.value.code == "too_long"
    with pytest.raises(QueryError) as no_words:
        parse_query("*** !!! 🔥")
    assert no_words.value.code == "no_words"
    with pytest.raises(QueryError) as too_many:
        parse_query(" ".join(f"w{i}" for i in range(11)))
    assert too_many.value.code == "too_many"
    assert parse_query("   ").is_empty
