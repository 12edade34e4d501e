"""/addsource with every kind of address: a site's page offering several feeds (one button
each), one feed, no feed (a sitemap from robots.txt, the page as a section page), a public
Telegram channel (the real saved pages of ../shared/evalsets/telegram) and the t.me pages
that are no channel. The real bot against FakeTelegram, the local feed server and a real
database (SQLite, then PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.i18n import CATALOGS, placeholders
from bot.ingest.telegram_page import Unavailable
from bot.ingest.telegram_ref import RefProblem
from storage.models import AdminAction, Source, SourceKind
from tests.botharness import AR_USER, EN_USER, Harness, bot_harness, wait_until
from tests.conftest import Database, evalset
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, article_page, rss, section_page
from tests.fakes.telegram_server import SentMessage

ADMIN_USER = EN_USER
HTML = "text/html; charset=utf-8"
PICK = "adm:v1:src:pick:"


@dataclass
class World:
    bot: Harness
    site: FeedServer


def homepage(*feeds: tuple[str, str]) -> bytes:
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" title="{title}" href="{path}">'
        for path, title in feeds
    )
    return (
        f"<!doctype html><html><head><title>Example News</title>{links}</head>"
        "<body><p>Welcome</p></body></html>"
    ).encode()


def story_feed(title: str, headline: str) -> bytes:
    return rss(
        [
            Item(
                headline,
                link=f"https://example.com/{headline.lower().replace(' ', '-')}",
                description=f"{headline}. The details came on Monday from the city council.",
                published=datetime(2026, 1, 28, 9, tzinfo=UTC),
            )
        ],
        title=title,
    )


@pytest.fixture
async def world(database: Database) -> AsyncIterator[World]:
    async with (
        FeedServer() as site,
        bot_harness(
            database,
            admin_ids=(ADMIN_USER, AR_USER),
            telegram_web_base_url=site.url(""),
            fulltext_min_chars=0,
        ) as bot,
    ):
        yield World(bot, site)


def _buttons(message: SentMessage) -> list[tuple[str, str]]:
    """(callback_data, text) of the message's inline keyboard, in order."""
    markup = message.reply_markup
    assert markup is not None
    return [(b["callback_data"], b["text"]) for row in markup["inline_keyboard"] for b in row]


def _current(bot: Harness, message: SentMessage) -> SentMessage:
    [now] = [m for m in bot.tg.sent_messages(message.chat_id) if m.message_id == message.message_id]
    return now


async def _sources(db: Database) -> list[Source]:
    async with db.sessions() as session:
        return list(await session.scalars(select(Source).order_by(Source.id)))


async def _press_and_get_preview(
    bot: Harness, offer: SentMessage, data: str
) -> tuple[SentMessage, SentMessage]:
    """Press a choice; the preview post and the Save/Cancel question that follow."""
    before = len(bot.tg.sent_messages(ADMIN_USER))
    await bot.press(ADMIN_USER, ADMIN_USER, offer.message_id, data)
    await wait_until(lambda: len(bot.tg.sent_messages(ADMIN_USER)) >= before + 2)
    post, question = bot.tg.sent_messages(ADMIN_USER)[before : before + 2]
    return post, question


async def _save(bot: Harness, question: SentMessage) -> Source:
    [save] = [data for data, _ in _buttons(question) if data.startswith("adm:v1:src:add:")]
    await bot.press(ADMIN_USER, ADMIN_USER, question.message_id, save)
    await wait_until(lambda: "Saved as source" in _current(bot, question).plain_text)
    [source] = await _sources(bot.db)
    return source


