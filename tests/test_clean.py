"""bot.text.clean leftovers of issue 16: unexpanded entity references, titles without words."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ingest.candidates import build_article, keyed_entries
from bot.ingest.extract import extract_article
from bot.ingest.parse import parse_feed
from bot.text.clean import LEAD_MAX_CHARS, clean_text, html_to_text, strip_markup, title_or_lead
from storage.models import ArticleStatus

BODY_EN = (
    "The harbour authority approved the expansion of the eastern container terminal on "
    "Tuesday after two years of negotiations with shipping companies.\n\nOfficials said more."
)
BODY_AR = (
    "قالت وزارة الصحة إن الانفجار الذي وقع في مرفأ اللاذقية أوقع عشرة جرحى، ونُقلوا جميعاً "
    "إلى المستشفى الوطني بعد ظهر اليوم الثلاثاء.\n\nوأضافت الوزارة أن حالتهم مستقرة."
)


@pytest.mark.parametrize("clean", [clean_text, html_to_text, strip_markup])
def test_unexpanded_entity_references_are_removed(clean: object) -> None:
    assert callable(clean)
    assert clean("Laughs &lol9; here &xxe;") == "Laughs here"
    assert clean("&x;") == ""
    assert clean("Entity &a.b-c_d; ok") == "Entity ok"


def test_references_html_defines_and_plain_ampersands_stay() -> None:
    """What is left of them was escaped on purpose (&amp;amp; read once is &amp;)."""
    assert clean_text("AT&T & co &amp; &eacute; R&D") == "AT&T & co &amp; &eacute; R&D"
    assert html_to_text("Tom &amp;amp; Jerry") == "Tom &amp; Jerry"


@pytest.mark.parametrize("title", ["Port expansion approved", "٢٠٢٦", "كلمة"])
def test_a_title_with_words_is_kept(title: str) -> None:
    assert title_or_lead(title, BODY_EN) == title


@pytest.mark.parametrize(
    "title",
    ["", "   ", "\u0301\u0301", "\u0651\u064b", "…", "— • —", "\u200b\u200f"],
)
def test_a_title_without_words_becomes_the_first_words_of_the_text(title: str) -> None:
    lead = title_or_lead(title, BODY_EN)
    assert lead == (
        "The harbour authority approved the expansion of the eastern container terminal on "
        "Tuesday after two…"
    )
    assert len(lead) - 1 <= LEAD_MAX_CHARS < len(lead + " years")


def test_the_lead_is_cut_at_a_word_boundary_in_arabic_too() -> None:
    lead = title_or_lead("", BODY_AR)
    assert lead.endswith("…")
    words = lead.removesuffix("…").split()
    assert words == BODY_AR.split()[: len(words)]
    assert len(lead) <= LEAD_MAX_CHARS + 1


def test_a_short_first_line_is_the_lead_whole_and_marks_before_it_go() -> None:
    assert title_or_lead("", "\u0301 Short first line.\nSecond line.") == "Short first line."
    assert title_or_lead("", "…\n\nReal words here.") == "Real words here."
    assert title_or_lead("", "x" * 300) == "x" * LEAD_MAX_CHARS + "…"
    assert title_or_lead("", "") == ""
    assert title_or_lead("\u0301", "— —") == ""


def rss_item(title: str, description: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item>'
        f"<title>{title}</title><link>https://e.example/1</link>"
        f"<description>{description}</description></item></channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    "title",
    ["&lt;b&gt;&lt;/b&gt;", "&lt;img src='x.png'&gt;", "&#x301;&#x301;", "&#x651;", "&lol9;"],
)
def test_built_articles_get_the_texts_first_words_for_a_title_without_words(title: str) -> None:
    feed = parse_feed(rss_item(title, BODY_AR.replace("\n\n", " ")))
    [candidate] = keyed_entries(feed, base_url=None, limit=10)
    article = build_article(
        candidate,
        base_url=None,
        language_hint="ar",
        fetched_at=datetime(2026, 1, 28, tzinfo=UTC),
        status=ArticleStatus.NEW,
        max_chars=10_000,
    )
    assert article.title == title_or_lead("", BODY_AR.replace("\n\n", " "))
    assert article.title.startswith("قالت وزارة الصحة")


def test_entity_references_leave_titles_and_texts_of_built_articles() -> None:
    feed = parse_feed(rss_item("Laughs &amp;l9; here", "Body &amp;xxe; text"))
    [candidate] = keyed_entries(feed, base_url=None, limit=10)
    article = build_article(
        candidate,
        base_url=None,
        language_hint="en",
        fetched_at=datetime(2026, 1, 28, tzinfo=UTC),
        status=ArticleStatus.NEW,
        max_chars=10_000,
    )
    assert (article.title, article.text) == ("Laughs here", "Body text")


def test_a_page_without_a_title_gets_its_first_words() -> None:
    paragraphs = "".join(f"<p>{p}</p>" for p in BODY_AR.split("\n\n")) * 2
    page = f'<html lang="ar"><head><title>&#x651;</title></head><body><article>{paragraphs}'
    article = extract_article(page.encode(), content_type="text/html; charset=utf-8")
    assert article is not None
    assert article.title is not None
    assert article.title.startswith("قالت وزارة الصحة")
