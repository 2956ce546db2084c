"""The web page at ``/``: one server-rendered template plus static ES modules that call the JSON API.

The page and its files are public even when ``QA_API_KEYS`` is set (the page has to load to ask for a key);
every API call it makes carries the key. Nothing is loaded from another origin, and the page's
Content-Security-Policy forbids inline script and style."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from api.deps import AppSettings, llm_enabled
from api.web import SECURITY_HEADERS, STATIC_DIR, TEMPLATES_DIR

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=TEMPLATES_DIR)


@router.get("/", response_class=HTMLResponse)
def page(request: Request, settings: AppSettings) -> Any:
    context = {
        "auth_required": bool(settings.api_keys),
        "llm_enabled": llm_enabled(settings),
        "max_question_chars": settings.max_question_chars,
        "version": request.app.version,
    }
    response = templates.TemplateResponse(request, "index.html", context)
    response.headers.update(SECURITY_HEADERS)
    # The page carries no data (the API calls do), but settings change between runs: always revalidate.
    response.headers["Cache-Control"] = "no-cache"
    return response


class StaticAssets(StaticFiles):
    """The page's scripts, styles and icon. ``no-cache`` makes the browser revalidate (ETag) on each load, so
    an upgraded server never runs with an old module next to a new one."""

    async def get_response(self, path: str, scope: Scope) -> Any:
        response = await super().get_response(path, scope)
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def static_files() -> StaticAssets:
    return StaticAssets(directory=STATIC_DIR)
