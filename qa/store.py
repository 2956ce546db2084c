"""The article store: SQLite rows for articles and chunks, plus an FTS5 index for BM25.

This is the source of truth. Article rows, chunk rows and the FTS5 entries change in one transaction, so the
lexical index can never disagree with the stored text. The vector index (Chroma) is derived and is kept
consistent through the article ``state``: ``indexing`` and ``deleting`` rows are finished or repaired on
start-up (see :meth:`qa.service.NewsQA.repair`).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa.models import Article, ArticleState, Chunk, Filters
from qa.text import STOPWORDS, words

TOKENIZER = "'porter unicode61 remove_diacritics 2'"

SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    published_at TEXT,
    source TEXT,
    url TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    state TEXT NOT NULL,
    n_chunks INTEGER NOT NULL DEFAULT 0,
    ingested_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles(published_at);
CREATE INDEX IF NOT EXISTS articles_source ON articles(source);
CREATE INDEX IF NOT EXISTS articles_state ON articles(state);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY,
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    chunk_index INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    UNIQUE(article_id, chunk_index)
);
-- BM25 over chunk text and the article title (porter stemming); rowid = chunks.rowid.
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(title, text, tokenize = {tokenizer});
"""

_ARTICLE_COLUMNS = "id, title, body, published_at, source, url, authors, content_hash, state, n_chunks, ingested_at"


