"""Running the app under uvicorn with limits on slow clients.

uvicorn times out idle keep-alive connections, but not a request that arrives slowly: a client that sends part of
its headers or body and then nothing (or a byte now and then) holds its connection for ever, and a few hundred such
clients exhaust the server. :func:`protocol_with_read_timeouts` wraps uvicorn's HTTP protocol so that while a
request is being received, every ``read_timeout`` seconds some bytes must arrive and the whole request (headers and
body) must be in within ``deadline`` seconds; otherwise the client gets a 408 and the connection is closed.
Time the app spends answering is not counted: only waiting for the client is.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from api.errors import PROBLEM_JSON, problem_body
from qa.config import Settings


def _timeout_response(read_timeout: float, deadline: float) -> bytes:
    detail = (
        f"the request was not received in time (at most {read_timeout:g} s between reads and {deadline:g} s for "
        "the whole request)"
    )
    body = json.dumps(problem_body(408, "Request timeout", detail)).encode()
    head = (
        f"HTTP/1.1 408 Request Timeout\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


def protocol_with_read_timeouts(base: type[Any], read_timeout: float, deadline: float) -> type[Any]:
    """``base`` (one of uvicorn's HTTP protocol classes) with the request read timeouts above."""
    timeout_response = _timeout_response(read_timeout, deadline)

    class ReadTimeoutProtocol(base):  # type: ignore[misc, valid-type]
        _read_timer: asyncio.TimerHandle | None = None
        _window_start: float | None = None  # when the request being received began (None: none is)
        _window_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._start_window()  # a new connection must send its request in time too

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if not self._waiting_for_client():
                self._window_start = None  # the request is in: the app's time is not the client's
                self._disarm()
                return
            if self._window_start is None:
                self._start_window()  # the first bytes of the next request (or of an unread body)
            self._window_bytes += len(data)
            self._arm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # Idle until the next request: uvicorn's keep-alive timeout applies, not ours.
            self._window_start = None
            self._disarm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def _waiting_for_client(self) -> bool:
            """True unless a request is fully received and the app is working on it (or streaming its answer)."""
            cycle = self.cycle
            return cycle is None or cycle.response_complete or cycle.more_body

        def _start_window(self) -> None:
            self._window_start = self.loop.time()
            self._window_bytes = 0
            self._arm()

        def _arm(self) -> None:
            self._disarm()
            if self._window_start is None:
                return
            left = self._window_start + deadline - self.loop.time()
            self._read_timer = self.loop.call_later(max(0.0, min(read_timeout, left)), self._on_timeout)

        def _disarm(self) -> None:
            if self._read_timer is not None:
                self._read_timer.cancel()
                self._read_timer = None

        def _on_timeout(self) -> None:
            self._read_timer = None
            if self.transport.is_closing() or self._window_start is None or not self._waiting_for_client():
                return
            cycle = self.cycle
            answerable = cycle is None or cycle.response_complete or not cycle.response_started
            if self._window_bytes and answerable:  # a connection that never sent a byte is just closed
                self.transport.write(timeout_response)
            self.transport.close()

    ReadTimeoutProtocol.__name__ = ReadTimeoutProtocol.__qualname__ = f"ReadTimeout{base.__name__}"
    return ReadTimeoutProtocol


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """The keyword arguments for ``uvicorn.run``/``uvicorn.Config`` that enforce the connection limits."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return {
        "http": protocol_with_read_timeouts(
            AutoHTTPProtocol, settings.request_read_timeout_s, settings.request_deadline_s
        ),
        "limit_concurrency": settings.max_connections,
        "timeout_keep_alive": settings.keep_alive_timeout_s,
    }
