"""render_post / render_plain: the sample post word for word, escaping, limits, bidi, hashtags."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from bot.compose.render import (
    CAPTION_LIMIT,
    ELLIPSIS,
    LRM,
    RLM,
    TEXT_LIMIT,
    PostContent,
    RenderedPost,
    hashtag,
    render_plain,
    render_post,
    shorten,
    site_name,
    utf16_units,
)
from bot.settings import Settings, SettingsError, load_settings

SAMPLE_PATH = Path(__file__).resolve().parents[2] / "shared" / "seed" / "sample-post-ar.txt"
SAMPLE_HEADLINE = (
    "قمة موسكو: أحمد الشرع وفلاديمير بوتين يبحثان العلاقات السورية الروسية ومصير الأسد"
)
SAMPLE_ATTRIBUTION = (
    'هذا الخبر بعنوان "ما الملفات التي يناقشها الشرع مع بوتين في روسيا؟" نشر أولاً على موقع '
    "enabbaladi.net وتم جلبه من مصدره الأصلي بتاريخ ٢٨ كانون الثاني ٢٠٢٦."
)
SAMPLE_DISCLAIMER = (
    "لا يتحمل موقعنا مضمونه بأي شكل من الأشكال. "
    "بإمكانكم الإطلاع على تفاصيل هذا الخبر من خلال مصدره الأصلي."
)
SAMPLE_SUMMARY = (
    "وصل الرئيس السوري في المرحلة الانتقالية، أحمد الشرع، إلى العاصمة الروسية موسكو، في زيارة "
    "رسمية هي الثانية من نوعها، لإجراء مباحثات مع نظيره الروسي، فلاديمير بوتين. ووفقًا لما نقلته "
    "الرئاسة الروسية (الكرملين)، ستتناول المباحثات العلاقات الثنائية والتعاون الاقتصادي، بالإضافة "
    "إلى التطورات الراهنة في الشرق الأوسط."
)
SAMPLE_TITLE = "ما الملفات التي يناقشها الشرع مع بوتين في روسيا؟"
FETCHED = datetime(2026, 1, 28, 10, 0, tzinfo=UTC)

ARABIC = PostContent(
    headline=SAMPLE_HEADLINE,
    summary=SAMPLE_SUMMARY,
    title=SAMPLE_TITLE,
    site="enabbaladi.net",
    fetched_at=FETCHED,
    language="ar",
    category="سياسة",
    url="https://www.enabbaladi.net/archives/123",
)
ENGLISH = PostContent(
    headline="Moscow summit: al-Sharaa and Putin discuss Syrian-Russian ties and Assad's fate",
    summary=(
        "Syria's transitional president, Ahmed al-Sharaa, arrived in Moscow on his second "
        "official visit for talks with Vladimir Putin. The Kremlin said the talks would cover "
        "bilateral relations, economic cooperation and the Middle East."
    ),
    title="What files will al-Sharaa discuss with Putin in Russia?",
    site="enabbaladi.net",
    fetched_at=FETCHED,
    language="en",
    category="Politics",
    url="https://www.enabbaladi.net/archives/123",
)
ENGLISH_ATTRIBUTION = (
    'This story, titled "What files will al-Sharaa discuss with Putin in Russia?", was first '
    "published on enabbaladi.net and was fetched from its original source on 28 January 2026."
)
ENGLISH_DISCLAIMER = (
    "We take no responsibility for its content in any way. "
    "You can read the details of this story at its original source."
)
BIDI_CONTROLS = "\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"


def settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]


def visible_text(markup: str) -> str:
    """What Telegram shows for Telegram HTML: the text after entity parsing."""
    return html.unescape(re.sub(r"</?b>", "", markup))


# ---- the sample post --------------------------------------------------------------------


def test_sample_lines_are_what_the_tests_quote() -> None:
    if not SAMPLE_PATH.exists():
        pytest.skip(f"{SAMPLE_PATH} is absent (../shared is not beside this checkout)")
    lines = SAMPLE_PATH.read_text(encoding="utf-8").split("\n")
    assert lines[0] == SAMPLE_HEADLINE
    assert lines[3] == SAMPLE_ATTRIBUTION
    assert lines[4] == SAMPLE_DISCLAIMER
    assert SAMPLE_SUMMARY.startswith(lines[5][:40])


def test_arabic_sample_post_word_for_word() -> None:
    post = render_post(ARABIC, settings(post_photos=False))
    assert post.text == (
        f"<b>{SAMPLE_HEADLINE}</b>\n\n"
        f"{SAMPLE_ATTRIBUTION}\n{SAMPLE_DISCLAIMER}\n\n"
        f"{SAMPLE_SUMMARY}\n\n"
        "#سياسة"
    )
    assert post.caption is None
    assert post.photo_url is None
    assert post.button_text == "اقرأ في المصدر"
    assert post.button_url == "https://www.enabbaladi.net/archives/123"


def test_arabic_sample_lines_match_the_sample_file() -> None:
    if not SAMPLE_PATH.exists():
        pytest.skip(f"{SAMPLE_PATH} is absent (../shared is not beside this checkout)")
    sample = SAMPLE_PATH.read_text(encoding="utf-8").split("\n")
    lines = render_post(ARABIC, settings()).text.split("\n")
    assert lines[0] == f"<b>{sample[0]}</b>"
    assert lines[2] == sample[3]
    assert lines[3] == sample[4]
    assert lines[-1] == "#" + sample[-1]


def test_english_sample_post() -> None:
    post = render_post(ENGLISH, settings(post_photos=False))
    assert post.text == (
        f"<b>{ENGLISH.headline}</b>\n\n"
        f"{ENGLISH_ATTRIBUTION}\n{ENGLISH_DISCLAIMER}\n\n"
        f"{ENGLISH.summary}\n\n"
        "#Politics"
    )
    assert post.button_text == "Read at source"


def test_other_languages_use_the_english_templates_and_english_date() -> None:
    french = replace(ENGLISH, language="fr", category="Politique", title="Quels dossiers ?")
    lines = render_post(french, settings()).text.split("\n")
    assert lines[2].startswith('This story, titled "Quels dossiers ?", was first published')
    assert lines[2].endswith("on 28 January 2026.")
    assert lines[-1] == "#Politique"
    assert render_post(french, settings()).button_text == "Read at source"


def test_plain_rendering() -> None:
    plain = render_plain(ARABIC, settings())
    assert plain == (
        f"{SAMPLE_HEADLINE}\n\n{SAMPLE_ATTRIBUTION}\n{SAMPLE_DISCLAIMER}\n\n"
        f"{SAMPLE_SUMMARY}\n\n#سياسة\n\n"
        "[اقرأ في المصدر] https://www.enabbaladi.net/archives/123"
    )
    hostile = replace(ENGLISH, headline="1 < 2 & <b>bold</b>", url=None)
    plain = render_plain(hostile, settings())
    assert plain.startswith("1 < 2 & <b>bold</b>\n\n")
    assert plain.endswith("#Politics")


def test_plain_rendering_is_the_text_message_without_markup() -> None:
    content = replace(ARABIC, headline="أ < ب & ج", url=None)
    assert render_plain(content, settings()) == visible_text(render_post(content, settings()).text)


# ---- escaping ---------------------------------------------------------------------------


def test_everything_from_a_source_is_escaped() -> None:
    content = replace(
        ENGLISH,
        headline='<a href="x">Tom & "Jerry"</a>',
        summary="5 > 3 && 2 < 4. <i>not italic</i> &amp; stays literal.",
        title="<title> & 'quotes'",
        site="<site>&co",
        category="R&D",
    )
    text = render_post(content, settings()).text
    assert text.startswith('<b>&lt;a href="x"&gt;Tom &amp; "Jerry"&lt;/a&gt;</b>\n\n')
    quoted = "titled \"&lt;title&gt; &amp; 'quotes'\", was first published on &lt;site&gt;&amp;co"
    assert quoted in text
    assert "5 &gt; 3 &amp;&amp; 2 &lt; 4. &lt;i&gt;not italic&lt;/i&gt; &amp;amp; stays" in text
    assert text.endswith("\n\n#R_D")


def test_templates_from_settings_are_escaped_too() -> None:
    custom = settings(
        attribution_en="<i>From</i> {site} & co, {date}: {title}",
        disclaimer_en="Not ours <script>alert(1)</script> & so on.",
    )
    text = render_post(ENGLISH, custom).text
    assert "&lt;i&gt;From&lt;/i&gt; enabbaladi.net &amp; co, 28 January 2026: What files" in text
    assert "Not ours &lt;script&gt;alert(1)&lt;/script&gt; &amp; so on." in text


def test_template_format_specs_and_braces_do_not_break_rendering() -> None:
    custom = settings(attribution_en="{{literal}} {title!r:>80} on {site}.")
    text = render_post(ENGLISH, custom).text
    assert f"{{literal}} {ENGLISH.title} on enabbaladi.net." in text


def test_source_text_is_cleaned_of_invisible_and_control_characters() -> None:
    dirty = "\u202eAB\u202c\u200bC\x00D\ud800E\u2066F\u2069\x07G\ufeffH\u200fI\u200eJ"
    content = replace(
        ENGLISH, headline=dirty, summary=dirty + ".", title=dirty, site=dirty, category=dirty
    )
    post = render_post(content, settings())
    for char in "\u202e\u202c\u200b\x00\ud800\u2066\u2069\x07\ufeff":
        assert char not in post.text
    assert post.text.startswith("<b>ABCDEFGHIJ</b>")
    assert post.text.endswith("#ABCDEFGHIJ")


def test_empty_headline_falls_back_to_the_title() -> None:
    text = render_post(replace(ARABIC, headline="  \u200b "), settings()).text
    assert text.startswith(f"<b>{SAMPLE_TITLE}</b>\n\n")


def test_empty_summary_and_category_leave_no_blank_blocks() -> None:
    text = render_post(replace(ARABIC, summary=" ", category="!!!"), settings()).text
    assert text == f"<b>{SAMPLE_HEADLINE}</b>\n\n{SAMPLE_ATTRIBUTION}\n{SAMPLE_DISCLAIMER}"


def test_empty_templates_leave_no_blank_block() -> None:
    quiet = settings(attribution_en="", disclaimer_en=" ")
    text = render_post(replace(ENGLISH, summary="One."), quiet).text
    assert text == f"<b>{ENGLISH.headline}</b>\n\nOne.\n\n#Politics"


def test_multi_line_templates_keep_their_lines() -> None:
    custom = settings(attribution_ar="المصدر: {site}\nالتاريخ: {date}", disclaimer_ar="")
    lines = render_post(ARABIC, custom).text.split("\n")
    assert lines[2:4] == ["المصدر: enabbaladi.net", "التاريخ: ٢٨ كانون الثاني ٢٠٢٦"]


def test_summary_paragraphs_are_kept_as_lines() -> None:
    content = replace(ENGLISH, summary="First  paragraph.\r\n\r\n\r\nSecond\tone.\n")
    text = render_post(content, settings()).text
    assert "\n\nFirst paragraph.\nSecond one.\n\n#Politics" in text


# ---- right to left ----------------------------------------------------------------------


def visual(line: str) -> str:
    """The line as displayed (left to right on screen), marks removed, per the UBA."""
    bidi = pytest.importorskip("bidi", reason="python-bidi checks the visual order")
    shown: str = bidi.get_display(line)
    return shown.replace(LRM, "").replace(RLM, "")


def attribution_line(content: PostContent, custom: Settings | None = None) -> str:
    return render_post(content, custom or settings()).text.split("\n")[2]


def test_sample_needs_no_marks_and_displays_the_domain_whole() -> None:
    line = attribution_line(ARABIC)
    assert LRM not in line
    assert RLM not in line
    assert "enabbaladi.net" in visual(line)


def test_latin_domain_before_the_final_full_stop() -> None:
    custom = settings(attribution_ar="هذا الخبر نشر أولاً على موقع {site}.")
    line = attribution_line(ARABIC, custom)
    assert line == "هذا الخبر نشر أولاً على موقع enabbaladi.net."
    shown = visual(line)
    assert shown.startswith(".enabbaladi.net ")  # the stop ends the sentence, at its left


def test_site_starting_with_digits_is_kept_together_in_arabic() -> None:
    line = attribution_line(replace(ARABIC, site="24.ae"))
    assert f"موقع {LRM}24.ae{LRM} وتم" in line
    assert "24.ae" in visual(line)


def test_latin_title_ending_in_punctuation_inside_arabic_quotes() -> None:
    line = attribution_line(replace(ARABIC, title="Putin meets al-Sharaa?"))
    assert f'بعنوان "{LRM}Putin meets al-Sharaa?{LRM}" نشر' in line
    assert '"Putin meets al-Sharaa?"' in visual(line)


def test_arabic_values_in_english_templates() -> None:
    line = attribution_line(replace(ENGLISH, title="هل يلتقي الشرع بوتين?", site="عنب بلدي"))
    assert f'titled "{RLM}هل يلتقي الشرع بوتين?{RLM}", was first published on عنب بلدي and' in line
    shown = visual(line)
    assert shown.startswith("This story, titled ")
    assert "?نيتوب عرشلا يقتلي له" in shown  # the Arabic runs right to left, "?" at its end


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (
            ARABIC,
            "هذا الخبر نشر أولاً على موقع enabbaladi.net وتم جلبه من مصدره الأصلي بتاريخ "
            "٢٨ كانون الثاني ٢٠٢٦.",
        ),
        (
            ENGLISH,
            "This story was first published on enabbaladi.net and was fetched from its original "
            "source on 28 January 2026.",
        ),
    ],
)
@pytest.mark.parametrize("title", ["", "  ", "\u200b\u202e"])
def test_a_story_without_a_title_is_attributed_without_one(
    content: PostContent, expected: str, title: str
) -> None:
    for headline in (content.headline, ""):
        post = render_post(replace(content, title=title, headline=headline), settings())
        assert expected in post.text.split("\n")
        assert '""' not in post.text
        assert "titled" not in post.text
        assert "بعنوان" not in post.text
    untitled = render_post(replace(content, title="", headline=""), settings())
    assert untitled.text.startswith(expected)  # no empty headline above it


def test_untitled_attribution_templates_take_no_title() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(attribution_untitled_en="Titled {title}, from {site}")
    assert "ATTRIBUTION_UNTITLED_EN" in str(caught.value)
    custom = settings(attribution_untitled_ar="المصدر: {site}")
    post = render_post(replace(ARABIC, title=""), custom)
    assert "المصدر: enabbaladi.net" in post.text


def test_arabic_lines_starting_with_latin_get_a_leading_rlm() -> None:
    content = replace(ARABIC, headline="iPhone 17 يصل إلى دمشق", summary="CNN: خبر عاجل.")
    lines = render_post(content, settings()).text.split("\n")
    assert lines[0] == f"{RLM}<b>iPhone 17 يصل إلى دمشق</b>"
    assert lines[5] == f"{RLM}CNN: خبر عاجل."
    assert visual(RLM + "iPhone 17 يصل إلى دمشق").endswith("iPhone 17")


def test_english_lines_starting_with_arabic_get_a_leading_lrm() -> None:
    content = replace(ENGLISH, headline="الشرع meets Putin")
    assert render_post(content, settings()).text.startswith(f"{LRM}<b>الشرع meets Putin</b>")


def test_other_languages_keep_their_own_direction() -> None:
    persian = replace(ENGLISH, language="fa", headline="BBC: دیدار در مسکو", category="سیاست")
    text = render_post(persian, settings()).text
    assert text.startswith("<b>BBC: دیدار در مسکو</b>")
    assert text.endswith("\n\n#سیاست")


def test_hashtag_line_never_gets_a_mark() -> None:
    for content in (replace(ARABIC, category="Tech News"), replace(ENGLISH, category="علوم")):
        last = render_post(content, settings()).text.split("\n")[-1]
        assert last in ("#Tech_News", "#علوم")
        assert visual(last) in ("#Tech_News", "علوم"[::-1] + "#")  # "#" first, at the right


# ---- limits -----------------------------------------------------------------------------


def test_long_summary_is_cut_at_a_sentence_end() -> None:
    sentence = "هذه جملة طويلة نسبياً عن الأحداث الجارية في المنطقة. "
    content = replace(ARABIC, summary=sentence * 200)
    post = render_post(content, settings())
    text = visible_text(post.text)
    assert utf16_units(text) <= TEXT_LIMIT
    summary = text.split("\n\n")[2]
    assert summary.endswith("المنطقة.")
    assert utf16_units(text) > TEXT_LIMIT - len(sentence)
    assert SAMPLE_ATTRIBUTION in text
    assert SAMPLE_DISCLAIMER in text
    assert text.endswith("\n\n#سياسة")


def test_long_summary_without_sentences_is_cut_at_a_word_with_an_ellipsis() -> None:
    content = replace(ENGLISH, summary="word " * 2000)
    text = visible_text(render_post(content, settings()).text)
    summary = text.split("\n\n")[2]
    assert summary.endswith("word" + ELLIPSIS)
    assert utf16_units(text) <= TEXT_LIMIT
    assert utf16_units(text) > TEXT_LIMIT - 10


def test_astral_characters_count_twice() -> None:
    content = replace(ENGLISH, summary="😀 " * 3000)
    text = visible_text(render_post(content, settings()).text)
    assert utf16_units(text) <= TEXT_LIMIT
    assert len(text) < TEXT_LIMIT * 3 // 4


def test_escaping_does_not_count_against_the_limit() -> None:
    content = replace(ENGLISH, summary="& " * 3000)
    post = render_post(content, settings())
    assert utf16_units(visible_text(post.text)) <= TEXT_LIMIT
    assert len(post.text) > TEXT_LIMIT  # the HTML is longer than what Telegram counts


def test_caption_shortens_the_summary_and_keeps_the_fixed_parts() -> None:
    content = replace(ARABIC, summary=SAMPLE_SUMMARY * 5, image_url="https://img.example/a.jpg")
    post = render_post(content, settings())
    assert post.photo_url == "https://img.example/a.jpg"
    assert post.caption is not None
    caption = visible_text(post.caption)
    assert utf16_units(caption) <= CAPTION_LIMIT
    assert SAMPLE_ATTRIBUTION in caption
    assert SAMPLE_DISCLAIMER in caption
    assert caption.endswith("#سياسة")
    assert caption.startswith(SAMPLE_HEADLINE)
    assert utf16_units(visible_text(post.text)) > CAPTION_LIMIT  # the text keeps it all


def test_headline_is_shortened_when_no_summary_fits() -> None:
    long_notice = settings(disclaimer_ar="تنويه " * 100)
    content = replace(
        ARABIC,
        headline="عنوان " * 60,
        summary=SAMPLE_SUMMARY,
        image_url="https://img.example/a.jpg",
    )
    post = render_post(content, long_notice)
    assert post.caption is not None
    caption = visible_text(post.caption)
    assert utf16_units(caption) <= CAPTION_LIMIT
    headline, notice, hashtag_line = caption.split("\n\n")
    assert headline.endswith("عنوان" + ELLIPSIS)
    assert notice.startswith(SAMPLE_ATTRIBUTION)
    assert hashtag_line == "#سياسة"


def test_no_photo_when_the_notice_alone_is_too_long_for_a_caption() -> None:
    huge = settings(disclaimer_en="We vouch for nothing. " * 45)
    post = render_post(replace(ENGLISH, image_url="https://img.example/a.jpg"), huge)
    assert post.caption is None
    assert post.photo_url is None
    assert utf16_units(visible_text(post.text)) <= TEXT_LIMIT


def test_long_title_site_and_category_are_capped() -> None:
    content = replace(ENGLISH, title="T " * 1000, site="s" * 500, category="c" * 500)
    text = visible_text(render_post(content, settings()).text)
    assert utf16_units(text) <= TEXT_LIMIT
    assert text.endswith("#" + "c" * 64)
    assert ELLIPSIS in text.split("\n")[2]


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short.", 10, "short."),
        ("One. Two three four.", 12, "One. Two…"),
        ("One two. Three four.", 12, "One two."),
        ("One two three four five", 12, "One two…"),
        ("One two three. Four five six seven", 22, "One two three."),
        ("abcdefghij", 5, "abcd…"),
        ("ab\u0301c\u0301d", 3, "a…"),
        ("ab\u0301cd", 4, "ab\u0301…"),
        ("a😀b", 2, "a…"),
        ("ab, cd ef", 6, "ab…"),
        ("anything", 0, ""),
        ("3.5 percent rise", 4, "3.5…"),
    ],
)
def test_shorten(text: str, limit: int, expected: str) -> None:
    result = shorten(text, limit)
    assert result == expected
    assert utf16_units(result) <= limit


# ---- photos and links -------------------------------------------------------------------


@pytest.mark.parametrize(
    "image_url",
    [None, "", "javascript:alert(1)", "ftp://x.example/a.jpg", "/relative.jpg", "https://a b/c"],
)
def test_no_photo_without_an_http_image(image_url: str | None) -> None:
    post = render_post(replace(ARABIC, image_url=image_url), settings())
    assert post.caption is None
    assert post.photo_url is None


def test_no_photo_when_photos_are_off() -> None:
    content = replace(ARABIC, image_url="https://img.example/a.jpg")
    assert render_post(content, settings(post_photos=False)).photo_url is None


def test_photo_caption_is_the_whole_post_when_it_fits() -> None:
    post = render_post(replace(ARABIC, image_url=" http://img.example/a.jpg "), settings())
    assert post.photo_url == "http://img.example/a.jpg"
    assert post.caption == post.text


@pytest.mark.parametrize("url", [None, "", "javascript:alert(1)", "mailto:a@b.c", "https://"])
def test_button_needs_an_http_link(url: str | None) -> None:
    post = render_post(replace(ARABIC, url=url), settings())
    assert post.button_url is None
    assert post.button_text == "اقرأ في المصدر"


@pytest.mark.parametrize(
    ("url", "configured", "expected"),
    [
        ("https://www.enabbaladi.net/archives/1", None, "enabbaladi.net"),
        ("https://www.enabbaladi.net/archives/1", "عنب بلدي", "عنب بلدي"),
        ("https://www.enabbaladi.net/archives/1", "  \u200b ", "enabbaladi.net"),
        ("http://News.BBC.co.uk:8080/x", None, "news.bbc.co.uk"),
        ("https://xn--mgbh0fb.xn--kgbechtv/x", None, "مثال.إختبار"),
        ("enabbaladi.net/archives/1", None, "enabbaladi.net"),
        ("https://www.example.com./", None, "example.com"),
        (None, None, ""),
        ("not a url", None, ""),
        ("http://[::1", None, ""),
    ],
)
def test_site_name(url: str | None, configured: str | None, expected: str) -> None:
    assert site_name(url, configured) == expected


def test_empty_site_falls_back_to_the_links_domain() -> None:
    line = attribution_line(replace(ENGLISH, site=""))
    assert "first published on enabbaladi.net and" in line


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("سياسة", "#سياسة"),
        ("Middle East", "#Middle_East"),
        ("Science & Tech", "#Science_Tech"),
        ("  Sport/Football  ", "#Sport_Football"),
        ("الشرق الأوسط", "#الشرق_الأوسط"),
        ("السِّيَاسَة", "#السياسة"),
        ("2024 elections", "#2024_elections"),
        ("COVID-19", "#COVID_19"),
        ("a\u200fb\u202ec", "#abc"),
        ("Café", "#Café"),
        ("Cafe\u0301", "#Café"),
        ("2024", ""),
        ("!!!", ""),
        ("", ""),
        ("_x_", "#x"),
    ],
)
def test_hashtag(name: str, expected: str) -> None:
    assert hashtag(name) == expected


def test_long_hashtags_are_cut() -> None:
    tag = hashtag("word " * 100)
    assert len(tag) <= 65
    assert not tag.endswith("_")


# ---- any input gives valid Telegram HTML within limits ----------------------------------


class TelegramHTMLValidator(HTMLParser):
    """Accepts only what render_post emits: <b>…</b>, balanced, text with & < > escaped."""

    ENTITIES = frozenset({"lt", "gt", "amp", "quot"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.open_tags: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "b" or attrs or self.open_tags:
            self.errors.append(f"unexpected <{tag} {attrs}>")
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags.pop() != tag:
            self.errors.append(f"unbalanced </{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.errors.append(f"self-closing <{tag}/>")

    def handle_data(self, data: str) -> None:
        if "<" in data or ">" in data:
            self.errors.append(f"bare < or > in {data!r}")
        self.text.append(data)

    def handle_entityref(self, name: str) -> None:
        if name not in self.ENTITIES:
            self.errors.append(f"entity &{name};")
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name: str) -> None:
        self.errors.append(f"character reference &#{name};")

    def handle_comment(self, data: str) -> None:
        self.errors.append("comment")

    def handle_decl(self, decl: str) -> None:
        self.errors.append("declaration")

    def handle_pi(self, data: str) -> None:
        self.errors.append("processing instruction")

    def unknown_decl(self, data: str) -> None:
        self.errors.append("unknown declaration")


def check_telegram_html(markup: str, limit: int) -> str:
    """Assert `markup` is the kind of Telegram HTML we mean to send; return its visible text."""
    bare_ampersand = re.search(r"&(?!(?:lt|gt|amp|quot);)", markup)
    assert bare_ampersand is None, f"unescaped & in {markup!r}"
    assert re.sub(r"</?b>|&(?:lt|gt|amp|quot);", "", markup).count("<") == 0
    assert re.sub(r"</?b>|&(?:lt|gt|amp|quot);", "", markup).count(">") == 0
    validator = TelegramHTMLValidator()
    validator.feed(markup)
    validator.close()
    assert validator.errors == []
    assert validator.open_tags == []
    text = "".join(validator.text)
    assert text == visible_text(markup)
    assert 0 < utf16_units(text) <= limit
    assert not any(char in BIDI_CONTROLS for char in text)
    assert not any(ord(char) < 0x20 and char != "\n" for char in text)
    assert not any(0xD800 <= ord(char) <= 0xDFFF for char in text)
    return text


HOSTILE_PIECES = [
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "&#60;",
    "<b>",
    "</b>",
    "<a href='x'>",
    "<!--",
    "-->",
    "<![CDATA[",
    "\u202e",
    "\u2066",
    "\u200f",
    "\u200b",
    "\x00",
    "\ud800",
    "\udfff",
    "\U0001f600",
    "\u0301",
    "{title}",
    "{",
    "}",
    "#",
    "\n",
    "\r",
    "\t",
    " ",
    ".",
    "؟",
    "سياسة",
    "BBC",
    "24",
    "\u2028",
    "\x85",
]
hostile_text = st.lists(
    st.one_of(
        st.sampled_from(HOSTILE_PIECES), st.text(st.characters(exclude_categories=()), max_size=8)
    ),
    max_size=40,
).map("".join)
long_text = st.builds(lambda piece, count: piece * count, hostile_text, st.integers(0, 400))


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    headline=long_text,
    summary=long_text,
    title=hostile_text,
    site=hostile_text,
    category=hostile_text,
    language=st.sampled_from(["ar", "en", "fr", "fa", "", "x<y"]),
    url=st.one_of(st.none(), hostile_text, st.just("https://example.com/a?b=1&c=<2>")),
    image_url=st.one_of(st.none(), st.just("https://img.example/a.jpg"), hostile_text),
)
def test_any_input_renders_valid_telegram_html(
    headline: str,
    summary: str,
    title: str,
    site: str,
    category: str,
    language: str,
    url: str | None,
    image_url: str | None,
) -> None:
    content = PostContent(
        headline=headline,
        summary=summary,
        title=title,
        site=site,
        fetched_at=FETCHED,
        language=language,
        category=category,
        url=url,
        image_url=image_url,
    )
    post = render_post(content, settings())
    text = check_telegram_html(post.text, TEXT_LIMIT)
    assert_fixed_parts(post, text, content)
    if post.caption is not None:
        caption = check_telegram_html(post.caption, CAPTION_LIMIT)
        assert_fixed_parts(post, caption, content)
        assert post.photo_url == "https://img.example/a.jpg"
    else:
        assert post.photo_url is None
    plain = render_plain(content, settings())
    assert plain.startswith(text)


def assert_fixed_parts(post: RenderedPost, text: str, content: PostContent) -> None:
    disclaimer = Settings().disclaimer_ar if content.language == "ar" else Settings().disclaimer_en
    assert disclaimer in text
    tag = hashtag(content.category)
    if tag:
        last = text.split("\n")[-1]
        assert last == tag
        assert LRM not in last
        assert RLM not in last
    assert post.button_url is None or post.button_url.startswith(("http://", "https://"))
