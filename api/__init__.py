"""The HTTP API: a thin FastAPI layer over :class:`qa.service.NewsQA` (``create_app`` builds it)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    # Lazy so that `import api` stays cheap (the app pulls in the models and Chroma).
    if name == "create_app":
        from api.app import create_app

        return create_app
    raise AttributeError(name)
