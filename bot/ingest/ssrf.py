"""The SSRF guard: sources and articles may only be fetched from public internet addresses.

Feed and article URLs come from users and from feeds, so a URL (or a redirect, or a DNS
answer) may point at the bot's own machine or network: 127.0.0.1, 10.0.0.5, the cloud
metadata service at 169.254.169.254, ::1, fd00::/8… `GuardedConnector` refuses those on
the address the socket is about to connect to, after DNS resolution, so neither redirects
(every hop opens or reuses a connection made here) nor DNS rebinding (a name answering a
public address when checked and a private one when used: there is no separate check) can
get around it. Two hooks see each address:

- `_wrap_create_connection` gets the resolved addresses of every new connection and keeps
  the allowed ones; when none is left it raises a ClientConnectorError whose `os_error`
  is a `BlockedAddressError` naming the first refused address.
- the connector's `socket_factory` (aiohttp's public hook, called by aiohappyeyeballs
  for every single connection attempt with the address it will connect to) checks again,
  so the guard still holds if a future aiohttp stops calling the first hook.

`refusal(address, allow)` is the classifier. Refused, unless the allowlist names them:
loopback, private (RFC 1918, unique-local fc00::/7), shared (100.64.0.0/10), link-local
(169.254.0.0/16, fe80::/10), site-local (fec0::/10), multicast, unspecified, broadcast,
documentation, benchmarking and every other reserved range, in IPv4 and IPv6, plus
whatever Python's `ipaddress` does not call global. Addresses that carry an IPv4 address
are judged by it:

- IPv4-mapped (::ffff:a.b.c.d) *is* that IPv4 address on a dual-stack socket, so it is
  treated exactly as a.b.c.d, allowlist included.
- NAT64 (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16) reach their embedded IPv4 address
  through a gateway or relay, which may sit on the bot's own network: refused when the
  embedded address is refused (64:ff9b::a00:1 = 10.0.0.1), allowed when it is public
  (64:ff9b::808:808 = 8.8.8.8, how IPv6-only hosts reach IPv4 sites). The allowlist
  applies to both the IPv6 address and the embedded one.
- The rest of ::/8 (IPv4-compatible, IPv4-translated), local-use NAT64 64:ff9b:1::/48
  and Teredo (2001::/32) are refused outright.

The guard does not see through proxies: with a proxy, it would check the proxy's address
and the proxy would resolve the target. The Fetcher's session does not read
HTTP(S)_PROXY (`trust_env` is off) and sets no proxy.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from aiohappyeyeballs import AddrInfoType
from aiohttp.abc import AbstractResolver
from aiohttp.client_proto import ResponseHandler
from aiohttp.client_reqrep import ClientRequest

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_V4_RANGES: tuple[tuple[str, str], ...] = (
    ("0.0.0.0/8", "an unspecified address"),
    ("10.0.0.0/8", "a private address"),
    ("100.64.0.0/10", "a shared (carrier-grade NAT) address"),
    ("127.0.0.0/8", "a loopback address"),
    ("169.254.0.0/16", "a link-local address"),
    ("172.16.0.0/12", "a private address"),
    ("192.0.0.0/24", "a reserved address"),
    ("192.0.2.0/24", "a documentation address"),
    ("192.88.99.0/24", "a reserved address"),
    ("192.168.0.0/16", "a private address"),
    ("198.18.0.0/15", "a reserved (benchmarking) address"),
    ("198.51.100.0/24", "a documentation address"),
    ("203.0.113.0/24", "a documentation address"),
    ("224.0.0.0/4", "a multicast address"),
    ("255.255.255.255/32", "a broadcast address"),
    ("240.0.0.0/4", "a reserved address"),
)
_V6_RANGES: tuple[tuple[str, str], ...] = (
    ("::/128", "an unspecified address"),
    ("::1/128", "a loopback address"),
    ("64:ff9b:1::/48", "a local-use NAT64 address"),
    ("::/8", "a reserved address"),
    ("100::/64", "a reserved (discard) address"),
    ("2001::/23", "a reserved address"),
    ("2001:db8::/32", "a documentation address"),
    ("3fff::/20", "a documentation address"),
    ("5f00::/16", "a reserved address"),
    ("fc00::/7", "a private (unique-local) address"),
    ("fe80::/10", "a link-local address"),
    ("fec0::/10", "a site-local address"),
    ("ff00::/8", "a multicast address"),
)
_RANGES: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ip_network(network), label) for network, label in _V4_RANGES + _V6_RANGES
)
_NAT64 = IPv6Network("64:ff9b::/96")


class BlockedAddressError(OSError):
    """A connection the guard refused; `message` is one line naming address and reason.

    aiohttp reports it as the `os_error` of a ClientConnectorError, which it never
    retries (a bare OSError from connecting would be retried once).
    """

    def __init__(self, address: str, reason: str) -> None:
        self.address = address
        self.reason = reason
        self.message = f"refused: {address} is {reason}"
        super().__init__(errno.EACCES, self.message)

    def __str__(self) -> str:
        return self.message


def refusal(address: str | IPAddress, allow: Sequence[IPNetwork] = ()) -> str | None:
    """Why a connection to `address` is refused ("a private address"), or None if allowed.

    An unparsable address is refused. See the module docstring for the rules.
    """
    if isinstance(address, str):
        try:
            address = ip_address(address.split("%", 1)[0])
        except ValueError:
            return "not an IP address"
    if isinstance(address, IPv6Address):
        if address.scope_id is not None:
            address = IPv6Address(address.packed)
        if address.ipv4_mapped is not None:
            address = address.ipv4_mapped
    if any(address in network for network in allow):
        return None
    if isinstance(address, IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            why = refusal(embedded, allow)
            return None if why is None else f"an IPv6 address of {embedded}, {why}"
    for network, label in _RANGES:
        if address in network:
            return label
    if address.is_multicast:
        return "a multicast address"
    if not address.is_global:
        return "a reserved address"
    return None


def _embedded_ipv4(address: IPv6Address) -> IPv4Address | None:
    """The IPv4 address a NAT64 or 6to4 address reaches through its gateway or relay."""
    if address in _NAT64:
        return IPv4Address(address.packed[-4:])
    return address.sixtofour


class AddressGuard:
    """Checks addresses against the rules and an allowlist of networks."""

    def __init__(self, allow: Sequence[IPNetwork] = ()) -> None:
        self.allow = tuple(allow)

    def check(self, address: str) -> None:
        """Raise BlockedAddressError unless a connection to `address` is allowed."""
        why = refusal(address, self.allow)
        if why is not None:
            raise BlockedAddressError(address, why)

    def allowed(self, addr_infos: Sequence[AddrInfoType]) -> list[AddrInfoType]:
        """The allowed addresses among `addr_infos`; raises for the first if none is."""
        allowed: list[AddrInfoType] = []
        first: BlockedAddressError | None = None
        for addr_info in addr_infos:
            try:
                self.check(_host_of(addr_info))
            except BlockedAddressError as exc:
                first = first or exc
            else:
                allowed.append(addr_info)
        if first is not None and not allowed:
            raise first
        return allowed

    def socket_factory(self, addr_info: AddrInfoType) -> socket.socket:
        """aiohttp's `socket_factory`: refuse before the socket exists, else a new socket."""
        self.check(_host_of(addr_info))
        family, type_, proto, _, _ = addr_info
        return socket.socket(family=family, type=type_, proto=proto)


