"""Pure ASGI middleware (no BaseHTTPMiddleware, so SSE streams pass through untouched).

- :class:`RequestContextMiddleware`: request id (``X-Request-ID`` in and out), one access-log line per request,
  and the catch-all that turns an unexpected exception into a logged, cause-free 500 problem+json.
- :class:`BodyLimitMiddleware`: no request body may exceed ``max_upload_bytes``; checked from
  ``Content-Length`` before reading and counted while streaming (chunked bodies have no length).
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import request_id
from api.errors import internal_error_body, raw_error

log = logging.getLogger("api")
access_log = logging.getLogger("api.access")

# A client-supplied id is kept only if it is short and plain, so it can't inject anything into logs.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._\-]{1,64}$")


class BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"request body is larger than the limit of {limit} bytes")


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id.set(rid)
        started = False
        status = 500
        t0 = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal started, status
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Logged with the traceback (no request body, no headers): the client only gets the request id.
            log.exception("unhandled error in %s %s", scope["method"], scope["path"])
            if not started:
                await send_problem(send_with_id, 500, *internal_error_body(scope["path"]))
        finally:
            access_log.info(
                "%s %s %s %.1fms",
                scope["method"],
                scope["path"],
                status,
                (time.perf_counter() - t0) * 1000,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": round((time.perf_counter() - t0) * 1000, 1),
                },
            )
            request_id.reset(token)


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await self._reject(scope, send, f"request body is {int(length)} bytes; the limit is {self.max_bytes}")
            return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    # Raised inside FastAPI's body reading, which re-raises HTTPExceptions as they are.
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)

    async def _reject(self, scope: Scope, send: Send, detail: str) -> None:
        body, content_type = raw_error(scope["path"], 413, "Too large", detail)
        # The body was not read, so the connection can't be reused for another request.
        await send_problem(send, 413, body, content_type, close=True)


async def send_problem(send: Send, status: int, body: bytes, content_type: str, close: bool = False) -> None:
    """A whole error response (problem+json, or OpenAI's shape), sent from below the framework."""
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
