"""Slow clients against a real ``qa serve``: connections that send part of a request and then stall (or trickle a
byte at a time) are answered 408 and closed within the configured timeouts, and the server keeps serving."""

from __future__ import annotations

import contextlib
import select
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.servers import qa_server

pytestmark = pytest.mark.server

READ_TIMEOUT = 2
DEADLINE = 8
MAX_CONNECTIONS = 50
SLOW_CLIENTS = 200


def open_slow(port: int, kind: str) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    if kind == "partial-headers":
        sock.sendall(b"POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl")
    else:  # a whole header block announcing a body of 5000 bytes, then only the first 100 of them
        head = b"POST /v1/articles HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        sock.sendall(head + b"Content-Length: 5000\r\n\r\n" + b'{"body": "' + b"x" * 90)
    sock.setblocking(False)
    return sock


def closed_by_server(sock: socket.socket, received: dict[socket.socket, bytes]) -> bool:
    try:
        data = sock.recv(65536)
    except BlockingIOError:
        return False
    except ConnectionResetError:
        return True
    if not data:
        return True
    received[sock] = received.get(sock, b"") + data
    return False


def test_stalled_and_trickling_requests_are_cut_off(tmp_path: Path) -> None:
    env = {
        "QA_REQUEST_READ_TIMEOUT_S": str(READ_TIMEOUT),
        "QA_REQUEST_DEADLINE_S": str(DEADLINE),
        "QA_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    }
    with qa_server(tmp_path / "data", env=env) as base:
        port = int(base.rsplit(":", 1)[1])
        kinds = ["partial-headers", "partial-body", "trickle-body"]
        slow = {open_slow(port, kinds[n % 3]): kinds[n % 3] for n in range(SLOW_CLIENTS)}
        started = time.monotonic()

        # While they hang on, a normal client is answered at once (503 when over QA_MAX_CONNECTIONS), not queued.
        t0 = time.monotonic()
        r = httpx.get(f"{base}/healthz", timeout=10)
        assert r.status_code in (200, 503) and time.monotonic() - t0 < 5

        open_socks = set(slow)
        received: dict[socket.socket, bytes] = {}
        closed_after: dict[str, float] = {}
        while open_socks and time.monotonic() - started < DEADLINE + 20:
            for sock in [s for s in open_socks if slow[s] == "trickle-body"]:
                # One byte a second: never silent for READ_TIMEOUT, so only the deadline stops it.
                with contextlib.suppress(OSError):
                    sock.send(b"x")
            readable, _, _ = select.select(list(open_socks), [], [], 1.0)
            for sock in readable:
                if closed_by_server(sock, received):
                    open_socks.discard(sock)
                    closed_after[slow[sock]] = max(closed_after.get(slow[sock], 0), time.monotonic() - started)
        for sock in slow:
            sock.close()

        assert not open_socks, f"{len(open_socks)} of {SLOW_CLIENTS} slow connections still open"
        # Stalled ones go after the read timeout, trickling ones at the deadline (margins for a loaded machine).
        assert closed_after["partial-headers"] < READ_TIMEOUT + 6, closed_after
        assert closed_after["partial-body"] < READ_TIMEOUT + 6, closed_after
        assert DEADLINE - 1 < closed_after["trickle-body"] < DEADLINE + 6, closed_after
        # Each got a 408 (or, over QA_MAX_CONNECTIONS, a 503 as soon as its headers were in).
        statuses = {data[:12] for data in received.values()}
        assert b"HTTP/1.1 408" in statuses and statuses <= {b"HTTP/1.1 408", b"HTTP/1.1 503"}, statuses

        # And the server is fine afterwards.
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200
        assert httpx.get(f"{base}/v1/articles", timeout=10).status_code == 200
