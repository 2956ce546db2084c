"""What only the PostgreSQL store has: locks between processes, concurrent migrations, outages, and ``qa migrate``.

The shared contract (what SQLite does too) is in tests/test_store_contract.py. Each test gets its own database in
the session's throwaway PostgreSQL (``postgres_url``).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings
from qa.errors import StoreUnavailable
from qa.service import NewsQA
from qa.store import SQLiteStore
from qa.store.migrations import latest
from qa.store.postgres import PostgresStore
from tests.paths import DEMO_ARTICLES
from tests.servers import free_port


def test_article_locks_keep_another_process_out(postgres_url: str) -> None:
    """Two stores (as two processes have) on one database: the second waits for the first's locks, on the
    ids they share only."""
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    entered: list[float] = []

    def contender() -> None:
        with second.article_locks(["river-2", "river-1"]):
            entered.append(time.monotonic())

    try:
        with first.article_locks(["river-1", "harbour-9"]):
            worker = threading.Thread(target=contender)
            worker.start()
            with second.article_locks(["harbour-7"]):  # another id: not held up
                pass
            time.sleep(0.5)
            assert not entered, "a lock held by another store must keep it waiting"
            let_go = time.monotonic()
        worker.join(timeout=30)
        assert entered and entered[0] >= let_go
    finally:
        first.close()
        second.close()


def test_stores_opening_at_once_migrate_once(postgres_url: str) -> None:
    stores: list[PostgresStore] = []
    errors: list[BaseException] = []

    def open_one() -> None:
        try:
            stores.append(PostgresStore(postgres_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=open_one) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert not errors and len(stores) == 4
        assert {s.schema_version() for s in stores} == {latest("postgresql")}
        with stores[0].transaction() as tx:
            versions = [r[0] for r in tx.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == list(range(1, latest("postgresql") + 1))
    finally:
        for s in stores:
            s.close()


def test_an_unreachable_database_is_store_unavailable() -> None:
    started = time.monotonic()
    with pytest.raises(StoreUnavailable, match="unavailable"):
        PostgresStore(f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere", timeout_s=2)
    assert time.monotonic() - started < 30
    assert StoreUnavailable.status == 503


def _qa(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    done = CliRunner().invoke(app, list(args), env={"COLUMNS": "120", **(env or {})})
    return done.exit_code, done.output


def _json(output: str) -> dict[str, Any]:
    """The JSON document after the progress line (the test runner mixes stderr into the output)."""
    return json.loads(output[output.index("{\n") :])


def test_qa_migrate_copies_a_sqlite_store_and_verifies_it(tmp_path: Path, postgres_url: str) -> None:
    data = tmp_path / "data"
    code, output = _qa("ingest", str(DEMO_ARTICLES), "--data-dir", str(data))
    assert code == 0, output
    source = SQLiteStore(data / "articles.sqlite3")
    before = source.audit()
    source_hashes = source.hashes([a.id for a in source.list()])
    source.close()

    code, output = _qa("migrate", "--to", postgres_url, "--data-dir", str(data), "--json")
    assert code == 0, output
    summary = _json(output)
    assert summary["copied"] == before.articles and summary["unchanged"] == 0 and not summary["mismatched"]
    assert summary["target"]["chunks"] == before.chunks == summary["chunks"]
    target = PostgresStore(postgres_url)
    try:
        assert target.hashes(list(source_hashes)) == {i: (h, "indexing") for i, (h, _) in source_hashes.items()}
    finally:
        target.close()

    again = _json(_qa("migrate", "--to", postgres_url, "--data-dir", str(data), "--json")[1])
    assert again["copied"] == 0 and again["unchanged"] == before.articles  # a second run changes nothing

    # The first service on the new store builds its vectors (start-up repair), and answers from it.
    settings = Settings(data_dir=tmp_path / "pg-side", database_url=postgres_url)
    with NewsQA(settings) as svc:
        stats = svc.stats()
        assert stats["articles"] == before.articles and stats["vectors"] == stats["chunks"] == before.chunks
        assert svc.store.audit().consistent
        hits = svc.search("Which company will build the Port Calder tidal barrier?")
        assert hits and "barrier" in hits[0].text.lower()


def test_qa_migrate_refuses_an_unknown_scheme(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _qa("ingest", str(DEMO_ARTICLES / "battery-recall.txt"), "--data-dir", str(data))[0] == 0
    code, output = _qa("migrate", "--to", "mysql://db/news", "--data-dir", str(data))
    assert code != 0 and "scheme" in output
