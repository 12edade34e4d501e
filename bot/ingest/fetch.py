"""HTTP fetching of feeds and article pages through one shared aiohttp session.

`Fetcher.fetch` returns a `FetchResult` or raises a `FetchError` whose `kind` says what
went wrong; it never raises aiohttp's own exceptions. Feeds and article pages are fetched
in two pools that share nothing (slots, sessions, connections), so pages can never hold up a
feed. In each pool, requests in flight are bounded overall, per site (registrable domain) and
per connected IP address (`bot.ingest.hostlimits`); the body is capped while it streams
(counting decompressed bytes), and redirects are followed here, one hop at a time, so each
hop takes its own slots.

Every connection the fetcher makes goes through the SSRF guard (`bot.ingest.ssrf`): only
public internet addresses, plus the networks in FETCH_ALLOW_NETWORKS, are connected to,
checked on the address actually used, so redirects and DNS rebinding cannot get around it.
A refusal is a FetchError of kind `blocked`.
"""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from enum import StrEnum
from types import TracebackType
from typing import Self

import aiohttp
from aiohttp import hdrs
from aiohttp.abc import AbstractResolver
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from bot.ingest.hostlimits import LimitedConnector, PoolSlots
from bot.ingest.ssrf import blocked_cause
from bot.settings import Settings

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
ARTICLE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
ACCEPT_ENCODING = "gzip, deflate"

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
RATE_LIMIT_STATUSES = frozenset({429, 503})
MAX_RETRY_AFTER = 86_400.0
# Some news sites send Content-Security-Policy headers longer than aiohttp's 8 KiB default.
MAX_HEADER_FIELD_SIZE = 32 * 1024
MAX_MESSAGE_CHARS = 300

_DELTA_SECONDS = re.compile(r"\d+(?:\.\d+)?", re.ASCII)
_CONTROL_CHARS = re.compile(r"[\x00-\x1f\x7f]")

ConnectorFactory = Callable[[Settings], aiohttp.BaseConnector]


class FetchPool(StrEnum):
    """Which pool a fetch uses: sources' own documents, or the article pages they link to."""

    FEEDS = "feeds"
    PAGES = "pages"


class FetchErrorKind(StrEnum):
    TIMEOUT = "timeout"
    CONNECT = "connect"
    DNS = "dns"
    TLS = "tls"
    DISCONNECTED = "disconnected"
    HTTP_STATUS = "http_status"
    TOO_LARGE = "too_large"
    TOO_MANY_REDIRECTS = "too_many_redirects"
    RATE_LIMITED = "rate_limited"
    INVALID_URL = "invalid_url"
    PROTOCOL = "protocol"
    BLOCKED = "blocked"


