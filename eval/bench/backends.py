"""The article store and vector index a benchmark runs against, as the environment its processes inherit.

``sqlite``: the embedded default (SQLite and embedded Chroma in the data dir). ``postgres``: a throwaway PostgreSQL
started from the local binaries (as the tests do), one new database per use. ``shared_vectors`` adds a ``chroma run``
server, which several ``qa serve`` processes can share (the scale-out topology). Only loopback servers started here.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from tests.servers import PostgresServer, chroma_server, postgres_missing

BACKENDS = ("sqlite", "postgres")


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``values`` set for the block: child processes (spawned builders, ``qa serve``) and
    ``Settings()`` in this process read their store from it."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@contextlib.contextmanager
def backend(name: str, tmp: Path, shared_vectors: bool = False) -> Iterator[dict[str, str]]:
    """The environment of a store on ``name`` (and a Chroma server when ``shared_vectors``), active in the block."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; known: {', '.join(BACKENDS)}")
    with contextlib.ExitStack() as stack:
        env: dict[str, str] = {}
        if name == "postgres":
            missing = postgres_missing()
            if missing:
                raise RuntimeError(f"--backend postgres needs a local PostgreSQL: {missing}")
            server = PostgresServer()
            stack.callback(server.close)
            env["QA_DATABASE_URL"] = server.create_database(f"bench_{uuid.uuid4().hex[:12]}")
        if shared_vectors:
            port = stack.enter_context(chroma_server(tmp / f"chroma-{name}"))
            env.update(QA_CHROMA_MODE="server", QA_CHROMA_HOST="127.0.0.1", QA_CHROMA_PORT=str(port))
        stack.enter_context(environment(env))
        yield env
