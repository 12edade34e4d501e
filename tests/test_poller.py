"""The poller against a local feed server and a real database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

import pytest
from aiohttp import web
from sqlalchemy import func, select, update

from bot.ingest.fetch import Fetcher
from bot.ingest.sourcespec import SourceSpec
from bot.pipeline.poller import Poller, PollStatus
from bot.services.audit import CLI
from bot.services.sources import add_source
from bot.settings import Settings
from storage import sources as source_store
from storage.models import Article, ArticleStatus, DeliveryState, Source
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, article_page, rss
from tests.outboxes import Seeder

T0 = datetime(2026, 1, 28, 9, 0, tzinfo=UTC)  # when the feeds' items were published


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC) + timedelta(seconds=1)  # sources added now are due

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def items(n: int, *, start: int = 0, prefix: str = "Story") -> list[Item]:
    return [
        Item(
            title=f"{prefix} number {i} about harbour cranes {i * 7919 % 1000}",
            link=f"https://news.example.com/{prefix.lower()}/{i}?utm_source=rss",
            guid=f"{prefix}-{i}",
            description=f"Body of {prefix.lower()} {i}. " * 40,
            published=T0 - timedelta(hours=i),
        )
        for i in range(start, start + n)
    ]


def settings_for(database: Database, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": database.url,
        "fulltext_min_chars": 0,
        "fetch_total_timeout": 5.0,
        "fetch_read_timeout": 2.0,
        "poll_interval_seconds": 600,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
def clock() -> Clock:
    return Clock()


PollerFactory = Callable[..., Poller]


@pytest.fixture
async def make_poller(database: Database, clock: Clock) -> AsyncIterator[PollerFactory]:
    fetchers: list[Fetcher] = []

    def factory(**overrides: object) -> Poller:
        settings = settings_for(database, **overrides)
        fetcher = Fetcher(settings)
        fetchers.append(fetcher)
        return Poller(settings, database.sessions, fetcher, clock=clock)

    yield factory
    for fetcher in fetchers:
        await fetcher.close()


async def add(database: Database, url: str, **fields: object) -> int:
    async with database.sessions.begin() as session:
        source = await add_source(session, SourceSpec(url=url, **fields), actor=CLI)  # type: ignore[arg-type]
        return source.id


async def make_all_due(database: Database) -> None:
    async with database.sessions.begin() as session:
        await source_store.make_all_due(session, now=datetime(2000, 1, 1, tzinfo=UTC))


async def articles_of(database: Database, source_id: int) -> list[Article]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(Article).where(Article.source_id == source_id).order_by(Article.id)
        )
        return list(rows)


async def source_row(database: Database, source_id: int) -> Source:
    async with database.sessions() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        return source


async def test_first_poll_stores_entries_as_seen_and_later_ones_as_new(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add("/feed.xml", rss(items(5)))
    source_id = await add(database, server.url("/feed.xml"))
    poller = make_poller()

    [first] = await poller.poll_due()
    assert first.status is PollStatus.BACKFILL
    stored = await articles_of(database, source_id)
    assert len(stored) == 5
    assert {a.status for a in stored} == {ArticleStatus.SEEN}

    server.add("/feed.xml", rss(items(2, start=100) + items(5)))
    clock.advance(601)
    [second] = await poller.poll_due()
    assert (second.status, second.new) == (PollStatus.NEW, 2)
    new = [a for a in await articles_of(database, source_id) if a.status is ArticleStatus.READY]
    assert sorted(a.guid for a in new) == ["Story-100", "Story-101"]


async def test_backfill_count_lets_the_newest_entries_of_a_first_poll_count_as_new(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    server.add("/feed.xml", rss(items(6)))
    source_id = await add(database, server.url("/feed.xml"))
    [outcome] = await make_poller(backfill_count=2).poll_due()
    assert outcome.new == 2
    new = [
        a.guid for a in await articles_of(database, source_id) if a.status is ArticleStatus.READY
    ]
    assert new == ["Story-0", "Story-1"]


async def test_unchanged_feed_is_a_conditional_get_answered_304_without_parsing(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add("/feed.xml", rss(items(3)))
    await add(database, server.url("/feed.xml"))
    poller = make_poller()
    await poller.poll_due()
    clock.advance(601)
    [again] = await poller.poll_due()
    assert again.status is PollStatus.NOT_MODIFIED
    last = server.requests_to("/feed.xml")[-1]
    assert last.status == 304
    assert "If-None-Match" in last.headers or "If-Modified-Since" in last.headers


async def test_sources_are_not_polled_before_their_interval(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add("/a.xml", rss(items(1)))
    await add(database, server.url("/a.xml"), interval_seconds=3600)
    poller = make_poller()
    assert len(await poller.poll_due()) == 1
    clock.advance(3599)
    assert await poller.poll_due() == []
    clock.advance(2)
    assert len(await poller.poll_due()) == 1


async def test_changed_guid_with_same_link_or_changed_link_with_same_guid_is_not_new(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    original = [
        Item("Alpha", link="https://n.example.com/a", guid="g-a"),
        Item("Beta", link="https://n.example.com/b", guid="g-b"),
    ]
    server.add("/feed.xml", rss(original))
    source_id = await add(database, server.url("/feed.xml"))
    poller = make_poller()
    await poller.poll_due()
    changed = [
        Item("Alpha", link="https://n.example.com/a#comments", guid="g-a-v2"),
        Item("Beta", link="https://N.EXAMPLE.com/b-renamed", guid="g-b"),
        Item("Gamma", link="https://n.example.com/c", guid="g-c"),
    ]
    server.add("/feed.xml", rss(changed))
    clock.advance(601)
    [outcome] = await poller.poll_due()
    assert outcome.new == 1
    assert [a.title for a in await articles_of(database, source_id)] == ["Alpha", "Beta", "Gamma"]


async def test_entries_are_normalized(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    entry = Item(
        title="<b>Ceasefire</b> &amp; talks",
        link="HTTPS://News.Example.com:443/world/1?utm_source=rss&id=7&fbclid=x#top",
        description="<p>First paragraph with <a href='x'>a link</a>.</p><script>bad()</script>",
    )
    server.add("/feed.xml", rss([entry]))
    source_id = await add(database, server.url("/feed.xml"))
    await make_poller(backfill_count=1).poll_due()
    [article] = await articles_of(database, source_id)
    assert article.title == "Ceasefire & talks"
    assert article.url == "https://news.example.com/world/1?id=7"
    assert "<" not in article.text
    assert "bad()" not in article.text
    assert "First paragraph with a link." in article.text
    assert article.published_at == clock.now  # no date in the feed: the fetch time


async def test_arabic_entries_get_language_ar(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    arabic = Item(
        title="ما الملفات التي يناقشها الشرع مع بوتين في روسيا؟",
        link="https://www.enabbaladi.net/123",
        description=(
            "وصل الرئيس السوري في المرحلة الانتقالية، أحمد الشرع، إلى العاصمة الروسية موسكو."
        ),
    )
    server.add("/ar.xml", rss([], language=None))
    source_id = await add(database, server.url("/ar.xml"))
    await make_poller().poll_due()
    server.add("/ar.xml", rss([arabic], language=None))
    await make_all_due(database)
    await make_poller().poll_due()
    [article] = await articles_of(database, source_id)
    assert article.status is ArticleStatus.READY
    assert article.language == "ar"


async def test_a_first_polls_backfill_keeps_the_declared_language_and_no_category(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    """Stored as seen, never delivered: neither detected nor categorized (the costly steps)."""
    item = Item(title="Elections: parliament votes on the budget", link="https://x.example/1")
    server.add("/en.xml", rss([item], language="en-GB"))
    source_id = await add(database, server.url("/en.xml"))
    await make_poller().poll_due()
    [article] = await articles_of(database, source_id)
    assert article.status is ArticleStatus.SEEN
    assert article.language == "en"
    assert article.category_id is None


@pytest.mark.parametrize(
    ("setup", "kind"),
    [
        (
            lambda s: s.add(
                "/f", b"<html><body>Not a feed</body></html>", content_type="text/html"
            ),
            "parse",
        ),
        (lambda s: s.add("/f", b"oops", status=500), "http_status"),
        (lambda s: s.add("/f", b"x" * 5000), "parse"),
    ],
)
async def test_a_broken_source_is_recorded_with_backoff_and_keeps_its_articles(
    database: Database,
    server: FeedServer,
    make_poller: PollerFactory,
    clock: Clock,
    setup: Callable[[FeedServer], None],
    kind: str,
) -> None:
    server.add("/f", rss(items(3)))
    source_id = await add(database, server.url("/f"))
    poller = make_poller()
    await poller.poll_due()
    setup(server)
    clock.advance(601)
    [outcome] = await poller.poll_due()
    assert outcome.status is PollStatus.ERROR
    source = await source_row(database, source_id)
    assert source.failures == 1
    assert source.last_error_kind == kind
    assert source.last_error
    assert source.next_poll_at == clock.now + timedelta(seconds=600)
    assert len(await articles_of(database, source_id)) == 3


async def test_backoff_doubles_per_failure_up_to_the_cap(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add("/f", b"gone", status=404)
    source_id = await add(database, server.url("/f"))
    poller = make_poller(backoff_max_seconds=3000)
    delays = []
    for _ in range(5):
        await poller.poll_due()
        source = await source_row(database, source_id)
        delays.append((source.next_poll_at - clock.now).total_seconds())
        clock.now = source.next_poll_at
    assert delays == [600, 1200, 2400, 3000, 3000]
    assert (await source_row(database, source_id)).failures == 5


async def test_success_after_failures_resets_the_backoff(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add("/f", b"", status=503)
    source_id = await add(database, server.url("/f"))
    poller = make_poller()
    await poller.poll_due()
    server.add("/f", rss(items(1)))
    clock.now = (await source_row(database, source_id)).next_poll_at
    [outcome] = await poller.poll_due()
    assert outcome.status is PollStatus.BACKFILL
    source = await source_row(database, source_id)
    assert source.failures == 0
    assert source.next_poll_at == clock.now + timedelta(seconds=600)


async def test_retry_after_is_respected(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add("/f", b"slow down", status=429, headers={"Retry-After": "7200"})
    source_id = await add(database, server.url("/f"))
    await make_poller().poll_due()
    source = await source_row(database, source_id)
    assert source.last_error_kind == "rate_limited"
    assert source.next_poll_at == clock.now + timedelta(seconds=7200)


async def test_an_unreachable_or_slow_source_does_not_block_the_others(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    server.add("/good.xml", rss(items(2)))
    server.add_drip("/slow.xml", rss(items(2)), interval=1.0)
    good = await add(database, server.url("/good.xml"))
    slow = await add(database, server.url("/slow.xml"))
    dead = await add(database, "http://127.0.0.1:9/feed.xml")
    outcomes = {
        o.source_id: o
        for o in await make_poller(fetch_total_timeout=1.5, fetch_read_timeout=1.2).poll_due()
    }
    assert outcomes[good].status is PollStatus.BACKFILL
    assert outcomes[slow].status is PollStatus.ERROR
    assert outcomes[dead].status is PollStatus.ERROR
    assert (await source_row(database, dead)).last_error_kind == "connect"


async def test_paused_sources_are_not_polled(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    server.add("/f", rss(items(1)))
    source_id = await add(database, server.url("/f"))
    async with database.sessions.begin() as session:
        source = await session.get(Source, source_id)
        assert source is not None
        source.paused = True
    assert await make_poller().poll_due() == []


async def test_a_teaser_is_completed_with_the_article_page_text(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    paragraphs = [
        "The harbour authority approved the expansion of the eastern container terminal on "
        "Tuesday after two years of negotiations with shipping companies.",
        "Officials said the project would double the port's capacity and create about "
        "three thousand jobs in the region over the next five years.",
        "Environmental groups asked for an independent review of the dredging plans.",
    ]
    server.add(
        "/story/1",
        article_page("Port expansion approved", paragraphs),
        content_type="text/html; charset=utf-8",
    )
    teaser = Item(
        "Port expansion approved",
        link=server.url("/story/1"),
        guid="s1",
        description="The harbour authority approved…",
    )
    server.add("/feed.xml", rss([]))
    source_id = await add(database, server.url("/feed.xml"))
    poller = make_poller(fulltext_min_chars=200)
    await poller.poll_due()
    server.add("/feed.xml", rss([teaser]))
    clock.advance(601)
    [outcome] = await poller.poll_due()
    assert outcome.new == 1
    [article] = await articles_of(database, source_id)
    assert article.text_source == "page"
    assert "three thousand jobs" in article.text
    assert "Privacy" not in article.text


async def test_the_same_story_from_two_sources_shares_one_story_id(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    server.add("/a.xml", rss([]))
    server.add("/b.xml", rss([]))
    a = await add(database, server.url("/a.xml"))
    b = await add(database, server.url("/b.xml"))
    poller = make_poller()
    await poller.poll_due()
    server.add(
        "/a.xml",
        rss(
            [
                Item(
                    "Syrian president Ahmed al-Sharaa arrives in Moscow for talks with Putin",
                    link="https://a.example/1",
                    description="Sharaa landed in Moscow on Wednesday.",
                ),
                Item(
                    "Heavy snow closes schools across northern Jordan",
                    link="https://a.example/2",
                    description="Schools shut in Irbid and Mafraq.",
                ),
            ]
        ),
    )
    server.add(
        "/b.xml",
        rss(
            [
                Item(
                    "Putin receives Syria's al-Sharaa in Moscow for talks",
                    link="https://b.example/9",
                    description="Syria's president al-Sharaa met Putin.",
                ),
            ]
        ),
    )
    clock.advance(601)
    await poller.poll_due()
    [moscow_a, snow] = await articles_of(database, a)
    [moscow_b] = await articles_of(database, b)
    assert moscow_a.story_id == moscow_b.story_id
    assert snow.story_id != moscow_a.story_id


async def test_entries_per_poll_are_bounded(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    server.add("/f", rss(items(30)))
    source_id = await add(database, server.url("/f"))
    await make_poller(max_entries_per_poll=10).poll_due()
    async with database.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Article).where(Article.source_id == source_id)
        )
    assert count == 10


async def test_a_huge_feed_is_refused_at_the_size_limit_and_recorded(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    server.add_stream("/huge.xml", 50_000_000, declare_length=False)
    source_id = await add(database, server.url("/huge.xml"))
    [outcome] = await make_poller(fetch_max_bytes=1_000_000).poll_due()
    assert outcome.status is PollStatus.ERROR
    assert (await source_row(database, source_id)).last_error_kind == "too_large"


async def test_a_wrongly_encoded_feed_never_crashes_the_poller(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    # Self-written: Arabic in windows-1256 while the document claims UTF-8.
    body = rss([Item("عنوان الخبر الأول", link="https://e.example/1")], language="ar")
    wrong = body.decode().encode("cp1256")
    server.add("/wrong.xml", wrong, content_type="application/rss+xml; charset=utf-8")
    source_id = await add(database, server.url("/wrong.xml"))
    [outcome] = await make_poller().poll_due()
    source = await source_row(database, source_id)
    if outcome.status is PollStatus.ERROR:
        assert source.last_error
    else:
        [article] = await articles_of(database, source_id)
        article.title.encode("utf-8")  # valid text, whatever the decoding made of it


async def test_entries_sharing_one_link_but_with_ids_of_their_own_are_all_kept(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    home = "https://news.example.com/"
    server.add("/f", rss([Item(f"Bulletin {i}", link=home, guid=f"b-{i}") for i in range(3)]))
    source_id = await add(database, server.url("/f"))
    poller = make_poller()
    await poller.poll_due()
    assert len(await articles_of(database, source_id)) == 3
    server.add("/f", rss([Item(f"Bulletin {i}", link=home, guid=f"b-{i}") for i in range(4)]))
    clock.advance(601)
    [outcome] = await poller.poll_due()
    assert outcome.new == 1
    assert [a.url for a in await articles_of(database, source_id)] == [home] * 4


async def test_new_posts_are_queued_for_subscribed_chats_with_the_articles(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    seed = Seeder(database)
    reader = await seed.chat(101, slugs=("politics",))
    await seed.chat(102, slugs=("economy",))
    server.add("/feed.xml", rss(items(3)))
    source_id = await add(database, server.url("/feed.xml"), category="politics")
    poller = make_poller()
    [backfill] = await poller.poll_due()
    assert backfill.queued == 0  # a first poll's entries were published before anyone asked

    server.add("/feed.xml", rss(items(2, start=50) + items(3)))
    clock.advance(601)
    [outcome] = await poller.poll_due()
    assert (outcome.new, outcome.queued) == (2, 2)
    ready = [
        a.id for a in await articles_of(database, source_id) if a.status is ArticleStatus.READY
    ]
    deliveries = await seed.deliveries()
    assert sorted(d.article_id for d in deliveries) == sorted(ready)
    assert {(d.chat_id, d.state) for d in deliveries} == {(reader, DeliveryState.PENDING)}


async def _lease(database: Database, source_id: int) -> tuple[str | None, datetime | None]:
    async with database.sessions() as session:
        source = await session.get(Source, source_id, populate_existing=True)
        assert source is not None
        return source.lease_owner, source.lease_until


async def test_a_running_poll_renews_its_lease(
    database: Database, server: FeedServer, make_poller: PollerFactory, clock: Clock
) -> None:
    release = asyncio.Event()

    async def slow_feed(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=rss(items(1)), content_type="application/rss+xml")

    server.add_handler("/slow.xml", slow_feed)
    source_id = await add(database, server.url("/slow.xml"))
    poller = make_poller()
    poller.lease = timedelta(seconds=0.3)
    [job] = await poller.claim(10)
    _, first = await _lease(database, source_id)
    polling = asyncio.create_task(poller.poll(job))
    clock.advance(60)  # the clock the renewals read: each moves the lease past `first`
    deadline = asyncio.get_running_loop().time() + 60
    while (await _lease(database, source_id))[1] == first:
        assert asyncio.get_running_loop().time() < deadline
        await asyncio.sleep(0.05)
    assert await poller.claim(10) == []  # still leased: no second poll of it at once
    release.set()
    outcome = await polling
    assert outcome.status is PollStatus.BACKFILL


async def test_a_poll_whose_lease_was_taken_stops_and_stores_nothing(
    database: Database, server: FeedServer, make_poller: PollerFactory
) -> None:
    release = asyncio.Event()

    async def slow_feed(_request: web.Request) -> web.Response:
        await release.wait()
        return web.Response(body=rss(items(3)), content_type="application/rss+xml")

    server.add_handler("/slow.xml", slow_feed)
    source_id = await add(database, server.url("/slow.xml"))
    poller = make_poller()
    poller.lease = timedelta(seconds=0.3)
    [job] = await poller.claim(10)
    async with database.sessions.begin() as session:
        await session.execute(
            update(Source).where(Source.id == source_id).values(lease_owner="another-host:1")
        )
    outcome = await poller.poll(job)
    release.set()
    assert outcome.status is PollStatus.ERROR
    assert outcome.error == "its lease was lost"
    assert await articles_of(database, source_id) == []
    assert (await _lease(database, source_id))[0] == "another-host:1"
