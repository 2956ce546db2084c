"""Dependencies in one place: the shared service, the settings, and bearer-key auth."""

from __future__ import annotations

import hmac
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.schemas import Problem
from qa.config import Settings
from qa.errors import QAError
from qa.service import NewsQA


class NotReady(QAError):
    status = 503
    title = "Not ready"


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_service(request: Request) -> NewsQA:
    service = getattr(request.app.state, "service", None)
    if service is None:  # only between process start and the end of the lifespan start-up
        raise NotReady("the service is still loading its store and models")
    return service


Service = Annotated[NewsQA, Depends(get_service)]
AppSettings = Annotated[Settings, Depends(get_settings)]

# auto_error=False: a missing header is reported by require_api_key as problem+json with WWW-Authenticate.
bearer = HTTPBearer(auto_error=False, description="One of the keys in QA_API_KEYS.")


def key_matches(given: str, keys: list[str]) -> bool:
    """Constant-time comparison against every key (no early exit that would reveal which key was close)."""
    supplied = given.encode()
    found = False
    for key in keys:
        found |= hmac.compare_digest(supplied, key.encode())
    return found


def require_api_key(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> None:
    keys = [k.get_secret_value() for k in get_settings(request).api_keys]
    if not keys:
        return
    challenge = {"WWW-Authenticate": 'Bearer realm="newsqa"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "missing API key: send 'Authorization: Bearer <key>'", headers=challenge)
    if not key_matches(credentials.credentials, keys):
        raise HTTPException(
            401, "invalid API key", headers={"WWW-Authenticate": 'Bearer realm="newsqa", error="invalid_token"'}
        )


def llm_enabled(settings: Settings) -> bool:
    return bool(settings.llm_base_url)


def check_limits(settings: Settings, body: Any) -> None:
    """Request rules that depend on settings, so the static models can't hold them (the schema shows them:
    see ``api.app._openapi``): question/topic length and whether the LLM generator is offered. Reported like
    any field error (422), the way a schema's ``maxLength`` or ``enum`` would be."""
    errors: list[dict[str, Any]] = []
    limit = settings.max_question_chars
    for field in ("question", "topic"):
        text = getattr(body, field, None)
        if text is not None and len(text) > limit:
            errors.append(
                {
                    "type": "string_too_long",
                    "loc": ("body", field),
                    "input": None,
                    "ctx": {"max_length": limit},
                    "msg": f"String should have at most {limit} characters (QA_MAX_QUESTION_CHARS); got {len(text)}",
                }
            )
    if getattr(body, "generator", None) == "llm" and not llm_enabled(settings):
        errors.append(
            {
                "type": "enum",
                "loc": ("body", "generator"),
                "input": None,
                "msg": "Input should be 'extractive': the llm generator is not enabled here (QA_LLM_BASE_URL is unset)",
            }
        )
    if errors:
        raise RequestValidationError(errors)


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for error statuses (the app's schema hook files them as problem+json)."""
    text = {
        400: "Malformed JSON or unreadable body",
        401: "Missing or invalid API key",
        404: "Unknown article or feed id",
        409: "Conflict: the feed is already followed, or a poll of it is already running",
        413: "Over a size limit (request body or file, article length, batch size)",
        415: "Unsupported file type or binary data",
        422: "Invalid request: missing, blank or malformed fields, question over its limit (field errors listed), "
        "non-UTF-8 text",
        500: "Unexpected server error (logged under the request id)",
        503: "Store, models or LLM not available",
    }
    return {s: {"model": Problem, "description": text[s]} for s in statuses}
