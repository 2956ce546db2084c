"""Every error leaves the API as ``application/problem+json`` (RFC 9457), mapped here once.

Typed core errors (:class:`qa.errors.QAError`) keep their ``status``/``title``; request validation becomes 422
with the field errors listed (malformed JSON 400); HTTP errors (unknown route, wrong method, auth) keep their
status. Unexpected exceptions are turned into a 500 by :mod:`api.middleware`, which logs them.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.context import request_id
from api.schemas import NOT_BLANK
from qa.errors import QAError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:newsqa:problem:"

# Request bodies are never echoed back (they may be article text), so only these keys of a pydantic error go out.
_ERROR_KEYS = ("loc", "msg", "type")


def problem_type(title: str) -> str:
    """A stable, non-dereferenceable type URI per kind of problem, e.g. ``urn:newsqa:problem:too-large``."""
    return TYPE_PREFIX + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def problem_body(
    status: int, title: str, detail: str, *, type_: str | None = None, instance: str | None = None, **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": type_ or problem_type(title), "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    rid = request_id.get()
    if rid:
        body["request_id"] = rid
    body.update(extra)
    return body


def problem(
    status: int,
    title: str,
    detail: str,
    *,
    type_: str | None = None,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body = problem_body(status, title, detail, type_=type_, instance=instance, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def internal_error_body(instance: str | None) -> bytes:
    """The 500 body: says nothing about the cause (that goes to the log, under the same request id)."""
    body = problem_body(
        500,
        "Internal error",
        "the server failed to handle this request; quote the request_id when reporting it",
        instance=instance,
    )
    return json.dumps(body).encode()


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def qa_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QAError)
    return problem(exc.status, exc.title, exc.detail, instance=request.url.path)


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for e in exc.errors():
        err = {k: e[k] for k in _ERROR_KEYS if k in e}
        err["loc"] = list(err.get("loc", ()))
        if e.get("type") == "string_pattern_mismatch" and (e.get("ctx") or {}).get("pattern") == NOT_BLANK:
            err["msg"] = "must not be blank"  # say what the pattern means
        errors.append(err)
    bad_json = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if bad_json is not None:
        reason = (bad_json.get("ctx") or {}).get("error", "invalid JSON")
        where = bad_json["loc"][-1] if bad_json.get("loc") else "?"
        detail = f"request body is not valid JSON: {reason} (at character {where})"
        return problem(400, "Malformed JSON", detail, instance=request.url.path)
    shown = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in errors[:5])
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return problem(422, "Invalid request", shown + more, instance=request.url.path, errors=errors)


async def http_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    detail = exc.detail if isinstance(exc.detail, str) else json.dumps(exc.detail)
    cause = exc.__cause__
    # FastAPI turns any body-parsing failure other than a JSON syntax error into a bare 400; name the real cause.
    if status == 400 and isinstance(cause, UnicodeDecodeError):
        return problem(
            422, "Invalid input", f"request body is not valid UTF-8 (byte {cause.start})", instance=request.url.path
        )
    if status == 400 and isinstance(cause, RecursionError):
        return problem(400, "Malformed JSON", "request body JSON is nested too deeply", instance=request.url.path)
    if status == 413:  # the body-size limit: same problem type as the core's TooLarge
        return problem(413, "Too large", detail, instance=request.url.path)
    if status == 404 and detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}"
    elif status == 405:
        detail = f"method {request.method} is not allowed on {request.url.path}"
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    # RFC 9457: plain HTTP errors use "about:blank" with the status phrase as the title.
    return problem(status, title, detail, type_="about:blank", instance=request.url.path, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, qa_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
