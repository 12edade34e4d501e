"""The poller with every source kind against the local feed server and a real database: public
Telegram channels (the real saved pages of ../shared/evalsets/telegram, read in place), news
sitemaps and section pages (generated, with their article pages)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from bot.compose.post import post_content
from bot.ingest.fetch import Fetcher
from bot.ingest.sourcespec import make_spec
from bot.pipeline.poller import Poller, PollStatus
from bot.services.audit import CLI
from bot.services.catalog import CategoryCache
from bot.services.sources import add_source, sync_sources
from storage.models import ArticleStatus, Source
from tests.conftest import Database, evalset
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import article_page, section_page, sitemap, sitemap_index
from tests.test_poller import Clock, articles_of, make_all_due, settings_for, source_row

HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"
HEADLINES = [
    "Council approves the new city budget after a long night",
    "Harbour workers end their strike with a wage agreement",
    "Floods close the mountain road to the northern villages",
    "University opens a free clinic for the old quarter",
    "Central bank keeps its interest rate unchanged again",
    "Farmers bring the olive harvest in two weeks early",
    "A new bridge links the two halves of the river town",
    "Hospital doubles its beds for children this winter",
    "Court orders the factory to stop dumping in the lake",
    "Schools get solar panels under the rural power plan",
    "Ministry publishes the results of the national census",
    "Railway line to the coast reopens after ten years",
]


def story(index: int) -> tuple[str, list[str]]:
    headline = HEADLINES[index % len(HEADLINES)]
    words = headline.lower().split()
    paragraphs = [
        f"{headline}, officials said on Monday in a statement read to reporters.",
        f"The decision about {words[1]} {words[2]} follows months of talks between the "
        f"parties, who met {index + 2} times since the spring.",
        "Residents said they hoped the change would be felt before the end of the year.",
    ]
    return headline, paragraphs


PollerFactory = Callable[..., Poller]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def make_poller(
    database: Database, clock: Clock, server: FeedServer
) -> AsyncIterator[PollerFactory]:
    fetchers: list[Fetcher] = []

    def factory(**overrides: object) -> Poller:
        values: dict[str, object] = {"telegram_web_base_url": server.url("")}
        values.update(overrides)
        settings = settings_for(database, **values)
        fetcher = Fetcher(settings)
        fetchers.append(fetcher)
        return Poller(settings, database.sessions, fetcher, clock=clock)

    yield factory
    for fetcher in fetchers:
        await fetcher.close()


async def add(database: Database, url: str, kind: str, **fields: object) -> int:
    async with database.sessions.begin() as session:
        spec = make_spec({"url": url, "kind": kind, **fields})
        return (await add_source(session, spec, actor=CLI)).id


async def set_state(database: Database, source_id: int, **values: object) -> None:
    async with database.sessions.begin() as session:
        await session.execute(update(Source).where(Source.id == source_id).values(**values))


def telegram_page(*parts: str) -> bytes:
    return evalset("telegram", *parts).read_bytes()


# ---- Telegram channels ----------------------------------------------------------------------


@pytest.mark.evalset
async def test_a_channel_is_backfilled_then_only_newer_messages_are_new(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add(
        "/s/thecodemedia",
        telegram_page("pages", "thecodemedia__s__2023-05-01.html"),
        content_type=HTML,
    )
    source_id = await add(database, "@thecodemedia", "telegram")
    poller = make_poller()

    [first] = await poller.poll_due()
    assert first.status is PollStatus.BACKFILL, first.error
    stored = await articles_of(database, source_id)
    assert stored
    assert {a.status for a in stored} == {ArticleStatus.SEEN}
    assert all(a.url and a.url.startswith("https://t.me/thecodemedia/") for a in stored)
    source = await source_row(database, source_id)
    assert source.url == "https://t.me/thecodemedia"
    assert (source.kind, source.format) == ("telegram", "telegram")
    assert source.site_name == "Журнал «Код» (@thecodemedia)"
    assert source.reader_state is not None
    assert source.reader_state["last_id"] >= 7148
    # The page is fetched from TELEGRAM_WEB_BASE_URL, never from t.me itself.
    assert len(server.requests_to("/s/thecodemedia")) == 1

    clock.advance(601)
    [second] = await poller.poll_due()
    assert second.status is PollStatus.UNCHANGED
    assert len(await articles_of(database, source_id)) == len(stored)
    assert [r.query for r in server.requests_to("/s/thecodemedia")] == ["", ""]


@pytest.mark.evalset
async def test_messages_after_the_last_seen_id_become_posts_naming_the_channel(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    server.add(
        "/s/codecamp", telegram_page("pages", "codecamp__s__2023-05-05.html"), content_type=HTML
    )
    source_id = await add(database, "https://t.me/codecamp", "telegram")
    await set_state(database, source_id, first_polled=True, reader_state={"last_id": 2370})
    poller = make_poller()

    [outcome] = await poller.poll_due()

    assert outcome.status is PollStatus.NEW, outcome.error
    ready = [a for a in await articles_of(database, source_id) if a.status is ArticleStatus.READY]
    ids = sorted(int((a.url or "").rsplit("/", 1)[1]) for a in ready)
    assert ids
    assert all(2370 < i <= 2376 for i in ids)
    assert all((a.url or "").startswith("https://t.me/codecamp/") for a in ready)
    source = await source_row(database, source_id)
    assert source.reader_state == {"last_id": 2376}
    categories = await CategoryCache(database.sessions).get()
    post = post_content(ready[0], source, categories=categories, settings=poller._settings)
    assert post.site == "CodeCamp (@codecamp)"
    assert post.url == ready[0].url
    # Nothing older than the last message seen was asked for: the newest page reached it.
    assert [r.query for r in server.requests_to("/s/codecamp")] == [""]


@pytest.mark.evalset
async def test_older_pages_are_read_back_to_the_last_seen_id_a_few_at_most(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    page = telegram_page("pages", "thecodemedia__s__2023-05-01.html")
    server.add("/s/thecodemedia", page, content_type=HTML)
    # Every older page is the same page again: its cursor never reaches the last id seen.
    server.add("/s/thecodemedia?before=7124", page, content_type=HTML)
    source_id = await add(database, "@thecodemedia", "telegram")
    await set_state(database, source_id, first_polled=True, reader_state={"last_id": 100})

    [outcome] = await make_poller().poll_due()

    assert outcome.status is PollStatus.NEW, outcome.error
    assert len(server.requests_to("/s/thecodemedia")) <= 3
    assert {r.query for r in server.requests_to("/s/thecodemedia")} == {"", "before=7124"}
    stored = await articles_of(database, source_id)
    assert len({a.guid_key for a in stored}) == len(stored)  # each message once


@pytest.mark.evalset
async def test_a_forwarded_message_names_its_original_channel_and_a_preview_gives_full_text(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    fragment = telegram_page("fragments_real_excerpts", "message_link_preview.html")
    # The preview points at a page of the local server instead of the publisher's.
    preview = b"https://vnnews.ru/georgiy-zotov-okkupaciya-volosatym-kr/"
    assert preview in fragment
    fragment = fragment.replace(preview, server.url("/zotov").encode())
    server.add("/s/oper_goblin", fragment, content_type=HTML)
    _, paragraphs = story(3)
    long_text = paragraphs * 8
    server.add("/zotov", article_page("The full article", long_text), content_type=HTML)
    forwarded = telegram_page("fragments_real_excerpts", "message_media_forwarded_from.html")
    server.add("/s/oper_goblin2", forwarded, content_type=HTML)
    preview_id = await add(database, "@oper_goblin", "telegram")
    forward_id = await add(database, "@oper_goblin2", "telegram")
    for source_id in (preview_id, forward_id):
        await set_state(database, source_id, first_polled=True, reader_state={"last_id": 1})

    outcomes = await make_poller(fulltext_min_chars=400).poll_due()

    assert {o.status for o in outcomes} == {PollStatus.NEW}, [o.error for o in outcomes]
    [with_preview] = await articles_of(database, preview_id)
    assert with_preview.url == "https://t.me/oper_goblin/22360"
    assert with_preview.text_source == "page"
    assert "officials said on Monday" in with_preview.text
    assert len(server.requests_to("/zotov")) == 1
    [forward] = await articles_of(database, forward_id)
    assert forward.origin == "Пул N3 (@dimsmirnov175)"
    categories = await CategoryCache(database.sessions).get()
    source = await source_row(database, forward_id)
    settings = settings_for(database)
    assert post_content(forward, source, categories=categories, settings=settings).site == (
        "Пул N3 (@dimsmirnov175)"
    )


@pytest.mark.evalset
@pytest.mark.parametrize(
    ("page", "kind", "reason"),
    [
        ("ru_python__landing_group.html", "channel", "is a group, not a channel"),
        ("botfather__landing_bot.html", "channel", "is a bot, not a channel"),
        ("not_existed_channel__s__nonexistent.html", "channel", "no public Telegram channel"),
        ("codecamp__landing.html", "channel", "web preview shows no messages"),
    ],
)
async def test_a_name_that_is_no_public_channel_records_why(
    database: Database,
    server: FeedServer,
    make_poller: PollerFactory,
    page: str,
    kind: str,
    reason: str,
) -> None:
    server.add("/s/somename", telegram_page("landing_and_error_pages", page), content_type=HTML)
    source_id = await add(database, "@somename", "telegram")

    [outcome] = await make_poller().poll_due()

    assert outcome.status is PollStatus.ERROR
    assert reason in (outcome.error or "")
    source = await source_row(database, source_id)
    assert (source.last_error_kind, source.failures) == (kind, 1)
    assert reason in (source.last_error or "")
    assert await articles_of(database, source_id) == []


@pytest.mark.evalset
async def test_changed_markup_is_a_recorded_error_or_a_message_skipped(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    # A redesigned page: no message history, no landing page this reader knows.
    server.add(
        "/s/nohistory",
        b"<html><body><section class='channel-feed-v2'><p>Posts</p></section></body></html>",
        content_type=HTML,
    )
    broken = await add(database, "@nohistory", "telegram")
    edited = {
        "habrcom": "habr_com__s__2023-05-06__EDITED-newest-date-blank.html",
        "prgmemes": "prg_memes__s__2023-05-06__EDITED-newest-post-id-blank.html",
        "seniorpy": "seniorpy__s__2023-05-06__EDITED-title-blank.html",
    }
    ids = {}
    for name, file in edited.items():
        server.add(
            f"/s/{name}", telegram_page("pages_edited_by_source_repo", file), content_type=HTML
        )
        ids[name] = await add(database, f"@{name}", "telegram")

    outcomes = {o.source_id: o for o in await make_poller().poll_due()}

    assert outcomes[broken].status is PollStatus.ERROR
    assert (await source_row(database, broken)).last_error_kind == "parse"
    for name, source_id in ids.items():
        assert outcomes[source_id].status is PollStatus.BACKFILL, (name, outcomes[source_id].error)
        assert await articles_of(database, source_id), name
    no_id = await articles_of(database, ids["prgmemes"])
    assert all(not (a.url or "").endswith("/") for a in no_id)  # the message without an id
    assert (await source_row(database, ids["seniorpy"])).site_name == "@seniorpy"


# ---- news sitemaps --------------------------------------------------------------------------


def serve_stories(
    server: FeedServer, prefix: str, indexes: range, *, published: datetime
) -> list[str]:
    paths = []
    for index in indexes:
        headline, paragraphs = story(index)
        path = f"/{prefix}/2026/{index:04d}-{'-'.join(headline.lower().split()[:4])}"
        server.add(path, article_page(headline, paragraphs, published=published), content_type=HTML)
        paths.append(path)
    return paths


async def test_a_news_sitemap_is_backfilled_then_its_new_pages_are_fetched_bounded(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    now = datetime.now(UTC)
    old = serve_stories(server, "news", range(0, 4), published=now - timedelta(hours=5))
    server.add(
        "/news-sitemap.xml",
        sitemap(
            [(server.url(p), now - timedelta(hours=5, minutes=i)) for i, p in enumerate(old)],
            titles=[story(i)[0] for i in range(4)],
        ),
        content_type=XML,
    )
    source_id = await add(database, server.url("/news-sitemap.xml"), "sitemap")
    poller = make_poller(max_entries_per_poll=3)

    [first] = await poller.poll_due()
    assert first.status is PollStatus.UNCHANGED, first.error
    # A backfill fetches no page and stores none: they are behind the sitemap's watermark.
    assert await articles_of(database, source_id) == []
    assert all(server.requests_to(p) == [] for p in old)
    source = await source_row(database, source_id)
    assert (source.kind, source.format) == ("sitemap", "sitemap")
    assert source.reader_state is not None
    assert datetime.fromisoformat(source.reader_state["after"]) <= now

    new = serve_stories(server, "news", range(4, 9), published=now - timedelta(hours=1))
    pages = [(server.url(p), now - timedelta(hours=1, minutes=i)) for i, p in enumerate(new)]
    pages += [(server.url(p), now - timedelta(hours=5, minutes=i)) for i, p in enumerate(old)]
    server.add(
        "/news-sitemap.xml",
        sitemap(pages, titles=[story(i)[0] for i in [*range(4, 9), *range(0, 4)]]),
        content_type=XML,
    )
    clock.advance(601)
    [second] = await poller.poll_due()
    assert (second.status, second.new) == (PollStatus.NEW, 3), second.error
    ready = [a for a in await articles_of(database, source_id) if a.status is ArticleStatus.READY]
    assert sorted(a.title for a in ready) == sorted(story(i)[0] for i in range(4, 7))
    assert all(a.text_source == "page" and "officials said" in a.text for a in ready)
    assert all(server.requests_to(p) == [] for p in new[3:])  # beyond the limit: next poll
    # Pages were left for later: the sitemap is fetched in full again, not conditionally.
    assert (await source_row(database, source_id)).etag is None

    clock.advance(601)
    [third] = await poller.poll_due()
    assert (third.status, third.new) == (PollStatus.NEW, 2), third.error
    clock.advance(601)
    [fourth] = await poller.poll_due()
    assert fourth.status is PollStatus.NOT_MODIFIED  # nothing was left: a conditional GET
    assert server.requests_to("/news-sitemap.xml")[-1].status == 304


async def test_robots_txt_old_pages_and_pages_without_an_article_publish_nothing(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    now = datetime.now(UTC)
    server.add("/robots.txt", b"User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    [fresh] = serve_stories(server, "news", range(0, 1), published=now - timedelta(hours=2))
    [stale] = serve_stories(server, "news", range(1, 2), published=now - timedelta(days=20))
    [private] = serve_stories(server, "private", range(2, 3), published=now)
    server.add("/news/empty-page-1234", b"<html><body><p>Hi</p></body></html>", content_type=HTML)
    server.add("/sitemap.xml", sitemap([]), content_type=XML)
    source_id = await add(database, server.url("/sitemap.xml"), "sitemap")
    poller = make_poller()
    [first] = await poller.poll_due()
    assert first.error is None

    listed = [fresh, private, "/news/empty-page-1234", stale]
    server.add("/sitemap.xml", sitemap([(server.url(p), None) for p in listed]), content_type=XML)
    clock.advance(601)
    [second] = await poller.poll_due()
    assert (second.status, second.new) == (PollStatus.NEW, 1), second.error
    by_url = {a.url: a.status for a in await articles_of(database, source_id)}
    assert by_url[server.url(fresh)] is ArticleStatus.READY
    assert by_url[server.url("/news/empty-page-1234")] is ArticleStatus.SEEN  # remembered
    assert by_url[server.url(stale)] is ArticleStatus.SEEN  # twenty days old: archive
    assert server.url(private) not in by_url
    assert server.requests_to(private) == []

    clock.advance(601)
    await poller.poll_due()
    assert len(server.requests_to("/news/empty-page-1234")) == 1  # never fetched again


async def test_a_sitemap_of_fifty_thousand_urls_and_an_index_listing_itself_stay_bounded(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    now = datetime.now(UTC)
    huge = [
        (server.url(f"/archive/{i}-story-of-the-day"), now - timedelta(minutes=i))
        for i in range(50_000)
    ]
    server.add("/huge.xml", sitemap(huge), content_type=XML)
    server.add(
        "/index.xml",
        sitemap_index([server.url("/index.xml"), server.url("/huge.xml")]),
        content_type=XML,
    )
    source_id = await add(database, server.url("/index.xml"), "sitemap")
    await make_all_due(database)  # building the sitemap may take longer than the clock's lead
    # A read timeout above the connection pool's keep-alive: aiohttp 3.14 re-arms it on a
    # pooled connection after a large body (aio-libs/aiohttp#12953), failing its next use.
    poller = make_poller(fetch_read_timeout=20.0)

    [first] = await poller.poll_due()

    assert first.status is PollStatus.UNCHANGED, first.error
    assert await articles_of(database, source_id) == []  # no flood, not even of seen rows
    assert len(server.requests_to("/index.xml")) == 1  # never into itself
    assert not any(r.path.startswith("/archive/") for r in server.requests)
    assert (await source_row(database, source_id)).reader_state is not None

    clock.advance(601)
    [second] = await poller.poll_due()
    assert second.status in (PollStatus.UNCHANGED, PollStatus.NOT_MODIFIED), second.error
    assert not any(r.path.startswith("/archive/") for r in server.requests)
    assert await articles_of(database, source_id) == []


@pytest.mark.parametrize(
    ("body", "content_type", "kind", "reason"),
    [
        (b"%PDF-1.4 binary", "application/pdf", "parse", "not a sitemap"),
        (b"<html><body>A page</body></html>", "text/html", "parse", "not a sitemap"),
    ],
)
async def test_a_sitemap_source_that_gives_no_sitemap_records_why(
    database: Database,
    server: FeedServer,
    make_poller: PollerFactory,
    body: bytes,
    content_type: str,
    kind: str,
    reason: str,
) -> None:
    server.add("/sitemap.xml", body, content_type=content_type)
    source_id = await add(database, server.url("/sitemap.xml"), "sitemap")
    [outcome] = await make_poller().poll_due()
    assert outcome.status is PollStatus.ERROR
    assert reason in (outcome.error or "")
    assert (await source_row(database, source_id)).last_error_kind == kind


# ---- section pages --------------------------------------------------------------------------


async def test_a_section_page_is_backfilled_then_its_new_article_links_are_fetched(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    now = datetime.now(UTC)
    old = serve_stories(server, "politics", range(0, 5), published=now - timedelta(hours=6))
    server.add("/politics/", section_page([(p, p) for p in old]), content_type=HTML)
    source_id = await add(database, server.url("/politics/"), "page")
    poller = make_poller()

    [first] = await poller.poll_due()
    assert first.status is PollStatus.BACKFILL, first.error
    stored = await articles_of(database, source_id)
    assert sorted(a.url or "" for a in stored) == sorted(server.url(p) for p in old)
    assert all(server.requests_to(p) == [] for p in old)
    assert (await source_row(database, source_id)).kind == "page"

    new = serve_stories(server, "politics", range(5, 7), published=now - timedelta(hours=1))
    links = [(p, story(5 + i)[0]) for i, p in enumerate(new)] + [(p, p) for p in old]
    server.add("/politics/", section_page(links), content_type=HTML)
    clock.advance(601)
    [second] = await poller.poll_due()
    assert (second.status, second.new) == (PollStatus.NEW, 2), second.error
    ready = [a for a in await articles_of(database, source_id) if a.status is ArticleStatus.READY]
    assert sorted(a.title for a in ready) == sorted(story(i)[0] for i in (5, 6))
    assert not any(r.path in ("/tag/budget", "/about", "/privacy") for r in server.requests)


async def test_a_section_page_with_five_thousand_links_stays_bounded(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    links = [(f"/politics/2026/{i:05d}-a-story-about-the-city", f"Story {i}") for i in range(5_000)]
    server.add("/politics/", section_page(links), content_type=HTML)
    source_id = await add(database, server.url("/politics/"), "page")
    await make_all_due(database)
    poller = make_poller(max_entries_per_poll=5)

    [first] = await poller.poll_due()

    assert first.status is PollStatus.BACKFILL, first.error
    stored = await articles_of(database, source_id)
    assert 0 < len(stored) <= 200
    assert not any(r.path.startswith("/politics/2026/") for r in server.requests)
    # Later polls look at the same bounded number of links: what was remembered stays known.
    clock.advance(601)
    [second] = await poller.poll_due()
    assert second.status in (PollStatus.UNCHANGED, PollStatus.NOT_MODIFIED), second.error
    assert sum(r.path.startswith("/politics/2026/") for r in server.requests) == 0


async def test_a_section_source_that_is_no_web_page_records_why(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    server.add("/politics/", b"%PDF-1.4 binary", content_type="application/pdf")
    source_id = await add(database, server.url("/politics/"), "page")
    [outcome] = await make_poller().poll_due()
    assert outcome.status is PollStatus.ERROR
    assert "not a web page" in (outcome.error or "")
    assert (await source_row(database, source_id)).last_error_kind == "parse"


async def test_a_source_whose_kind_changes_is_read_afresh(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    now = datetime.now(UTC)
    paths = serve_stories(server, "politics", range(0, 5), published=now)
    server.add("/politics/", section_page([(p, p) for p in paths]), content_type=HTML)
    url = server.url("/politics/")
    async with database.sessions.begin() as session:
        await sync_sources(session, [make_spec({"url": url})], actor=CLI)
    source_id = (await articles_source(database, url)).id
    await set_state(database, source_id, first_polled=True, etag='"old"', reader_state={"x": 1})
    poller = make_poller()
    [as_feed] = await poller.poll_due()
    assert as_feed.status is PollStatus.ERROR  # a web page is no feed

    async with database.sessions.begin() as session:
        report = await sync_sources(session, [make_spec({"url": url, "kind": "page"})], actor=CLI)
    assert report.updated == [url]
    source = await source_row(database, source_id)
    assert (source.kind, source.first_polled, source.etag, source.reader_state) == (
        "page",
        False,
        None,
        None,
    )
    clock.advance(86_400)
    [as_page] = await poller.poll_due()
    assert as_page.status is PollStatus.BACKFILL, as_page.error  # not a flood of five posts
    assert all(server.requests_to(p) == [] for p in paths)


async def articles_source(database: Database, url: str) -> Source:
    async with database.sessions() as session:
        found = await session.scalar(select(Source).where(Source.url == url))
        assert found is not None
        return found
