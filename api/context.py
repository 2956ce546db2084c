"""Per-request context shared by the middleware, the error handlers and the log formatter."""

from __future__ import annotations

from contextvars import ContextVar

# Set by RequestContextMiddleware for the life of one request; "" outside a request.
request_id: ContextVar[str] = ContextVar("request_id", default="")