async def test_a_page_offering_several_feeds_gets_one_button_each(world: World) -> None:
    bot, site = world.bot, world.site
    feeds = homepage(("/news.xml", "Example — News"), ("/sport.xml", "Example — Sport"))
    site.add("/", feeds, content_type=HTML)
    site.add("/news.xml", story_feed("Example News", "Council approves the city budget"))
    site.add("/sport.xml", story_feed("Example Sport", "The harbour team wins the cup"))

    [offer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {site.url('/')} sports")

    assert "offers 2 feeds" in offer.plain_text
    buttons = _buttons(offer)
    assert [text for _, text in buttons] == ["Example — News", "Example — Sport", "✖️ Cancel"]
    assert await _sources(bot.db) == []
    post, question = await _press_and_get_preview(bot, offer, buttons[1][0])
    assert "You chose: Example — Sport" in _current(bot, offer).plain_text
    assert _current(bot, offer).reply_markup is None
    assert "The harbour team wins the cup" in post.plain_text
    assert "Kind: feed" in question.plain_text
    assert site.url("/sport.xml") in question.plain_text
    source = await _save(bot, question)
    assert (source.url, source.kind) == (site.url("/sport.xml"), SourceKind.FEED)
    assert source.category is not None
    assert source.category.slug == "sports"
    # The choices were used up by the press.
    answer = await bot.press(ADMIN_USER, ADMIN_USER, offer.message_id, buttons[0][0])
    assert answer.get("show_alert")
    assert len(await _sources(bot.db)) == 1


async def test_a_page_with_one_feed_goes_straight_to_its_preview(world: World) -> None:
    bot, site = world.bot, world.site
    site.add("/", homepage(("/feed", "Example News")), content_type=HTML)
    site.add("/feed", story_feed("Example News", "Council approves the city budget"))

    post, question = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {site.url('/')}", 2)

    assert "Council approves the city budget" in post.plain_text
    assert site.url("/feed") in question.plain_text
    source = await _save(bot, question)
    assert (source.url, source.kind) == (site.url("/feed"), SourceKind.FEED)


async def test_a_page_without_a_feed_offers_its_sitemap_and_itself_as_a_section(
    world: World,
) -> None:
    bot, site = world.bot, world.site
    now = datetime.now(UTC)
    paths = [f"/politics/2026/{i:03d}-council-story-number-{i}" for i in range(6)]
    for i, path in enumerate(paths):
        headline = f"Council debates the budget, day {i + 1} of the session"
        paragraphs = [f"{headline}, the speaker said.", "Members argued for hours."] * 3
        site.add(
            path,
            article_page(headline, paragraphs, published=now - timedelta(hours=i)),
            content_type=HTML,
        )
    site.add("/politics/", section_page([(p, p) for p in paths]), content_type=HTML)
    site.add(
        "/robots.txt",
        f"User-agent: *\nSitemap: {site.url('/news-sitemap.xml')}\n".encode(),
        content_type="text/plain",
    )

    [offer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {site.url('/politics/')}")

    assert "There is no feed at" in offer.plain_text
    assert "the sitemap " + site.url("/news-sitemap.xml") in offer.plain_text
    assert "the 6 article pages it links to" in offer.plain_text
    buttons = _buttons(offer)
    assert buttons[0][1].startswith("🗺 Sitemap: 127.0.0.1")
    assert buttons[1][1] == "📄 This page as a section page"
    post, question = await _press_and_get_preview(bot, offer, buttons[1][0])
    assert "Council debates the budget, day 1" in post.plain_text  # the newest page linked
    assert "Kind: section page" in question.plain_text
    source = await _save(bot, question)
    assert (source.url, source.kind) == (site.url("/politics/"), SourceKind.PAGE)
    assert "(section page)" in _current(bot, question).plain_text


async def test_cancel_under_the_choices_saves_nothing(world: World) -> None:
    bot, site = world.bot, world.site
    site.add("/", homepage(("/a.xml", "A"), ("/b.xml", "B")), content_type=HTML)
    site.add("/a.xml", story_feed("A", "One"))
    site.add("/b.xml", story_feed("B", "Two"))
    [offer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {site.url('/')}")
    buttons = _buttons(offer)
    answer = await bot.press(ADMIN_USER, AR_USER, offer.message_id, buttons[0][0])
    assert answer.get("show_alert")  # another admin's choices
    [(cancel, _)] = [(d, t) for d, t in buttons if d.startswith("adm:v1:src:quit:")]
    await bot.press(ADMIN_USER, ADMIN_USER, offer.message_id, cancel)
    await wait_until(lambda: "nothing was saved" in _current(bot, offer).plain_text)
    for forged in (f"{PICK}forgedtoken1:0", f"{PICK}{buttons[0][0].split(':')[4]}:9"):
        await bot.press(ADMIN_USER, ADMIN_USER, offer.message_id, forged)
    assert await _sources(bot.db) == []
    async with bot.db.sessions() as session:
        assert list(await session.scalars(select(AdminAction))) == []


@pytest.mark.evalset
async def test_a_public_channel_is_previewed_from_its_page_and_saved_by_its_name(
    world: World,
) -> None:
    bot, site = world.bot, world.site
    page = evalset("telegram", "pages", "codecamp__s__2023-05-05.html").read_bytes()
    site.add("/s/codecamp", page, content_type=HTML)

    post, question = await bot.command(ADMIN_USER, ADMIN_USER, "/addsource @CodeCamp", 2)

    assert "was first published on CodeCamp (@codecamp)" in post.plain_text
    assert "Kind: Telegram channel" in question.plain_text
    assert "CodeCamp" in question.plain_text
    source = await _save(bot, question)
    assert (source.url, source.kind) == ("https://t.me/codecamp", SourceKind.TELEGRAM)
    [again] = await bot.command(ADMIN_USER, ADMIN_USER, "/addsource https://t.me/s/codecamp")
    assert "already a source: https://t.me/codecamp" in again.plain_text


@pytest.mark.evalset
@pytest.mark.parametrize(
    ("address", "page", "english", "arabic"),
    [
        ("@ru_python", "ru_python__landing_group.html", "is a group, not a channel",
         "مجموعة وليست قناة"),
        ("t.me/botfather", "botfather__landing_bot.html", "is a bot, not a channel",
         "بوت وليس قناة"),
        ("https://t.me/nobody_here", "not_existed_channel__s__nonexistent.html",
         "There is no public Telegram channel called @nobody_here",
         "لا توجد قناة عامة على تيليجرام"),
    ],
)  # fmt: skip
async def test_a_name_that_is_no_public_channel_is_refused_in_both_languages(
    world: World, address: str, page: str, english: str, arabic: str
) -> None:
    bot, site = world.bot, world.site
    name = address.rsplit("/", 1)[-1].removeprefix("@")
    landing = evalset("telegram", "landing_and_error_pages", page).read_bytes()
    site.add(f"/s/{name}", landing, content_type=HTML)
    [answer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {address}")
    assert english in answer.plain_text
    assert "Nothing was saved" in answer.plain_text
    [answer] = await bot.command(AR_USER, AR_USER, f"/addsource {address}")
    assert arabic in answer.plain_text
    assert await _sources(bot.db) == []


async def test_private_links_and_bad_names_are_refused_before_anything_is_fetched(
    world: World,
) -> None:
    bot, site = world.bot, world.site
    for address, expected in (
        ("https://t.me/+AbCdEf12345", "invite link to a private channel"),
        ("https://t.me/joinchat/AbCdEf", "invite link to a private channel"),
        ("@ab", "is not a Telegram username"),
        ("https://t.me/addstickers/Cats", "does not point to a channel"),
    ):
        [answer] = await bot.command(ADMIN_USER, ADMIN_USER, f"/addsource {address}")
        assert expected in answer.plain_text, (address, answer.plain_text)
    [answer] = await bot.command(AR_USER, AR_USER, "/addsource https://t.me/+AbCdEf12345")
    assert "رابط دعوة" in answer.plain_text
    assert site.requests == []
    assert await _sources(bot.db) == []


def test_every_refusal_a_reader_or_an_address_gives_has_its_text_in_both_languages() -> None:
    codes: dict[str, set[str]] = {f"channel_{r.value}": {"name"} for r in Unavailable}
    codes |= {f"ref_{p.value}": set() for p in RefProblem if p is not RefProblem.NOT_TELEGRAM}
    codes["ref_invalid_name"] = {"ref"}
    codes |= {"bad_channel": {"url"}, "robots_disallowed": {"site"}}
    codes |= {"robots_unavailable": {"site"}, "not_sitemap": set(), "not_listing": set()}
    codes |= {"not_a_page": set(), "not_feed": set()}
    codes |= {f"empty_{kind.value}": set() for kind in SourceKind}
    for code, values in codes.items():
        for language in ("ar", "en"):
            assert placeholders(CATALOGS[language][f"admin_sources.error.{code}"]) == values, code


async def test_a_private_address_is_refused_before_anything_is_fetched(world: World) -> None:
    bot = world.bot
    [refused] = await bot.command(EN_USER, EN_USER, "/addsource http://169.254.169.254/latest/")
    assert refused.plain_text.startswith("That address is refused")
    assert "FETCH_ALLOW_NETWORKS" in refused.plain_text
    assert await _sources(bot.db) == []
