"""Telegram channel names, and the preview-page parser on every real page in
../shared/evalsets/telegram (its _index.json, computed from the markup by the evalset's
author, is the oracle for message counts, ids, dates and features)."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import lxml.html
import pytest

from bot.ingest.telegram_message import ForwardOrigin, SkipReason
from bot.ingest.telegram_page import (
    ChannelPage,
    ChannelUnavailable,
    Unavailable,
    parse_channel_page,
    to_feed,
)
from bot.ingest.telegram_ref import (
    ChannelRefError,
    RefProblem,
    channel_name,
    is_telegram_ref,
    post_url,
    preview_url,
)
from bot.text.clean import html_to_text
from tests.conftest import EVALSETS, evalset

INDEX = EVALSETS / "telegram" / "_index.json"
FILES = sorted(json.loads(INDEX.read_text(encoding="utf-8"))) if INDEX.exists() else ["absent"]
HISTORY = [name for name in FILES if not name.startswith("landing_and_error_pages/")]
LANDING = [name for name in FILES if name.startswith("landing_and_error_pages/")]
# Features the index counts that the parser reports as a message's media kinds.
# Messages without data-post: the newest of antichristone's page, and the old embed markup.
RECOVERED_IDS = {"pages/antichristone": {521}, "embed/K1inUSA_3": {3}}
MEDIA_FEATURES = ("photo", "video", "round_video", "voice", "document", "poll", "sticker", "album")


def visible(text: str) -> str:
    """The characters a reader sees: no whitespace, no zero-width or direction marks."""
    return re.sub(r"[\s\u200b-\u200f\u2060\ufeff]", "", text)


def telegram(relative: str) -> Path:
    return evalset("telegram", relative)


def stats(relative: str) -> dict[str, Any]:
    index: dict[str, dict[str, Any]] = json.loads(telegram("_index.json").read_text("utf-8"))
    return index[relative]


def page_of(relative: str) -> ChannelPage:
    return parse_channel_page(telegram(relative).read_bytes())


def message(page: ChannelPage, post_id: int) -> Any:
    return next(m for m in page.messages if m.id == post_id)


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("https://t.me/enabbaladi", "enabbaladi"),
        ("t.me/s/enabbaladi", "enabbaladi"),
        ("https://t.me/s/enabbaladi?before=120", "enabbaladi"),
        ("http://telegram.me/Syria_News_24/", "Syria_News_24"),
        ("https://t.me/enabbaladi/4512", "enabbaladi"),
        ("  @AlJazeera_News  ", "AlJazeera_News"),
        ("@abcde", "abcde"),
        ("@" + "a" * 32, "a" * 32),
    ],
)
def test_channel_name_reads_every_way_of_naming_a_channel(text: str, name: str) -> None:
    assert is_telegram_ref(text)
    assert channel_name(text) == name


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("https://example.com/enabbaladi", RefProblem.NOT_TELEGRAM),
        ("enabbaladi", RefProblem.NOT_TELEGRAM),
        ("https://t.me/+AbCdEf123", RefProblem.PRIVATE),
        ("https://t.me/joinchat/AAAAAE", RefProblem.PRIVATE),
        ("https://t.me/c/1234567/89", RefProblem.PRIVATE),
        ("https://t.me/addstickers/Animals", RefProblem.NOT_A_CHANNEL),
        ("https://t.me/share/url?url=x", RefProblem.NOT_A_CHANNEL),
        ("@abcd", RefProblem.INVALID_NAME),  # 4 characters
        ("@" + "a" * 33, RefProblem.INVALID_NAME),
        ("@1channel", RefProblem.INVALID_NAME),
        ("@_channel", RefProblem.INVALID_NAME),
        ("@chan-nel", RefProblem.INVALID_NAME),
        ("@قناة_الأخبار", RefProblem.INVALID_NAME),
        ("https://t.me/", RefProblem.INVALID_NAME),
        ("https://t.me/s/", RefProblem.INVALID_NAME),
    ],
)
def test_channel_name_refuses_what_is_not_a_public_channel(text: str, problem: RefProblem) -> None:
    with pytest.raises(ChannelRefError) as caught:
        channel_name(text)
    assert caught.value.problem is problem
    assert caught.value.message


def test_preview_pages_come_from_the_base_url_while_links_stay_public() -> None:
    base = "http://127.0.0.1:8123/"
    assert preview_url("enabbaladi", base_url=base) == "http://127.0.0.1:8123/s/enabbaladi"
    assert preview_url("enabbaladi", base_url=base, before=77) == (
        "http://127.0.0.1:8123/s/enabbaladi?before=77"
    )
    assert post_url("enabbaladi", 77) == "https://t.me/enabbaladi/77"


# --- every saved page --------------------------------------------------------------------


@pytest.mark.evalset
@pytest.mark.parametrize("relative", HISTORY)
def test_every_page_with_messages_parses_as_the_index_counts_it(relative: str) -> None:
    expected = stats(relative)
    raw = telegram(relative).read_text("utf-8")
    page = parse_channel_page(raw)

    assert len(page.messages) + page.unidentified == expected["messages"]
    posted = {int(post) for post in re.findall(r'data-post="[^"/]+/(\d+)"', raw)}
    ids = {m.id for m in page.messages}
    recovered = ids - posted  # ids read from the date's permalink, where data-post lacks one
    assert recovered == RECOVERED_IDS.get(relative.split("__")[0], set())
    if expected["ids"]:
        assert min(ids) == expected["ids"][0]
        assert max(posted) == expected["ids"][1]
    dates = sorted(m.published.date().isoformat() for m in page.messages if m.published)
    assert [dates[0], dates[-1]] == expected["dates"]
    assert all(m.published is None or m.published.tzinfo is UTC for m in page.messages)
    assert page.before == (
        int(expected["load_more_before"]) if expected["load_more_before"] else None
    )
    assert page.name
    assert len(page.messages) == len(ids)


@pytest.mark.evalset
@pytest.mark.parametrize("relative", HISTORY)
def test_every_page_reports_the_features_the_index_counts(relative: str) -> None:
    page = page_of(relative)
    found: Counter[str] = Counter()
    for m in page.messages:
        found.update(m.media)
        found["forwarded"] += m.forwarded_from is not None
        found["link_preview"] += m.link_preview is not None
        found["service"] += m.service
    expected = Counter(stats(relative)["msgs_with"])
    if relative.endswith("EDITED-newest-post-id-blank.html"):
        expected["photo"] -= 1  # the message without an id is skipped, and its photo with it
    for feature in (*MEDIA_FEATURES, "forwarded", "link_preview", "service"):
        assert found[feature] == expected[feature], feature


@pytest.mark.evalset
@pytest.mark.parametrize("relative", HISTORY)
def test_message_text_loses_and_invents_nothing_the_page_shows(relative: str) -> None:
    page = page_of(relative)
    root = lxml.html.fromstring(telegram(relative).read_text("utf-8"))
    shown: dict[int, str] = {}
    for block in root.find_class("tgme_widget_message"):
        date = block.find_class("tgme_widget_message_date")
        post = re.search(r"/(\d+)$", date[0].get("href") or "") if date else None
        texts = block.find_class("tgme_widget_message_text")
        if post and texts:
            shown[int(post.group(1))] = visible(texts[0].text_content())
    for m in page.messages:
        assert visible(m.text) == shown.get(m.id, ""), m.id


@pytest.mark.evalset
@pytest.mark.parametrize("relative", HISTORY)
def test_feed_entries_are_the_article_messages_newest_first(relative: str) -> None:
    page = page_of(relative)
    feed = to_feed(page)
    kept = [m for m in page.messages if m.skip_reason is None]

    assert [e.guid for e in feed.entries] == [post_url(page.name, m.id) for m in reversed(kept)]
    for entry, m in zip(feed.entries, reversed(kept), strict=True):
        assert entry.link == entry.guid
        assert html_to_text(entry.content) == (m.text or html_to_text(entry.content))
        assert html_to_text(entry.title) == m.title
        assert entry.title
        assert entry.published == m.published
    assert feed.kind == "telegram"
    assert feed.link == f"https://t.me/{page.name}"
    assert feed.extra["username"] == f"@{page.name}"


@pytest.mark.evalset
@pytest.mark.parametrize(
    ("relative", "reason", "name"),
    [
        ("landing_and_error_pages/ru_python__landing_group.html", Unavailable.GROUP, "ru_python"),
        ("landing_and_error_pages/botfather__landing_bot.html", Unavailable.BOT, "botfather"),
        (
            "landing_and_error_pages/not_existed_channel__s__nonexistent.html",
            Unavailable.NOT_FOUND,
            "not_existed_channel",
        ),
        (
            "landing_and_error_pages/not_valid_channel__s__invalid.html",
            Unavailable.NOT_FOUND,
            "not_valid_channel",
        ),
        ("landing_and_error_pages/codecamp__landing.html", Unavailable.NO_PREVIEW, "codecamp"),
        (
            "landing_and_error_pages/thecodemedia__landing_verified.html",
            Unavailable.NO_PREVIEW,
            "thecodemedia",
        ),
        (
            "landing_and_error_pages/lolz_guru__landing_scam-label.html",
            Unavailable.NO_PREVIEW,
            "lolz_guru",
        ),
    ],
)
def test_pages_without_history_say_what_they_are(
    relative: str, reason: Unavailable, name: str
) -> None:
    assert relative in LANDING or LANDING == []
    with pytest.raises(ChannelUnavailable) as caught:
        page_of(relative)
    assert caught.value.reason is reason
    assert caught.value.name == name
    assert f"@{name}" in caught.value.message


# --- what each kind of message gives -----------------------------------------------------


@pytest.mark.evalset
def test_paragraphs_line_breaks_and_the_edit_mark_are_kept() -> None:
    m = message(page_of("pages/antichristone__s__2023-05-04.html"), 486)
    assert m.text.startswith(
        "Wassup, начинаю стрим в Telegram\n\n"
        "Смотреть трансляцию можно на удобной платформе:\nTWITCH | TELEGRAM\n\nДонаты будут"
    )
    assert m.title == "Wassup, начинаю стрим в Telegram"
    assert m.edited
    assert m.published == datetime(2023, 3, 15, 17, 35, 30, tzinfo=UTC)


@pytest.mark.evalset
def test_service_messages_polls_and_empty_posts_are_skipped_with_their_reason() -> None:
    page = page_of("pages/antichristone__s__2023-05-04.html")
    skipped = {m.id: m.skip_reason for m in page.messages if m.skip_reason}
    assert skipped == {
        483: SkipReason.SERVICE,  # Live stream finished (44 minutes)
        485: SkipReason.SERVICE,  # Live stream started
        493: SkipReason.SERVICE,  # … pinned «…»
        504: SkipReason.SERVICE,  # … pinned a file
        500: SkipReason.POLL,
        517: SkipReason.POLL,
        506: SkipReason.EMPTY,  # a round video without text
    }
    created = page_of("pages/prstnk_eprst__s__2026-05-30.html")
    assert [(m.id, m.skip_reason) for m in created.messages] == [(1, SkipReason.SERVICE), (2, None)]
    sticker = page_of("fragments_real_excerpts/message_sticker.html")
    assert sticker.messages[0].skip_reason is SkipReason.STICKER


@pytest.mark.evalset
def test_an_album_is_one_message_with_its_first_photo() -> None:
    page = page_of("fragments_real_excerpts/message_media_photo_and_video.html")
    (album,) = page.messages
    assert (album.id, album.last_id) == (46908, 46910)
    assert {"album", "photo", "video"} <= set(album.media)
    raw = telegram("fragments_real_excerpts/message_media_photo_and_video.html").read_text("utf-8")
    first_photo = re.search(r"message_photo_wrap.*?background-image: url\(&quot;([^&]+)", raw, re.S)
    assert first_photo is not None
    assert album.image_url == first_photo.group(1)
    assert album.text == (
        "Ночью над Белгородом сбили 3 беспилотника\n\nОни упали на улицы города.\n\n"
        "Сообщается, что на себе БПЛА несли взрывчатку из пластида.\n\n"
        "#Белгород #Беспилотники\n\n@anna_news"
    )
    thecode = page_of("pages/thecodemedia__s__2023-05-01.html")
    assert message(thecode, 7124).last_id > 7124


@pytest.mark.evalset
def test_a_forwarded_message_names_its_original_channel() -> None:
    page = page_of("fragments_real_excerpts/message_media_forwarded_from.html")
    assert page.messages[0].forwarded_from == ForwardOrigin(
        title="Пул N3", name="dimsmirnov175", url="https://t.me/dimsmirnov175/44604"
    )
    entry = to_feed(page).entries[0]
    assert entry.forwarded_from is not None
    assert (entry.forwarded_from.href, entry.forwarded_from.title) == (
        "https://t.me/dimsmirnov175/44604",
        "Пул N3 (@dimsmirnov175)",  # as the attribution names the channel that told it first
    )
    hidden = message(page_of("pages/codecamp__s__2023-05-05.html"), 2370)
    assert hidden.forwarded_from == ForwardOrigin(title="Киллер-фича")


@pytest.mark.evalset
def test_an_article_link_preview_is_kept_for_its_full_text() -> None:
    page = page_of("pages/codecamp__s__2023-05-05.html")
    m = message(page, 2374)
    assert m.link_preview is not None
    assert m.link_preview.url == "https://huggingface.co/bigcode/starcoder"
    assert m.link_preview.title == "bigcode/starcoder · Hugging Face"
    entry = next(e for e in to_feed(page).entries if e.guid == "https://t.me/codecamp/2374")
    assert entry.preview_url == "https://huggingface.co/bigcode/starcoder"


@pytest.mark.evalset
def test_a_telegraph_article_preview_is_an_article() -> None:
    page = page_of("pages/lolz_guru__s__2023-05-05.html")
    previews = [m.link_preview for m in page.messages if m.link_preview is not None]
    assert [(p.url, p.is_article) for p in previews] == [
        ("https://telegra.ph/Cozdayom-mod-menyu-na-android-igru-05-02", True)
    ]


@pytest.mark.evalset
def test_a_preview_of_a_picture_is_an_image_not_an_article() -> None:
    page = page_of(
        "pages_edited_by_source_repo/habr_com__s__2023-05-06__EDITED-newest-date-blank.html"
    )
    m = message(page, 56640)
    assert m.link_preview is not None
    assert m.link_preview.url.endswith(".jpg")
    assert not m.link_preview.is_article
    assert m.image_url == m.link_preview.image_url
    entry = next(e for e in to_feed(page).entries if e.guid == "https://t.me/habr_com/56640")
    assert entry.preview_url is None
    assert any(link.href.startswith("https://habr.com/ru/articles/318914/") for link in entry.links)


@pytest.mark.evalset
def test_a_signed_post_names_its_author() -> None:
    page = page_of("fragments_real_excerpts/message_with_from_author.html")
    assert page.messages[0].author == "🅰️rkadiy Ivanov"
    assert page.messages[0].text == "test"


@pytest.mark.evalset
def test_the_channel_title_and_username_give_the_attribution() -> None:
    page = page_of("pages/codecamp__s__2023-05-05.html")
    assert (page.name, page.title) == ("codecamp", "CodeCamp")
    assert page.site_name == "CodeCamp (@codecamp)"
    # every post link on this page says campcode/ID (the channel's other username); the
    # source follows @codecamp, and its links say so
    assert {m.channel for m in page.messages} == {"campcode"}
    assert to_feed(page).entries[0].link == "https://t.me/codecamp/2376"


@pytest.mark.evalset
def test_an_embedded_post_page_reads_as_one_message() -> None:
    page = page_of("embed/K1inUSA_3__embed__post-2015-09-29__saved-2018-03-01.html")
    (post,) = page.messages
    assert (post.channel, post.id) == ("K1inUSA", 3)
    assert post.title == "یک کانال تلگرامی متفاوت"
    assert post.published == datetime(2015, 9, 29, 5, 35, 28, tzinfo=UTC)
    assert page.title == "K1 in USA"


# --- pages the source repository edited (markup a parser must survive) ---------------------


@pytest.mark.evalset
def test_a_message_without_any_id_is_counted_and_skipped() -> None:
    page = page_of(
        "pages_edited_by_source_repo/prg_memes__s__2023-05-06__EDITED-newest-post-id-blank.html"
    )
    assert page.unidentified == 1
    assert len(page.messages) == 19
    assert max(m.id for m in page.messages) == 8613


@pytest.mark.evalset
def test_a_message_without_data_post_is_identified_by_its_permalink() -> None:
    m = message(page_of("pages/antichristone__s__2023-05-04.html"), 521)
    assert m.published == datetime(2023, 5, 4, 17, 32, 31, tzinfo=UTC)
    assert m.text.startswith("Комп для чайника")


@pytest.mark.evalset
def test_a_blank_date_gives_no_date_rather_than_a_wrong_one() -> None:
    page = page_of(
        "pages_edited_by_source_repo/habr_com__s__2023-05-06__EDITED-newest-date-blank.html"
    )
    assert message(page, 56641).published is None
    assert message(page, 56640).published == datetime(2023, 5, 6, 12, 0, 47, tzinfo=UTC)


@pytest.mark.evalset
def test_a_blank_title_falls_back_to_the_username() -> None:
    page = page_of("pages_edited_by_source_repo/seniorpy__s__2023-05-06__EDITED-title-blank.html")
    assert page.title == ""
    assert page.site_name == "@seniorpy"
    feed = to_feed(page)
    assert feed.title == "@seniorpy"
    assert len(feed.entries) == 16


# --- markup this parser does not know ------------------------------------------------------


@pytest.mark.evalset
def test_renamed_message_markup_is_an_error_not_an_empty_channel() -> None:
    raw = telegram("pages/codecamp__s__2023-05-05.html").read_text("utf-8")
    renamed = raw.replace('"tgme_widget_message ', '"tgme_widget_post ')
    with pytest.raises(ChannelUnavailable) as caught:
        parse_channel_page(renamed, name="codecamp")
    assert caught.value.reason is Unavailable.UNRECOGNIZED


@pytest.mark.evalset
def test_messages_whose_ids_all_vanished_are_an_error() -> None:
    raw = telegram("pages/codecamp__s__2023-05-05.html").read_text("utf-8")
    anonymous = re.sub(r"https://t\.me/campcode/\d+", "#", re.sub(r'data-post="[^"]*"', "", raw))
    with pytest.raises(ChannelUnavailable) as caught:
        parse_channel_page(anonymous, name="codecamp")
    assert caught.value.reason is Unavailable.UNRECOGNIZED


@pytest.mark.parametrize(
    "document",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title></channel></rss>',
        b"<html><body><p>Just a page</p></body></html>",
        b'{"version": "https://jsonfeed.org/version/1.1"}',
    ],
)
def test_what_is_not_a_telegram_page_is_unrecognized(document: bytes) -> None:
    with pytest.raises(ChannelUnavailable) as caught:
        parse_channel_page(document, name="somechannel")
    assert caught.value.reason is Unavailable.UNRECOGNIZED
    assert "@somechannel" in caught.value.message


def test_a_channel_without_posts_is_an_empty_page() -> None:
    document = (
        '<html><head><title>Quiet – Telegram</title></head><body><div class="tgme_channel_info">'
        '<div class="tgme_channel_info_header_title"><span>Quiet</span></div>'
        '<div class="tgme_channel_info_header_username"><a href="https://t.me/quietone">@quietone'
        '</a></div></div><section class="tgme_channel_history js-message_history"></section>'
        "</body></html>"
    )
    page = parse_channel_page(document, name="quietone")
    assert (page.name, page.title, page.messages, page.before) == ("quietone", "Quiet", (), None)
