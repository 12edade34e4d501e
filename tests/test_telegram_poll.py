"""poll_channel against saved t.me pages served by the local feed server.

The evalset holds each channel's newest page only; an older page (`?before=N`) is made by
cutting a real page in two at a message id, as Telegram itself pages a channel: the newer
part keeps its messages from that id on and a load-more cursor `before=id`, the older part
the messages below it with the page's own cursor.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import lxml.html
import pytest

from bot.ingest.fetch import Fetcher, FetchError, FetchErrorKind
from bot.ingest.telegram_page import ChannelUnavailable, Unavailable
from bot.ingest.telegram_poll import poll_channel
from bot.settings import Settings
from tests.conftest import evalset
from tests.fakes.feed_server import FeedServer

pytestmark = pytest.mark.evalset

HTML = "text/html; charset=utf-8"
CODECAMP = "pages/codecamp__s__2023-05-05.html"  # ids 2357–2376, before=2357


def saved(relative: str) -> bytes:
    return evalset("telegram", relative).read_bytes()


def split_page(document: bytes, at: int) -> tuple[bytes, bytes]:
    """(newer, older): the page's messages from id `at` on, and those below it."""
    return _keep(document, lambda post: post >= at, before=at), _keep(
        document, lambda post: post < at, before=None
    )


def _keep(document: bytes, wanted: Callable[[int], bool], *, before: int | None) -> bytes:
    root = lxml.html.document_fromstring(document)
    for wrap in root.find_class("tgme_widget_message_wrap"):
        post = int(wrap.find_class("tgme_widget_message")[0].get("data-post").split("/")[1])
        if not wanted(post):
            wrap.getparent().remove(wrap)
    if before is not None:
        for more in root.find_class("tme_messages_more"):
            more.set("data-before", str(before))
            more.set("href", f"/s/codecamp?before={before}")
    return lxml.html.tostring(root, doctype="<!DOCTYPE html>", encoding="utf-8")


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(Settings()) as shared:
        yield shared


async def test_a_first_poll_reads_only_the_newest_page(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/s/codecamp", saved(CODECAMP), content_type=HTML)

    poll = await poll_channel(fetcher, "codecamp", base_url=server.url(""))

    assert [(r.path, r.query) for r in server.requests] == [("/s/codecamp", "")]
    assert poll.pages == 1
    assert poll.complete
    assert poll.newest_id == 2376
    assert len(poll.messages) == 20
    assert [m.id for m in poll.messages] == sorted((m.id for m in poll.messages), reverse=True)
    assert poll.feed.entries[0].link == "https://t.me/codecamp/2376"
    assert poll.feed.entries[-1].link == "https://t.me/codecamp/2357"
    assert poll.feed.extra["site_name"] == "CodeCamp (@codecamp)"


async def test_a_later_poll_stops_at_the_last_seen_message(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/s/codecamp", saved(CODECAMP), content_type=HTML)

    poll = await poll_channel(fetcher, "codecamp", base_url=server.url(""), last_seen_id=2370)

    assert len(server.requests) == 1  # the newest page reaches back past 2370
    assert [m.id for m in poll.messages] == [2376, 2375, 2374, 2373, 2372, 2371]
    assert [e.guid for e in poll.feed.entries] == [
        f"https://t.me/codecamp/{post}" for post in (2376, 2375, 2374, 2373, 2372, 2371)
    ]
    assert poll.newest_id == 2376


async def test_nothing_new_gives_an_empty_feed_and_keeps_the_cursor(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/s/codecamp", saved(CODECAMP), content_type=HTML)

    poll = await poll_channel(fetcher, "codecamp", base_url=server.url(""), last_seen_id=2376)

    assert poll.messages == ()
    assert poll.feed.entries == ()
    assert poll.newest_id == 2376


async def test_older_pages_are_followed_back_to_the_last_seen_message(
    server: FeedServer, fetcher: Fetcher
) -> None:
    newer, older = split_page(saved(CODECAMP), 2367)
    server.add("/s/codecamp", newer, content_type=HTML)
    server.add("/s/codecamp?before=2367", older, content_type=HTML)

    poll = await poll_channel(fetcher, "codecamp", base_url=server.url(""), last_seen_id=2360)

    assert [(r.path, r.query) for r in server.requests] == [
        ("/s/codecamp", ""),
        ("/s/codecamp", "before=2367"),
    ]
    assert [m.id for m in poll.messages] == list(range(2376, 2360, -1))
    assert poll.complete
    assert poll.pages == 2


async def test_the_walk_back_is_bounded_by_max_pages(server: FeedServer, fetcher: Fetcher) -> None:
    newer, older = split_page(saved(CODECAMP), 2367)
    server.add("/s/codecamp", newer, content_type=HTML)
    server.add("/s/codecamp?before=2367", older, content_type=HTML)

    poll = await poll_channel(
        fetcher, "codecamp", base_url=server.url(""), last_seen_id=100, max_pages=1
    )

    assert len(server.requests) == 1
    assert not poll.complete
    assert [m.id for m in poll.messages] == list(range(2376, 2366, -1))
    assert poll.newest_id == 2376


async def test_a_cursor_that_does_not_go_back_ends_the_walk(
    server: FeedServer, fetcher: Fetcher
) -> None:
    newer, _ = split_page(saved(CODECAMP), 2367)
    server.add("/s/codecamp", newer, content_type=HTML)  # ?before=2367 gets this page again

    poll = await poll_channel(
        fetcher, "codecamp", base_url=server.url(""), last_seen_id=100, max_pages=10
    )

    assert len(server.requests) == 2
    assert not poll.complete
    assert len(poll.messages) == 10


@pytest.mark.parametrize(
    ("relative", "reason"),
    [
        ("landing_and_error_pages/ru_python__landing_group.html", Unavailable.GROUP),
        ("landing_and_error_pages/botfather__landing_bot.html", Unavailable.BOT),
        ("landing_and_error_pages/not_existed_channel__s__nonexistent.html", Unavailable.NOT_FOUND),
    ],
)
async def test_a_group_a_bot_or_an_unknown_name_is_a_clear_refusal(
    server: FeedServer, fetcher: Fetcher, relative: str, reason: Unavailable
) -> None:
    # t.me answers /s/NAME of a group or a bot with a redirect to its landing page
    server.add_redirect("/s/somename", "/somename", status=302)
    server.add("/somename", saved(relative), content_type=HTML)

    with pytest.raises(ChannelUnavailable) as caught:
        await poll_channel(fetcher, "somename", base_url=server.url(""))
    assert caught.value.reason is reason
    assert "@somename" in caught.value.message


async def test_a_page_that_is_not_telegram_is_unrecognized(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add("/s/somename", b"<rss version='2.0'><channel></channel></rss>")

    with pytest.raises(ChannelUnavailable) as caught:
        await poll_channel(fetcher, "somename", base_url=server.url(""))
    assert caught.value.reason is Unavailable.UNRECOGNIZED


async def test_a_failed_fetch_is_a_fetch_error(server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as caught:
        await poll_channel(fetcher, "missing", base_url=server.url(""))
    assert caught.value.kind is FetchErrorKind.HTTP_STATUS
    assert caught.value.status == 404
