"""Sentence vectors (qa/sentence_vectors.py, qa/sentence_worker.py): computed after ingest, stored with the article,
used by the verifier instead of embedding, never stale, and filled in for articles stored before they existed."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from qa.config import Settings
from qa.embeddings import minilm
from qa.generators.base import Source
from qa.grounding import GroundingVerifier
from qa.grounding.features import build_index
from qa.models import ArticleIn
from qa.service import NewsQA
from tests.test_grounding import CountingEncoder

# Our own words: four paragraphs, so that small chunks overlap and split them.
BODY = "\n\n".join(
    [
        "The harbour board of Kestrel Bay approved a new breakwater on Monday. It will cost 18 million euros. "
        "Fishing crews had asked for it since the storms of 2021.",
        "Engineers said the work would take three years. The first stones are due in April. "
        "Two ferry routes will move to the north quay while it is built.",
        "Not every member agreed. Councillor Ines Varga voted against the plan, saying the money should repair "
        "the old lighthouse instead.",
        "The board will publish the contract next week. Local firms may bid until the end of May.",
    ]
)


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NewsQA]:
    svc = NewsQA(Settings(data_dir=tmp_path, chunk_tokens=40, chunk_overlap_tokens=15, sentence_vectors="always"))
    yield svc
    svc.close()


def _ingest(svc: NewsQA, body: str = BODY, wait: bool = True) -> str:
    report = svc.ingest_records([ArticleIn(id="harbour-1", title="Breakwater approved", body=body)])
    assert report.items[0].status in ("added", "updated")
    if wait:
        assert svc.sentence_vectors.wait_idle(120), "the background worker did not finish"
    return "harbour-1"


def _sources(svc: NewsQA, aid: str) -> list[Source]:
    """Every chunk of the article as a numbered source, as the answer engine builds them from hits."""
    from qa.models import Hit

    pairs = svc.store.chunks_of([aid])
    assert len(pairs) > 2, "the test needs an article of several chunks"
    hits = [
        Hit(article_id=aid, title=a.title, chunk_index=c.chunk_index, start=c.start, end=c.end, text=c.text, score=1.0)
        for c, a in pairs
    ]
    return [Source(number=n, hit=h, article=pairs[0][1]) for n, h in enumerate(hits, 1)]


def test_ingest_stores_every_sentence_the_verifier_needs(service: NewsQA) -> None:
    aid = _ingest(service)
    sources = _sources(service, aid)
    known = service.engine.known_vectors(sources)
    encoder = minilm()
    for source, vectors in zip(sources, known, strict=True):
        assert vectors is not None and vectors.version == source.article.content_hash
        index = build_index(source.hit.text)
        sentences = [u for u in index.units if u.pair is None]
        lookup = vectors.lookup()
        assert all((u.start, u.end) in lookup for u in sentences)  # the verifier finds every one of them
        alone = encoder.embed([source.hit.text[u.start : u.end] for u in sentences])
        stored = np.stack([vectors.vectors[lookup[(u.start, u.end)]] for u in sentences])
        assert np.allclose(stored, alone, atol=2e-3)  # the same vectors as embedding them now (float16 kept)


def test_the_verifier_embeds_only_the_claims_when_vectors_are_stored(service: NewsQA) -> None:
    aid = _ingest(service)
    sources = _sources(service, aid)
    texts = [s.hit.text for s in sources]
    claims = ["Kestrel Bay's harbour board backed a breakwater costing 18 million euros.", "Ferries will stop."]
    counting = CountingEncoder(minilm())
    with_stored = GroundingVerifier(counting)  # type: ignore[arg-type]
    verdicts = with_stored.verify_claims(claims, texts, service.engine.known_vectors(sources))
    assert counting.texts == claims
    embedded = GroundingVerifier(minilm()).verify_claims(claims, texts)
    assert [v.supported for v in verdicts] == [v.supported for v in embedded] == [True, False]
    assert [v.score for v in verdicts] == pytest.approx([v.score for v in embedded], abs=0.01)


def test_a_new_version_replaces_the_vectors_and_a_delete_removes_them(service: NewsQA) -> None:
    aid = _ingest(service)
    first = service.store.sentence_vectors([aid])[aid]
    _ingest(service, BODY.replace("18 million euros", "twenty-two million euros, twice the first estimate"))
    second = service.store.sentence_vectors([aid])[aid]
    assert second.version == service.get_article(aid).content_hash != first.version
    assert {tuple(s) for s in second.spans} != {tuple(s) for s in first.spans}
    service.delete_article(aid)
    assert service.store.sentence_vectors([aid]) == {}


def test_an_article_stored_without_vectors_gets_them_on_its_first_llm_answer(service: NewsQA) -> None:
    aid = _ingest(service)
    kept = service.store.sentence_vectors([aid])[aid]
    _forget_vectors(service.settings)  # a store from before sentence vectors: the article's rows, no vectors
    sources = _sources(service, aid)
    engine = service.engine
    assert engine.known_vectors(sources) == [None] * len(sources)  # verified by embedding, as before
    assert service.sentence_vectors.wait_idle(120)  # the engine woke the worker, which stored them
    stored = service.store.sentence_vectors([aid])[aid]
    assert stored.version == kept.version and np.array_equal(stored.spans, kept.spans)
    assert np.allclose(stored.vectors, kept.vectors, atol=2e-3)
    assert all(k is not None for k in engine.known_vectors(sources))


def test_the_worker_keeps_off_while_an_ingest_runs_and_fills_an_old_store_on_start(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, chunk_tokens=40, chunk_overlap_tokens=15, sentence_vectors="always")
    with NewsQA(settings) as svc:
        aid = _ingest(svc)
        with svc._index_lock:  # as while an ingest runs
            _forget_vectors(settings)
            svc.sentence_vectors.wake()
            assert not svc.sentence_vectors.wait_idle(0.5)
            assert svc.store.sentence_vectors([aid]) == {}
        assert svc.sentence_vectors.wait_idle(120)
        assert aid in svc.store.sentence_vectors([aid])
    _forget_vectors(settings)  # as if stored before sentence vectors existed
    with NewsQA(settings) as svc:  # start-up finds what is missing
        assert svc.sentence_vectors.wait_idle(120)
        assert aid in svc.store.sentence_vectors([aid])


def _forget_vectors(settings: Settings) -> None:
    with sqlite3.connect(settings.sqlite_path) as con:
        con.execute("DELETE FROM sentence_vectors")


@pytest.mark.parametrize(
    ("setting", "llm", "kept"),
    [("auto", None, False), ("auto", "http://127.0.0.1:9/v1", True), ("never", "http://127.0.0.1:9/v1", False)],
)
def test_sentence_vectors_are_kept_where_an_llm_path_can_use_them(
    tmp_path: Path, setting: str, llm: str | None, kept: bool
) -> None:
    settings = Settings(data_dir=tmp_path, sentence_vectors=setting, llm_base_url=llm)
    with NewsQA(settings) as svc:
        aid = _ingest(svc)
        assert (aid in svc.store.sentence_vectors([aid])) is kept


def test_the_worker_embeds_with_a_session_of_its_own_on_one_thread() -> None:
    """A question's embedding must not queue behind a background batch: the worker's model is another session, on
    one thread, with its own lock, and gives the same vectors."""
    from qa.embeddings import BackgroundMiniLM, _background_minilm

    texts = ["The ferry will add a late sailing on Fridays.", "Tickets cost the same."]
    background = BackgroundMiniLM(64)
    assert np.allclose(background.embed(texts), minilm(64).embed(texts), atol=1e-3)
    session = _background_minilm(64)
    assert session is not minilm(64) and session._lock is not minilm(64)._lock
    assert session.session.get_session_options().intra_op_num_threads == 1
