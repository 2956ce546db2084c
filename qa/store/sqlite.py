"""The embedded article store: SQLite rows for articles and chunks, plus an FTS5 index for BM25.

Implements :class:`qa.store.base.ArticleStore` (read that for the guarantees). Article rows, chunk rows and the FTS5
entries change in one transaction. WAL mode: readers never block the writer; writes are serialised by one lock.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from qa.models import Article, ArticleState, Chunk, Filters
from qa.store.base import CONTENT_FIELDS, ArticleMeta, StoreAudit, content_values
from qa.store.lexical import COMMON_TERM_SHARE, KEEP_RAREST, PRUNE_FROM_CHUNKS, TITLE_WEIGHT, query_terms
from qa.store.migrations import pending
from qa.store.sql import ARTICLE_COLUMNS, SQLArticleStore
from qa.store.sqlite_feeds import SQLiteFeedsMixin

BM25_WIDER = 4  # ranked in the index alone: this many times the asked-for chunks, before the filters

# The FTS5 tokenizer of chunks_fts (migration 0001); query terms are stemmed with the same one.
TOKENIZER = "'porter unicode61 remove_diacritics 2'"


def _row_to_article(row: sqlite3.Row, with_body: bool = True) -> Article:
    article = Article(
        id=row["id"],
        title=row["title"],
        body=row["body"] if with_body else "",
        published_at=dt.date.fromisoformat(row["published_at"]) if row["published_at"] else None,
        source=row["source"],
        url=row["url"],
        authors=json.loads(row["authors"]),
        content_hash=row["content_hash"],
        state=row["state"],
        n_chunks=row["n_chunks"],
        ingested_at=dt.datetime.fromisoformat(row["ingested_at"]),
    )
    article._injected = row["injected"]
    return article


def _statements(script: str) -> Iterator[str]:
    """Split a SQL script into statements (``sqlite3.complete_statement`` knows about triggers and strings), so
    a migration runs inside the caller's transaction (``executescript`` would commit it first)."""
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            if pending.strip():
                yield pending
            pending = ""
    if pending.strip() and not all(ln.strip().startswith("--") or not ln.strip() for ln in pending.splitlines()):
        raise ValueError(f"incomplete SQL statement at the end of a migration: {pending[:200]!r}")


def fts_query(terms: list[str]) -> str | None:
    """An OR query of the terms, each quoted (FTS5 syntax can't be injected)."""
    return " OR ".join(f'"{t}"' for t in terms) or None


class _Connection(sqlite3.Connection):
    """A plain connection that can be weakly referenced (the C type can't)."""


