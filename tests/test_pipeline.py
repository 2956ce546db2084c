"""The core pipeline for real: ONNX embedder, Chroma on disk (and as a server), SQLite FTS5."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from qa.chunking import chunk_text
from qa.config import Settings
from qa.embeddings import MINILM_ID, chroma_embedding_function, get_embedder, langchain_embeddings
from qa.errors import EmbedderMismatch, NotFound
from qa.models import ArticleIn, Filters
from qa.retrieval import langchain_retriever
from qa.service import NewsQA
from tests.paths import DEMO_ARTICLES, EXAMPLE_ARTICLE, ROOT, need_shared
from tests.servers import chroma_server

POMPEO = "Why was the Pompeo meeting cancelled?"
CANCEL_SENTENCE = "At midnight on Wednesday, the State Department announced that it had been canceled"


@pytest.fixture(scope="module")
def svc(tmp_path_factory: pytest.TempPathFactory) -> NewsQA:
    service = NewsQA(Settings(data_dir=tmp_path_factory.mktemp("pipeline")))
    service.ingest_paths([DEMO_ARTICLES])
    return service


def test_embedder_matches_sentence_transformers_behaviour() -> None:
    emb = get_embedder(Settings())
    vecs = emb.embed(["The council approved the barrier.", "Councillors voted for the flood wall.", "Cats purr."])
    assert vecs.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-4)
    assert vecs[0] @ vecs[1] > vecs[0] @ vecs[2] + 0.2
    # order-independent batching: same vector alone or in a batch
    assert np.allclose(emb.embed(["Cats purr."])[0], vecs[2], atol=1e-4)
    assert emb.id == MINILM_ID
    assert len(chroma_embedding_function(emb)(["x"])[0]) == 384
    assert len(langchain_embeddings(emb).embed_documents(["x", "y"])) == 2


def test_reingest_is_idempotent(svc: NewsQA) -> None:
    before = svc.stats()
    report = svc.ingest_paths([DEMO_ARTICLES])
    assert report.summary["added"] == 0 and report.summary["updated"] == 0
    assert report.summary["unchanged"] == before["articles"]
    assert svc.stats() == before
    assert before["chunks"] == before["vectors"]


def test_changed_body_replaces_chunks_and_delete_removes_all(svc: NewsQA) -> None:
    long_body = "\n\n".join(f"Paragraph {i}: the harbour authority counted {i} ferries today." for i in range(80))
    first = svc.ingest_records([ArticleIn(id="ferry-1", title="Ferries", body=long_body)])
    assert first.summary["added"] == 1
    n_first = first.items[0].chunks
    assert n_first > 2
    second = svc.ingest_records([ArticleIn(id="ferry-1", title="Ferries", body="The ferry service closed for good.")])
    assert second.summary["updated"] == 1 and second.items[0].chunks == 1
    assert svc.store.get("ferry-1").n_chunks == 1  # type: ignore[union-attr]
    assert len(svc.index.collection.get(where={"article_id": "ferry-1"})["ids"]) == 1
    svc.delete_article("ferry-1")
    assert svc.store.get("ferry-1") is None
    assert svc.index.collection.get(where={"article_id": "ferry-1"})["ids"] == []
    assert not any(cid.startswith("ferry-1:") for cid in svc.store.chunk_ids())
    with pytest.raises(NotFound):
        svc.delete_article("ferry-1")


def test_search_filters_and_today(svc: NewsQA) -> None:
    hits = svc.search("How many batteries did Voltmere recall?", k=5)
    assert hits and "Voltmere" in hits[0].title
    for h in hits:
        art = svc.get_article(h.article_id)
        assert art.body[h.start : h.end] == h.text
    early = svc.search("Voltmere battery recall", k=10, today=dt.date(2025, 3, 30))
    assert early and all(h.published_at and h.published_at <= dt.date(2025, 3, 30) for h in early)
    only = svc.search("rail strike", k=10, filters=Filters(since=dt.date(2025, 3, 20), until=dt.date(2025, 3, 31)))
    assert only and all(dt.date(2025, 3, 20) <= h.published_at <= dt.date(2025, 3, 31) for h in only)  # type: ignore[operator]
    for mode in ("dense", "bm25"):
        assert svc.search("tidal barrier contractor", k=3, mode=mode)  # type: ignore[arg-type]


def test_search_and_ask_limited_to_given_articles(svc: NewsQA) -> None:
    """filters.article_ids: every hit and every citation comes from the named articles; an unknown id is a 404."""
    found = [{h.article_id for h in svc.search("tidal barrier", k=10, mode=m)} for m in ("dense", "bm25")]  # type: ignore[arg-type]
    ids = sorted(found[0] & found[1])
    assert len(ids) >= 2
    chosen = ids[-1]  # the filter must keep out the other articles that match as well
    only = svc.search("tidal barrier", k=10, filters=Filters(article_ids=[chosen]))
    assert only and {h.article_id for h in only} == {chosen}
    for mode in ("dense", "bm25"):
        hits = svc.search("tidal barrier", k=10, filters=Filters(article_ids=[chosen]), mode=mode)  # type: ignore[arg-type]
        assert hits and {h.article_id for h in hits} == {chosen}
    answer = svc.ask("What is happening with the tidal barrier?", filters=Filters(article_ids=[chosen]))
    assert answer.citations and {c.article_id for c in answer.citations} == {chosen}
    with pytest.raises(NotFound, match="no-such-article"):
        svc.ask("tidal barrier?", filters=Filters(article_ids=[chosen, "no-such-article"]))
    with pytest.raises(NotFound):
        svc.search("tidal barrier", filters=Filters(article_ids=["no-such-article"]))


def test_search_scores_share_one_scale_across_modes(svc: NewsQA) -> None:
    """The best passage scores 1.0 whether one retriever or both rank it (documented in /v1/search)."""
    for mode in ("hybrid", "dense", "bm25"):
        hits = svc.search("Voltmere battery recall", k=5, mode=mode)  # type: ignore[arg-type]
        assert all(0.0 <= h.score <= 1.0 for h in hits), (mode, [h.score for h in hits])
        assert hits[0].score > 0.9, (mode, hits[0].score)


def test_langchain_retriever(svc: NewsQA) -> None:
    docs = langchain_retriever(svc.retriever, k=2).invoke("Who is building the tidal barrier?")
    assert len(docs) == 2 and docs[0].metadata["article_id"]


def test_embedder_mismatch_is_refused(svc: NewsQA) -> None:
    class Other:
        id = "some-other-embedder"
        dim = 384

        def embed(self, texts: list[str]) -> np.ndarray:
            return np.zeros((len(texts), 384), dtype=np.float32)

    with pytest.raises(EmbedderMismatch):
        NewsQA(svc.settings, embedder=Other())


def test_pompeo_chunk_ranks_first(tmp_path: Path) -> None:
    need_shared(EXAMPLE_ARTICLE)
    service = NewsQA(Settings(data_dir=tmp_path))
    service.ingest_paths([EXAMPLE_ARTICLE.parent, DEMO_ARTICLES])
    assert CANCEL_SENTENCE in service.search(POMPEO, k=5)[0].text


def test_crash_between_store_and_vectors_is_repaired(tmp_path: Path) -> None:
    service = NewsQA(Settings(data_dir=tmp_path))
    art = service.prepare(ArticleIn(id="half", title="Half", body="The dam opened on Monday. Crowds watched."))
    # The crash window: rows and BM25 entries written (state "indexing"), vectors never upserted.
    with service.store.transaction() as con:
        service.store.put(con, art, chunk_text("half", art.body))
    assert service.store.get("half").state == "indexing"  # type: ignore[union-attr]
    assert service.search("dam opened", k=3) == []  # never answered from while half-indexed
    reopened = NewsQA(Settings(data_dir=tmp_path))  # start-up repair finishes the article
    assert reopened.store.get("half").state == "ready"  # type: ignore[union-attr]
    assert reopened.stats() == {"articles": 1, "chunks": 1, "vectors": 1}
    assert reopened.search("dam opened", k=3)[0].article_id == "half"


def test_reindex_rebuilds_from_store(svc: NewsQA) -> None:
    before = svc.stats()
    assert svc.reindex() == before["articles"]
    assert svc.stats() == before


def test_chroma_server_mode(tmp_path: Path) -> None:
    with chroma_server(tmp_path / "chroma") as port:
        settings = Settings(data_dir=tmp_path / "data", chroma_mode="server", chroma_port=port)
        service = NewsQA(settings)
        report = service.ingest_paths([DEMO_ARTICLES])
        assert report.summary["added"] == 9
        assert service.stats()["vectors"] == service.stats()["chunks"] > 0
        assert "Kestrel" in " ".join(h.text for h in service.search("Which company is the barrier contractor?", k=3))
        again = NewsQA(settings).ingest_paths([DEMO_ARTICLES])
        assert again.summary["unchanged"] == 9


def test_cli_ingest_search_articles(tmp_path: Path) -> None:
    def qa(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "qa.cli", *args, "--data-dir", str(tmp_path)],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "9 added" in qa("ingest", str(DEMO_ARTICLES))
    assert "0 added" in qa("ingest", str(DEMO_ARTICLES))
    import json

    listed = json.loads(qa("articles", "list", "--json"))
    assert len(listed) == 9
    hits = json.loads(qa("search", "rail strike pay offer", "-k", "3", "--json"))
    assert {"article_id", "title", "chunk_index", "start", "end", "text", "score"} <= set(hits[0])
    shown = json.loads(qa("articles", "show", listed[0]["id"], "--json"))
    assert shown["body"]
    assert "deleted" in qa("articles", "delete", listed[0]["id"])
    assert len(json.loads(qa("articles", "list", "--json"))) == 8


def test_the_model_is_loaded_once_per_process(tmp_path: Path) -> None:
    # Reopening a store makes Chroma rebuild the collection's embedding function from its config, and answers load
    # the verifier: all of it must share one ONNX model (a second one cost ~100 MB of server memory).
    code = f"""
from pathlib import Path
import qa.embeddings as e
from qa.config import Settings
from qa.models import ArticleIn
from qa.service import NewsQA
data = Path({str(tmp_path)!r})
NewsQA(Settings(data_dir=data)).ingest_records(
    [ArticleIn(id="dam", title="Dam", body="The Harlow dam opened on Monday. Crowds watched the gates rise.")]
)
svc = NewsQA(Settings(data_dir=data))
assert svc.search("When did the Harlow dam open?", k=1)
assert svc.engine.verifier.encoder is svc.embedder is e.minilm()
print(e._minilm.cache_info().currsize)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "1"
