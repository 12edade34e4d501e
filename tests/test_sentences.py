"""Sentence splitting: Arabic and English punctuation, abbreviations, quotes, odd input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.text.clean import strip_markup
from bot.text.sentences import split_sentences


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "هل انتهت الحرب؟ قال المتحدث إنها لم تنته بعد.",
            ["هل انتهت الحرب؟", "قال المتحدث إنها لم تنته بعد."],
            id="arabic-question-mark",
        ),
        pytest.param(
            "وصل الرئيس، أحمد الشرع، إلى موسكو؛ لإجراء مباحثات. وقال بيسكوف إنها مهمة.",
            ["وصل الرئيس، أحمد الشرع، إلى موسكو؛ لإجراء مباحثات.", "وقال بيسكوف إنها مهمة."],
            id="arabic-comma-and-semicolon-do-not-split",
        ),
        pytest.param(
            "وقال الوزير: «لن نتراجع. سنمضي حتى النهاية.» وغادر القاعة بعدها.",
            ["وقال الوزير: «لن نتراجع. سنمضي حتى النهاية.»", "وغادر القاعة بعدها."],
            id="guillemets-keep-a-quotation-whole-and-close-after-the-stop",
        ),
        pytest.param(
            'وأضاف أن "روسيا وسوريا تربطهما جسور تعاون جادة." وأكد ذلك لاحقاً.',
            ['وأضاف أن "روسيا وسوريا تربطهما جسور تعاون جادة."', "وأكد ذلك لاحقاً."],
            id="closing-straight-quote-after-the-stop",
        ),
        pytest.param(
            "التقى د. محمد العلي بالمهندس م. سامر في دمشق. وبلغ النمو 3.5 بالمئة و٢٫٧ في حلب.",
            [
                "التقى د. محمد العلي بالمهندس م. سامر في دمشق.",
                "وبلغ النمو 3.5 بالمئة و٢٫٧ في حلب.",
            ],
            id="arabic-abbreviations-and-decimals",
        ),
        pytest.param(
            "بني المسجد عام 1250 م. وما زال قائماً.",
            ["بني المسجد عام 1250 م.", "وما زال قائماً."],
            id="arabic-era-letter-after-a-year-ends-one",
        ),
        pytest.param(
            "انتهى الاجتماع.وبدأ المؤتمر الصحفي.",
            ["انتهى الاجتماع.", "وبدأ المؤتمر الصحفي."],
            id="arabic-full-stop-without-a-space",
        ),
        pytest.param(
            "Mr. Smith met Dr. Jones in the U.S. capital on Jan. 5. They talked.",
            ["Mr. Smith met Dr. Jones in the U.S. capital on Jan. 5.", "They talked."],
            id="english-titles-and-abbreviations",
        ),
        pytest.param(
            "Shares rose 3.5% to $10.25, e.g. in tech, etc. and more. The U.S. He said so.",
            [
                "Shares rose 3.5% to $10.25, e.g. in tech, etc. and more.",
                "The U.S.",
                "He said so.",
            ],
            id="english-decimals-e-g-etc",
        ),
        pytest.param(
            "The book by J. R. R. Tolkien sold well. Sales at Acme Inc. Were Up.",
            ["The book by J. R. R. Tolkien sold well.", "Sales at Acme Inc. Were Up."],
            id="initials-and-company-suffix",
        ),
        pytest.param(
            'He said "Stop." Then he left! Why? Nobody knows...',
            ['He said "Stop."', "Then he left!", "Why?", "Nobody knows..."],
            id="english-quote-exclamation-question-ellipsis",
        ),
        pytest.param(
            "Wait... what happened? And the result… Nobody cared.",
            ["Wait... what happened?", "And the result…", "Nobody cared."],
            id="ellipsis-ends-only-before-a-capital",
        ),
        pytest.param(
            "قال الوزير.. إن الوضع صعب... وأضاف أنه سيتحسن.",
            ["قال الوزير.. إن الوضع صعب... وأضاف أنه سيتحسن."],
            id="arabic-pause-dots-do-not-split",
        ),
        pytest.param(
            "First paragraph without a stop\nسطر عربي ثان\n\nThird one.",
            ["First paragraph without a stop", "سطر عربي ثان", "Third one."],
            id="newlines-end-sentences",
        ),
        pytest.param(
            "A hard-wrapped line that goes\non and on.",
            ["A hard-wrapped line that goes on and on."],
            id="wrapped-english-line-joins",
        ),
        pytest.param("这是第一句。这是第二句！", ["这是第一句。", "这是第二句！"], id="cjk"),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text, None) == expected


def test_clean_text_drops_markup_and_invisible_characters() -> None:
    dirty = "<p>Gaza &amp; Rafah\u200b\u200f talks</p><br>\x00Next\tline&nbsp;here.<!-- ad -->"
    assert strip_markup(dirty) == "Gaza & Rafah talks\nNext line here."


def test_a_persian_zero_width_non_joiner_inside_a_word_is_kept() -> None:
    assert strip_markup("می\u200cخواهم \u200c") == "می\u200cخواهم"


@given(st.text(max_size=400))
def test_any_text_gives_clean_nonempty_sentences(text: str) -> None:
    for sentence in split_sentences(text, None):
        assert sentence
        assert sentence == sentence.strip()
        assert "\n" not in sentence
        assert "\u200b" not in sentence