class SQLiteStore(SQLiteFeedsMixin, SQLArticleStore[sqlite3.Connection]):
    """SQLite in WAL mode: readers never block the writer; writes are serialised by one lock."""

    backend = "sqlite"
    no_limit = -1
    _article = staticmethod(_row_to_article)

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        # Every live thread's connection, so close() can close them all (a finished thread's goes with it).
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._connections_lock = threading.Lock()
        self.write_lock = threading.RLock()
        self._df_cache: dict[str, int] = {}  # stemmed term -> chunks containing it (see _selective)
        self.migrate()

    def _connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(
                self.path, timeout=60, isolation_level=None, check_same_thread=False, factory=_Connection
            )
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            self._local.con = con
            with self._connections_lock:
                self._connections.add(con)
        return con

    def _rows(self, sql: str, args: Sequence[object] = ()) -> list[sqlite3.Row]:
        return self._connect().execute(sql, args).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.write_lock:
            con = self._connect()
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    def migrate(self) -> int:
        """Apply pending migrations (see :mod:`qa.store.migrations`); returns the schema version. Safe when
        several processes open one file at once: the version is read and advanced under the write lock."""
        with self.transaction() as con:
            version = con.execute("PRAGMA user_version").fetchone()[0]
            for m in pending("sqlite", version):
                for statement in _statements(m.sql):
                    con.execute(statement)
                con.execute(f"PRAGMA user_version = {m.version:d}")
                version = m.version
        return version

    def schema_version(self) -> int:
        return self._connect().execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        with self._connections_lock:
            for con in list(self._connections):
                con.close()
            self._connections.clear()
        self._local = threading.local()

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads inside see one version of the store (a read transaction: in WAL mode it never blocks the writer).
        Nested use joins the outer snapshot."""
        con = self._connect()
        if con.in_transaction:
            yield
            return
        con.execute("BEGIN")
        try:
            yield
        finally:
            con.execute("COMMIT")

    # --- articles -----------------------------------------------------------------------------------
    def hashes(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``id -> (content_hash, state)`` for the ids that exist."""
        rows = self._by_ids("SELECT id, content_hash, state FROM articles WHERE id IN ({marks})", ids)
        return {r[0]: (r[1], r[2]) for r in rows}

    def meta(self, ids: Sequence[str]) -> dict[str, ArticleMeta]:
        rows = self._by_ids("SELECT id, state, published_at, source FROM articles WHERE id IN ({marks})", ids)
        return {r[0]: ArticleMeta(r[1], dt.date.fromisoformat(r[2]) if r[2] else None, r[3]) for r in rows}

    def bodies(self, ids: Sequence[str]) -> dict[str, Article]:
        rows = self._by_ids(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id IN ({{marks}})", ids)
        return {r["id"]: _row_to_article(r) for r in rows}

    def _by_ids(self, sql: str, ids: Sequence[str]) -> Iterator[sqlite3.Row]:
        """Rows of ``sql`` (with an ``IN ({marks})`` list) for the ids, in batches under SQLite's variable limit."""
        for b in range(0, len(ids), 500):
            part = list(ids[b : b + 500])
            yield from self._connect().execute(sql.format(marks=",".join("?" * len(part))), part)

    @staticmethod
    def _in(column: str, values: Sequence[object]) -> tuple[str, list[object]]:
        return f"{column} IN ({','.join('?' * len(values))})", list(values)

    @staticmethod
    def _db_date(value: dt.date) -> str:
        return value.isoformat()

    def put(self, tx: sqlite3.Connection, article: Article, chunks: list[Chunk]) -> None:
        self._clear(tx, article.id)
        values = content_values(article)
        values[CONTENT_FIELDS.index("authors")] = json.dumps(article.authors, ensure_ascii=False)  # a JSON text column
        tx.execute(
            f"INSERT OR REPLACE INTO articles ({ARTICLE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                *values,
                "indexing",
                len(chunks),
                (article.ingested_at or dt.datetime.now(dt.UTC)).isoformat(),
                article._injected,
            ),
        )
        tx.executemany(
            'INSERT INTO chunks (article_id, chunk_index, start, "end") VALUES (?,?,?,?)',
            [(c.article_id, c.chunk_index, c.start, c.end) for c in chunks],
        )
        # Indexed from the rows just written, through the view the index reads its text from (migration 0003):
        # what is indexed is exactly what a later delete will find there.
        tx.execute(
            "INSERT INTO chunks_fts(rowid, title, text) SELECT chunk_rowid, title, text FROM chunk_texts "
            "WHERE chunk_rowid IN (SELECT rowid FROM chunks WHERE article_id = ?)",
            (article.id,),
        )

    def set_state(self, tx: sqlite3.Connection, ids: Sequence[str], state: ArticleState) -> None:
        tx.executemany("UPDATE articles SET state=? WHERE id=?", [(state, i) for i in ids])

    def _delete_chunks(self, tx: sqlite3.Connection, article_id: str) -> None:
        # Before the chunk and article rows change: FTS5 reads the words to take out of the index from them.
        tx.execute("DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE article_id=?)", (article_id,))
        tx.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))

    # --- chunks -------------------------------------------------------------------------------------
    def chunks_of(self, article_ids: Sequence[str]) -> list[tuple[Chunk, Article]]:
        """Chunks (text sliced from the stored body) of the given articles, in order."""
        arts = self.bodies(article_ids)
        rows = self._by_ids(
            'SELECT article_id, chunk_index, start, "end" FROM chunks WHERE article_id IN ({marks})', article_ids
        )
        out = [
            (
                Chunk(article_id=r[0], chunk_index=r[1], start=r[2], end=r[3], text=arts[r[0]].body[r[2] : r[3]]),
                arts[r[0]],
            )
            for r in rows
        ]
        return sorted(out, key=lambda pair: (pair[0].article_id, pair[0].chunk_index))

    def spans(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        out: dict[tuple[str, int], tuple[int, int]] = {}
        for b in range(0, len(keys), 400):
            part = keys[b : b + 400]
            clause = " OR ".join("(article_id=? AND chunk_index=?)" for _ in part)
            args = [v for key in part for v in key]
            for r in self._connect().execute(
                f'SELECT article_id, chunk_index, start, "end" FROM chunks WHERE {clause}', args
            ):
                out[(r[0], r[1])] = (r[2], r[3])
        return out

    def audit(self) -> StoreAudit:
        con = self._connect()

        def one(sql: str) -> int:
            return con.execute(sql).fetchone()[0]

        return StoreAudit(
            articles=one("SELECT COUNT(*) FROM articles"),
            not_ready=one("SELECT COUNT(*) FROM articles WHERE state != 'ready'"),
            chunks=one("SELECT COUNT(*) FROM chunks"),
            lexical_rows=one("SELECT COUNT(*) FROM chunks_fts_docsize"),  # index entries (the table reads content)
            declared_chunks=one("SELECT COALESCE(SUM(n_chunks), 0) FROM articles"),
        )

    def _selective(self, terms: list[str]) -> list[str]:
        """Drop very common terms (see COMMON_TERM_SHARE). Document frequencies come from FTS5's own vocabulary,
        stemmed by the same tokenizer, and are cached per process: a slightly stale count only shifts which
        common words are left out."""
        if len(terms) <= KEEP_RAREST:
            return terms
        con = self._connect()
        if not getattr(self._local, "vocab_ready", False):
            con.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, chunks_fts, 'row')")
            con.execute(f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_tokens USING fts5(w, tokenize = {TOKENIZER})")
            con.execute(
                "CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_stems USING fts5vocab(temp, query_tokens, 'instance')"
            )
            self._local.vocab_ready = True
        total = con.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        if total < PRUNE_FROM_CHUNKS:
            return terms
        con.execute("DELETE FROM temp.query_tokens")
        con.executemany("INSERT INTO temp.query_tokens(rowid, w) VALUES (?, ?)", list(enumerate(terms)))
        stems = {doc: term for doc, term in con.execute("SELECT doc, term FROM temp.query_stems")}
        df: dict[int, int] = {}
        for i, stem in stems.items():
            if stem not in self._df_cache:
                row = con.execute("SELECT doc FROM temp.chunks_vocab WHERE term = ?", (stem,)).fetchone()
                self._df_cache[stem] = row[0] if row else 0
            df[i] = self._df_cache[stem]
        rarest = sorted(df, key=df.__getitem__)[:KEEP_RAREST]
        return [t for i, t in enumerate(terms) if i in rarest or df.get(i, 0) <= COMMON_TERM_SHARE * total]

    def bm25(self, question: str, n: int, filters: Filters | None = None) -> list[tuple[str, int, float]]:
        """Top ``n`` ready chunks by BM25 as ``(article_id, chunk_index, score)``; higher is better.
        Title matches weigh half as much as body matches (titles repeat on every chunk)."""
        query = fts_query(self._selective(query_terms(question)))
        if query is None:
            return []
        where, args = self._where(filters, ("ready",))
        con = self._connect()
        # The best matches are ranked in the index alone, then joined to their articles for the filters: joining
        # every match first took twice as long at 90k chunks (20 -> 10 ms). If the filters leave fewer than n of
        # the wider set, the whole ranking is done after the join (the same rows, as nothing outside the wider set
        # scores better).
        ranked = (
            f"SELECT rowid, bm25(chunks_fts, {TITLE_WEIGHT}, 1.0) AS rank_score FROM chunks_fts "
            "WHERE chunks_fts MATCH ? ORDER BY rank_score LIMIT ?"
        )
        sql = (
            f"SELECT c.article_id, c.chunk_index, -f.rank_score FROM ({ranked}) f JOIN chunks c ON c.rowid = f.rowid "
            f"JOIN articles a ON a.id = c.article_id WHERE {where} ORDER BY f.rank_score LIMIT ?"
        )
        rows = con.execute(sql, [query, n * BM25_WIDER, *args, n]).fetchall()
        if len(rows) < n:
            sql = (
                f"SELECT c.article_id, c.chunk_index, -bm25(chunks_fts, {TITLE_WEIGHT}, 1.0) AS score FROM chunks_fts "
                "JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN articles a ON a.id = c.article_id "
                f"WHERE chunks_fts MATCH ? AND {where} ORDER BY bm25(chunks_fts, {TITLE_WEIGHT}, 1.0) LIMIT ?"
            )
            rows = con.execute(sql, [query, *args, n]).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]
