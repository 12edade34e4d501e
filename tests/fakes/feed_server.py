"""A real local HTTP server (aiohttp.web on 127.0.0.1, random port) for tests and benchmarks.

    async with FeedServer() as server:
        server.add("/feed.xml", b"<rss>...</rss>")
        url = server.url("/feed.xml")
        ...
        server.add("/feed.xml", b"<rss>new</rss>")   # new content, new ETag and Last-Modified
        assert server.requests_to("/feed.xml")[-1].status == 304

A route registered with a query string (`server.add("/s/name?before=40", ...)`) answers
requests with exactly that query; other requests to the path go to the path's own route.
Static routes answer conditional requests like a real server: 304 when If-None-Match
matches the ETag, or (when no If-None-Match is sent) when If-Modified-Since is not older
than Last-Modified. Every request is logged in `server.requests`, with the status served.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import socket
import struct
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from enum import StrEnum
from types import TracebackType
from typing import Literal, Self

from aiohttp import web
from multidict import CIMultiDict

from bot.web import WebServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Compression = Literal["gzip", "deflate"]

RSS_TYPE = "application/rss+xml; charset=utf-8"


class Fault(StrEnum):
    """Ways a response can break, for `FeedServer.add_fault`."""

    CLOSE_MID_BODY = "close_mid_body"
    """Declares the full Content-Length, sends half the body, then closes (FIN)."""
    RESET_MID_BODY = "reset_mid_body"
    """Declares the full Content-Length, sends half the body, then resets (RST)."""
    WRONG_LENGTH = "wrong_length"
    """Declares 100 bytes more than the body it sends, then closes."""
    RESET_BEFORE_RESPONSE = "reset_before_response"
    """Resets the connection without sending anything."""


@dataclass(slots=True)
class LoggedRequest:
    """One request as received; `status` is what was served (None if none was)."""

    method: str
    path: str
    query: str
    host: str
    headers: CIMultiDict[str]
    status: int | None = None


@dataclass(frozen=True, slots=True)
class _StaticRoute:
    body: bytes
    status: int
    headers: Mapping[str, str]
    etag: str | None
    last_modified: datetime | None
    encoded: tuple[Compression, bytes] | None

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        validators = self._validators() if self.status == 200 else {}
        if validators and self._not_modified(request):
            return web.Response(status=304, headers=validators)
        headers = CIMultiDict(self.headers)
        headers.update(validators)
        body = self.body
        if self.encoded and _accepts(request.headers.get("Accept-Encoding", ""), self.encoded[0]):
            headers["Content-Encoding"], body = self.encoded
            headers["Vary"] = "Accept-Encoding"
        return web.Response(body=body, status=self.status, headers=headers)

    def _validators(self) -> dict[str, str]:
        validators = {}
        if self.etag is not None:
            validators["ETag"] = self.etag
        if self.last_modified is not None:
            validators["Last-Modified"] = format_datetime(self.last_modified, usegmt=True)
        return validators

    def _not_modified(self, request: web.Request) -> bool:
        if_none_match = request.headers.get("If-None-Match")
        if if_none_match is not None:
            return self.etag is not None and _etag_matches(if_none_match, self.etag)
        since = _parse_http_date(request.headers.get("If-Modified-Since"))
        return since is not None and self.last_modified is not None and self.last_modified <= since


class FeedServer:
    """An HTTP server on 127.0.0.1 whose routes tests register and replace at will.

    Unknown paths answer 404. Stats: `requests` (the log), `max_in_flight` (the most
    requests being served at once, each counted until its whole body has been sent).
    """

    def __init__(self, *, shutdown_timeout: float = 0.2) -> None:
        self.requests: list[LoggedRequest] = []
        self.max_in_flight = 0
        self._in_flight = 0
        self._routes: dict[str, Handler] = {}
        self._last_modified: dict[str, datetime] = {}
        self._web = WebServer(
            "127.0.0.1", 0, middlewares=[self._track], shutdown_timeout=shutdown_timeout
        )
        self._web.add_route("*", "/{path:.*}", self._dispatch)

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

    async def start(self) -> None:
        await self._web.start()

    async def close(self) -> None:
        await self._web.stop()

    @property
    def port(self) -> int:
        return self._web.port

    def url(self, path: str = "/", *, host: str = "127.0.0.1") -> str:
        """The absolute URL of `path`; `host="localhost"` reaches the same server by name."""
        return f"http://{host}:{self.port}{path}"

    def add(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = RSS_TYPE,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
        etag: bool = True,
        last_modified: bool = True,
        compress: Compression | None = "gzip",
    ) -> None:
        """Serve `body` at `path`, replacing what was there (with a new ETag and a newer date).

        The body is compressed with `compress` when the request's Accept-Encoding allows it.
        To serve bytes that are already compressed, pass `compress=None` and
        `headers={"Content-Encoding": "gzip"}`. For Retry-After answers, pass e.g.
        `status=429, headers={"Retry-After": "120"}`.
        """
        route_headers = {"Content-Type": content_type, **(headers or {})}
        self._routes[path] = _StaticRoute(
            body=body,
            status=status,
            headers=route_headers,
            etag=_etag(body) if etag else None,
            last_modified=self._next_last_modified(path) if last_modified else None,
            encoded=(compress, _compress(body, compress)) if compress else None,
        )

    def add_handler(self, path: str, handler: Handler) -> None:
        """Serve `path` with an aiohttp.web handler of your own."""
        self._routes[path] = handler

    def add_redirect(self, path: str, to: str, *, status: int = 301) -> None:
        """Redirect `path` to `to` (a path, sent as a relative Location, or an absolute URL)."""

        async def redirect(request: web.Request) -> web.StreamResponse:
            return web.Response(status=status, headers={"Location": to})

        self._routes[path] = redirect

    def add_drip(
        self, path: str, body: bytes, *, interval: float, content_type: str = RSS_TYPE
    ) -> None:
        """Send headers at once (with the full Content-Length), then one byte per `interval`."""

        async def drip(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": content_type})
            response.content_length = len(body)
            await response.prepare(request)
            try:
                for index in range(len(body)):
                    await asyncio.sleep(interval)
                    await response.write(body[index : index + 1])
            except ConnectionError:
                pass
            return response

        self._routes[path] = drip

    def add_stream(
        self,
        path: str,
        size: int,
        *,
        declare_length: bool = True,
        chunk_size: int = 64 * 1024,
        content_type: str = "application/octet-stream",
    ) -> None:
        """Stream `size` bytes of b"x" without holding them in memory.

        Without `declare_length` no Content-Length is sent (chunked transfer encoding).
        """

        async def stream(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": content_type})
            if declare_length:
                response.content_length = size
            await response.prepare(request)
            chunk = b"x" * chunk_size
            try:
                for start in range(0, size, chunk_size):
                    await response.write(chunk[: min(chunk_size, size - start)])
            except ConnectionError:
                pass
            return response

        self._routes[path] = stream

    def add_fault(self, path: str, body: bytes, fault: Fault) -> None:
        """Serve `body` at `path` but break the connection as `fault` says."""

        async def faulty(request: web.Request) -> web.StreamResponse:
            response = web.StreamResponse(headers={"Content-Type": RSS_TYPE})
            if fault is Fault.RESET_BEFORE_RESPONSE:
                _reset(request)
                return response
            sent = body if fault is Fault.WRONG_LENGTH else body[: len(body) // 2]
            response.content_length = len(body) + (100 if fault is Fault.WRONG_LENGTH else 0)
            await response.prepare(request)
            await response.write(sent)
            if fault is Fault.RESET_MID_BODY:
                _reset(request)
            elif request.transport is not None:
                request.transport.close()
            return response

        self._routes[path] = faulty

    def remove(self, path: str) -> None:
        """Stop serving `path` (it answers 404 from now on)."""
        self._routes.pop(path, None)

    def requests_to(self, path: str) -> list[LoggedRequest]:
        """The logged requests for `path`, oldest first."""
        return [request for request in self.requests if request.path == path]

    def reset_stats(self) -> None:
        """Forget the request log and the in-flight peak."""
        self.requests.clear()
        self.max_in_flight = self._in_flight

    def _next_last_modified(self, path: str) -> datetime:
        """Now, to the second, but always later than the date this path had before."""
        now = datetime.now(UTC).replace(microsecond=0)
        previous = self._last_modified.get(path)
        stamp = now if previous is None else max(now, previous + timedelta(seconds=1))
        self._last_modified[path] = stamp
        return stamp

    @web.middleware
    async def _track(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        entry = LoggedRequest(
            method=request.method,
            path=request.path,
            query=request.query_string,
            host=request.host,
            headers=CIMultiDict(request.headers),
        )
        self.requests.append(entry)
        self._in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        try:
            response = await handler(request)
            entry.status = response.status
            await _send(request, response)
            return response
        except web.HTTPException as exc:
            entry.status = exc.status
            raise
        finally:
            self._in_flight -= 1

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        handler = self._routes.get(request.path_qs) or self._routes.get(request.path)
        if handler is None:
            return web.Response(status=404, text="not found")
        return await handler(request)


def unused_port() -> int:
    """A loopback TCP port nothing listens on (for connection-refused tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _etag_matches(if_none_match: str, etag: str) -> bool:
    candidates = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in candidates or etag.removeprefix("W/") in candidates


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _accepts(accept_encoding: str, coding: str) -> bool:
    for item in accept_encoding.split(","):
        name, _, params = item.strip().partition(";")
        if name.strip().lower() == coding:
            return params.replace(" ", "") not in {"q=0", "q=0.0", "q=0.00", "q=0.000"}
    return False


def _compress(body: bytes, coding: Compression) -> bytes:
    return gzip.compress(body) if coding == "gzip" else zlib.compress(body)


async def _send(request: web.Request, response: web.StreamResponse) -> None:
    """Send the whole response now, so that in-flight counts cover the body too."""
    try:
        await response.prepare(request)
        await response.write_eof()
    except ConnectionError:
        pass


def _reset(request: web.Request) -> None:
    """Abort the connection so the peer gets a TCP RST rather than an orderly close."""
    transport = request.transport
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