def _row_to_article(row: sqlite3.Row, with_body: bool = True) -> Article:
    return Article(
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


@dataclass(frozen=True)
class ArticleMeta:
    """What ranking needs to know of an article, without its body."""

    state: str
    published_at: dt.date | None
    source: str | None


# Query terms in more than this share of chunks are dropped (the rarest few are always kept): they barely move
# BM25 (low IDF) but make FTS5 score every chunk they occur in — 74 ms vs 9 ms for one question at 100k chunks.
COMMON_TERM_SHARE = 0.02
KEEP_RAREST = 3
# Below this many chunks BM25 is cheap anyway and keeps every term: on RealTimeQA (3k chunks) pruning cost 4 points
# of answer-in-response for no needed speed.
PRUNE_FROM_CHUNKS = 20_000


def query_terms(text: str) -> list[str]:
    """The question's content words, deduplicated, as FTS5 will see them (bare word characters)."""
    terms: list[str] = []
    for w in words(text):
        w = re.sub(r"[^\w]", "", w)
        if w and w not in STOPWORDS and w not in terms:
            terms.append(w)
    return terms[:64]


def fts_query(terms: list[str]) -> str | None:
    """An OR query of the terms, each quoted (FTS5 syntax can't be injected)."""
    return " OR ".join(f'"{t}"' for t in terms) or None


class ArticleStore:
    """SQLite in WAL mode: readers never block the writer; writes are serialised by one lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.write_lock = threading.RLock()
        self._df_cache: dict[str, int] = {}  # stemmed term -> chunks containing it (see _selective)
        with self.write_lock:
            self._connect().executescript(
                SCHEMA.replace("{tokenizer}", TOKENIZER)
            )  # executescript manages its own transaction

    def _connect(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=60, isolation_level=None, check_same_thread=False)
            con.row_factory = sqlite3.Row
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.execute("PRAGMA foreign_keys=ON")
            self._local.con = con
        return con

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

    @property
    def con(self) -> sqlite3.Connection:
        return self._connect()

    # --- articles -----------------------------------------------------------------------------------
    def get(self, article_id: str, with_body: bool = True) -> Article | None:
        row = self.con.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id=?", (article_id,)).fetchone()
        return _row_to_article(row, with_body) if row else None

    def hashes(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """``id -> (content_hash, state)`` for the ids that exist."""
        out: dict[str, tuple[str, str]] = {}
        for b in range(0, len(ids), 500):
            part = list(ids[b : b + 500])
            marks = ",".join("?" * len(part))
            for row in self.con.execute(f"SELECT id, content_hash, state FROM articles WHERE id IN ({marks})", part):
                out[row[0]] = (row[1], row[2])
        return out

    def meta(self, ids: Sequence[str]) -> dict[str, ArticleMeta]:
        out: dict[str, ArticleMeta] = {}
        for b in range(0, len(ids), 500):
            part = list(ids[b : b + 500])
            marks = ",".join("?" * len(part))
            sql = f"SELECT id, state, published_at, source FROM articles WHERE id IN ({marks})"
            for r in self.con.execute(sql, part):
                out[r[0]] = ArticleMeta(r[1], dt.date.fromisoformat(r[2]) if r[2] else None, r[3])
        return out

    def bodies(self, ids: Sequence[str]) -> dict[str, Article]:
        out: dict[str, Article] = {}
        for b in range(0, len(ids), 500):
            part = list(ids[b : b + 500])
            marks = ",".join("?" * len(part))
            for row in self.con.execute(f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks})", part):
                out[row["id"]] = _row_to_article(row)
        return out

    def list(
        self,
        filters: Filters | None = None,
        limit: int | None = None,
        offset: int = 0,
        with_body: bool = False,
        states: tuple[ArticleState, ...] = ("ready",),
    ) -> list[Article]:
        where, args = self._where(filters, states)
        sql = (
            f"SELECT {_ARTICLE_COLUMNS} FROM articles a WHERE {where} "
            "ORDER BY published_at IS NULL, published_at DESC, id LIMIT ? OFFSET ?"
        )
        rows = self.con.execute(sql, [*args, -1 if limit is None else limit, offset]).fetchall()
        return [_row_to_article(r, with_body) for r in rows]

    def count(self, filters: Filters | None = None, states: tuple[ArticleState, ...] = ("ready",)) -> int:
        where, args = self._where(filters, states)
        return self.con.execute(f"SELECT COUNT(*) FROM articles a WHERE {where}", args).fetchone()[0]

    def ids_in_state(self, state: ArticleState) -> list[str]:
        return [r[0] for r in self.con.execute("SELECT id FROM articles WHERE state=?", (state,))]

    @staticmethod
    def _where(filters: Filters | None, states: tuple[ArticleState, ...]) -> tuple[str, list[object]]:
        clauses = [f"a.state IN ({','.join('?' * len(states))})"]
        args: list[object] = list(states)
        if filters is not None:
            if filters.source:
                clauses.append("a.source = ?")
                args.append(filters.source)
            if filters.since:
                clauses.append("a.published_at >= ?")
                args.append(filters.since.isoformat())
            if filters.until:
                clauses.append("a.published_at <= ?")
                args.append(filters.until.isoformat())
            if filters.article_ids is not None:
                clauses.append(f"a.id IN ({','.join('?' * len(filters.article_ids))})")
                args.extend(filters.article_ids)
        return " AND ".join(clauses), args

    def put(self, con: sqlite3.Connection, article: Article, chunks: list[Chunk]) -> None:
        """Write an article (state ``indexing``) with its chunks and FTS rows, replacing any old version.
        Runs inside the caller's transaction."""
        self._delete_chunks(con, article.id)
        con.execute(
            f"INSERT OR REPLACE INTO articles ({_ARTICLE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                article.id,
                article.title,
                article.body,
                article.published_at.isoformat() if article.published_at else None,
                article.source,
                article.url,
                json.dumps(article.authors, ensure_ascii=False),
                article.content_hash,
                "indexing",
                len(chunks),
                (article.ingested_at or dt.datetime.now(dt.UTC)).isoformat(),
            ),
        )
        for c in chunks:
            cur = con.execute(
                'INSERT INTO chunks (article_id, chunk_index, start, "end") VALUES (?,?,?,?)',
                (c.article_id, c.chunk_index, c.start, c.end),
            )
            con.execute(
                "INSERT INTO chunks_fts(rowid, title, text) VALUES (?,?,?)", (cur.lastrowid, article.title, c.text)
            )

    def set_state(self, con: sqlite3.Connection, ids: Sequence[str], state: ArticleState) -> None:
        con.executemany("UPDATE articles SET state=? WHERE id=?", [(state, i) for i in ids])

    def delete(self, con: sqlite3.Connection, article_id: str) -> None:
        self._delete_chunks(con, article_id)
        con.execute("DELETE FROM articles WHERE id=?", (article_id,))

    @staticmethod
    def _delete_chunks(con: sqlite3.Connection, article_id: str) -> None:
        con.execute(
            "DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE article_id=?)", (article_id,)
        )
        con.execute("DELETE FROM chunks WHERE article_id=?", (article_id,))

    # --- chunks -------------------------------------------------------------------------------------
    def chunks_of(self, article_ids: Sequence[str]) -> list[tuple[Chunk, Article]]:
        """Chunks (text sliced from the stored body) of the given articles, in order."""
        arts = self.bodies(article_ids)
        out: list[tuple[Chunk, Article]] = []
        for b in range(0, len(article_ids), 500):
            part = list(article_ids[b : b + 500])
            marks = ",".join("?" * len(part))
            rows = self.con.execute(
                f'SELECT article_id, chunk_index, start, "end" FROM chunks WHERE article_id IN ({marks}) '
                "ORDER BY article_id, chunk_index",
                part,
            )
            for r in rows:
                art = arts[r[0]]
                out.append(
                    (Chunk(article_id=r[0], chunk_index=r[1], start=r[2], end=r[3], text=art.body[r[2] : r[3]]), art)
                )
        return out

    def chunk_count(self) -> int:
        return self.con.execute(
            "SELECT COUNT(*) FROM chunks c JOIN articles a ON a.id = c.article_id WHERE a.state='ready'"
        ).fetchone()[0]

    def _selective(self, terms: list[str]) -> list[str]:
        """Drop very common terms (see COMMON_TERM_SHARE). Document frequencies come from FTS5's own vocabulary,
        stemmed by the same tokenizer, and are cached per process: a slightly stale count only shifts which
        common words are left out."""
        if len(terms) <= KEEP_RAREST:
            return terms
        con = self.con
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
        sql = (
            "SELECT c.article_id, c.chunk_index, -bm25(chunks_fts, 0.5, 1.0) AS score "
            "FROM chunks_fts JOIN chunks c ON c.rowid = chunks_fts.rowid JOIN articles a ON a.id = c.article_id "
            f"WHERE chunks_fts MATCH ? AND {where} ORDER BY bm25(chunks_fts, 0.5, 1.0) LIMIT ?"
        )
        return [(r[0], r[1], r[2]) for r in self.con.execute(sql, [query, *args, n])]