class FetchError(Exception):
    """A fetch that failed; `message` is one line and names the host, never the full URL."""

    def __init__(
        self,
        kind: FetchErrorKind,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.kind = kind
        self.message = _one_line(message)
        self.status = status
        self.retry_after = retry_after
        super().__init__(self.message)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """A successful fetch: a 2xx with its decompressed body, or a 304 with none.

    For a 304 that omits ETag / Last-Modified, the validators that were sent are returned.
    `elapsed` counts from the moment the fetch got its first concurrency slot.
    """

    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None
    not_modified: bool
    elapsed: float


KEEPALIVE_SECONDS = 15.0


def make_connector(
    settings: Settings, *, resolver: AbstractResolver | None = None
) -> aiohttp.TCPConnector:
    """The default connector of one pool: guarded against SSRF, opening FETCH_ALLOW_NETWORKS
    only, and holding at most FETCH_PER_ADDRESS requests on one connected address.

    The guard checks the addresses a connection actually uses, after resolution, so a
    `resolver` (tests pass fake ones) cannot get around it. The Fetcher's own slots bound
    each pool overall and per site; the connector's overall limit is only a backstop.
    """
    return LimitedConnector(
        allow=settings.fetch_allow_networks,
        per_address=settings.fetch_per_address,
        limit=max(settings.fetch_concurrency, settings.fulltext_concurrency),
        limit_per_host=0,
        resolver=resolver,
        # An idle pooled connection is closed before a read timeout could have been left
        # armed on it (aiohttp 3.14's regression, aio-libs/aiohttp#12953) and fire on reuse.
        keepalive_timeout=min(KEEPALIVE_SECONDS, settings.fetch_read_timeout * 0.8),
    )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), capped."""
    if value is None:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


class Fetcher:
    """Fetches URLs for the whole process; use as `async with Fetcher(settings) as f:`.

    A session passed in stays the caller's to close, and is used as it is by both pools
    (unguarded, unless its connector is a GuardedConnector; limited per address only by a
    LimitedConnector); otherwise the fetcher creates one session per pool (on first use)
    from `connector_factory` and closes them on `close()`.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        session: aiohttp.ClientSession | None = None,
        connector_factory: ConnectorFactory = make_connector,
    ) -> None:
        self._settings = settings
        self._given_session = session
        self._sessions: dict[FetchPool, aiohttp.ClientSession] = {}
        self._trusted_session: aiohttp.ClientSession | None = None
        self._connector_factory = connector_factory
        self._closed = False
        self._slots = {
            FetchPool.FEEDS: PoolSlots(settings.fetch_concurrency, settings.fetch_per_host),
            FetchPool.PAGES: PoolSlots(settings.fulltext_concurrency, settings.fetch_per_host),
        }
        self._timeout = aiohttp.ClientTimeout(
            total=None,
            connect=settings.fetch_connect_timeout,
            sock_connect=settings.fetch_connect_timeout,
            sock_read=settings.fetch_read_timeout,
        )

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def settings(self) -> Settings:
        return self._settings

    async def start(self) -> None:
        self._get_session(FetchPool.FEEDS)

    @property
    def session(self) -> aiohttp.ClientSession:
        """An HTTP session for endpoints the operator configured (the LLM), not for URLs
        from sources: it is not SSRF-guarded, so an LLM on 127.0.0.1 or the local network
        works without opening those addresses to feeds. It has its own connection pool:
        sharing the guarded one would let a feed reuse a connection made for the LLM.
        A session passed to the Fetcher serves both."""
        if self._given_session is not None:
            return self._get_session(FetchPool.FEEDS)
        if self._closed:
            raise RuntimeError("the Fetcher is closed")
        if self._trusted_session is None:
            self._trusted_session = aiohttp.ClientSession(timeout=self._timeout)
        return self._trusted_session

    async def close(self) -> None:
        self._closed = True
        owned = [] if self._given_session is not None else list(self._sessions.values())
        if self._trusted_session is not None:
            owned.append(self._trusted_session)
        for session in owned:
            await session.close()
        self._sessions.clear()
        self._trusted_session = None

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
        accept: str = FEED_ACCEPT,
        pool: FetchPool = FetchPool.FEEDS,
    ) -> FetchResult:
        """GET `url` in `pool`, following redirects; raises FetchError for every failure."""
        target = _parse_url(url)
        request = _Request(
            headers=self._headers(accept, etag, last_modified),
            max_bytes=self._settings.fetch_max_bytes if max_bytes is None else max_bytes,
            etag=etag,
            last_modified=last_modified,
            pool=pool,
        )
        slots = self._slots[pool]
        visited = {target}
        clock: _Clock | None = None
        redirects = 0
        while True:
            async with slots.hold(target.host or ""):
                clock = clock or _Clock.start(self._settings.fetch_total_timeout)
                try:
                    outcome = await self._hop(target, request, clock.deadline)
                except FetchError as exc:
                    if redirects and exc.kind is FetchErrorKind.BLOCKED:
                        raise FetchError(exc.kind, f"{exc.message} (redirected there)") from None
                    raise
            if isinstance(outcome, _Response):
                return outcome.result(clock.elapsed())
            if redirects == self._settings.fetch_max_redirects:
                raise _too_many_redirects(target.host or "", outcome in visited, redirects)
            redirects += 1
            visited.add(outcome)
            target = outcome

    def _get_session(self, pool: FetchPool) -> aiohttp.ClientSession:
        if self._closed:
            raise RuntimeError("the Fetcher is closed")
        if self._given_session is not None:
            return self._given_session
        session = self._sessions.get(pool)
        if session is None:
            session = self._sessions[pool] = aiohttp.ClientSession(
                connector=self._connector_factory(self._settings),
                timeout=self._timeout,
            )
        return session

    def _headers(self, accept: str, etag: str | None, last_modified: str | None) -> dict[str, str]:
        headers: dict[str, str] = {
            hdrs.USER_AGENT: self._settings.user_agent,
            hdrs.ACCEPT: accept,
            hdrs.ACCEPT_ENCODING: ACCEPT_ENCODING,
        }
        for name, value in ((hdrs.IF_NONE_MATCH, etag), (hdrs.IF_MODIFIED_SINCE, last_modified)):
            if value and not _CONTROL_CHARS.search(value):
                headers[name] = value
        return headers

    async def _hop(self, url: URL, request: _Request, deadline: float) -> _Response | URL:
        """One request: the response, or the URL a redirect points to."""
        try:
            async with asyncio.timeout_at(deadline):
                return await self._exchange(url, request)
        except aiohttp.ConnectionTimeoutError:
            raise _timeout(f"connecting to {url.host} took over {self._timeout.connect}s") from None
        except aiohttp.SocketTimeoutError:
            raise _timeout(f"{url.host} sent nothing for {self._timeout.sock_read}s") from None
        except TimeoutError:
            total = self._settings.fetch_total_timeout
            raise _timeout(f"fetch from {url.host} took over {total}s") from None
        except (aiohttp.ClientError, HttpProcessingError) as exc:
            raise _client_error(exc, url.host or "") from None

    async def _exchange(self, url: URL, request: _Request) -> _Response | URL:
        session = self._get_session(request.pool)
        async with session.get(
            url,
            headers=request.headers,
            allow_redirects=False,
            raise_for_status=False,
            timeout=self._timeout,
            max_field_size=MAX_HEADER_FIELD_SIZE,
        ) as response:
            if response.status in REDIRECT_STATUSES:
                return _redirect_target(url, response)
            _check_status(url, response)
            if response.status == 304:
                return _Response.not_modified(response, request)
            _check_declared_length(url, response, request.max_bytes)
            body = await _read_body(url, response, request.max_bytes)
            return _Response.with_body(response, body)


