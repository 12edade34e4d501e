"""Fetcher against the local FeedServer: every status, limit, timeout and failure mode."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import aiohttp
import pytest

from bot.ingest.fetch import (
    ARTICLE_ACCEPT,
    FEED_ACCEPT,
    MAX_RETRY_AFTER,
    Fetcher,
    FetchError,
    FetchErrorKind,
    parse_retry_after,
)
from bot.settings import Settings
from tests.fakes.feed_server import Compression, Fault, FeedServer, unused_port

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
BIG_FEED = FEED + b"<!-- " + b"news " * 20_000 + b"-->"


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        feed_server.add("/feed.xml", FEED)
        yield feed_server


@pytest.fixture
async def fetcher() -> AsyncIterator[Fetcher]:
    async with Fetcher(Settings()) as shared:
        yield shared


async def fetch_with(url: str, **settings: object) -> FetchError:
    """Fetch `url` with a Fetcher built from `settings`, expecting a FetchError."""
    async with Fetcher(Settings(**settings)) as custom:  # type: ignore[arg-type]
        with pytest.raises(FetchError) as caught:
            await custom.fetch(url)
    return caught.value


def redirect_chain(server: FeedServer, length: int, *, prefix: str = "/hop") -> str:
    """`length` redirects (cycling through every redirect status) ending at /feed.xml."""
    statuses = (301, 302, 303, 307, 308)
    paths = [f"{prefix}{index}" for index in range(length)] + ["/feed.xml"]
    for index in range(length):
        server.add_redirect(paths[index], paths[index + 1], status=statuses[index % 5])
    return server.url(paths[0])


# --- success, conditional GET, compression ---------------------------------------------


async def test_200_returns_body_validators_and_headers(
    server: FeedServer, fetcher: Fetcher
) -> None:
    result = await fetcher.fetch(server.url("/feed.xml"))

    assert result.status == 200
    assert result.body == FEED
    assert not result.not_modified
    assert result.url == server.url("/feed.xml")
    assert result.etag is not None
    assert result.etag.startswith('"')
    assert result.last_modified is not None
    assert result.last_modified.endswith("GMT")
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert result.elapsed > 0


async def test_304_on_etag_sends_if_none_match(server: FeedServer, fetcher: Fetcher) -> None:
    first = await fetcher.fetch(server.url("/feed.xml"))

    second = await fetcher.fetch(server.url("/feed.xml"), etag=first.etag)

    assert second.not_modified
    assert second.status == 304
    assert second.body == b""
    assert second.etag == first.etag
    sent = server.requests_to("/feed.xml")[-1]
    assert sent.headers["If-None-Match"] == first.etag
    assert "If-Modified-Since" not in sent.headers
    assert sent.status == 304


async def test_304_on_last_modified_sends_if_modified_since(
    server: FeedServer, fetcher: Fetcher
) -> None:
    first = await fetcher.fetch(server.url("/feed.xml"))

    second = await fetcher.fetch(server.url("/feed.xml"), last_modified=first.last_modified)

    assert second.not_modified
    assert second.body == b""
    assert second.last_modified == first.last_modified
    sent = server.requests_to("/feed.xml")[-1]
    assert sent.headers["If-Modified-Since"] == first.last_modified
    assert "If-None-Match" not in sent.headers
    assert sent.status == 304


async def test_changed_content_is_refetched_with_new_validators(
    server: FeedServer, fetcher: Fetcher
) -> None:
    first = await fetcher.fetch(server.url("/feed.xml"))
    server.add("/feed.xml", FEED + b"<!-- updated -->")

    second = await fetcher.fetch(
        server.url("/feed.xml"), etag=first.etag, last_modified=first.last_modified
    )

    assert second.status == 200
    assert second.body.endswith(b"<!-- updated -->")
    assert second.etag != first.etag
    assert second.last_modified != first.last_modified
    assert server.requests_to("/feed.xml")[-1].status == 200


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
async def test_compressed_bodies_are_decompressed(
    server: FeedServer, fetcher: Fetcher, coding: Compression
) -> None:
    server.add("/big.xml", BIG_FEED, compress=coding)

    result = await fetcher.fetch(server.url("/big.xml"))

    assert result.body == BIG_FEED
    assert server.requests[-1].headers["Accept-Encoding"] == "gzip, deflate"


async def test_user_agent_and_accept_headers_are_sent(server: FeedServer) -> None:
    async with Fetcher(Settings(user_agent="NashraTest/9.9 (+https://example.org)")) as custom:
        await custom.fetch(server.url("/feed.xml"))
        await custom.fetch(server.url("/feed.xml"), accept=ARTICLE_ACCEPT)

    feed_request, article_request = server.requests_to("/feed.xml")
    assert feed_request.headers["User-Agent"] == "NashraTest/9.9 (+https://example.org)"
    assert feed_request.headers["Accept"] == FEED_ACCEPT
    assert article_request.headers["Accept"] == ARTICLE_ACCEPT


# --- size limit ------------------------------------------------------------------------


async def test_too_large_by_content_length_is_refused_before_reading(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add_stream("/huge", 1024**3)

    with pytest.raises(FetchError) as caught:
        await asyncio.wait_for(fetcher.fetch(server.url("/huge"), max_bytes=1000), 30)

    assert caught.value.kind is FetchErrorKind.TOO_LARGE
    assert "declared" in caught.value.message


async def test_too_large_while_streaming_without_content_length(server: FeedServer) -> None:
    server.add_stream("/chunked", 300_000, declare_length=False)

    error = await fetch_with(server.url("/chunked"), fetch_max_bytes=100_000)

    assert error.kind is FetchErrorKind.TOO_LARGE
    assert "exceeds" in error.message


async def test_gzip_bomb_is_cut_off_by_decompressed_size(
    server: FeedServer, fetcher: Fetcher
) -> None:
    bomb = gzip.compress(b"\0" * 20_000_000)
    server.add("/bomb.xml", bomb, compress=None, headers={"Content-Encoding": "gzip"})
    assert len(bomb) < 1_000_000

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/bomb.xml"), max_bytes=1_000_000)

    assert caught.value.kind is FetchErrorKind.TOO_LARGE
    assert "exceeds" in caught.value.message


async def test_body_exactly_at_the_limit_is_accepted(server: FeedServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(server.url("/feed.xml"), max_bytes=len(FEED))

    assert result.body == FEED


# --- redirects -------------------------------------------------------------------------


async def test_five_redirects_are_followed(server: FeedServer, fetcher: Fetcher) -> None:
    result = await fetcher.fetch(redirect_chain(server, 5))

    assert result.status == 200
    assert result.body == FEED
    assert result.url == server.url("/feed.xml")
    assert len(server.requests) == 6


async def test_six_redirects_are_refused(server: FeedServer, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(redirect_chain(server, 6))

    assert caught.value.kind is FetchErrorKind.TOO_MANY_REDIRECTS
    assert "too many redirects" in caught.value.message
    assert not server.requests_to("/feed.xml")


async def test_redirects_can_be_disabled(server: FeedServer) -> None:
    error = await fetch_with(redirect_chain(server, 1), fetch_max_redirects=0)

    assert error.kind is FetchErrorKind.TOO_MANY_REDIRECTS


async def test_redirect_loop_is_reported(server: FeedServer, fetcher: Fetcher) -> None:
    server.add_redirect("/a", "/b")
    server.add_redirect("/b", "/a", status=302)

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/a"))

    assert caught.value.kind is FetchErrorKind.TOO_MANY_REDIRECTS
    assert "loop" in caught.value.message
    assert len(server.requests) == 6


async def test_redirect_to_another_host_by_absolute_url(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add_redirect("/moved", server.url("/feed.xml", host="localhost"))

    result = await fetcher.fetch(server.url("/moved"))

    assert result.url == server.url("/feed.xml", host="localhost")
    assert result.body == FEED


async def test_redirect_to_a_non_http_scheme_is_refused(
    server: FeedServer, fetcher: Fetcher
) -> None:
    server.add_redirect("/evil", "file:///etc/passwd")

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/evil"))

    assert caught.value.kind is FetchErrorKind.INVALID_URL


# --- statuses --------------------------------------------------------------------------


async def test_429_with_retry_after_seconds(server: FeedServer, fetcher: Fetcher) -> None:
    server.add("/limited", b"slow down", status=429, headers={"Retry-After": "120"})

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/limited"))

    assert caught.value.kind is FetchErrorKind.RATE_LIMITED
    assert caught.value.status == 429
    assert caught.value.retry_after == 120.0


async def test_429_with_retry_after_http_date(server: FeedServer, fetcher: Fetcher) -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    server.add("/limited", b"slow down", status=429, headers={"Retry-After": when})

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/limited"))

    assert caught.value.retry_after is not None
    assert 85 <= caught.value.retry_after <= 90


@pytest.mark.parametrize(("header", "expected"), [({"Retry-After": "30"}, 30.0), ({}, None)])
async def test_503_is_rate_limited(
    server: FeedServer, fetcher: Fetcher, header: dict[str, str], expected: float | None
) -> None:
    server.add("/busy", b"busy", status=503, headers=header)

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/busy"))

    assert caught.value.kind is FetchErrorKind.RATE_LIMITED
    assert caught.value.status == 503
    assert caught.value.retry_after == expected


@pytest.mark.parametrize("status", [404, 410, 500])
async def test_error_statuses(server: FeedServer, fetcher: Fetcher, status: int) -> None:
    server.add("/broken", b"no", status=status)

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/broken"))

    assert caught.value.kind is FetchErrorKind.HTTP_STATUS
    assert caught.value.status == status
    assert caught.value.retry_after is None


def test_parse_retry_after_forms() -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    assert parse_retry_after(" 15 ") == 15.0
    assert parse_retry_after("Wed, 01 Jan 2025 00:01:00 GMT", now=now) == 60.0
    assert parse_retry_after("Tue, 31 Dec 2024 23:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("99999999999") == MAX_RETRY_AFTER
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") is None
    assert parse_retry_after(None) is None


# --- network failures and timeouts -----------------------------------------------------


async def test_connection_refused() -> None:
    error = await fetch_with(f"http://127.0.0.1:{unused_port()}/feed.xml")

    assert error.kind is FetchErrorKind.CONNECT


async def test_unresolvable_host() -> None:
    error = await fetch_with("http://nashra-no-such-host.invalid/feed.xml")

    assert error.kind is FetchErrorKind.DNS
    assert "nashra-no-such-host.invalid" in error.message


async def test_read_timeout_on_a_dripping_body(server: FeedServer) -> None:
    server.add_drip("/drip", b"abc", interval=1.0)

    error = await fetch_with(server.url("/drip"), fetch_read_timeout=0.2)

    assert error.kind is FetchErrorKind.TIMEOUT
    assert "sent nothing" in error.message


async def test_total_timeout_on_a_body_that_never_ends(server: FeedServer) -> None:
    server.add_drip("/drip", b"x" * 100, interval=0.02)

    error = await fetch_with(server.url("/drip"), fetch_total_timeout=0.3)

    assert error.kind is FetchErrorKind.TIMEOUT
    assert "took over 0.3s" in error.message


@pytest.mark.parametrize(
    ("fault", "kind"),
    [
        (Fault.CLOSE_MID_BODY, FetchErrorKind.PROTOCOL),
        (Fault.RESET_MID_BODY, FetchErrorKind.PROTOCOL),
        (Fault.WRONG_LENGTH, FetchErrorKind.PROTOCOL),
        (Fault.RESET_BEFORE_RESPONSE, FetchErrorKind.DISCONNECTED),
    ],
)
async def test_broken_connections(
    server: FeedServer, fetcher: Fetcher, fault: Fault, kind: FetchErrorKind
) -> None:
    server.add_fault("/broken", BIG_FEED, fault)

    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url("/broken"))

    assert caught.value.kind is kind


# --- concurrency -----------------------------------------------------------------------


@asynccontextmanager
async def limited_fetcher(limited_by: str, **settings: object) -> AsyncIterator[Fetcher]:
    """A Fetcher whose limits are enforced by its own connector, or (with an injected
    unlimited session) by the Fetcher's own slots alone."""
    if limited_by == "connector":
        async with Fetcher(Settings(**settings)) as fetcher:  # type: ignore[arg-type]
            yield fetcher
        return
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0)
    async with (
        aiohttp.ClientSession(connector=connector) as session,
        Fetcher(Settings(**settings), session=session) as fetcher,  # type: ignore[arg-type]
    ):
        yield fetcher


