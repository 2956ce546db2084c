"""Versioned schema migrations: plain SQL files, ``NNNN_name.sql``, one folder per backend.

A store applies the files above its recorded version, in order, each in one transaction with the new version
recorded in the same transaction (SQLite: ``PRAGMA user_version``; PostgreSQL: the ``schema_migrations`` table).
Adding a table or column: add the next-numbered file to every backend's folder, never edit a file that has landed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent
_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations(backend: str) -> list[Migration]:
    """The backend's migrations in version order; numbering must run 1, 2, 3… without gaps."""
    found = []
    for path in sorted((HERE / backend).glob("*.sql")):
        match = _NAME.match(path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match.group(1)), match.group(2), path.read_text(encoding="utf-8")))
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise ValueError(f"{backend} migrations are not numbered 1..{len(found)}: {versions}")
    return found


def pending(backend: str, version: int) -> list[Migration]:
    """The backend's migrations above ``version``, in order: what a store at that version still has to apply
    (each backend runs them in its own transaction and records the version its own way)."""
    return [m for m in migrations(backend) if m.version > version]


def latest(backend: str) -> int:
    return len(migrations(backend))