@dataclass(frozen=True, slots=True)
class _Request:
    headers: Mapping[str, str]
    max_bytes: int
    etag: str | None
    last_modified: str | None
    pool: FetchPool


@dataclass(frozen=True, slots=True)
class _Response:
    url: str
    status: int
    body: bytes
    etag: str | None
    last_modified: str | None
    content_type: str | None

    @classmethod
    def with_body(cls, response: aiohttp.ClientResponse, body: bytes) -> _Response:
        return cls(
            url=str(response.url),
            status=response.status,
            body=body,
            etag=response.headers.get(hdrs.ETAG),
            last_modified=response.headers.get(hdrs.LAST_MODIFIED),
            content_type=response.headers.get(hdrs.CONTENT_TYPE),
        )

    @classmethod
    def not_modified(cls, response: aiohttp.ClientResponse, request: _Request) -> _Response:
        return cls(
            url=str(response.url),
            status=response.status,
            body=b"",
            etag=response.headers.get(hdrs.ETAG) or request.etag,
            last_modified=response.headers.get(hdrs.LAST_MODIFIED) or request.last_modified,
            content_type=response.headers.get(hdrs.CONTENT_TYPE),
        )

    def result(self, elapsed: float) -> FetchResult:
        return FetchResult(
            url=self.url,
            status=self.status,
            body=self.body,
            etag=self.etag,
            last_modified=self.last_modified,
            content_type=self.content_type,
            not_modified=self.status == 304,
            elapsed=elapsed,
        )


@dataclass(frozen=True, slots=True)
class _Clock:
    """The time budget of one fetch, counted from when it first got its slots."""

    started: float
    deadline: float

    @classmethod
    def start(cls, total: float) -> _Clock:
        now = asyncio.get_running_loop().time()
        return cls(started=now, deadline=now + total)

    def elapsed(self) -> float:
        return asyncio.get_running_loop().time() - self.started


def _parse_url(url: str) -> URL:
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        raise FetchError(FetchErrorKind.INVALID_URL, "the URL does not parse") from None
    if parsed.scheme not in ("http", "https"):
        scheme = parsed.scheme or "none"
        raise FetchError(FetchErrorKind.INVALID_URL, f"unsupported URL scheme {scheme!r}")
    if not parsed.host:
        raise FetchError(FetchErrorKind.INVALID_URL, "the URL has no host")
    if _is_legacy_ipv4(parsed.host):
        raise FetchError(
            FetchErrorKind.INVALID_URL, f"{parsed.host} is an IPv4 address in a non-standard form"
        )
    return parsed.with_fragment(None)


def _is_legacy_ipv4(host: str) -> bool:
    """Whether the resolver would read `host` as an IPv4 address written in an old form
    (2130706433, 0x7f.1, 0177.0.0.1, 127.1); refused so that no policy is misled by it."""
    if ":" in host:
        return False
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    try:
        ipaddress.IPv4Address(host)  # the dotted-quad form, without leading zeros
    except ValueError:
        return True
    return False


