"""What the SQL backends share, written once: the hooks a shared statement needs, and the article reads and writes
whose SQL is the same on SQLite and PostgreSQL.

A shared statement is written with ``?`` placeholders and passed through :meth:`SQLBackend._sql`; a backend gives
its parameter marker, how a read runs (:meth:`SQLBackend._rows`), how a row becomes an :class:`Article`, how it tests
membership in a list (``IN (…)`` or ``= ANY``) and how it stores a date. Statements that differ by dialect
(upserts, the lexical index, batched id lists, locking) stay in ``sqlite.py`` / ``postgres.py``.
"""

from __future__ import annotations

import datetime as dt
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any

from qa.models import Article, ArticleState, Filters
from qa.sentence_vectors import SentenceVectors
from qa.store.base import CONTENT_FIELDS, ArticleStore, Tx

ARTICLE_COLUMNS = ", ".join((*CONTENT_FIELDS, "state", "n_chunks", "ingested_at", "injected"))


class SQLBackend:
    """The hooks shared statements run through (mixed into both the article store and the feeds mixin)."""

    #: This backend's parameter marker: shared statements are written with ``?`` and get it in their place.
    placeholder = "?"

    def _sql(self, sql: str) -> str:
        return sql if self.placeholder == "?" else sql.replace("?", self.placeholder)

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> Sequence[Sequence[Any]]:
        """Every row of a read outside any write transaction (inside this thread's snapshot if one is open)."""
        raise NotImplementedError

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        """The first column of the first row, or None."""
        rows = self._rows(sql, args)
        return rows[0][0] if rows else None


