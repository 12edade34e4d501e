"""The SSRF guard: private, loopback, link-local… addresses are refused where the socket
connects, so literal IPs, names, redirects and DNS rebinding all meet the same check.

Every refusal here must be of kind `blocked`: the conftest loopback guard would turn a
connection that got as far as the socket to 169.254.169.254 or 10.0.0.5 into `connect`,
and a connection to an unused 127.0.0.x address would fail as `connect` too, so `blocked`
proves the address was refused before anything was sent.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Any

import aiohttp
import pytest
from aiohttp.abc import AbstractResolver

from bot.ingest.fetch import Fetcher, FetchError, FetchErrorKind, make_connector
from bot.ingest.sourcespec import SourceSpec
from bot.ingest.ssrf import (
    AddressGuard,
    BlockedAddressError,
    GuardedConnector,
    address_problem,
    refusal,
    too_wide,
)
from bot.pipeline.poller import Poller, PollStatus
from bot.services.audit import CLI
from bot.services.sources import add_source
from bot.settings import Settings, SettingsError, load_settings
from storage.models import Source
from tests.conftest import Database
from tests.fakes.feed_server import FeedServer
from tests.fakes.feeds import Item, rss
from tests.fakes.resolver import FakeResolver

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
LOOPBACK_ONLY = "127.0.0.1/32"


# --- the classifier ------------------------------------------------------------------------

ALLOWED = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "2001:4860::8888",
    "2606:4700:4700::1111",
    "::ffff:8.8.8.8",  # IPv4-mapped public address: that address
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8: how IPv6-only hosts reach IPv4 sites
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]

REFUSED = [
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "shared"),
    ("100.127.255.254", "shared"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("169.254.169.254", "link-local"),
    ("169.254.0.1", "link-local"),
    ("192.0.0.8", "reserved"),
    ("192.0.2.1", "documentation"),
    ("198.18.0.1", "benchmarking"),
    ("198.51.100.7", "documentation"),
    ("203.0.113.9", "documentation"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("240.0.0.1", "reserved"),
    ("255.255.255.255", "broadcast"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("fc00::1", "private"),
    ("fd12:3456:789a::1", "private"),
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("febf::1", "link-local"),
    ("fec0::1", "site-local"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),
    ("::ffff:10.0.0.1", "private"),  # IPv4-mapped: judged as the IPv4 address
    ("::ffff:127.0.0.1", "loopback"),
    ("::ffff:169.254.169.254", "link-local"),
    ("::10.0.0.1", "reserved"),  # IPv4-compatible (deprecated)
    ("::ffff:0:a00:1", "reserved"),  # IPv4-translated
    ("64:ff9b::a00:1", "of 10.0.0.1, a private"),  # NAT64 of a private address
    ("64:ff9b::7f00:1", "of 127.0.0.1, a loopback"),
    ("64:ff9b:1::a00:1", "local-use NAT64"),
    ("2002:a00:1::1", "of 10.0.0.1, a private"),  # 6to4 of a private address
    ("2002:a9fe:a9fe::1", "of 169.254.169.254, a link-local"),
    ("2001::1", "reserved"),  # Teredo
    ("2001:db8::1", "documentation"),
    ("100::1", "discard"),
    ("not-an-address", "not an IP address"),
]


@pytest.mark.parametrize("address", ALLOWED)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(address) is None


@pytest.mark.parametrize(("address", "reason"), REFUSED)
def test_non_public_addresses_are_refused_with_a_reason(address: str, reason: str) -> None:
    why = refusal(address)
    assert why is not None
    assert reason in why


def test_the_allowlist_opens_exactly_what_it_names() -> None:
    allow: Sequence[IPv4Network | IPv6Network] = (
        ip_network("127.0.0.1/32"),
        ip_network("10.1.0.0/16"),
        ip_network("fd00::/64"),
    )
    assert refusal("127.0.0.1", allow) is None
    assert refusal("::ffff:127.0.0.1", allow) is None  # the same IPv4 address
    assert refusal("10.1.255.7", allow) is None
    assert refusal("fd00::5", allow) is None
    assert refusal("64:ff9b::a01:1", allow) is None  # NAT64 of 10.1.0.1, opened
    assert refusal("127.0.0.2", allow) == "a loopback address"
    assert refusal("::1", allow) == "a loopback address"
    assert refusal("10.2.0.1", allow) == "a private address"
    assert refusal("fd00:0:0:1::5", allow) is not None
    assert refusal("169.254.169.254", allow) == "a link-local address"


# --- the setting ---------------------------------------------------------------------------


def test_the_setting_reads_comma_separated_networks() -> None:
    settings = Settings(fetch_allow_networks="127.0.0.1, 10.0.0.0/8,::1  fd00::/8")
    assert settings.fetch_allow_networks == (
        ip_network("127.0.0.1/32"),
        ip_network("10.0.0.0/8"),
        ip_network("::1/128"),
        ip_network("fd00::/8"),
    )
    assert Settings(fetch_allow_networks="").fetch_allow_networks == ()
    assert Settings(fetch_allow_networks=["192.168.0.0/24"]).fetch_allow_networks == (
        ip_network("192.168.0.0/24"),
    )


def test_the_setting_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FETCH_ALLOW_NETWORKS", "10.0.0.0/8")
    assert Settings(_env_file=None).fetch_allow_networks == (ip_network("10.0.0.0/8"),)
    monkeypatch.delenv("FETCH_ALLOW_NETWORKS")
    assert Settings(_env_file=None).fetch_allow_networks == ()


@pytest.mark.parametrize("value", ["localhost", "10.0.0.1/8", "300.1.1.1", "10.0.0.0/33"])
def test_a_bad_allowlist_is_one_line_naming_the_setting(value: str) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(fetch_allow_networks=value)
    message = str(caught.value)
    assert message.startswith("setting FETCH_ALLOW_NETWORKS:")
    assert "\n" not in message


# --- fetching: literal addresses -------------------------------------------------------------


@pytest.fixture
async def server() -> AsyncIterator[FeedServer]:
    async with FeedServer() as feed_server:
        feed_server.add("/feed.xml", FEED)
        yield feed_server


async def fetch_error(url: str, allow: str = "", **kwargs: Any) -> FetchError:
    async with Fetcher(Settings(fetch_allow_networks=allow), **kwargs) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)
    return caught.value


async def test_the_local_server_is_refused_by_default(server: FeedServer) -> None:
    error = await fetch_error(server.url("/feed.xml"))

    assert error.kind is FetchErrorKind.BLOCKED
    assert error.message == "refused: 127.0.0.1 is a loopback address"
    assert server.requests == []


async def test_a_name_for_loopback_is_refused(server: FeedServer) -> None:
    error = await fetch_error(server.url("/feed.xml", host="localhost"))

    assert error.kind is FetchErrorKind.BLOCKED
    assert error.message.startswith("refused: localhost is at ")
    assert error.message.endswith("a loopback address")
    assert server.requests == []


async def test_the_allowlist_opens_the_local_server(server: FeedServer) -> None:
    async with Fetcher(Settings(fetch_allow_networks=LOOPBACK_ONLY)) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml"))
    assert result.body == FEED

    error = await fetch_error(server.url("/feed.xml"), allow="127.0.0.2/32,10.0.0.0/8")
    assert error.kind is FetchErrorKind.BLOCKED


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("169.254.169.254", "169.254.169.254"),
        ("10.0.0.5", "10.0.0.5"),
        ("0.0.0.0", "0.0.0.0"),  # Linux connects it to the local machine
        ("127.0.0.2", "127.0.0.2"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.2]", "::ffff:7f00:2"),
        ("[::ffff:169.254.169.254]", "::ffff:a9fe:a9fe"),
        ("[fd00::1]", "fd00::1"),
        ("[fe80::1]", "fe80::1"),
        ("[ff02::1]", "ff02::1"),
        ("[64:ff9b::a00:5]", "64:ff9b::a00:5"),
        ("224.0.0.1", "224.0.0.1"),
    ],
)
async def test_literal_addresses_are_refused_before_connecting(host: str, address: str) -> None:
    error = await fetch_error(f"http://{host}:8080/latest/meta-data/", allow=LOOPBACK_ONLY)

    assert error.kind is FetchErrorKind.BLOCKED
    assert error.message.startswith(f"refused: {address} is ")


@pytest.mark.parametrize("host", ["2130706433", "0x7f.1", "0177.0.0.1", "127.1", "0x7f000001"])
async def test_old_numeric_ipv4_forms_are_invalid(host: str) -> None:
    error = await fetch_error(f"http://{host}/feed.xml", allow=LOOPBACK_ONLY)

    assert error.kind is FetchErrorKind.INVALID_URL
    assert "non-standard form" in error.message


# --- redirects -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("http://127.0.0.2:{port}/feed.xml", "refused: 127.0.0.2 is a loopback address"),
        ("http://[::1]:{port}/feed.xml", "refused: ::1 is a loopback address"),
        (
            "http://169.254.169.254/latest/meta-data/",
            "refused: 169.254.169.254 is a link-local address",
        ),
        ("http://10.0.0.5/admin", "refused: 10.0.0.5 is a private address"),
    ],
)
async def test_a_redirect_to_a_refused_address_is_refused(
    server: FeedServer, target: str, message: str
) -> None:
    server.add_redirect("/hop", "/away")
    server.add_redirect("/away", target.format(port=server.port), status=302)

    error = await fetch_error(server.url("/hop"), allow=LOOPBACK_ONLY)

    assert error.kind is FetchErrorKind.BLOCKED
    assert error.message == f"{message} (redirected there)"
    assert [request.path for request in server.requests] == ["/hop", "/away"]


# --- names: a fake resolver ------------------------------------------------------------------


def with_resolver(resolver: AbstractResolver, **options: Any) -> Callable[[Settings], Any]:
    """A connector factory: the guarded connector, resolving names with `resolver`."""

    def factory(settings: Settings) -> aiohttp.BaseConnector:
        if not options:
            return make_connector(settings, resolver=resolver)
        return GuardedConnector(allow=settings.fetch_allow_networks, resolver=resolver, **options)

    return factory


# No DNS cache and no keep-alive: every connection resolves the name again.
FRESH = {"use_dns_cache": False, "force_close": True}


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("10.0.0.5", "refused: intranet.test is at 10.0.0.5, a private address"),
        ("192.168.1.1", "refused: intranet.test is at 192.168.1.1, a private address"),
        ("169.254.169.254", "refused: intranet.test is at 169.254.169.254, a link-local address"),
        ("127.0.0.2", "refused: intranet.test is at 127.0.0.2, a loopback address"),
        ("100.64.1.1", "refused: intranet.test is at 100.64.1.1, a shared"),
        ("::1", "refused: intranet.test is at ::1, a loopback address"),
        ("fd00::5", "refused: intranet.test is at fd00::5, a private (unique-local) address"),
        ("fe80::1%lo", "refused: intranet.test is at fe80::1%lo, a link-local address"),
        ("::ffff:10.0.0.5", "refused: intranet.test is at ::ffff:10.0.0.5, a private address"),
    ],
)
async def test_a_name_resolving_to_a_refused_address_is_refused(
    server: FeedServer, answer: str, message: str
) -> None:
    resolver = FakeResolver({"intranet.test": [[answer]]})

    error = await fetch_error(
        server.url("/feed.xml", host="intranet.test"),
        allow=LOOPBACK_ONLY,
        connector_factory=with_resolver(resolver),
    )

    assert error.kind is FetchErrorKind.BLOCKED
    assert error.message.startswith(message)
    assert resolver.calls == ["intranet.test"]


async def test_only_the_allowed_answers_of_a_name_are_connected_to(server: FeedServer) -> None:
    resolver = FakeResolver({"mixed.test": [["10.0.0.5", "169.254.169.254", "127.0.0.1"]]})
    settings = Settings(fetch_allow_networks=LOOPBACK_ONLY)

    async with Fetcher(settings, connector_factory=with_resolver(resolver)) as fetcher:
        result = await fetcher.fetch(server.url("/feed.xml", host="mixed.test"))

    assert result.body == FEED  # reached through 127.0.0.1; the others were never tried


async def test_dns_rebinding_is_refused_at_connect_time(server: FeedServer) -> None:
    """The name answers an allowed address first (it stands in for a public one here),
    then a private one: the second connection is checked on its own answer."""
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["10.0.0.5"]]})
    settings = Settings(fetch_allow_networks=LOOPBACK_ONLY)
    url = server.url("/feed.xml", host="rebind.test")

    async with Fetcher(settings, connector_factory=with_resolver(resolver, **FRESH)) as fetcher:
        first = await fetcher.fetch(url)
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(url)

    assert first.body == FEED
    assert caught.value.kind is FetchErrorKind.BLOCKED
    assert caught.value.message == "refused: rebind.test is at 10.0.0.5, a private address"
    assert resolver.calls == ["rebind.test", "rebind.test"]
    assert len(server.requests) == 1


async def test_dns_rebinding_within_one_fetch_across_a_redirect(server: FeedServer) -> None:
    resolver = FakeResolver({"rebind.test": [["127.0.0.1"], ["169.254.169.254"]]})
    server.add_redirect("/hop", "/feed.xml")
    settings = Settings(fetch_allow_networks=LOOPBACK_ONLY)

    async with Fetcher(settings, connector_factory=with_resolver(resolver, **FRESH)) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(server.url("/hop", host="rebind.test"))

    assert caught.value.kind is FetchErrorKind.BLOCKED
    assert "169.254.169.254, a link-local address" in caught.value.message
    assert [request.path for request in server.requests] == ["/hop"]


# --- the second hook -------------------------------------------------------------------------


def test_the_socket_factory_refuses_before_a_socket_exists() -> None:
    guard = AddressGuard((ip_network(LOOPBACK_ONLY),))
    refused = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("10.0.0.5", 80))
    allowed = (socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", ("127.0.0.1", 80))

    with pytest.raises(BlockedAddressError) as caught:
        guard.socket_factory(refused)
    assert caught.value.message == "refused: 10.0.0.5 is a private address"
    with guard.socket_factory(allowed) as sock:
        assert sock.family == socket.AF_INET


class UnfilteredConnector(GuardedConnector):
    """As if aiohttp stopped calling `_wrap_create_connection`: only the socket factory."""

    async def _wrap_create_connection(self, *args: Any, **kwargs: Any) -> Any:
        return await aiohttp.TCPConnector._wrap_create_connection(self, *args, **kwargs)


async def test_the_socket_factory_alone_still_refuses(server: FeedServer) -> None:
    def factory(settings: Settings) -> aiohttp.BaseConnector:
        return UnfilteredConnector(allow=settings.fetch_allow_networks)

    error = await fetch_error(server.url("/feed.xml"), connector_factory=factory)

    assert error.kind is FetchErrorKind.BLOCKED
    assert error.message == "refused: 127.0.0.1 is a loopback address"
    assert server.requests == []


# --- the LLM's session -----------------------------------------------------------------------


async def test_the_session_for_configured_endpoints_is_not_guarded(server: FeedServer) -> None:
    """The LLM endpoint is the operator's, often on 127.0.0.1: it gets its own session and
    connection pool, so feeds cannot reuse its connections either."""
    fetcher = Fetcher(Settings(fetch_allow_networks=""))
    async with fetcher:
        async with fetcher.session.get(server.url("/feed.xml")) as response:
            assert await response.read() == FEED
        with pytest.raises(FetchError):
            await fetcher.fetch(server.url("/feed.xml"))
        session = fetcher.session
    assert session.closed


# --- the poller ------------------------------------------------------------------------------


async def test_the_poller_records_a_refusal_as_the_sources_last_error(
    database: Database, server: FeedServer
) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)
    server.add_redirect("/r", "http://10.0.0.5/feed.xml")
    async with database.sessions.begin() as session:
        literal = await add_source(
            session, SourceSpec(url=f"http://127.0.0.2:{server.port}/f"), actor=CLI
        )
        redirected = await add_source(session, SourceSpec(url=server.url("/r")), actor=CLI)
        ids = (literal.id, redirected.id)
    settings = Settings(_env_file=None, database_url=database.url, fetch_allow_networks="127.0.0.1")

    async with Fetcher(settings) as fetcher:
        poller = Poller(settings, database.sessions, fetcher, clock=lambda: now)
        outcomes = {outcome.source_id: outcome for outcome in await poller.poll_due()}

    assert {outcome.status for outcome in outcomes.values()} == {PollStatus.ERROR}
    async with database.sessions() as session:
        rows = [await session.get(Source, source_id) for source_id in ids]
    errors = [(row.last_error_kind, row.last_error, row.failures) for row in rows if row]
    assert errors == [
        ("blocked", "refused: 127.0.0.2 is a loopback address", 1),
        ("blocked", "refused: 10.0.0.5 is a private address (redirected there)", 1),
    ]
    assert [request.path for request in server.requests] == ["/r"]


async def test_an_article_page_on_a_refused_address_keeps_the_feed_text(
    database: Database, server: FeedServer
) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)
    item = Item(
        title="A story",
        link="http://169.254.169.254/latest/meta-data/",
        guid="a",
        description="A short teaser.",
        published=now - timedelta(hours=1),
    )
    server.add("/f", rss([item]))
    async with database.sessions.begin() as session:
        source_id = (await add_source(session, SourceSpec(url=server.url("/f")), actor=CLI)).id
    settings = Settings(
        _env_file=None,
        database_url=database.url,
        fetch_allow_networks=LOOPBACK_ONLY,
        backfill_count=1,
        fulltext_min_chars=400,
    )

    async with Fetcher(settings) as fetcher:
        poller = Poller(settings, database.sessions, fetcher, clock=lambda: now)
        [outcome] = await poller.poll_due()

    assert outcome.source_id == source_id
    assert outcome.status is not PollStatus.ERROR
    assert [request.path for request in server.requests] == ["/f"]


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://10.0.0.5/feed.xml", "10.0.0.5 is a private address"),
        ("http://169.254.169.254/latest/", "169.254.169.254 is a link-local address"),
        ("http://[::1]:8080/feed", "::1 is a loopback address"),
        ("http://127.0.0.1/feed", None),  # the allowlist below opens it
        ("not a url", None),
    ],
)
async def test_a_new_sources_address_is_judged_before_it_is_saved(
    url: str, problem: str | None
) -> None:
    allow = [ip_network("127.0.0.1/32")] if "127.0.0.1/" in url else []
    assert await address_problem(url, allow) == problem


async def test_a_name_is_judged_on_the_addresses_it_resolves_to() -> None:
    problem = await address_problem("http://localhost/feed", [])
    assert problem is not None
    assert problem.startswith("localhost is at ")
    assert problem.endswith(", a loopback address")


def test_allowlists_wider_than_a_slash_8_are_named() -> None:
    allow = [ip_network(n) for n in ("10.1.2.0/24", "10.0.0.0/8", "0.0.0.0/0", "::/0")]
    assert [str(n) for n in too_wide(allow)] == ["0.0.0.0/0", "::/0"]
