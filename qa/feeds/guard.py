"""The SSRF guard: a URL taken from a feed (or a redirect) must not make the server fetch from itself, its private
network or a cloud metadata endpoint.

A host is resolved and every address it resolves to must be public: loopback, private, link-local (which holds the
169.254.169.254 metadata endpoint), shared (CGNAT), multicast, reserved and unspecified addresses are refused, on
every redirect hop (:meth:`Guard.check_url`). The fetcher's connections go only to addresses vetted this way (the
name is resolved once, in :class:`GuardedBackend`, and that address is the one connected to), and the peer of the
connection is checked again (:meth:`Guard.check_peer`): a name that resolves differently the second time (DNS
rebinding) gains nothing. The only way past is
the explicit allow-list ``QA_FETCH_ALLOW_HOSTS``: host names, addresses or CIDRs (the tests allow 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore

from qa.errors import QAError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Metadata endpoints that are not in a special-purpose block of their own (AWS's IPv6 one, Alibaba's).
_METADATA = (ipaddress.ip_network("fd00:ec2::254/128"), ipaddress.ip_network("100.100.100.200/32"))


class FetchFailed(QAError):
    """A fetch that did not give a usable response. ``permanent``: trying again later will not help (a 404, a
    refused address); otherwise the entry is tried again on the next poll (a timeout, a 503)."""

    status = 502
    title = "Fetch failed"

    def __init__(self, detail: str, permanent: bool = False) -> None:
        super().__init__(detail)
        self.permanent = permanent


class FetchRefused(FetchFailed):
    """A URL the fetcher will not fetch (scheme, address, robots.txt, size): permanent, never retried."""

    status = 422
    title = "Fetch refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, permanent=True)


def unsafe_reason(address: IPAddress) -> str | None:
    """Why an address may not be fetched from, or None for a public address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if any(address in net for net in _METADATA) or address == ipaddress.ip_address("169.254.169.254"):
        return "a cloud metadata address"
    checks = (
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("private", address.is_private),
        ("multicast", address.is_multicast),
        ("unspecified", address.is_unspecified),
        ("reserved", address.is_reserved),
        ("shared (carrier-grade NAT)", isinstance(address, ipaddress.IPv4Address) and address in _SHARED),
        ("not globally routable", not address.is_global),
    )
    return next((f"a {name} address" for name, bad in checks if bad), None)


_SHARED = ipaddress.ip_network("100.64.0.0/10")


@dataclass(frozen=True)
class AllowList:
    """Hosts (exact names, case-insensitive) and networks fetched even though their addresses are not public."""

    hosts: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def parse(cls, entries: Iterable[str]) -> AllowList:
        hosts: set[str] = set()
        nets: list[IPNetwork] = []
        for entry in (e.strip() for e in entries):
            if not entry:
                continue
            try:
                nets.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
            except ValueError:
                hosts.add(entry.lower().rstrip("."))
        return cls(frozenset(hosts), tuple(nets))

    def allows_host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def allows(self, address: IPAddress) -> bool:
        return any(address.version == net.version and address in net for net in self.networks)


class Guard:
    def __init__(self, allow: AllowList) -> None:
        self.allow = allow

    def check_url(self, url: str) -> None:
        """Refuse a URL that is not http(s) or whose host resolves to any address that is not public (unless
        allow-listed). Raises :class:`FetchRefused`."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(f"refused {url!r}: only http and https URLs are fetched")
        host = parts.hostname
        if not host:
            raise FetchRefused(f"refused {url!r}: no host")
        if parts.username or parts.password:
            raise FetchRefused(f"refused {url!r}: URLs with credentials are not fetched")
        if self.allow.allows_host(host):
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError as exc:
            raise FetchRefused(f"refused {url!r}: bad port") from exc
        for address in self.resolve(host, port):
            self.check_address(host, address)

    def vetted(self, host: str, port: int) -> list[IPAddress]:
        """The addresses ``host`` resolves to, every one of them checked: the ones to connect to."""
        addresses = self.resolve(host, port)
        for address in addresses:
            self.check_address(host, address)
        return addresses

    def check_address(self, host: str, address: IPAddress) -> None:
        if self.allow.allows_host(host) or self.allow.allows(address):
            return
        reason = unsafe_reason(address)
        if reason is not None:
            raise FetchRefused(f"refused {host}: it resolves to {address}, {reason}")

    def check_peer(self, host: str, peer: str | None) -> None:
        """The address the connection actually went to, checked like a resolved one."""
        if peer is None:
            return
        try:
            address = ipaddress.ip_address(peer.split("%")[0])
        except ValueError:
            return
        self.check_address(host, address)

    @staticmethod
    def resolve(host: str, port: int) -> list[IPAddress]:
        try:
            return [ipaddress.ip_address(host.strip("[]").split("%")[0])]
        except ValueError:
            pass
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError) as exc:
            raise FetchFailed(f"{host}: the name does not resolve ({exc})") from exc
        return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's network backend, connecting only to addresses the guard has vetted (see the module doc)."""

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        failure: Exception | None = None
        for address in self.guard.vetted(host, port):
            try:
                return super().connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the name's next address
                failure = exc
        raise failure or httpcore.ConnectError(f"{host}: no address to connect to")
