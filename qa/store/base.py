"""The article store contract: what the service, the retriever, the eval suite and the CLI may ask of a store.

The store is the source of truth: article rows, chunk offsets and the lexical (BM25-style) index change together in
one transaction, so lexical search can never disagree with the stored text. The vector index (Chroma) is derived and
is kept consistent through the article ``state`` (``indexing → ready → deleting``): rows not ``ready`` are finished
or removed on start-up (see :meth:`qa.service.NewsQA.repair`), and only ``ready`` articles are ever answered from.

Two implementations pass one shared test suite (``tests/test_store_contract.py``): SQLite (the embedded default,
:mod:`qa.store.sqlite`) and PostgreSQL (scale-out); what they run alike is written once in :mod:`qa.store.sql`.
Nothing outside ``qa/store`` reaches into a backend's connection.

Adding a method: declare it here (abstract, typed, with a docstring that says what it guarantees), implement it in
:mod:`qa.store.sql` when its SQL is the same on both backends or else in every backend, and add its test to
``tests/test_store_contract.py``, which runs it against each backend.

Writes take a transaction handle: ``with store.transaction() as tx: store.put(tx, ...); store.set_state(tx, ...)``
commits everything in the block together, or nothing if the block raises. The handle is backend-specific and
opaque to callers: only pass it back to this store's write methods.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from qa.models import Article, ArticleState, Chunk, Filters
from qa.sentence_vectors import SentenceVectors

Tx = TypeVar("Tx")


#: What a store keeps of an article's content, in column order (state, chunk count and ingest time are the store's).
CONTENT_FIELDS = ("id", "title", "body", "published_at", "source", "url", "authors", "content_hash")


def content_values(article: Article) -> list[Any]:
    """The article's :data:`CONTENT_FIELDS` in that order, as JSON holds them (the date as ISO text)."""
    dumped = article.model_dump(mode="json", include=set(CONTENT_FIELDS))
    return [dumped[name] for name in CONTENT_FIELDS]


@dataclass(frozen=True)
class ArticleMeta:
    """What ranking needs to know of an article, without its body."""

    state: str
    published_at: dt.date | None
    source: str | None


@dataclass(frozen=True)
class StoreAudit:
    """Counts that must agree in a consistent store (see :meth:`ArticleStore.audit`)."""

    articles: int  # rows in any state
    not_ready: int  # rows in ``indexing`` or ``deleting``
    chunks: int  # chunk rows
    lexical_rows: int  # entries in the lexical index (one per chunk)
    declared_chunks: int  # sum of the articles' ``n_chunks``

    @property
    def consistent(self) -> bool:
        return self.not_ready == 0 and self.chunks == self.lexical_rows == self.declared_chunks