class GuardedConnector(aiohttp.TCPConnector):
    """A TCPConnector that only connects to addresses the guard allows.

    Every new connection is checked on the addresses it will actually use, after DNS;
    pooled connections were checked when they were made and stay bound to that address.
    """

    def __init__(
        self,
        *,
        allow: Sequence[IPNetwork] = (),
        resolver: AbstractResolver | None = None,
        **kwargs: Any,
    ) -> None:
        self.guard = AddressGuard(allow)
        super().__init__(resolver=resolver, socket_factory=self.guard.socket_factory, **kwargs)

    async def _wrap_create_connection(
        self, *args: Any, addr_infos: list[AddrInfoType], req: ClientRequest, **kwargs: Any
    ) -> tuple[asyncio.Transport, ResponseHandler]:
        try:
            allowed = self.guard.allowed(addr_infos)
        except BlockedAddressError as exc:
            raise aiohttp.ClientConnectorError(req.connection_key, exc) from None
        return await super()._wrap_create_connection(*args, addr_infos=allowed, req=req, **kwargs)


def blocked_cause(exc: BaseException) -> BlockedAddressError | None:
    """The guard's refusal behind an aiohttp error, if that is what it is."""
    if isinstance(exc, BlockedAddressError):
        return exc
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(
        exc.os_error, BlockedAddressError
    ):
        return exc.os_error
    return None


def _host_of(addr_info: AddrInfoType) -> str:
    host = addr_info[4][0]
    return host if isinstance(host, str) else str(host)


WIDEST_ALLOWED_PREFIX = 8
"""An allowlist entry wider than a /8 (0.0.0.0/0, ::/0) turns the guard off for that range:
start-up warns about it."""


def too_wide(allow: Sequence[IPNetwork]) -> list[IPNetwork]:
    """The allowlist's networks wider than a /8."""
    return [network for network in allow if network.prefixlen < WIDEST_ALLOWED_PREFIX]


async def address_problem(url: str, allow: Sequence[IPNetwork]) -> str | None:
    """Before a source is saved: why its host's addresses would be refused ("10.0.0.5 is a
    private address"), or None. A host that does not resolve now is not refused here: its
    polls will say why they fail. Every fetch is still guarded on the address it connects to."""
    host = (_host(url) or "").strip("[]")
    if not host:
        return None
    try:
        found = [ip_address(host)]
    except ValueError:
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, None)
        except (OSError, UnicodeError):
            return None
        found = [ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos]
    for address in found:
        reason = refusal(address, allow)
        if reason is not None:
            if str(address) == host:
                return f"{host} is {reason}"
            return f"{host} is at {address}, {reason}"
    return None


def _host(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).hostname
    except ValueError:
        return None