LIMITED_BY = pytest.mark.parametrize("limited_by", ["connector", "fetcher"])
BOTH_HOSTS = ("127.0.0.1", "localhost") * 3


@LIMITED_BY
async def test_per_host_limit_holds_while_bodies_are_read(
    server: FeedServer, limited_by: str
) -> None:
    server.add_drip("/slow", b"abcd", interval=0.03)

    async with limited_fetcher(limited_by, fetch_per_host=2) as limited:
        results = await asyncio.gather(*(limited.fetch(server.url("/slow")) for _ in range(6)))

    assert [result.body for result in results] == [b"abcd"] * 6
    assert server.max_in_flight == 2


@LIMITED_BY
async def test_per_host_limit_is_per_site(server: FeedServer, limited_by: str) -> None:
    server.add_drip("/slow", b"abcd", interval=0.03)
    urls = [server.url("/slow", host=host) for host in BOTH_HOSTS]

    async with limited_fetcher(limited_by, fetch_per_host=1) as limited:
        await asyncio.gather(*(limited.fetch(url) for url in urls))

    assert server.max_in_flight == 2


@LIMITED_BY
async def test_overall_limit_spans_hosts(server: FeedServer, limited_by: str) -> None:
    server.add_drip("/slow", b"abcd", interval=0.03)
    urls = [server.url("/slow", host=host) for host in BOTH_HOSTS]

    async with limited_fetcher(limited_by, fetch_concurrency=1, fetch_per_host=4) as limited:
        await asyncio.gather(*(limited.fetch(url) for url in urls))

    assert server.max_in_flight == 1


