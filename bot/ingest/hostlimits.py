"""How many requests the fetcher has in flight: per pool, per site and per connected address.

A site is a registrable domain by the Public Suffix List (tldextract's bundled snapshot, never
fetched at run time; private suffixes count): h1.news.example.co.uk and h2.news.example.co.uk
are one site, alice.github.io and bob.github.io two. A name under a suffix the list does not
know is read by the list's default rule (`*`): slow.test is the site of h1.slow.test. An IP
address is its own site.

Names are cheap, addresses are not: many sites can point at one server. `LimitedConnector`
also caps the requests in flight on each address it is connected to, checked on the socket's
peer after connecting (a pooled connection counts for its own address), and held until the
connection is released.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from ipaddress import IPv6Address, ip_address
from typing import TYPE_CHECKING, Any, Final

import aiohttp
import tldextract

from bot.ingest.ssrf import GuardedConnector

if TYPE_CHECKING:
    from aiohttp.client import ClientTimeout
    from aiohttp.client_reqrep import ClientRequest
    from aiohttp.tracing import Trace

_SUFFIXES: Final = tldextract.TLDExtract(
    suffix_list_urls=(), cache_dir=None, include_psl_private_domains=True
)


def site_of(host: str) -> str:
    """The registrable domain of `host` (lower-case, no trailing dot), or the address itself."""
    host = host.strip().strip("[]").rstrip(".").lower()
    if not host or _is_address(host):
        return host
    parts = _SUFFIXES.extract_str(host)
    if parts.suffix:
        return parts.top_domain_under_public_suffix or host  # `host` is itself a suffix
    return ".".join(host.split(".")[-2:])


def _is_address(host: str) -> bool:
    try:
        ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


@dataclass(slots=True)
class _Keyed:
    semaphore: asyncio.Semaphore
    users: int = 0


class _KeyedLimit:
    """One semaphore per key, made on first use and dropped when nobody holds or waits."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._keys: dict[str, _Keyed] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        release = await self.acquire(key)
        try:
            yield
        finally:
            release()

    async def acquire(self, key: str) -> Callable[[], None]:
        """Wait for a slot of `key`; returns the function that gives it back (once)."""
        keyed = self._keys.get(key)
        if keyed is None:
            keyed = self._keys[key] = _Keyed(asyncio.Semaphore(self.limit))
        keyed.users += 1
        try:
            await keyed.semaphore.acquire()
        except BaseException:
            self._leave(key, keyed)
            raise
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                keyed.semaphore.release()
                self._leave(key, keyed)

        return release

    def _leave(self, key: str, keyed: _Keyed) -> None:
        keyed.users -= 1
        if keyed.users == 0 and self._keys.get(key) is keyed:
            del self._keys[key]


class PoolSlots:
    """One pool's limits: requests in flight overall and per site.

    The site slot is taken before the overall one, so requests queued behind a busy site
    hold no overall slot that other sites could use.
    """

    def __init__(self, total: int, per_site: int) -> None:
        self._total = asyncio.Semaphore(total)
        self._sites = _KeyedLimit(per_site)

    @asynccontextmanager
    async def hold(self, host: str) -> AsyncIterator[None]:
        async with self._sites.hold(site_of(host)), self._total:
            yield


class LimitedConnector(GuardedConnector):
    """The SSRF-guarded connector, with at most `per_address` connections in use per peer
    address. Waiting for a busy address counts as connecting (FETCH_CONNECT_TIMEOUT)."""

    def __init__(self, *, per_address: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.addresses = _KeyedLimit(per_address)

    async def connect(  # aiohttp's signature, `timeout` included
        self,
        req: ClientRequest,
        traces: list[Trace],
        timeout: ClientTimeout,  # noqa: ASYNC109
    ) -> aiohttp.connector.Connection:
        connection = await super().connect(req, traces, timeout)
        address = _peer_address(connection)
        if address is None:
            return connection
        try:
            release = await self.addresses.acquire(address)
        except BaseException:
            connection.release()
            raise
        connection.add_callback(release)
        return connection


def _peer_address(connection: aiohttp.connector.Connection) -> str | None:
    transport = connection.transport
    peer = transport.get_extra_info("peername") if transport is not None else None
    if not isinstance(peer, tuple) or not peer or not isinstance(peer[0], str):
        return None
    try:
        address = ip_address(peer[0].split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return str(address.ipv4_mapped)
    return str(address)
