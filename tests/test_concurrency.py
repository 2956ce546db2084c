"""Ingests, deletes and questions at the same time: no errors, no lost or duplicated chunks."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from qa.config import Settings
from qa.errors import StoreUnavailable
from qa.models import ArticleIn
from qa.service import NewsQA
from tests.paths import DEMO_ARTICLES
from tests.test_crash_safety import assert_consistent


def test_parallel_ingest_search_delete(tmp_path: Path) -> None:
    svc = NewsQA(Settings(data_dir=tmp_path))
    svc.ingest_paths([DEMO_ARTICLES])

    def ingest(worker: int) -> int:
        records = [
            ArticleIn(
                id=f"w{worker}-{i}",
                title=f"Harbour note {worker}-{i}",
                body=f"The harbour office logged {worker * 100 + i} ferry crossings on the {i}th day.",
            )
            for i in range(6)
        ]
        return svc.ingest_records(records).summary["added"]

    def ask(n: int) -> list[str]:
        hits = svc.search("How many ferry crossings did the harbour office log?", k=8)
        return [h.article_id for h in hits]

    def delete(_: int) -> None:
        svc.ingest_records([ArticleIn(id="temp", title="Temp", body="A short-lived note about the tide.")])
        svc.delete_article("temp")

    with ThreadPoolExecutor(max_workers=8) as pool:
        added = [pool.submit(ingest, w) for w in range(4)]
        asked = [pool.submit(ask, n) for n in range(16)]
        deleted = [pool.submit(delete, n) for n in range(1)]
        assert sum(f.result() for f in added) == 24
        cited = {aid for f in asked for aid in f.result()}
        for f in deleted:
            f.result()

    assert_consistent(svc)
    assert svc.store.count() == 9 + 24
    existing = {a.id for a in svc.store.list()} | {"temp"}
    assert cited <= existing


def test_a_vector_whose_record_is_going_is_skipped(demo_service: NewsQA, tmp_path: Path) -> None:
    """What Chroma returns while a delete or replace is under way (chroma-core/chroma#2007): nearest neighbours
    whose records are already gone (their metadata comes back as ``None``; the query reads ids and distances only)
    and chunks an article no longer has. Dense search skips them instead of failing or citing them."""
    svc = NewsQA(Settings(data_dir=tmp_path), embedder=demo_service.embedder)
    svc.ingest_records(
        [
            ArticleIn(id="tide-1", title="Tide", body="The spring tide flooded the harbour car park on Monday."),
            ArticleIn(id="tide-2", title="Tide", body="Harbour staff moved the cars before the next tide came in."),
        ]
    )
    collection = svc.index.collection  # type: ignore[attr-defined]
    real_query = collection.query

    def query_during_a_delete(*args: object, **kwargs: object) -> dict:
        res = real_query(*args, **kwargs)
        gone = ["tide-0:0", "tide-1:7", "not a chunk id"]  # an article deleted, a chunk replaced, a stray record
        res["ids"][0][:0] = gone
        res["distances"][0][:0] = [0.0] * len(gone)
        if res.get("metadatas"):
            res["metadatas"][0][:0] = [None] * len(gone)
        return res

    collection.query = query_during_a_delete
    try:
        hits = svc.search("When did the tide flood the harbour car park?", k=5, mode="dense")
        answer = svc.ask("When did the tide flood the harbour car park?")
    finally:
        collection.query = real_query
        svc.close()
    assert sorted(h.article_id for h in hits) == ["tide-1", "tide-2"] and answer.question


@pytest.mark.parametrize(
    "message",
    [
        "Error executing plan: Error creating hnsw segment reader: Nothing found on disk",  # embedded Chroma
        "Error executing plan: Internal error: Error finding id",  # a Chroma server, an id deleted meanwhile
    ],
)
def test_a_write_in_progress_is_waited_for(demo_service: NewsQA, tmp_path: Path, message: str) -> None:
    """Chroma fails a query while a concurrent write is in the way: embedded Chroma before the collection's first
    segment files are flushed, a Chroma server when its index still holds an id a concurrent delete removed (both
    seen under concurrent add/delete of the same ids). The read is retried; if the write never finishes, the
    answer is a 503, never a 500."""
    from chromadb.errors import InternalError

    svc = NewsQA(Settings(data_dir=tmp_path), embedder=demo_service.embedder)
    svc.ingest_records([ArticleIn(id="tide-1", title="Tide", body="The spring tide flooded the harbour car park.")])
    collection = svc.index.collection  # type: ignore[attr-defined]
    real_query = collection.query
    failures = iter([True, True])

    def query_while_flushing(*args: object, **kwargs: object) -> dict:
        if next(failures, False):
            raise InternalError(message)
        return real_query(*args, **kwargs)

    collection.query = query_while_flushing
    try:
        assert len(svc.search("When did the tide flood the car park?", k=5, mode="dense")) == 1
        failures = itertools.repeat(True)
        with pytest.raises(StoreUnavailable):
            svc.search("When did the tide flood the car park?", k=5, mode="dense")
    finally:
        collection.query = real_query
        svc.close()
