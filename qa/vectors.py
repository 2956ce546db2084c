"""The vector index: a Chroma collection (embedded ``PersistentClient`` or a ``chroma run`` server).

Derived from the article store and rebuildable. The collection records which embedder filled it, and a
different embedder is refused rather than silently mixing vector spaces.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Protocol

import httpx
import numpy as np

from qa.config import Settings
from qa.embeddings import Embedder, chroma_embedding_function
from qa.errors import EmbedderMismatch, StoreUnavailable
from qa.models import Article, Chunk, Filters

EMBEDDER_KEY = "embedder"


def day_number(day: dt.date) -> int:
    """Dates as integers for Chroma's numeric ``$gte``/``$lte`` filters."""
    return day.toordinal()


class VectorIndex(Protocol):
    def upsert(self, chunks: Sequence[Chunk], articles: dict[str, Article], vectors: np.ndarray) -> None: ...
    def delete_articles(self, article_ids: Sequence[str]) -> None: ...
    def query(self, vector: np.ndarray, n: int, filters: Filters | None) -> list[tuple[str, int, float]]: ...
    def count(self) -> int: ...
    def reset(self) -> None: ...
    def close(self) -> None: ...


class ChromaIndex:
    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        # Telemetry off: the service must never open an outbound connection on its own.
        chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
        if settings.chroma_mode == "server":
            self.client = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, settings=chroma_settings
            )
        else:
            settings.chroma_path.mkdir(parents=True, exist_ok=True)
            self.client = chromadb.PersistentClient(path=str(settings.chroma_path), settings=chroma_settings)
        self.settings = settings
        self.name = settings.collection
        self.embedder = embedder
        self._ef = chroma_embedding_function(embedder)
        self.collection = self._open()
        self.max_batch = self.client.get_max_batch_size()

    def _open(self) -> Any:
        col = self.client.get_or_create_collection(
            name=self.name,
            metadata={EMBEDDER_KEY: self.embedder.id},
            configuration={"hnsw": {"space": "cosine"}},
            embedding_function=self._ef,
        )
        recorded = (col.metadata or {}).get(EMBEDDER_KEY)
        if recorded != self.embedder.id:
            raise EmbedderMismatch(
                f"collection {self.name!r} was built with embedder {recorded!r}, not {self.embedder.id!r}: "
                "run `qa reindex` to rebuild it with the configured embedder, or use another data dir"
            )
        return col

    def upsert(self, chunks: Sequence[Chunk], articles: dict[str, Article], vectors: np.ndarray) -> None:
        for b in range(0, len(chunks), self.max_batch):
            part = chunks[b : b + self.max_batch]
            metadatas: list[dict[str, Any]] = []
            for c in part:
                art = articles[c.article_id]
                meta: dict[str, Any] = {"article_id": c.article_id, "chunk_index": c.chunk_index}
                if art.source:
                    meta["source"] = art.source
                if art.published_at:
                    meta["day"] = day_number(art.published_at)
                metadatas.append(meta)
            with _server_reachable(self.settings):
                self.collection.upsert(
                    ids=[c.id for c in part],
                    embeddings=vectors[b : b + len(part)],
                    metadatas=metadatas,  # type: ignore[arg-type]
                )

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        for b in range(0, len(article_ids), 100):
            with _server_reachable(self.settings):
                self.collection.delete(where={"article_id": {"$in": list(article_ids[b : b + 100])}})

    def query(self, vector: np.ndarray, n: int, filters: Filters | None) -> list[tuple[str, int, float]]:
        """Nearest chunks as ``(article_id, chunk_index, cosine similarity)``.

        A vector's id names its chunk (:attr:`Chunk.id`), so only distances are read: reading the results'
        metadata from Chroma's SQLite was most of a query (240 results at 33k chunks: 9.9 ms with it, 1.6 ms
        without). A vector whose article is being deleted or replaced, by this process or another, can still be
        found; the article rows decide what is answered from (only ``ready`` articles, their current chunks)."""
        res = _retrying_transient_reads(
            lambda: self.collection.query(
                query_embeddings=[vector], n_results=n, where=_where(filters), include=["distances"]
            ),
            self.settings,
        )
        ids = (res.get("ids") or [[]])[0]
        dists = (res.get("distances") or [[]])[0]
        keys = [Chunk.key_of(str(i)) for i in ids]
        return [(*key, 1.0 - float(d)) for key, d in zip(keys, dists, strict=True) if key is not None]

    def count(self) -> int:
        with _server_reachable(self.settings):
            return self.collection.count()

    def close(self) -> None:
        """Release the client: the last embedded client of a directory in this process stops its Chroma system,
        so a later open reads the directory afresh."""
        self.client.close()

    def reset(self) -> None:
        """Drop and recreate the collection for the configured embedder (``qa reindex``)."""
        with contextlib.suppress(Exception):
            self.client.delete_collection(self.name)
        self.collection = self._open()


@contextlib.contextmanager
def _server_reachable(settings: Settings) -> Iterator[None]:
    """A Chroma server that is down or unreachable is a 503 (:class:`StoreUnavailable`), not a crash; its client
    reconnects by itself on the next call, so requests recover when the server is back."""
    try:
        yield
    except httpx.TransportError as exc:
        where = f"{settings.chroma_host}:{settings.chroma_port}"
        raise StoreUnavailable(f"the Chroma server at {where} is unavailable ({type(exc).__name__})") from exc


# Chroma's transient read failures while another request writes the same collection, each over within
# milliseconds, so the read is retried with a short backoff before giving up:
# - embedded Chroma builds a collection's HNSW segment reader lazily from its files; while a concurrent write (the
#   first vectors after the collection was empty, say) has not flushed them yet, a query fails "Nothing found on disk";
# - a Chroma server's query fails "Error finding id" (a 500) when the index still holds an id whose record a
#   concurrent delete has just removed (seen with two API processes adding and deleting the same ids).
TRANSIENT_READ_ERRORS = ("Nothing found on disk", "Error finding id")
TRANSIENT_READ_BACKOFF_S = (0.02, 0.05, 0.1, 0.2, 0.4)


def _retrying_transient_reads(read: Callable[[], Any], settings: Settings) -> Any:
    """``read()`` retried while another request's write is in the way (TRANSIENT_READ_ERRORS); a 503 if that
    outlasts the backoff."""
    from chromadb.errors import InternalError

    for pause in (*TRANSIENT_READ_BACKOFF_S, None):
        try:
            with _server_reachable(settings):
                return read()
        except InternalError as exc:
            if not any(message in str(exc) for message in TRANSIENT_READ_ERRORS):
                raise
            if pause is None:
                raise StoreUnavailable("the vector index is being written by another request; retry shortly") from exc
            time.sleep(pause)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _where(filters: Filters | None) -> dict[str, Any] | None:
    if filters is None:
        return None
    clauses: list[dict[str, Any]] = []
    if filters.source:
        clauses.append({"source": filters.source})
    if filters.since:
        clauses.append({"day": {"$gte": day_number(filters.since)}})
    if filters.until:
        clauses.append({"day": {"$lte": day_number(filters.until)}})
    if filters.article_ids is not None:
        clauses.append({"article_id": {"$in": filters.article_ids}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}
