"""The app factory: one :class:`NewsQA` per process (made in the lifespan), routers, middleware, errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import anyio
from fastapi import Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi

from api.deps import llm_enabled, problems, require_api_key
from api.errors import PROBLEM_JSON, install_error_handlers, is_openai_route
from api.middleware import BodyLimitMiddleware, RequestContextMiddleware
from api.routes import articles, ask, briefings, chat, docs, feeds, health, search, web
from qa.config import Settings
from qa.service import NewsQA

log = logging.getLogger("api")

DESCRIPTION = """
Grounded question answering and briefings over your news articles. Every answer sentence cites verbatim
quotes (`article.body[start:end]`) and carries a grounding verdict.

**Auth**: when `QA_API_KEYS` is set, every route except `/healthz` and `/readyz` needs
`Authorization: Bearer <key>` (401 otherwise). The schema and docs pages stay public, and so does the web page at
`/` (it asks for the key, then sends it on its API calls).

**Errors** are `application/problem+json` (RFC 9457) with `type`, `title`, `status`, `detail`, `instance`
and `request_id` (also sent as the `X-Request-ID` header):

| status | when |
|---|---|
| 400 | malformed JSON, unreadable body, JSON nested too deeply |
| 401 | missing or wrong API key (with `WWW-Authenticate: Bearer`) |
| 404 | unknown article or feed id, or route |
| 409 | a feed URL already followed; a poll of the feed already running |
| 405 | method not allowed on a route |
| 408 | a request's headers or body stopped arriving (`QA_REQUEST_READ_TIMEOUT_S`) or took too long (`QA_REQUEST_DEADLINE_S`); the connection is closed |
| 413 | over a size limit: body or file `QA_MAX_UPLOAD_BYTES`, article `QA_MAX_ARTICLE_CHARS`, batch `QA_MAX_BATCH_ARTICLES` |
| 415 | unsupported file type or binary file on upload |
| 422 | missing, empty or invalid fields (listed in `errors`); question or topic over `QA_MAX_QUESTION_CHARS` (the schema's `maxLength`); `generator: "llm"` when no LLM is configured; a JSON body that is not UTF-8, an upload in no text encoding, unpaired surrogates |
| 503 | still loading, store/vector index down, configured LLM not answering; more than `QA_MAX_CONNECTIONS` connections (plain text, from uvicorn) |

A batch (JSON or upload) that fails validation stores nothing.
"""

# Request fields limited by a setting rather than by the static model; the schema shows the configured limit.
# (model, field, setting): an article body over QA_MAX_ARTICLE_CHARS is a 413 from the core; the others are 422s from
# api.deps.check_limits.
_LIMITED_FIELDS = (
    ("AskRequest", "question", "max_question_chars"),
    ("SearchRequest", "question", "max_question_chars"),
    ("BriefingRequest", "topic", "max_question_chars"),
    ("ArticleCreate", "body", "max_article_chars"),
)


def _app_version() -> str:
    try:
        return version("newsqa")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0.0.0"


def start_poller(service: NewsQA) -> Any:
    """The background feed poller (QA_FEEDS_POLL=true), started with the app and stopped with it."""
    from qa.feeds import BackgroundPoller

    poller = BackgroundPoller(service.feeds, service.settings.feeds_poll_tick_s)
    poller.start()
    log.info("polling feeds in the background every %ss", service.settings.feeds_poll_tick_s)
    return poller


def create_app(settings: Settings | None = None, service: NewsQA | None = None) -> FastAPI:
    """The API over ``service``, or over a :class:`NewsQA` built from ``settings`` at start-up.

    Given only a service, its settings are the app's too, so the API's limits match the core's."""
    settings = settings or (service.settings if service is not None else Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        owned = app.state.service is None
        if owned:
            # Loading models and opening the store is blocking work: keep it off the event loop.
            log.info("loading the store and models")
            app.state.service = await anyio.to_thread.run_sync(NewsQA, settings)
        poller = start_poller(app.state.service) if settings.feeds_poll else None
        log.info("ready")
        try:
            yield
        finally:
            if poller is not None:
                await anyio.to_thread.run_sync(poller.stop)
            if owned:
                app.state.service.close()
                app.state.service = None

    app = FastAPI(
        title="News QA",
        version=_app_version(),
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=problems(500),
        docs_url=None,  # api.routes.docs serves Swagger UI from an installed package instead of a CDN
        redoc_url=None,
        # No "add a slash" 307s: they were built from the client's Host header (an open redirect) and needed no
        # key. /v1/articles/ is simply not a route (404).
        redirect_slashes=False,
    )
    app.state.settings = settings
    app.state.service = service

    secured = [Depends(require_api_key)] if settings.api_keys else []
    for router in (articles.router, ask.router, briefings.router, search.router, feeds.router, chat.router):
        app.include_router(router, dependencies=secured, responses=problems(401) if secured else None)
    app.include_router(health.router)
    app.include_router(docs.router)
    app.mount(docs.ASSETS, docs.assets(), name="docs-assets")
    # The web page and its files are public: it must load to ask for the key that its API calls then send.
    app.include_router(web.router)
    app.mount("/static", web.static_files(), name="static")

    install_error_handlers(app)
    # Added innermost first: the request-id layer wraps everything so even CORS and 413 replies carry the id.
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_upload_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE"],
            allow_headers=["Authorization", "Content-Type", "Accept", "X-Request-ID"],
            expose_headers=["X-Request-ID"],
        )
    app.add_middleware(RequestContextMiddleware)
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """FastAPI's schema, with every error response filed as problem+json and the configured limits shown."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        description=app.description,
        routes=app.routes,
        tags=[
            {"name": "articles"},
            {"name": "questions"},
            {"name": "briefings"},
            {"name": "search"},
            {"name": "feeds"},
            {"name": "chat", "description": 'OpenAI-compatible: errors use OpenAI\'s `{"error": {...}}` shape.'},
        ],
    )
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    openai_error_ref = {"$ref": "#/components/schemas/OpenAIError"}
    for path, path_item in schema["paths"].items():
        error_content = {"application/json": {"schema": openai_error_ref}} if is_openai_route(path) else None
        for operation in path_item.values():
            for code, response in operation.get("responses", {}).items():
                if code.isdigit() and int(code) >= 400:
                    response["content"] = error_content or {PROBLEM_JSON: {"schema": problem_ref}}
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    # The length limits enforced from the settings.
    for model, field, setting in _LIMITED_FIELDS:
        prop = components.get(model, {}).get("properties", {}).get(field)
        if prop is None:
            continue
        for branch in prop.get("anyOf", [prop]):
            if branch.get("type") == "string":
                branch["maxLength"] = getattr(settings, setting)
    if not llm_enabled(settings):
        for model in ("AskRequest", "BriefingRequest"):
            for branch in components[model]["properties"]["generator"]["anyOf"]:
                if "enum" in branch:
                    branch["enum"] = ["extractive"]
    app.openapi_schema = schema
    return schema