async def test_crossed_redirects_between_hosts_do_not_deadlock(server: FeedServer) -> None:
    server.add_redirect("/to-name", server.url("/feed.xml", host="localhost"))
    server.add_redirect("/to-ip", server.url("/feed.xml"))
    urls = [server.url("/to-name"), server.url("/to-ip", host="localhost")] * 4

    async with Fetcher(Settings(fetch_concurrency=1, fetch_per_host=1)) as limited:
        results = await asyncio.wait_for(asyncio.gather(*map(limited.fetch, urls)), 30)

    assert all(result.body == FEED for result in results)


# --- URLs, messages, lifecycle ---------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["ftp://example.org/feed", "file:///etc/passwd", "feed.xml", "http:///no-host", ""]
)
async def test_invalid_urls_are_refused(fetcher: Fetcher, url: str) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url)

    assert caught.value.kind is FetchErrorKind.INVALID_URL


async def test_messages_are_one_line_without_secrets(server: FeedServer) -> None:
    refused = f"http://user:hunter2@127.0.0.1:{unused_port()}/feed?token=hunter2"
    errors = [
        await fetch_with(server.url("/missing?token=hunter2")),
        await fetch_with(refused),
    ]

    for error in errors:
        assert "hunter2" not in error.message
        assert "hunter2" not in str(error)
        assert "\n" not in error.message


