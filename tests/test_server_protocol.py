"""The request read timeouts of ``api/server.py`` on both of uvicorn's HTTP implementations (h11 and httptools),
with a real uvicorn server in a thread and raw sockets: a stalled request gets a 408 and is closed; a slow answer
is not cut off; keep-alive requests each get a fresh window."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from api.server import protocol_with_read_timeouts
from tests.servers import free_port

READ_TIMEOUT, DEADLINE = 0.5, 2.0


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the whole body, sleeps on /slow, answers with the body's length."""
    if scope["type"] != "http":
        return
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        size += len(message.get("body", b""))
        more = message.get("more_body", False)
    if scope["path"] == "/slow":
        await asyncio.sleep(READ_TIMEOUT * 4)
    body = str(size).encode()
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", str(len(body)).encode())]}
    )
    await send({"type": "http.response.body", "body": body})


def implementations() -> list[Any]:
    found = [pytest.param(H11Protocol, id="h11")]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        found.append(pytest.param(HttpToolsProtocol, id="httptools"))
    except ImportError:  # pragma: no cover - httptools not installed
        pass
    return found


@pytest.fixture(params=implementations())
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        http=protocol_with_read_timeouts(request.param, READ_TIMEOUT, DEADLINE),
        log_level="warning",
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield port
    server.should_exit = True
    thread.join(10)


def read_all(sock: socket.socket, limit: float = 10) -> bytes:
    sock.settimeout(limit)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_a_stalled_body_gets_a_408(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        t0 = time.monotonic()
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10)
        data = read_all(sock)
        assert data.startswith(b"HTTP/1.1 408 ") and b"connection: close" in data.lower()
        assert READ_TIMEOUT * 0.8 < time.monotonic() - t0 < READ_TIMEOUT + 3


def test_stalled_headers_are_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        t0 = time.monotonic()
        sock.sendall(b"GET / HTTP/1.1\r\nHost:")
        assert read_all(sock).startswith(b"HTTP/1.1 408 ")
        assert time.monotonic() - t0 < READ_TIMEOUT + 3


def test_a_trickle_is_cut_at_the_deadline(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        t0 = time.monotonic()
        sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n")
        sock.settimeout(0.05)
        data = b""
        while time.monotonic() - t0 < DEADLINE + 5:
            try:
                sock.sendall(b"x")  # a byte every READ_TIMEOUT / 2: never silent long enough for the read timeout
            except OSError:
                break
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                time.sleep(READ_TIMEOUT / 2)
                continue
            data += chunk
            if not chunk:
                break
        assert data.startswith(b"HTTP/1.1 408 ")
        assert DEADLINE * 0.9 < time.monotonic() - t0 < DEADLINE + 3


def test_a_slow_answer_is_not_cut_and_keep_alive_gets_a_fresh_window(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(10)
        sock.sendall(b"POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")  # answering took 4 read timeouts: not counted
        for _ in range(3):  # requests spread over more than the deadline, each one prompt
            time.sleep(DEADLINE / 3)
            sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nab")
            assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


def test_a_connection_that_sends_nothing_is_closed(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        t0 = time.monotonic()
        assert read_all(sock) == b""  # nothing was asked, so nothing is answered: just closed
        assert time.monotonic() - t0 < READ_TIMEOUT + 3