class ArticleStore(ABC, Generic[Tx]):
    """One article store. Safe to share between threads; reads never see a half-written transaction."""

    #: Short backend name for logs, ``/readyz`` and benchmarks ("sqlite", "postgresql").
    backend: str

    # --- lifecycle ----------------------------------------------------------------------------------
    @abstractmethod
    def schema_version(self) -> int:
        """The applied migration version (:mod:`qa.store.migrations`); opening a store applies pending ones."""

    def close(self) -> None:
        """Release connections; the store is unusable afterwards."""

    # --- writes -------------------------------------------------------------------------------------
    @abstractmethod
    def transaction(self) -> AbstractContextManager[Tx]:
        """A write transaction: commits when the block ends, rolls back if it raises."""

    @abstractmethod
    def put(self, tx: Tx, article: Article, chunks: list[Chunk]) -> None:
        """Write an article in state ``indexing`` with its chunk rows and lexical entries, replacing any
        earlier version of the same id (its old chunks and lexical entries go)."""

    @abstractmethod
    def set_state(self, tx: Tx, ids: Sequence[str], state: ArticleState) -> None:
        """Move the given articles to ``state``; unknown ids are ignored."""

    @abstractmethod
    def set_injected(self, tx: Tx, values: dict[tuple[str, str], str]) -> None:
        """Store renewed injected spans (:func:`qa.injection.stored_spans`) by ``(article id, content hash)``; an
        article since replaced or deleted (another hash, or no row) is left alone."""

    @abstractmethod
    def delete(self, tx: Tx, article_id: str) -> None:
        """Remove an article with its chunks, lexical entries and story membership (:mod:`qa.stories`); an unknown
        id is a no-op."""

    @contextmanager
    def article_locks(self, ids: Sequence[str]) -> Iterator[None]:
        """While the block runs, no other process ingests, repairs or deletes these articles through a store that
        takes the same locks (take all of one operation's ids in one call). The default takes none: an embedded
        store has one writing process, whose own lock (:class:`qa.service.NewsQA`) already serialises writers."""
        yield

    @abstractmethod
    def snapshot(self) -> AbstractContextManager[None]:
        """Reads in this thread inside the block all see one committed version of the store (writes committed
        meanwhile by others stay invisible until it ends), so a reader can pair an article's body with its
        chunk offsets. Never blocks writers; a nested block joins the outer one."""

    # --- articles -----------------------------------------------------------------------------------
    @abstractmethod
    def get(self, article_id: str, with_body: bool = True) -> Article | None:
        """The article in any state, or None. ``with_body=False`` leaves ``body`` empty."""

    @abstractmethod
    def id_for_url(self, url: str) -> str | None:
        """The id of a stored article (``indexing`` or ``ready``) whose ``url`` is exactly ``url`` — callers pass a
        canonical URL (:func:`qa.articles.canonical_url`), as articles are stored with one — or None. With several,
        the most recently ingested. This is how a new version of a page without an id updates its article."""

    @abstractmethod
    def hashes(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``id -> (content_hash, state)`` for the ids that exist."""

    @abstractmethod
    def meta(self, ids: Sequence[str]) -> dict[str, ArticleMeta]:
        """State, date and source of the ids that exist (any state)."""

    @abstractmethod
    def bodies(self, ids: Sequence[str]) -> dict[str, Article]:
        """Full articles (any state) of the ids that exist."""

    @abstractmethod
    def list(
        self,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        with_body: bool = False,
        states: tuple[ArticleState, ...] = ("ready",),
    ) -> list[Article]:
        """Articles in ``states`` passing ``filters``, newest first (undated last), then by id."""

    @abstractmethod
    def count(self, filters: Filters | None = None, states: tuple[ArticleState, ...] = ("ready",)) -> int:
        """How many articles :meth:`list` would return without a limit."""

    @abstractmethod
    def ids_in_state(self, state: ArticleState) -> list[str]:
        """Ids of the articles in ``state`` (start-up repair)."""

    # --- chunks -------------------------------------------------------------------------------------
    @abstractmethod
    def chunks_of(self, article_ids: Sequence[str]) -> list[tuple[Chunk, Article]]:
        """Chunks (text sliced from the stored body) of the given articles, by article id then chunk index."""

    @abstractmethod
    def chunk_count(self) -> int:
        """Chunks of ``ready`` articles."""

    @abstractmethod
    def spans(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        """``(article_id, chunk_index) -> (start, end)`` in the stored body, for the keys that exist."""

    @abstractmethod
    def chunk_ids(self) -> set[str]:
        """Every chunk's id (``article_id:chunk_index``, as in the vector index), any state."""

    # --- sentence vectors (qa/sentence_vectors.py) ------------------------------------------------------
    @abstractmethod
    def put_sentence_vectors(self, tx: Tx, article_id: str, vectors: SentenceVectors) -> None:
        """Keep the article's sentence vectors, replacing any it had, if the article is stored in the version they
        were computed from (``vectors.version``, its content hash); else nothing is written. :meth:`put` (a new
        version) and :meth:`delete` remove them."""

    @abstractmethod
    def articles_without_sentence_vectors(self, limit: int) -> list[str]:
        """Up to ``limit`` ids of ``ready`` articles with no sentence vectors for their stored version, the most
        recently ingested first (what :class:`qa.sentence_worker.SentenceVectorWorker` fills in)."""

    @abstractmethod
    def sentence_vectors(self, article_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        """The stored sentence vectors of the given articles (any state) that exist and belong to the article's
        stored version; articles without (stored before they existed) are left out."""

    # --- lexical search -----------------------------------------------------------------------------
    @abstractmethod
    def bm25(self, question: str, n: int, filters: Filters | None = None) -> list[tuple[str, int, float]]:
        """Top ``n`` chunks of ``ready`` articles passing ``filters`` by lexical relevance, as
        ``(article_id, chunk_index, score)``, best first; higher scores are better. Title matches weigh less
        than body matches (titles repeat on every chunk). A question without content words gives []."""

    # --- inspection ---------------------------------------------------------------------------------
    @abstractmethod
    def audit(self) -> StoreAudit:
        """Counts for consistency checks (tests, ``qa migrate`` verification)."""
