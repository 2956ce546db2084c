"""Every error leaves the API as ``application/problem+json`` (RFC 9457), mapped here once.

Typed core errors (:class:`qa.errors.QAError`) keep their ``status``/``title``; request validation becomes 422
with the field errors listed (malformed JSON 400); HTTP errors (unknown route, wrong method, auth) keep their
status. Every problem ``type`` is ``urn:newsqa:problem:<title as a slug>``, so a client can switch on one scheme.
Unexpected exceptions are turned into a 500 by :mod:`api.middleware`, which logs them.

The OpenAI-compatible routes (:func:`is_openai_route`) answer in OpenAI's ``{"error": {...}}`` shape instead,
because the SDKs and chat front ends pointed at them parse that; their request validation errors are 400s.
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
from api.openai_schemas import openai_error_body
from api.schemas import NOT_BLANK
from qa.errors import QAError

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:newsqa:problem:"

# Request bodies are never echoed back (they may be article text), so only these keys of a pydantic error go out.
_ERROR_KEYS = ("loc", "msg", "type")


def is_openai_route(path: str) -> bool:
    """Routes that speak OpenAI's API (and its error shape): ``/v1/models[/...]`` and ``/v1/chat/completions``."""
    return path in ("/v1/models", "/v1/chat/completions") or path.startswith("/v1/models/")


def openai_error(
    status: int,
    message: str,
    *,
    code: str | None = None,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = openai_error_body(status, message, code=code, param=param)
    rid = request_id.get()
    if rid:
        body["error"]["request_id"] = rid
    return JSONResponse(body, status_code=status, headers=headers)


def error_response(
    request: Request,
    status: int,
    title: str,
    detail: str,
    *,
    code: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    """One error, in the shape the route speaks: problem+json, or OpenAI's on the OpenAI-compatible routes
    (where, as in OpenAI's API, an invalid request is a 400, never a 422)."""
    if is_openai_route(request.url.path):
        code = code or problem_type(title).removeprefix(TYPE_PREFIX)
        return openai_error(400 if status == 422 else status, detail, code=code, headers=headers)
    return problem(status, title, detail, instance=request.url.path, headers=headers, **extra)


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


def raw_error(path: str, status: int, title: str, detail: str) -> tuple[bytes, str]:
    """An error body and its content type, for code below the framework (middleware) that has no Request."""
    if is_openai_route(path):
        body = openai_error_body(status, detail, code=problem_type(title).removeprefix(TYPE_PREFIX))
        body["error"]["request_id"] = request_id.get()
        return json.dumps(body).encode(), "application/json"
    return json.dumps(problem_body(status, title, detail, instance=path)).encode(), PROBLEM_JSON


def internal_error_body(path: str) -> tuple[bytes, str]:
    """The 500 body: says nothing about the cause (that goes to the log, under the same request id)."""
    return raw_error(
        path, 500, "Internal error", "the server failed to handle this request; quote the request_id when reporting it"
    )


def _where(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc) or "request"


async def qa_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QAError)
    return error_response(request, exc.status, exc.title, exc.detail, code=getattr(exc, "code", None))


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
    if is_openai_route(request.url.path):
        if bad_json is not None:
            return openai_error(400, "request body is not valid JSON", code="invalid_json")
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        param = ".".join(str(p) for p in first["loc"][1:]) or None  # OpenAI names the field without "body."
        return openai_error(400, f"{param or 'request'}: {first['msg']}", code="invalid_request", param=param)
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
        return error_response(request, 422, "Invalid input", f"request body is not valid UTF-8 (byte {cause.start})")
    if status == 400 and isinstance(cause, RecursionError):
        return error_response(request, 400, "Malformed JSON", "request body JSON is nested too deeply")
    if status == 413:  # the body-size limit: same problem type as the core's TooLarge
        return error_response(request, 413, "Too large", detail)
    if status == 404 and detail == "Not Found":
        detail = f"no route {request.method} {request.url.path}"
    elif status == 405:
        detail = f"method {request.method} is not allowed on {request.url.path}"
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    if is_openai_route(request.url.path):
        code = "invalid_api_key" if status == 401 else problem_type(title).removeprefix(TYPE_PREFIX)
        return openai_error(status, detail, code=code, headers=exc.headers)
    # One type scheme for every problem (urn:newsqa:problem:*), plain HTTP errors included, e.g. "unauthorized".
    return problem(status, title, detail, instance=request.url.path, headers=exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(QAError, qa_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error_handler)
