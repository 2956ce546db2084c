"""Block and record every outbound connection to a non-loopback address (imported before the code under test)."""

from __future__ import annotations

import ipaddress
import os
import socket

ATTEMPTS_FILE = os.environ.get("NETGUARD_LOG", "")
_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


def _is_loopback(host: object) -> bool:
    if not isinstance(host, str):
        return True  # AF_UNIX paths and the like
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name: resolving it is already an attempt to go out


def _record(what: str) -> None:
    if ATTEMPTS_FILE:
        with open(ATTEMPTS_FILE, "a", encoding="utf-8") as f:
            f.write(what + "\n")
    raise ConnectionRefusedError(f"netguard: outbound connection blocked: {what}")


def _connect(self: socket.socket, address: object) -> None:
    if isinstance(address, tuple) and not _is_loopback(address[0]):
        _record(f"connect {address}")
    return _real_connect(self, address)  # type: ignore[arg-type]


def _connect_ex(self: socket.socket, address: object) -> int:
    if isinstance(address, tuple) and not _is_loopback(address[0]):
        _record(f"connect_ex {address}")
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    if not _is_loopback(host):
        _record(f"getaddrinfo {host}")
    return _real_getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


def install() -> None:
    socket.socket.connect = _connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _getaddrinfo  # type: ignore[assignment]
