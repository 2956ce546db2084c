"""The article store: one contract (:mod:`qa.store.base`), one module per backend, and :func:`open_store`.

``QA_DATABASE_URL`` picks the backend by its scheme; unset, the store is SQLite in the data dir (the embedded
default). Backends are registered in :data:`BACKENDS` (scheme -> opener), so adding one touches no caller.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from qa.config import Settings
from qa.errors import ConfigError
from qa.store.base import ArticleMeta, ArticleStore, StoreAudit
from qa.store.sqlite import SQLiteStore

__all__ = ["BACKENDS", "ArticleMeta", "ArticleStore", "SQLiteStore", "StoreAudit", "open_store"]


def _open_sqlite(url: str, settings: Settings) -> ArticleStore[Any]:
    """``sqlite:///relative/path`` or ``sqlite:////absolute/path`` (SQLAlchemy's spelling)."""
    path = url.split(":///", 1)[1] if ":///" in url else ""
    if not path:
        raise ConfigError(f"a SQLite database URL needs a file path (sqlite:///path/to/articles.sqlite3), not {url!r}")
    return SQLiteStore(Path(path).expanduser())


def _open_postgres(url: str, settings: Settings) -> ArticleStore[Any]:
    """``postgresql://user:pass@host:port/db`` (libpq's URL, ``postgres://`` too); psycopg is the ``postgres`` extra."""
    try:
        from qa.store.postgres import PostgresStore
    except ImportError as exc:
        raise ConfigError(
            f"QA_DATABASE_URL is a PostgreSQL URL but psycopg is not installed ({exc}): pip install 'newsqa[postgres]'"
        ) from exc
    return PostgresStore(
        url.replace("postgresql+psycopg://", "postgresql://", 1),
        settings.database_pool_size,
        settings.database_timeout_s,
    )


BACKENDS: dict[str, Callable[[str, Settings], ArticleStore[Any]]] = {
    "sqlite": _open_sqlite,
    "postgresql": _open_postgres,
    "postgres": _open_postgres,
}


def open_store(settings: Settings) -> ArticleStore[Any]:
    """The article store the settings name: ``QA_DATABASE_URL`` if set, else SQLite in ``QA_DATA_DIR``."""
    url = settings.database_url.get_secret_value() if settings.database_url else None
    if not url:
        return SQLiteStore(settings.sqlite_path)
    scheme = urlsplit(url).scheme.split("+", 1)[0].lower()
    opener = BACKENDS.get(scheme)
    if opener is None:
        known = ", ".join(f"{s}://" for s in BACKENDS)
        raise ConfigError(f"QA_DATABASE_URL has scheme {scheme!r}; supported: {known}")
    return opener(url, settings)
