"""The extractive summarizer: original sentences, original order, within budget, on any input."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.summarize import TOKENIZER, rouge_l, rouge_n
from bot.compose.summarize import ELLIPSIS, summarize, truncate
from bot.text.sentences import split_sentences

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed"


def seed(*parts: str) -> Path:
    """A path inside ../shared/seed, skipping the test (saying why) where it is absent."""
    path = SEED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"seed {path} is absent (../shared/seed is not beside this checkout)")
    return path


def sample_post() -> tuple[str, str]:
    """(headline, body) of the sample post: the body is between the disclaimer and the tags."""
    lines = seed("sample-post-ar.txt").read_text(encoding="utf-8").splitlines()
    disclaimer = next(i for i, line in enumerate(lines) if line.startswith("لا يتحمل"))
    body = lines[disclaimer + 1 :]
    while body and len(body[-1].split()) <= 1:
        body.pop()
    return lines[0], "\n".join(body)


def in_text_order(summary: str, sentences: list[str]) -> list[int]:
    """Indexes of the sentences the summary is made of, in text order, asserting it is made
    only of them. Searches every way to read it: one sentence may begin with another."""

    def read(rest: str, start: int) -> list[int] | None:
        if not rest:
            return []
        for index in range(start, len(sentences)):
            if rest.startswith(sentences[index]):
                tail = read(rest[len(sentences[index]) :].lstrip(" "), index + 1)
                if tail is not None:
                    return [index, *tail]
        return None

    found = read(summary, 0)
    assert found is not None, f"not made of original sentences in order: {summary!r}"
    return found


ARTICLE_AR = (
    "أعلنت وزارة الصحة السورية، اليوم الأحد، افتتاح مستشفى جديد في مدينة حلب.\n"
    "ويضم المستشفى 200 سرير وقسماً للطوارئ يعمل على مدار الساعة. "
    "وقال الوزير إن المشروع كلّف 3.5 مليون دولار؟ "
    "وأضاف: «سنفتتح مستشفيات أخرى قريباً.» "
    "وتعاني المدينة من نقص في الخدمات الطبية منذ سنوات."
)


def test_arabic_summary_is_the_lead_and_original_sentences() -> None:
    summary = summarize("افتتاح مستشفى جديد في حلب", ARTICLE_AR, "ar")
    sentences = split_sentences(ARTICLE_AR, "ar")
    chosen = in_text_order(summary, sentences)
    assert chosen[0] == 0
    assert len(chosen) == 3
    assert len(summary) <= 600


def test_budget_in_sentences_and_characters() -> None:
    sentences = split_sentences(ARTICLE_AR, "ar")
    one = summarize("مستشفى", ARTICLE_AR, "ar", max_sentences=1)
    assert one == sentences[0]
    short = summarize("مستشفى", ARTICLE_AR, "ar", max_chars=150)
    assert len(short) <= 150
    in_text_order(short, sentences)


def test_a_later_sentence_that_tells_the_headline_is_kept_in_text_order() -> None:
    text = (
        "The weather was mild across the region on Tuesday morning. "
        "Traffic moved slowly on the main roads into the city. "
        "Schools opened as usual after the long holiday weekend. "
        "The central bank raised interest rates by half a point to fight inflation."
    )
    summary = summarize("Central bank raises interest rates", text, "en", max_sentences=2)
    assert summary == (
        "The weather was mild across the region on Tuesday morning. "
        "The central bank raised interest rates by half a point to fight inflation."
    )


def test_captions_and_a_repeated_headline_are_left_out() -> None:
    text = (
        "Image caption\n"
        "Floods hit the capital\n"
        "Heavy rain flooded streets in the capital on Monday, officials said.\n"
        "Rescue teams moved hundreds of families to higher ground overnight."
    )
    summary = summarize("Floods hit the capital", text, "en", max_sentences=2)
    assert summary == (
        "Heavy rain flooded streets in the capital on Monday, officials said. "
        "Rescue teams moved hundreds of families to higher ground overnight."
    )


def test_repeated_sentences_are_given_once() -> None:
    text = "Prices rose sharply in March. Prices rose sharply in March. Exports fell by a tenth."
    assert (
        summarize("Prices", text, "en") == "Prices rose sharply in March. Exports fell by a tenth."
    )


def test_too_long_a_first_sentence_is_cut_at_a_word_boundary() -> None:
    text = " ".join(["كلمة"] * 300)
    summary = summarize("عنوان", text, "ar", max_chars=100)
    assert len(summary) <= 100
    assert summary.endswith(ELLIPSIS)
    assert text.startswith(summary.removesuffix(ELLIPSIS) + " ")


@pytest.mark.parametrize(
    ("title", "expected"),
    [("عنوان الخبر", "عنوان الخبر"), ("", ""), ("  <b>Title</b>\u200b ", "Title")],
)
def test_empty_text_gives_the_title(title: str, expected: str) -> None:
    assert summarize(title, "", "ar") == expected
    assert summarize(title, " \n<br>\u200b ", None) == expected


def test_mixed_arabic_and_english_with_markup() -> None:
    text = (
        "<p>قال المتحدث باسم Apple Inc. إن الشركة ستفتح متجراً في دبي.</p>"
        "<p>The store opens in May. وسيعمل فيه 200 موظف&nbsp;من المنطقة.</p>"
    )
    summary = summarize("Apple في دبي", text, None)
    assert "<" not in summary
    assert "&nbsp;" not in summary
    assert summary.startswith("قال المتحدث باسم Apple Inc. إن الشركة ستفتح متجراً في دبي.")


def test_a_200000_character_article_is_summarized_within_budget() -> None:
    paragraph = "The council met again on Monday and said little. " * 40 + "\n"
    text = (paragraph * 200)[:200_000]
    summary = summarize("Council meets", text, "en")
    assert 0 < len(summary) <= 600
    assert summary.startswith("The council met again on Monday and said little.")


def test_any_language_gets_its_lead() -> None:
    text = "La ville a voté le budget lundi soir. Les travaux commenceront en mai. Fin."
    summary = summarize("Budget voté", text, "fr", max_sentences=2)
    assert summary.startswith("La ville a voté le budget lundi soir.")


def test_truncate() -> None:
    assert truncate("short", 10) == "short"
    assert truncate("one two three", 9) == "one two…"
    assert truncate("one, two three", 6) == "one…"
    assert truncate("abcdefghij", 5) == "abcd…"
    assert truncate("abc", 1) == ""


def test_the_sample_post_is_summarized_from_its_own_body() -> None:
    headline, body = sample_post()
    summary = summarize(headline, body, "ar")
    sentences = split_sentences(body, "ar")
    chosen = in_text_order(summary, sentences)
    assert chosen[0] == 0
    assert 1 <= len(chosen) <= 3
    assert len(summary) <= 600
    assert "لا يتحمل" not in summary
    assert "سياسة" not in summary.split()


_PIECES = st.sampled_from(
    [
        "قال الوزير إن الحكومة ستعلن خطة جديدة",
        "The minister said the plan would be announced",
        ".",
        "؟",
        "!",
        "،",
        "؛",
        "…",
        "...",
        " ",
        "\n",
        "\n\n",
        "«",
        "»",
        '"',
        "Mr.",
        "د.",
        "U.S.",
        "3.5",
        "٣٫٥",
        "<p>",
        "</div>",
        "<!--",
        "-->",
        "&amp;",
        "&#x200b;",
        "\u200b",
        "\u200f",
        "\ufeff",
        "\x00",
        "\x1b",
        "\t",
        "\r",
        "ـــ",
        "َ",
        "🙂",
        "中文。",
    ]
)
_TEXTS = st.one_of(st.text(max_size=300), st.lists(_PIECES, max_size=60).map("".join))


@settings(max_examples=300, deadline=None)
@given(
    title=_TEXTS,
    text=_TEXTS,
    language=st.sampled_from([None, "ar", "en", "fr", "zh", "", "ar-SY", "xx"]),
    max_sentences=st.integers(min_value=1, max_value=5),
    max_chars=st.integers(min_value=1, max_value=700),
)
def test_any_input_gives_a_clean_summary_within_budget(
    title: str, text: str, language: str | None, max_sentences: int, max_chars: int
) -> None:
    summary = summarize(title, text, language, max_sentences=max_sentences, max_chars=max_chars)
    assert isinstance(summary, str)
    assert len(summary) <= max_chars
    assert summary == summary.strip()
    assert "\n" not in summary
    assert not any(unicodedata.category(char) == "Cc" for char in summary)
    assert not any(char in summary for char in "\u200b\u200e\u200f\ufeff")
    if text.strip() == "" and title.strip() == "":
        assert summary == ""


_WORDS = st.sampled_from(["alpha", "beta", "gamma", "delta", "كلمة", "خبر", "سوريا", "روسيا"])
_SENTENCES = st.lists(_WORDS, min_size=4, max_size=12).map(lambda words: " ".join(words) + ".")


@settings(max_examples=100, deadline=None)
@given(
    sentences=st.lists(_SENTENCES, min_size=1, max_size=12),
    max_sentences=st.integers(min_value=1, max_value=4),
)
def test_summary_sentences_are_original_and_in_order(
    sentences: list[str], max_sentences: int
) -> None:
    text = " ".join(sentences)
    summary = summarize("Alpha خبر", text, None, max_sentences=max_sentences)
    chosen = in_text_order(summary, split_sentences(text, None))
    assert 1 <= len(chosen) <= max_sentences


def test_the_bench_rouge_keeps_arabic_and_matches_hand_counts() -> None:
    assert TOKENIZER.tokenize("أَحْمَدُ ذهبَ إلى المدرســة في ٢٠١٨، Mr_X.") == [
        "احمد",
        "ذهب",
        "الي",
        "المدرسه",
        "في",
        "2018",
        "mr",
        "x",
    ]
    reference, predicted = ["a", "b", "c", "d"], ["a", "c", "x"]
    assert rouge_n(reference, predicted, 1) == pytest.approx(
        2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4)
    )
    assert rouge_n(reference, predicted, 2) == 0.0
    assert rouge_l(reference, predicted) == pytest.approx(2 * (2 / 3) * (2 / 4) / (2 / 3 + 2 / 4))
    assert rouge_l(["a", "b", "c"], ["c", "b", "a"]) == pytest.approx(1 / 3)