def _redirect_target(url: URL, response: aiohttp.ClientResponse) -> URL:
    location = response.headers.get(hdrs.LOCATION)
    if not location:
        raise FetchError(
            FetchErrorKind.HTTP_STATUS,
            f"{url.host} answered redirect {response.status} without a Location",
            status=response.status,
        )
    try:
        target = url.join(URL(location))
    except (TypeError, ValueError):
        raise FetchError(
            FetchErrorKind.INVALID_URL, f"{url.host} redirected to an invalid URL"
        ) from None
    if target.scheme not in ("http", "https") or not target.host:
        raise FetchError(FetchErrorKind.INVALID_URL, f"{url.host} redirected to a non-HTTP(S) URL")
    return target.with_fragment(None)


def _check_status(url: URL, response: aiohttp.ClientResponse) -> None:
    status = response.status
    if 200 <= status < 300 or status == 304:
        return
    reason = f"{url.host} answered {status} {response.reason or ''}"
    if status in RATE_LIMIT_STATUSES:
        retry_after = parse_retry_after(response.headers.get(hdrs.RETRY_AFTER))
        raise FetchError(
            FetchErrorKind.RATE_LIMITED, reason, status=status, retry_after=retry_after
        )
    raise FetchError(FetchErrorKind.HTTP_STATUS, reason, status=status)


def _check_declared_length(url: URL, response: aiohttp.ClientResponse, max_bytes: int) -> None:
    declared = response.content_length
    if declared is not None and declared > max_bytes:
        raise _too_large(f"{url.host} declared {declared} bytes, over the {max_bytes}-byte limit")


async def _read_body(url: URL, response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    """The decompressed body, failing as soon as it grows past `max_bytes`."""
    body = bytearray()
    async for chunk in response.content.iter_any():
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(f"body from {url.host} exceeds the {max_bytes}-byte limit")
    return bytes(body)


def _client_error(exc: aiohttp.ClientError | HttpProcessingError, host: str) -> FetchError:
    """Map an aiohttp failure to a FetchError without quoting URLs (they may hold tokens)."""
    blocked = blocked_cause(exc)
    if blocked is not None:
        return _blocked(host, blocked.address, blocked.reason)
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return FetchError(FetchErrorKind.DNS, f"could not resolve {host}")
    if isinstance(exc, aiohttp.ClientSSLError | aiohttp.ServerFingerprintMismatch):
        return FetchError(FetchErrorKind.TLS, f"TLS failed with {host}: {type(exc).__name__}")
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = exc.os_error.strerror or type(exc.os_error).__name__
        return FetchError(FetchErrorKind.CONNECT, f"could not connect to {host}: {reason}")
    if isinstance(exc, aiohttp.ClientPayloadError):
        return FetchError(FetchErrorKind.PROTOCOL, f"bad or incomplete body from {host}: {exc}")
    if isinstance(exc, aiohttp.ClientConnectionError):
        reason = (isinstance(exc, OSError) and exc.strerror) or type(exc).__name__
        return FetchError(FetchErrorKind.DISCONNECTED, f"{host} dropped the connection: {reason}")
    if isinstance(exc, aiohttp.InvalidURL):
        return FetchError(FetchErrorKind.INVALID_URL, f"invalid URL for {host}")
    if isinstance(exc, aiohttp.ClientResponseError | HttpProcessingError):
        return FetchError(FetchErrorKind.PROTOCOL, f"bad HTTP response from {host}: {exc.message}")
    return FetchError(FetchErrorKind.PROTOCOL, f"request to {host} failed: {type(exc).__name__}")


def _blocked(host: str, address: str, reason: str) -> FetchError:
    if host.strip("[]") == address:
        return FetchError(FetchErrorKind.BLOCKED, f"refused: {address} is {reason}")
    return FetchError(FetchErrorKind.BLOCKED, f"refused: {host} is at {address}, {reason}")


def _too_many_redirects(host: str, loop: bool, limit: int) -> FetchError:
    what = "a redirect loop" if loop else "too many redirects"
    return FetchError(FetchErrorKind.TOO_MANY_REDIRECTS, f"{what} at {host} (limit {limit})")


def _timeout(message: str) -> FetchError:
    return FetchError(FetchErrorKind.TIMEOUT, message)


def _too_large(message: str) -> FetchError:
    return FetchError(FetchErrorKind.TOO_LARGE, message)


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= MAX_MESSAGE_CHARS else line[: MAX_MESSAGE_CHARS - 1] + "…"
