"""bot.ingest.normalize: canonical URLs, HTML to text, language detection, UTC times."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.normalize import canonical_url, to_utc
from bot.text.clean import clean_text, html_to_text
from bot.text.language import detect_language, language_code
from tests.conftest import evalset

ARABIC_PATH = "/%D8%A3%D8%AE%D8%A8%D8%A7%D8%B1/%D8%B3%D9%88%D8%B1%D9%8A%D8%A7"  # /أخبار/سوريا


# --------------------------------------------------------------------------------------
# canonical_url
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://EXAMPLE.com:80/a?utm_source=x&id=3#frag", "http://example.com/a?id=3"),
        ("HTTPS://Example.COM:443", "https://example.com/"),
        ("https://example.com:8443/x", "https://example.com:8443/x"),
        ("http://example.com", "http://example.com/"),
        ("http://example.com?", "http://example.com/"),
        ("  https://example.com/a  ", "https://example.com/a"),
        ("https://example.com/a\n/b", "https://example.com/a/b"),
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        ("https://example.com/a/b/..", "https://example.com/a/"),
        ("https://example.com/%7Euser/%41%62c", "https://example.com/~user/Abc"),
        ("https://example.com/a%2fb", "https://example.com/a%2Fb"),
        ("https://example.com/a b", "https://example.com/a%20b"),
        ("https://example.com/100%", "https://example.com/100%25"),
        ("https://example.com/?q=a+b&x=%2f", "https://example.com/?q=a+b&x=%2F"),
        ("https://example.com/?b=2&a=1&b=3", "https://example.com/?b=2&a=1&b=3"),
        ("https://example.com/?a=1&&b=", "https://example.com/?a=1&b="),
        ("https://example.com./x", "https://example.com/x"),
        ("http://[::1]:8080/x", "http://[::1]:8080/x"),
        ("https://user:pw@example.com/x", "https://user:pw@example.com/x"),
    ],
)
def test_canonical_url_normalises(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


@pytest.mark.parametrize(
    "query",
    [
        "utm_source=rss",
        "UTM_Medium=email",
        "utm_campaign=x&utm_content=y&utm_term=z",
        "fbclid=abc",
        "gclid=1",
        "mc_cid=1&mc_eid=2",
        "igshid=1",
        "yclid=1",
        "_ga=2.1",
        "ref_src=twsrc",
        "cmpid=x",
        "at_medium=RSS&at_campaign=rss",
        "traffic_source=rss",
        "utm%5Fsource=encoded",
    ],
)
def test_canonical_url_drops_tracking(query: str) -> None:
    assert canonical_url(f"https://example.com/story?id=7&{query}") == (
        "https://example.com/story?id=7"
    )


def test_canonical_url_real_feed_links() -> None:
    assert canonical_url(
        "https://www.bbc.com/news/articles/c0k1?at_medium=RSS&at_campaign=rss"
    ) == ("https://www.bbc.com/news/articles/c0k1")
    assert canonical_url(
        "https://www.aljazeera.com/news/2026/8/13/oman-oil-spill?traffic_source=rss"
    ) == ("https://www.aljazeera.com/news/2026/8/13/oman-oil-spill")


def test_canonical_url_keeps_content_params() -> None:
    assert canonical_url("https://example.com/?ref=home&page=2") == (
        "https://example.com/?ref=home&page=2"
    )


def test_arabic_path_raw_and_encoded_are_one_url() -> None:
    raw = canonical_url("https://ar.example.com/أخبار/سوريا?q=دمشق")
    upper = canonical_url(f"https://ar.example.com{ARABIC_PATH}?q=%D8%AF%D9%85%D8%B4%D9%82")
    lower = canonical_url(f"https://ar.example.com{ARABIC_PATH.lower()}?q=%d8%af%d9%85%d8%b4%d9%82")
    assert raw == upper == lower
    assert raw == f"https://ar.example.com{ARABIC_PATH}?q=%D8%AF%D9%85%D8%B4%D9%82"


def test_idna_host() -> None:
    assert canonical_url("https://مثال.إختبار/خبر") == (
        "https://xn--mgbh0fb.xn--kgbechtv/%D8%AE%D8%A8%D8%B1"
    )
    assert canonical_url("https://MÜNCHEN.example/") == "https://xn--mnchen-3ya.example/"
    assert canonical_url("https://xn--mnchen-3ya.example/") == "https://xn--mnchen-3ya.example/"


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("/a/b?utm_source=x", "https://Example.com/feed.xml", "https://example.com/a/b"),
        ("../c", "https://example.com/a/b/feed", "https://example.com/a/c"),
        ("//cdn.example.com/i.jpg", "https://example.com/", "https://cdn.example.com/i.jpg"),
        ("https://other.com/x", "https://example.com/", "https://other.com/x"),
        ("خبر/1", "https://example.com/ar/", "https://example.com/ar/%D8%AE%D8%A8%D8%B1/1"),
    ],
)
def test_canonical_url_relative(url: str, base: str, expected: str) -> None:
    assert canonical_url(url, base) == expected


def test_empty_link_is_not_its_base() -> None:
    assert canonical_url("", "https://example.com/feed") is None
    assert canonical_url("#top", "https://example.com/a") == "https://example.com/a"


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "mailto:news@example.com",
        "javascript:alert(1)",
        "ftp://example.com/file",
        "data:text/html,hi",
        "//example.com/no-scheme",
        "/relative/without/base",
        "http://",
        "http:///path",
        "http://exa mple.com/",
        "http://example.com:99999/",
        "http://example.com:port/",
        "http://[::1/",
        "http://\ud800.com/",
        "not a url at all",
    ],
)
def test_canonical_url_rejects(url: str) -> None:
    assert canonical_url(url) is None


@given(st.text(max_size=80), st.one_of(st.none(), st.text(max_size=40)))
def test_canonical_url_never_raises(url: str, base: str | None) -> None:
    result = canonical_url(url, base)
    assert result is None or result.startswith(("http://", "https://"))


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=40))
def test_canonical_url_is_idempotent(path: str) -> None:
    once = canonical_url("https://example.com/" + path)
    if once is not None:
        assert canonical_url(once) == once


# --------------------------------------------------------------------------------------
# html_to_text
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("Hello <b>world</b>!", "Hello world!"),
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<p>line one\n   still one</p>\n\n<p>two</p>", "line one still one\n\ntwo"),
        ("a<br>b<br/>c", "a\nb\nc"),
        ("<ul>\n<li>one</li>\n<li>two</li>\n</ul>", "one\ntwo"),
        ("<div>A<div>B</div>C</div>", "A\n\nB\n\nC"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<script>var x = 1;</script><style>p {}</style><p>Text</p>", "Text"),
        ("<noscript>enable js</noscript>Body", "Body"),
        ("<html><head><title>T</title></head><body>B</body></html>", "B"),
        ("a &amp; b &lt;c&gt; &quot;d&quot; &#39;e&#39; &copy;", "a & b <c> \"d\" 'e' ©"),
        ("&lt;p&gt;escaped markup&lt;/p&gt;", "<p>escaped markup</p>"),
        ("x&nbsp;&nbsp;y", "x y"),
        ("<!-- comment -->visible", "visible"),
        ("</p></div>broken <p <b>bold", "broken\n\nbold"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("<?xml version='1.0' encoding='utf-8'?><p>x</p>", "x"),
        ("plain text, no markup", "plain text, no markup"),
        ("5 < 6 and 7 > 3", "5 < 6 and 7 > 3"),
        ("", ""),
        ("   \n\t ", ""),
        ("<!-- only a comment -->", ""),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_html_to_text_removes_invisible_characters() -> None:
    dirty = "<p>a\x00b\x07c\u200bd\ufeffe\u202ef\u2066g\u200fh\ud800i\x85j</p>"
    assert html_to_text(dirty) == "abcdefghij"


def test_html_to_text_arabic() -> None:
    html = (
        "<p dir='rtl'>\u200fقال المرصد السوري&nbsp;إن <b>الاشتباكات</b> تجددت.</p><p>فقرة ثانية</p>"
    )
    assert html_to_text(html) == "قال المرصد السوري إن الاشتباكات تجددت.\n\nفقرة ثانية"


def test_html_to_text_is_nfc() -> None:
    assert html_to_text("e\u0301") == "\u00e9"


@given(st.text(max_size=300))
def test_html_to_text_never_raises(text: str) -> None:
    result = html_to_text(text)
    assert "\x00" not in result
    assert result == result.strip()


@pytest.mark.evalset
def test_html_to_text_on_arabic_evalset_page() -> None:
    page = evalset("pages", "encoding-arabic")
    raw = next(page.glob("windows-1256*")).read_bytes().decode("cp1256")
    text = html_to_text(raw)
    assert text.startswith("أعلنت كتائب")
    assert "<" not in text


def test_clean_text_keeps_paragraphs() -> None:
    assert clean_text("  a \t b \r\n\r\n\r\n\n c  ") == "a b\n\nc"


# --------------------------------------------------------------------------------------
# detect_language
# --------------------------------------------------------------------------------------

ARABIC_TEXT = (
    "أكدت جهات سورية معارضة أن فصائل مسلحة تمكنت من السيطرة على مستودعات للأسلحة "
    "بريف دمشق تضم كميات من الصواريخ ومضادات الدروع."
)
ENGLISH_TEXT = (
    "Thousands of residents were evacuated overnight after the river burst its banks "
    "following three days of torrential rain, emergency services said."
)
PERSIAN_TEXT = "وزیر امور خارجه ایران امروز برای گفتگو درباره برنامه هسته‌ای به مسکو سفر کرد"
URDU_TEXT = "پاکستان کے وزیر دفاع نے کہا ہے کہ امریکہ کے ساتھ فوجی تعاون معطل کر دیا گیا ہے"


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        (ARABIC_TEXT, None, "ar"),
        (ARABIC_TEXT, "en", "ar"),
        (ARABIC_TEXT, "ar-SY", "ar"),
        (ENGLISH_TEXT, None, "en"),
        (ENGLISH_TEXT, "ar", "en"),
        ("قتلى في غزة", None, "ar"),
        ("غزة", "ar-SY", "ar"),
        ("Gaza talks resume", "en-US", "en"),
        ("Trump", None, None),
        ("Trump", "en_GB", "en"),
        ("", "ar", "ar"),
        ("12345 !!!", None, None),
        (PERSIAN_TEXT, None, "fa"),
        (PERSIAN_TEXT, "ar", "fa"),
        (URDU_TEXT, None, "ur"),
        (URDU_TEXT, "ar", "ur"),
        ("Le gouvernement a annoncé de nouvelles mesures pour l'économie du pays", None, "fr"),
    ],
)
def test_detect_language(text: str, hint: str | None, expected: str | None) -> None:
    assert detect_language(text, hint) == expected


def test_detect_language_short_english_titles_trust_the_hint() -> None:
    titles = ["Yukos unit buyer faces loan claim", "Deutsche Boerse boosts dividend"]
    assert [detect_language(title, "en") for title in titles] == ["en", "en"]


@pytest.mark.evalset
def test_detect_language_on_arabic_headlines() -> None:
    path = evalset("summarization", "ar_ant_bbc.jsonl")
    with path.open(encoding="utf-8") as lines:
        titles = [json.loads(line)["title"] for _, line in zip(range(300), lines, strict=False)]
    assert all(detect_language(title) == "ar" for title in titles)


@pytest.mark.parametrize(
    ("tag", "code"),
    [("ar-SY", "ar"), ("AR", "ar"), ("en_US", "en"), ("ara", "ar"), ("", None), ("x", None)],
)
def test_language_code(tag: str, code: str | None) -> None:
    assert language_code(tag) == code


# --------------------------------------------------------------------------------------
# to_utc
# --------------------------------------------------------------------------------------

NOW = datetime(2026, 8, 13, 12, 0, tzinfo=UTC)
FALLBACK = datetime(2026, 8, 13, 11, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, FALLBACK),
        (datetime(2026, 8, 13, 9, 0), datetime(2026, 8, 13, 9, 0, tzinfo=UTC)),
        (
            datetime(2026, 8, 13, 12, 0, tzinfo=timezone(timedelta(hours=3))),
            datetime(2026, 8, 13, 9, 0, tzinfo=UTC),
        ),
        (NOW + timedelta(hours=23), NOW + timedelta(hours=23)),
        (NOW + timedelta(days=2), FALLBACK),
        (datetime(1989, 12, 31, 23, 59, tzinfo=UTC), FALLBACK),
        (datetime(1990, 1, 1, tzinfo=UTC), datetime(1990, 1, 1, tzinfo=UTC)),
        (datetime.min, FALLBACK),
        (datetime.max.replace(tzinfo=timezone(timedelta(hours=-5))), FALLBACK),
    ],
)
def test_to_utc(value: datetime | None, expected: datetime) -> None:
    result = to_utc(value, FALLBACK, now=NOW)
    assert result == expected
    assert result.tzinfo is UTC


def test_to_utc_makes_a_naive_fallback_aware() -> None:
    assert to_utc(None, datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)


def test_to_utc_uses_the_clock_by_default() -> None:
    future = datetime.now(UTC) + timedelta(days=3)
    assert to_utc(future, FALLBACK) == FALLBACK
    recent = datetime.now(UTC) - timedelta(hours=1)
    assert to_utc(recent, FALLBACK) == recent