class SQLArticleStore(SQLBackend, ArticleStore[Tx]):
    """The article methods both SQL backends run the same way."""

    #: The LIMIT value that means "no limit" (SQLite wants -1, PostgreSQL NULL).
    no_limit: int | None = None

    @staticmethod
    @abstractmethod
    def _article(row: Any, with_body: bool = True) -> Article:
        """A row of :data:`ARTICLE_COLUMNS` as an article (``body`` empty without ``with_body``)."""

    @staticmethod
    @abstractmethod
    def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """The condition "``column`` is one of ``values``" in this backend's SQL, with its arguments."""

    @staticmethod
    def _db_date(value: dt.date) -> Any:
        """A date as this backend stores it (by default the driver's own date type)."""
        return value

    @abstractmethod
    def _delete_chunks(self, tx: Tx, article_id: str) -> None:
        """Remove the article's chunk rows and their lexical entries."""

    @abstractmethod
    def forget_story(self, tx: Any, article_id: str) -> None:
        """See :meth:`qa.store.feeds.FeedStore.forget_story` (the feeds mixin provides it)."""

    def _where(self, filters: Filters | None, states: tuple[ArticleState, ...]) -> tuple[str, list[Any]]:
        """The condition on ``articles a`` for these filters and states (placeholders converted), with its arguments."""
        clause, args = self._in("a.state", states)
        clauses = [clause]
        if filters is not None:
            if filters.source:
                clauses.append("a.source = ?")
                args.append(filters.source)
            if filters.since:
                clauses.append("a.published_at >= ?")
                args.append(self._db_date(filters.since))
            if filters.until:
                clauses.append("a.published_at <= ?")
                args.append(self._db_date(filters.until))
            if filters.article_ids is not None:
                clause, ids = self._in("a.id", filters.article_ids)
                clauses.append(clause)
                args.extend(ids)
        return self._sql(" AND ".join(clauses)), args

    def set_injected(self, tx: Tx, values: dict[tuple[str, str], str]) -> None:
        sql = self._sql("UPDATE articles SET injected = ? WHERE id = ? AND content_hash = ?")
        for (article_id, content_hash), value in values.items():
            tx.execute(sql, (value, article_id, content_hash))  # type: ignore[attr-defined]

    def _clear(self, tx: Tx, article_id: str) -> None:
        """Remove what belongs to the article's stored version: chunk rows, lexical entries, sentence vectors."""
        self._delete_chunks(tx, article_id)
        tx.execute(self._sql("DELETE FROM sentence_vectors WHERE article_id = ?"), (article_id,))  # type: ignore[attr-defined]

    def delete(self, tx: Tx, article_id: str) -> None:
        self._clear(tx, article_id)
        self.forget_story(tx, article_id)
        tx.execute(self._sql("DELETE FROM articles WHERE id = ?"), (article_id,))  # type: ignore[attr-defined]

    def get(self, article_id: str, with_body: bool = True) -> Article | None:
        rows = self._rows(self._sql(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ?"), (article_id,))
        return self._article(rows[0], with_body) if rows else None

    def id_for_url(self, url: str) -> str | None:
        sql = "SELECT id FROM articles WHERE url = ? AND state != 'deleting' ORDER BY ingested_at DESC, id LIMIT 1"
        return self._one(self._sql(sql), (url,))  # type: ignore[no-any-return]

    def list(
        self,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        with_body: bool = False,
        states: tuple[ArticleState, ...] = ("ready",),
    ) -> list[Article]:
        where, args = self._where(filters, states)
        columns = ARTICLE_COLUMNS if with_body else ARTICLE_COLUMNS.replace("body", "'' AS body")  # bodies unread
        sql = (
            f"SELECT {columns} FROM articles a WHERE {where} "
            "ORDER BY published_at IS NULL, published_at DESC, id LIMIT ? OFFSET ?"
        )
        rows = self._rows(self._sql(sql), [*args, self.no_limit if limit is None else limit, offset])
        return [self._article(r, with_body) for r in rows]

    def count(self, filters: Filters | None = None, states: tuple[ArticleState, ...] = ("ready",)) -> int:
        where, args = self._where(filters, states)
        return int(self._one(f"SELECT COUNT(*) FROM articles a WHERE {where}", args))

    def ids_in_state(self, state: ArticleState) -> list[str]:
        return [r[0] for r in self._rows(self._sql("SELECT id FROM articles WHERE state = ? ORDER BY id"), (state,))]

    def put_sentence_vectors(self, tx: Tx, article_id: str, vectors: SentenceVectors) -> None:
        spans, rows = vectors.blobs()
        tx.execute(self._sql("DELETE FROM sentence_vectors WHERE article_id = ?"), (article_id,))  # type: ignore[attr-defined]
        tx.execute(  # type: ignore[attr-defined]
            self._sql(
                "INSERT INTO sentence_vectors (article_id, content_hash, encoder, spans, vectors) "
                "SELECT id, content_hash, ?, ?, ? FROM articles WHERE id = ? AND content_hash = ?"
            ),
            (vectors.encoder, spans, rows, article_id, vectors.version),
        )

    def articles_without_sentence_vectors(self, limit: int) -> list[str]:
        sql = (
            "SELECT a.id FROM articles a LEFT JOIN sentence_vectors v "
            "ON v.article_id = a.id AND v.content_hash = a.content_hash "
            "WHERE a.state = 'ready' AND v.article_id IS NULL ORDER BY a.ingested_at DESC, a.id LIMIT ?"
        )
        return [r[0] for r in self._rows(self._sql(sql), (limit,))]

    def sentence_vectors(self, article_ids: Sequence[str]) -> dict[str, SentenceVectors]:
        if not article_ids:
            return {}
        clause, args = self._in("v.article_id", article_ids)
        rows = self._rows(
            self._sql(
                "SELECT v.article_id, v.content_hash, v.encoder, v.spans, v.vectors FROM sentence_vectors v "
                f"JOIN articles a ON a.id = v.article_id AND a.content_hash = v.content_hash WHERE {clause}"
            ),
            args,
        )
        return {r[0]: SentenceVectors.from_blobs(r[2], bytes(r[3]), bytes(r[4]), r[1]) for r in rows}

    def chunk_count(self) -> int:
        return int(
            self._one("SELECT COUNT(*) FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.state = 'ready'")
        )

    def chunk_ids(self) -> set[str]:
        return {r[0] for r in self._rows("SELECT article_id || ':' || chunk_index FROM chunks")}
