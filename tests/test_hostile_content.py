"""Content (issue "Hostile sources and inputs", item 4): whatever a source sends, the post is
valid Telegram HTML within Telegram's limits.

Neutralized means: markup in a title or body is read as HTML and only its text kept (scripts,
styles and other non-text elements dropped entirely); whatever text remains, including text
that looks like Telegram HTML (`<b>`, `&lt;`), is shown literally, escaped; bidi embeddings,
overrides and isolates, zero-width characters, C0/C1 controls, NULs and lone surrogates are
removed (ZWNJ/ZWJ only where they join two letters). The only markup in a post is its own.

Every post is checked with FakeTelegram's parser, which parses HTML as Telegram does.
"""

from __future__ import annotations

import pytest

from bench.hostile import (
    DocumentCase,
    bench_categories,
    bench_settings,
    corpus,
    document_cases,
    markup_problems,
    run_corpus,
    run_document_case,
)
from bot.compose.render import TEXT_LIMIT
from tests.conftest import evalset

CASES = document_cases()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_document_is_handled_as_designed(case: DocumentCase) -> None:
    outcome = run_document_case(case, bench_settings(), bench_categories())
    assert outcome.handled, f"{case.expected}: {outcome.detail}"


@pytest.mark.parametrize(
    ("markup", "problem"),
    [
        ("<b>open", "Telegram would refuse it"),
        ("<i>x</i>", "entities"),
        ("a & b", "unescaped &"),
        ("a > b", "unescaped < or >"),
        ("x" * (TEXT_LIMIT + 1), "UTF-16 units"),
        ("😀" * (TEXT_LIMIT // 2 + 1), "UTF-16 units"),
        ("a\u202eb", "invisible"),
        ("a\x00b", "invisible"),
        ("   ", "UTF-16 units"),
    ],
)
def test_the_post_checker_catches_what_telegram_would_refuse_or_show_wrong(
    markup: str, problem: str
) -> None:
    problems = markup_problems(markup, TEXT_LIMIT)
    assert any(problem in p for p in problems), problems


def test_the_post_checker_accepts_a_post_with_its_own_marks() -> None:
    assert markup_problems("\u200f<b>عنوان &amp; &lt;x&gt;</b>\n\n#سياسة", TEXT_LIMIT) == []


@pytest.mark.evalset
def test_every_feed_of_the_corpus_renders_valid_posts_without_exceptions() -> None:
    """All of ../shared/evalsets/feeds (325 real feeds, feedparser's 2,106 files with their
    HTTP headers) through parse → article → summary → category → post: ~12 s."""
    evalset("feeds")
    run = run_corpus(corpus())
    assert run.exceptions == []
    assert run.invalid == [], "\n".join(run.invalid[:20])
    assert run.documents >= 2431
    assert run.feeds > 2400
    assert run.posts == run.entries > 6000
