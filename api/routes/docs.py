"""The interactive API docs at ``/docs``: Swagger UI from an installed package, never from a CDN.

FastAPI's default page loads Swagger UI from cdn.jsdelivr.net, so it was blank on an offline machine. The files
come from ``swagger-ui-bundle-v2`` (Swagger UI 5.31.0 from swagger-ui-dist, Apache-2.0; a pinned dependency) and
are served under ``/docs/assets``. Like the schema, the page is public when ``QA_API_KEYS`` is set."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path

router = APIRouter(include_in_schema=False)
ASSETS = "/docs/assets"


@router.get("/docs", response_class=HTMLResponse)
def swagger_ui(request: Request) -> HTMLResponse:
    root = request.scope.get("root_path", "")
    return get_swagger_ui_html(
        openapi_url=f"{root}{request.app.openapi_url}",
        title=f"{request.app.title} — API docs",
        swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{root}{ASSETS}/favicon-32x32.png",
        # Swagger UI's default validator shows a badge image fetched from validator.swagger.io: no outside calls.
        swagger_ui_parameters={"validatorUrl": None},
    )


def assets() -> StaticFiles:
    return StaticFiles(directory=str(swagger_ui_path))
