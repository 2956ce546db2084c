"""What only the PostgreSQL store has: locks between processes, concurrent migrations, outages, and ``qa migrate``.

The shared contract (what SQLite does too) is in tests/test_store_contract.py. Each test gets its own database in
the session's throwaway PostgreSQL (``postgres_url``).
"""

from __future__ import annotations

import json
import math
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from qa.chunking import chunk_text
from qa.cli import app
from qa.config import Settings
from qa.errors import StoreUnavailable
from qa.service import NewsQA
from qa.store import SQLiteStore
from qa.store.lexical import BM25_B, BM25_K1, TITLE_WEIGHT, query_terms
from qa.store.migrations import latest
from qa.store.postgres import PostgresStore
from tests.paths import DEMO_ARTICLES
from tests.servers import free_port
from tests.test_store_contract import article


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


def test_statistics_expiring_during_a_question_do_not_fail_it(postgres_url: str, monkeypatch: Any) -> None:
    """Found under load (a 500 on /v1/ask): while one request counted its lexemes' document frequencies,
    another request's statistics expired and emptied the shared cache, and the first read a missing lexeme."""
    store = PostgresStore(postgres_url)
    query = store._rows
    expiring = False

    def query_then_expire(*args: Any, **kwargs: Any) -> Any:
        nonlocal expiring
        rows = query(*args, **kwargs)
        if not expiring:  # after each of this request's queries, another thread finds the statistics expired
            expiring = True
            store._stats_at = None
            store._stats()
            expiring = False
        return rows

    question = "Harbour cranes were repaired after the storm"
    try:
        assert store.bm25(question, 5) == []  # every term's lexemes and counts are now cached ...
        store._df_cache.pop("storm")  # ... but one, which this request counts while the statistics expire
        monkeypatch.setattr(store, "_rows", query_then_expire)
        assert store.bm25(question, 5) == []
    finally:
        store.close()


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


# BM25 as the store computed it before its postings (schema 3): ts_rank_cd per question lexeme on each matching
# chunk's tsvector, weights {D, C, B, A} = {0, 0, TITLE_WEIGHT, 1}. The postings must give the same scores.
_TS_RANK_BM25 = (
    "SELECT c.article_id, c.chunk_index, (SELECT SUM(t.idf * f.tf * %s / (f.tf + %s + %s * c.n_tokens)) "
    "FROM unnest(%s::tsquery[], %s::float8[]) AS t(q, idf), "
    f"LATERAL (SELECT ts_rank_cd('{{0, 0, {TITLE_WEIGHT}, 1.0}}', c.tsv, t.q, 0) AS tf) AS f) AS score "
    "FROM chunks c JOIN articles a ON a.id = c.article_id "
    "WHERE c.tsv @@ %s::tsquery AND a.state = 'ready' ORDER BY score DESC, c.article_id, c.chunk_index"
)

# Texts written for these tests: words repeated within a chunk, words in both title and text, stemmed variants,
# chunks of different lengths, an article long enough to make several chunks.
_ORCHARD_ARTICLES = [
    ("orchard-1", "Orchard frost", "Frost hit the orchard twice. The orchard owners said frost frosts every spring."),
    ("orchard-2", "Cider pressing", "The cider press ran all night; pressing apples from the frosted orchard."),
    ("orchard-3", "Council budget", "The council budget funds orchards, parks and a new cider museum for growers."),
    (
        "orchard-4",
        "Growers and frost",
        "\n\n".join(
            f"Part {i}: growers counted {i} crates of apples after the frost in the hill orchard." for i in range(25)
        ),
    ),
]
_ORCHARD_QUESTIONS = [
    "Which orchard was hit by frost?",
    "cider pressing apples",
    "How many crates did growers count?",
    "council budget museum",
    "frost frost orchard growers apples cider",
]


def _orchard_store(url: str) -> PostgresStore:
    store = PostgresStore(url)
    with store.transaction() as tx:
        for aid, title, body in _ORCHARD_ARTICLES:
            store.put(tx, article(aid, body, title=title), chunk_text(aid, body, 30, 0))
        store.set_state(tx, [a[0] for a in _ORCHARD_ARTICLES], "ready")
    return store


