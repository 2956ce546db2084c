"""The scale-out article store: PostgreSQL through psycopg 3 and a connection pool (``QA_DATABASE_URL=postgresql://…``).

Implements :class:`qa.store.base.ArticleStore` (read that for the guarantees). Article rows, chunk rows, each
chunk's ``tsvector`` and its postings (``chunk_terms``) change in one transaction; lexical search is BM25 in SQL,
one aggregate over the question's postings.

Any number of processes may share one database. Writers of the same article are kept apart by advisory locks
(:meth:`PostgresStore.article_locks`, held across the whole ingest or delete, Chroma step included); a lock taken
by a process that dies is released by PostgreSQL with its connection. A database that is down or unreachable is a
:class:`qa.errors.StoreUnavailable` (a 503), never a crash: the pool checks each connection it hands out and
reconnects on its own, so requests recover when the database is back, without a restart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import psycopg_pool

from qa.errors import StoreUnavailable
from qa.models import Article, ArticleState, Chunk, Filters
from qa.store.base import ArticleMeta, StoreAudit
from qa.store.lexical import (
    BM25_B,
    BM25_K1,
    COMMON_TERM_SHARE,
    KEEP_RAREST,
    PRUNE_FROM_CHUNKS,
    TITLE_WEIGHT,
    query_terms,
)
from qa.store.migrations import pending
from qa.store.postgres_feeds import PostgresFeedsMixin
from qa.store.sql import ARTICLE_COLUMNS, SQLArticleStore

# The text search configuration of chunk vectors and queries (Snowball English stemmer, English stop words).
TS_CONFIG = "english"
# Corpus statistics (chunk count, mean length, each lexeme's document frequency) are cached this long per process:
# a slightly stale figure moves scores a little, and counting per question would cost ~10 ms at 100k chunks.
STATS_TTL_S = 60.0
# Terms whose lexemes are remembered per process (a few MB at most); the cache starts afresh beyond.
LEXEME_CACHE_TERMS = 100_000

# Advisory-lock key of the migration runner (any constant no article key is likely to equal).
_MIGRATION_LOCK = 0x6E657773716100

# Connection errors: the server is down, restarting, unreachable, or the pool has no connection to give.
_UNAVAILABLE = (psycopg.OperationalError, psycopg.InterfaceError, psycopg_pool.PoolTimeout)


def _row_to_article(row: tuple[Any, ...], with_body: bool = True) -> Article:
    article = Article(
        id=row[0],
        title=row[1],
        body=row[2] if with_body else "",
        published_at=row[3],
        source=row[4],
        url=row[5],
        authors=list(row[6]),
        content_hash=row[7],
        state=row[8],
        n_chunks=row[9],
        ingested_at=row[10],
    )
    article._injected = row[11]
    return article


def lock_key(article_id: str) -> int:
    """The advisory-lock key of an article id: a signed 64-bit hash, the same in every process."""
    return int.from_bytes(hashlib.blake2b(article_id.encode(), digest_size=8).digest(), "big", signed=True)


@contextmanager
def unavailable_as_503() -> Iterator[None]:
    """Connection failures become :class:`StoreUnavailable`; SQL errors stay what they are (bugs, not outages)."""
    try:
        yield
    except _UNAVAILABLE as exc:
        raise StoreUnavailable(f"the article database is unavailable ({type(exc).__name__})") from exc


class PostgresStore(PostgresFeedsMixin, SQLArticleStore[psycopg.Connection[Any]]):
    """PostgreSQL with a connection pool. Safe to share between threads and between processes."""

    backend = "postgresql"
    placeholder = "%s"
    _article = staticmethod(_row_to_article)

    def __init__(self, url: str, pool_size: int = 10, timeout_s: float = 3.0) -> None:
        self._local = threading.local()
        self._df_cache: dict[str, int] = {}  # lexeme -> chunks holding it (see _document_frequencies)
        self._stats_at: tuple[float, int, float] | None = None  # (when, chunks, mean length): see _stats
        self._lexeme_cache: dict[str, tuple[str, ...]] = {}  # query term -> its lexemes (see _lexemes)
        self.pool = psycopg_pool.ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            timeout=timeout_s,
            # Autocommit: a read outside a transaction or snapshot holds no transaction open.
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout_s))},
            # Every connection is checked as it is handed out: one broken by a database restart is replaced.
            check=psycopg_pool.ConnectionPool.check_connection,
            # A failed background reconnection is dropped at once instead of retried with a growing backoff: the
            # pool opens a new connection when a request next needs one, so it follows the database straight back.
            reconnect_timeout=0,
            open=False,
            name="qa-store",
        )
        with unavailable_as_503():
            self.pool.open(wait=True, timeout=timeout_s)
            self.migrate()

    # --- connections ----------------------------------------------------------------------------------
    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection[Any]]:
        """This thread's snapshot connection if one is open, else one from the pool for the block."""
        pinned = getattr(self._local, "snapshot", None)
        if pinned is not None:
            yield pinned
            return
        with unavailable_as_503(), self.pool.connection() as con:
            yield con

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._connection() as con, unavailable_as_503():
            return con.execute(sql, args).fetchall()

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection[Any]]:
        with unavailable_as_503(), self.pool.connection() as con, con.transaction():
            yield con

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One connection in a REPEATABLE READ, read-only transaction: every read in the block sees the database
        as of its first query. Nested blocks join the outer one."""
        if getattr(self._local, "snapshot", None) is not None:
            yield
            return
        with unavailable_as_503(), self.pool.connection() as con:
            con.execute("BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            self._local.snapshot = con
            try:
                yield
            finally:
                self._local.snapshot = None
                if not con.closed:
                    con.execute("COMMIT")

    @contextmanager
    def article_locks(self, ids: Sequence[str]) -> Iterator[None]:
        """Transaction-scoped advisory locks on the ids' keys, held by one connection for the whole block and taken
        in key order (two processes locking overlapping sets can't deadlock). A process that dies mid-block
        loses its connection, and PostgreSQL releases its locks."""
        keys = sorted({lock_key(i) for i in ids})
        if not keys:
            yield
            return
        with unavailable_as_503(), self.pool.connection() as con, con.transaction():
            for key in keys:
                con.execute("SELECT pg_advisory_xact_lock(%s)", (key,))
            yield

    def migrate(self) -> int:
        """Apply pending migrations, each with its version row in the same transaction. Processes starting at
        once queue on one advisory lock, so each migration runs once."""
        with self.transaction() as con:
            con.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
            con.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
            )
            version = con.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0]  # type: ignore[index]
            for m in pending("postgresql", version):
                con.execute(m.sql.encode())  # several statements, no parameters: one simple query
                con.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (m.version, m.name))
                version = m.version
        return version

    def schema_version(self) -> int:
        return int(self._one("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"))

    def close(self) -> None:
        self.pool.close()

    # --- writes ---------------------------------------------------------------------------------------
    def put(self, tx: psycopg.Connection[Any], article: Article, chunks: list[Chunk]) -> None:
        self._clear(tx, article.id)
        tx.execute(
            f"INSERT INTO articles ({ARTICLE_COLUMNS}) VALUES (%s,%s,%s,%s,%s,%s,%s,%s,'indexing',%s,%s,%s) "
            "ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, body = EXCLUDED.body, "
            "published_at = EXCLUDED.published_at, source = EXCLUDED.source, url = EXCLUDED.url, "
            "authors = EXCLUDED.authors, content_hash = EXCLUDED.content_hash, state = EXCLUDED.state, "
            "n_chunks = EXCLUDED.n_chunks, ingested_at = EXCLUDED.ingested_at, injected = EXCLUDED.injected",
            (
                article.id,
                article.title,
                article.body,
                article.published_at,
                article.source,
                article.url,
                list(article.authors),
                article.content_hash,
                len(chunks),
                article.ingested_at or dt.datetime.now(dt.UTC),
                article._injected,
            ),
        )
        # Each chunk's words come from the article row just written: what is indexed is exactly the stored text.
        tx.execute(
            'INSERT INTO chunks (article_id, chunk_index, start, "end", tsv, n_tokens) '
            "SELECT v.id, v.i, v.s, v.e, v.tsv, (SELECT COALESCE(SUM(array_length(positions, 1)), 0) FROM unnest(v.tsv)) "
            f"FROM (SELECT a.id, c.i, c.s, c.e, setweight(to_tsvector('{TS_CONFIG}', a.title), 'B') || "
            f"setweight(to_tsvector('{TS_CONFIG}', substr(a.body, c.s + 1, c.e - c.s)), 'A') AS tsv "
            "FROM articles a, unnest(%s::int[], %s::int[], %s::int[]) AS c(i, s, e) WHERE a.id = %s) AS v",
            (
                [c.chunk_index for c in chunks],
                [c.start for c in chunks],
                [c.end for c in chunks],
                article.id,
            ),
        )
        # The chunks' postings from the vectors just written, with their chunk's length, in the same transaction
        # (see migrations 0004 and 0006).
        tx.execute(
            "INSERT INTO chunk_terms (article_id, chunk_index, lexeme, n_text, n_title, n_tokens) "
            "SELECT c.article_id, c.chunk_index, t.lexeme, COUNT(*) FILTER (WHERE w = 'A'), "
            "COUNT(*) FILTER (WHERE w = 'B'), c.n_tokens FROM chunks c, unnest(c.tsv) AS t, unnest(t.weights) AS w "
            "WHERE c.article_id = %s GROUP BY c.article_id, c.chunk_index, c.n_tokens, t.lexeme",
            (article.id,),
        )

    def set_state(self, tx: psycopg.Connection[Any], ids: Sequence[str], state: ArticleState) -> None:
        tx.execute("UPDATE articles SET state = %s WHERE id = ANY(%s)", (state, list(ids)))

    def _delete_chunks(self, tx: psycopg.Connection[Any], article_id: str) -> None:
        tx.execute("DELETE FROM chunks WHERE article_id = %s", (article_id,))  # each chunk's tsvector goes with it

    # --- articles -------------------------------------------------------------------------------------
    def hashes(self, ids: Sequence[str]) -> dict[str, tuple[str, str]]:
        rows = self._rows("SELECT id, content_hash, state FROM articles WHERE id = ANY(%s)", (list(ids),))
        return {r[0]: (r[1], r[2]) for r in rows}

    def meta(self, ids: Sequence[str]) -> dict[str, ArticleMeta]:
        rows = self._rows("SELECT id, state, published_at, source FROM articles WHERE id = ANY(%s)", (list(ids),))
        return {r[0]: ArticleMeta(r[1], r[2], r[3]) for r in rows}

    def bodies(self, ids: Sequence[str]) -> dict[str, Article]:
        rows = self._rows(f"SELECT {ARTICLE_COLUMNS} FROM articles WHERE id = ANY(%s)", (list(ids),))
        return {r[0]: _row_to_article(r) for r in rows}

    @staticmethod
    def _in(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        return f"{column} = ANY(%s)", [list(values)]

    # --- chunks ---------------------------------------------------------------------------------------
    def chunks_of(self, article_ids: Sequence[str]) -> list[tuple[Chunk, Article]]:
        with self.snapshot():  # the bodies and the offsets from one version
            arts = self.bodies(article_ids)
            rows = self._rows(
                'SELECT article_id, chunk_index, start, "end" FROM chunks WHERE article_id = ANY(%s) '
                "ORDER BY article_id, chunk_index",
                (list(article_ids),),
            )
        return [
            (
                Chunk(article_id=r[0], chunk_index=r[1], start=r[2], end=r[3], text=arts[r[0]].body[r[2] : r[3]]),
                arts[r[0]],
            )
            for r in rows
        ]

    def spans(self, keys: Sequence[tuple[str, int]]) -> dict[tuple[str, int], tuple[int, int]]:
        if not keys:
            return {}
        rows = self._rows(
            'SELECT c.article_id, c.chunk_index, c.start, c."end" FROM chunks c '
            "JOIN unnest(%s::text[], %s::int[]) AS k(a, i) ON c.article_id = k.a AND c.chunk_index = k.i",
            ([k[0] for k in keys], [k[1] for k in keys]),
        )
        return {(r[0], r[1]): (r[2], r[3]) for r in rows}

    # --- lexical search -------------------------------------------------------------------------------
    def _stats(self) -> tuple[int, float]:
        """``(chunks, mean chunk length)``, cached for STATS_TTL_S (the document frequencies expire with them)."""
        now = time.monotonic()
        if self._stats_at is None or now - self._stats_at[0] > STATS_TTL_S:
            total, mean = self._rows("SELECT COUNT(*), COALESCE(AVG(n_tokens), 0) FROM chunks")[0]
            self._stats_at = (now, int(total), float(mean) or 1.0)
            self._df_cache = {}
        return self._stats_at[1], self._stats_at[2]

    def _document_frequencies(self, lexemes: list[str]) -> dict[str, int]:
        """Chunks holding each lexeme (its postings, counted from the index; cached with the other statistics)."""
        # This call's own reference: another request's _stats() may swap in a fresh cache while we count.
        cache = self._df_cache
        new = [x for x in lexemes if x not in cache]
        if new:
            rows = self._rows(
                "SELECT t.lexeme, (SELECT COUNT(*) FROM chunk_terms p WHERE p.lexeme = t.lexeme) "
                "FROM unnest(%s::text[]) AS t(lexeme)",
                (new,),
            )
            cache.update({r[0]: int(r[1]) for r in rows})
        return {lexeme: cache[lexeme] for lexeme in lexemes}

    def _lexemes(self, terms: list[str]) -> list[str]:
        """The question's terms as the index holds them (stemmed, stop words gone), in the terms' order. A term's
        lexemes never change, so they are asked for once per process (a round trip saved on most questions)."""
        # This call's own reference, and a full cache replaced rather than cleared: a request running alongside
        # keeps reading the dict it started with (clearing it under that request silently dropped its terms).
        cache = self._lexeme_cache
        if len(cache) > LEXEME_CACHE_TERMS:
            cache = self._lexeme_cache = {}
        new = [t for t in terms if t not in cache]
        if new:
            rows = self._rows(
                f"SELECT t, ARRAY(SELECT lexeme FROM unnest(to_tsvector('{TS_CONFIG}', t))) FROM unnest(%s::text[]) AS t",
                (new,),
            )
            cache.update({r[0]: tuple(r[1]) for r in rows})
        return list(dict.fromkeys(x for t in terms for x in cache[t]))

    def _selective(self, lexemes: list[str], df: dict[str, int], total: int) -> list[str]:
        """Drop very common lexemes (see COMMON_TERM_SHARE), as the SQLite store does."""
        if len(lexemes) <= KEEP_RAREST or total < PRUNE_FROM_CHUNKS:
            return lexemes
        rarest = sorted(lexemes, key=df.__getitem__)[:KEEP_RAREST]
        return [x for x in lexemes if x in rarest or df[x] <= COMMON_TERM_SHARE * total]

    def bm25(self, question: str, n: int, filters: Filters | None = None) -> list[tuple[str, int, float]]:
        """Okapi BM25 computed in SQL from the postings of the question's lexemes (``chunk_terms``, read through its
        lexeme index): IDF from the document frequencies, term frequency from the posting's counts (a title
        occurrence weighed TITLE_WEIGHT), length from the posting's copy of ``n_tokens``; the same formula and
        constants as FTS5's. Lexemes go in as bound parameters: no query syntax can be injected."""
        terms = query_terms(question)
        lexemes = self._lexemes(terms) if terms else []
        if not lexemes:
            return []
        total, mean_length = self._stats()
        df = self._document_frequencies(lexemes)
        lexemes = self._selective(lexemes, df, total)
        idf = [math.log(1 + (total - df[x] + 0.5) / (df[x] + 0.5)) for x in lexemes]
        where, args = self._where(filters, ("ready",))
        # BM25 per lexeme: idf * tf * (k1 + 1) / (tf + k1 * (1 - b) + k1 * b * length / mean length), summed per chunk
        # from the postings alone; only then are the scored chunks' articles checked (state, filters), once a chunk.
        sql = (
            "SELECT s.article_id, s.chunk_index, s.score FROM (SELECT p.article_id, p.chunk_index, "
            "SUM(p.idf * p.tf * %s / (p.tf + %s + %s * p.n_tokens)) AS score "
            "FROM (SELECT t.idf, ct.article_id, ct.chunk_index, ct.n_tokens, ct.n_text + %s * ct.n_title AS tf "
            "FROM unnest(%s::text[], %s::float8[]) AS t(lexeme, idf) JOIN chunk_terms ct ON ct.lexeme = t.lexeme) AS p "
            "GROUP BY p.article_id, p.chunk_index) AS s "
            f"JOIN articles a ON a.id = s.article_id WHERE {where} "
            "ORDER BY s.score DESC, s.article_id, s.chunk_index LIMIT %s"
        )
        saturation = [BM25_K1 + 1, BM25_K1 * (1 - BM25_B), BM25_K1 * BM25_B / mean_length]
        rows = self._rows(sql, [*saturation, TITLE_WEIGHT, lexemes, idf, *args, n])
        return [(r[0], r[1], float(r[2])) for r in rows]

    # --- inspection -----------------------------------------------------------------------------------
    def audit(self) -> StoreAudit:
        row = self._rows(
            "SELECT (SELECT COUNT(*) FROM articles), (SELECT COUNT(*) FROM articles WHERE state != 'ready'), "
            "(SELECT COUNT(*) FROM chunks), (SELECT COUNT(*) FROM chunks WHERE tsv IS NOT NULL), "
            "(SELECT COALESCE(SUM(n_chunks), 0) FROM articles)"
        )[0]
        return StoreAudit(*(int(v) for v in row))
