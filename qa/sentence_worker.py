"""The background job that gives every ready article its sentence vectors (qa/sentence_vectors.py).

Ingest does not compute them itself: embedding every sentence of an article costs about 60% of embedding its chunks
(measured with ``python -m eval.bench ingest``), and loading a corpus would slow by as much. Instead this worker, one
thread per service, embeds the sentences of the ready articles that have none (newest first) whenever no ingest is
running: after each ingest, at start-up (a store from before sentence vectors is filled in this way), and when the
answer engine meets an article without them. The store tells what is missing, so nothing is lost when a process stops
half-way, and several processes sharing a store only ever duplicate a little work (a write for a version the article
no longer has is not made).
"""

from __future__ import annotations

import logging
import threading
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import TYPE_CHECKING, Any

import numpy as np

from qa.sentence_vectors import SentenceVectors, embed_sentences

if TYPE_CHECKING:
    from qa.embeddings import Embedder
    from qa.store import ArticleStore

log = logging.getLogger("qa.sentence_vectors")

BATCH_ARTICLES = 4  # per turn: an ingest waiting for the worker waits at most this many articles' embedding
RETRY_AFTER_S = 30.0  # after a failed turn (the store unavailable, say)


class SentenceVectorWorker:
    def __init__(
        self, store: ArticleStore[Any], encoder: Embedder, busy: AbstractContextManager[Any], enabled: bool = True
    ) -> None:
        """``busy``: held by every ingest (the service's index lock), and by the worker for each turn, so the two
        never compete for the cores. A worker not ``enabled`` never starts (no LLM path: nothing would read them)."""
        self.store = store
        self.enabled = enabled
        self.encoder = encoder
        self._busy = busy
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._working = False
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def wake(self) -> None:
        """Look for articles without sentence vectors soon (starts the thread on first use)."""
        with self._start_lock:
            if self._stop.is_set() or not self.enabled:
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="sentence-vectors", daemon=True)
                self._thread.start()
        with self._idle:
            self._working = True
        self._wake.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every ready article has its vectors (or the worker has nothing it can do); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._working, timeout)

    def close(self) -> None:
        """Stop after the current turn (what is left is found again by the next process that opens the store)."""
        with self._start_lock:
            self._stop.set()
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join()
        with self._idle:
            self._working = False
            self._idle.notify_all()

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            try:
                self._fill()
            except Exception:  # the store or the model failing must not end the thread
                log.exception("computing sentence vectors failed; retrying in %.0f s", RETRY_AFTER_S)
                self._stop.wait(RETRY_AFTER_S)
                self._wake.set()
                continue
            with self._idle:
                if not self._wake.is_set():
                    self._working = False
                    self._idle.notify_all()

    def _fill(self) -> None:
        done: set[str] = set()  # tried in this round: an article whose write did not land is not retried in a loop
        while not self._stop.is_set():
            with self._busy:
                ids = [
                    i for i in self.store.articles_without_sentence_vectors(BATCH_ARTICLES + len(done)) if i not in done
                ]
                if not ids:
                    return
                self.store_vectors(ids[:BATCH_ARTICLES])
                done.update(ids[:BATCH_ARTICLES])

    def store_vectors(self, article_ids: list[str]) -> None:
        """Embed the articles' sentences and store them, for the version of each article read here."""
        with self.store.snapshot():  # the chunks and the version they belong to, read together
            pairs = self.store.chunks_of(article_ids)
            versions = self.store.hashes(article_ids)
        found = embed_sentences(self.encoder, [c for c, _ in pairs])
        empty = SentenceVectors(self.encoder.id, np.zeros((0, 2), dtype=np.int64), np.zeros((0, self.encoder.dim)))
        with self.store.transaction() as tx:
            for aid, (version, _) in versions.items():  # an article without sentences gets an empty row
                vectors = found.get(aid, empty)
                self.store.put_sentence_vectors(tx, aid, replace(vectors, version=version))