def _ts_rank_bm25(store: PostgresStore, question: str) -> list[tuple[str, int, float]]:
    lexemes = store._lexemes(query_terms(question))
    total, mean_length = store._stats()
    df = store._document_frequencies(lexemes)
    idf = [math.log(1 + (total - df[x] + 0.5) / (df[x] + 0.5)) for x in lexemes]
    queries = ["'" + x.replace("'", "''") + "'" for x in lexemes]
    saturation = [BM25_K1 + 1, BM25_K1 * (1 - BM25_B), BM25_K1 * BM25_B / mean_length]
    with store.transaction() as tx:
        rows = tx.execute(_TS_RANK_BM25, [*saturation, queries, idf, " | ".join(queries)]).fetchall()
    return [(r[0], r[1], float(r[2])) for r in rows]


def _assert_same_scores(store: PostgresStore) -> None:
    for question in _ORCHARD_QUESTIONS:
        before = _ts_rank_bm25(store, question)
        after = store.bm25(question, 100)
        assert len(before) > 0 and len(after) == len(before), question
        assert {h[:2]: h[2] for h in after} == pytest.approx({h[:2]: h[2] for h in before}, abs=1e-12), question
        assert [h[2] for h in after] == pytest.approx([h[2] for h in before], abs=1e-12), question


def test_bm25_from_postings_scores_as_ts_rank_cd_did(postgres_url: str) -> None:
    store = _orchard_store(postgres_url)
    try:
        assert store.chunk_count() > len(_ORCHARD_ARTICLES)  # the long article made several chunks
        _assert_same_scores(store)
    finally:
        store.close()


def _select(store: PostgresStore, sql: str) -> list[tuple[Any, ...]]:
    with store.transaction() as tx:
        return tx.execute(sql).fetchall()


def _postings(store: PostgresStore) -> list[tuple[Any, ...]]:
    return _select(
        store,
        "SELECT article_id, chunk_index, lexeme, n_text, n_title FROM chunk_terms ORDER BY article_id, chunk_index, lexeme",
    )


def _stale_lengths(store: PostgresStore) -> list[tuple[Any, ...]]:
    """Postings whose copy of their chunk's length is not the chunk's."""
    return _select(
        store,
        "SELECT p.article_id, p.chunk_index, p.lexeme FROM chunk_terms p JOIN chunks c "
        "ON c.article_id = p.article_id AND c.chunk_index = p.chunk_index WHERE p.n_tokens != c.n_tokens",
    )


def test_postings_follow_ingest_reingest_and_delete(postgres_url: str) -> None:
    store = _orchard_store(postgres_url)
    try:
        assert {(r[0], r[2]) for r in _postings(store)} >= {("orchard-1", "frost"), ("orchard-2", "cider")}
        frost = [r for r in _postings(store) if r[:3] == ("orchard-1", 0, "frost")]
        assert frost == [
            ("orchard-1", 0, "frost", 3, 1)
        ]  # "Frost", "frost", "frosts" in the text; "frost" in the title
        replaced = article("orchard-1", "Hail bruised the pears.", title="Hail")
        with store.transaction() as tx:
            store.put(tx, replaced, chunk_text("orchard-1", replaced.body, 30, 0))
            store.delete(tx, "orchard-2")
        kept = _postings(store)
        assert {r[2] for r in kept if r[0] == "orchard-1"} == {"hail", "bruis", "pear"}
        assert not [r for r in kept if r[0] == "orchard-2"]
        chunks = {tuple(k.split(":")) for k in store.chunk_ids()}
        assert {(r[0], str(r[1])) for r in kept} == chunks  # every chunk has postings, no posting outlives its chunk
        assert not _stale_lengths(store)
    finally:
        store.close()


def test_migration_backfills_postings_of_existing_chunks(postgres_url: str) -> None:
    """A database at schema 3 (chunks, no postings) gets the same postings as ingest writes, and the same scores."""
    store = _orchard_store(postgres_url)
    written = _postings(store)
    with store.transaction() as tx:
        tx.execute("DROP TABLE chunk_terms")
        tx.execute("CREATE INDEX chunks_tsv ON chunks USING GIN (tsv)")
        tx.execute("DROP INDEX articles_filter")
        tx.execute("DELETE FROM schema_migrations WHERE version >= 4")
    store.close()
    store = PostgresStore(postgres_url)
    try:
        assert store.schema_version() == latest("postgresql")
        assert _postings(store) == written
        assert not _stale_lengths(store)
        _assert_same_scores(store)
    finally:
        store.close()