async def test_owned_session_is_closed_and_injected_one_is_not(server: FeedServer) -> None:
    owned = Fetcher(Settings())
    await owned.fetch(server.url("/feed.xml"))
    await owned.close()
    with pytest.raises(RuntimeError):
        await owned.fetch(server.url("/feed.xml"))

    async with aiohttp.ClientSession() as session:
        async with Fetcher(Settings(), session=session) as borrowing:
            result = await borrowing.fetch(server.url("/feed.xml"))
        assert result.body == FEED
        assert not session.closed


# --- the feed server itself --------------------------------------------------------------


async def test_feed_server_conditional_semantics(server: FeedServer) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(server.url("/feed.xml")) as first:
            etag = first.headers["ETag"]
            last_modified = first.headers["Last-Modified"]
        cases = [
            ({"If-None-Match": f'"other", W/{etag}'}, 304),
            ({"If-None-Match": "*"}, 304),
            ({"If-None-Match": '"other"', "If-Modified-Since": last_modified}, 200),
            ({"If-Modified-Since": last_modified}, 304),
            ({"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}, 200),
        ]
        for headers, expected in cases:
            async with session.get(server.url("/feed.xml"), headers=headers) as response:
                assert response.status == expected, headers

    server.add("/feed.xml", FEED)
    async with (
        aiohttp.ClientSession() as session,
        session.get(server.url("/feed.xml"), headers={"If-Modified-Since": last_modified}) as again,
    ):
        assert again.status == 200
        assert again.headers["ETag"] == etag
