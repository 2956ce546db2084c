"""The part of :class:`qa.store.feeds.FeedStore` whose SQL is the same on every backend, written once.

Both backends hold feeds, leases, seen entries and stories in the same tables (SQLite migration 0004, PostgreSQL
0002) and reach them through DB-API connections, so what differs between them is small and comes from hooks: the
parameter style and how a read runs (:class:`qa.store.sql.SQLBackend`), and how a time is stored (:meth:`_db_time`,
:meth:`_py_time`). Statements that differ by dialect (upserts, id lists) stay in ``sqlite_feeds`` / ``postgres_feeds``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from qa.models import Feed
from qa.store.feeds import EntryMark, FeedStore, StoryMember, Validators
from qa.store.sql import SQLBackend

FEED_COLUMNS = (
    "f.id, f.url, f.name, f.interval_s, f.created_at, f.etag, f.last_modified, f.last_polled_at, f.last_success_at, "
    "f.last_error, f.last_error_at, (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id) AS entries_seen"
)
MEMBER_COLUMNS = "s.article_id, s.story_id, s.source, s.first_seen_at"


class SQLFeedsMixin(SQLBackend, FeedStore):
    """Shared statements are written with ``?`` placeholders and go through :meth:`_sql` on their way out; the
    backend's store provides ``_rows()`` and ``transaction()``."""

    def transaction(self) -> AbstractContextManager[Any]:  # provided by the backend's store
        raise NotImplementedError

    # Times: by default the driver stores and returns timezone-aware datetimes itself; a backend without a time
    # type overrides both.
    @staticmethod
    def _db_time(value: dt.datetime) -> Any:
        """A timezone-aware time as this backend stores it."""
        return value

    @staticmethod
    def _py_time(value: Any) -> dt.datetime:
        """A stored time (never NULL) back as a timezone-aware datetime."""
        return value

    # --- rows -> models ---------------------------------------------------------------------------------
    def _feed(self, r: Sequence[Any]) -> Feed:
        """A row of :data:`FEED_COLUMNS`."""

        def when(value: Any) -> dt.datetime | None:
            return self._py_time(value) if value else None

        return Feed(
            id=r[0], url=r[1], name=r[2], interval_s=r[3], created_at=self._py_time(r[4]), etag=r[5],
            last_modified=r[6], last_polled_at=when(r[7]), last_success_at=when(r[8]), last_error=r[9],
            last_error_at=when(r[10]), entries_seen=r[11],
        )  # fmt: skip

    def _member(self, r: Sequence[Any]) -> StoryMember:
        """A row of :data:`MEMBER_COLUMNS`."""
        return StoryMember(r[0], r[1], r[2], self._py_time(r[3]))

    def _one_feed(self, where: str, value: str) -> Feed | None:
        rows = self._rows(self._sql(f"SELECT {FEED_COLUMNS} FROM feeds f WHERE {where} = ?"), (value,))
        return self._feed(rows[0]) if rows else None

    # --- feeds ------------------------------------------------------------------------------------------
    def add_feed(self, tx: Any, feed: Feed) -> None:
        tx.execute(
            self._sql("INSERT INTO feeds (id, url, name, interval_s, created_at) VALUES (?, ?, ?, ?, ?)"),
            (feed.id, feed.url, feed.name, feed.interval_s, self._db_time(feed.created_at)),
        )

    def get_feed(self, feed_id: str) -> Feed | None:
        return self._one_feed("f.id", feed_id)

    def feed_by_url(self, url: str) -> Feed | None:
        return self._one_feed("f.url", url)

    def list_feeds(self) -> list[Feed]:
        return [self._feed(r) for r in self._rows(f"SELECT {FEED_COLUMNS} FROM feeds f ORDER BY f.created_at, f.id")]

    def delete_feed(self, tx: Any, feed_id: str) -> bool:
        tx.execute(self._sql("DELETE FROM feed_entries WHERE feed_id = ?"), (feed_id,))
        return tx.execute(self._sql("DELETE FROM feeds WHERE id = ?"), (feed_id,)).rowcount > 0

    def record_poll(
        self, tx: Any, feed_id: str, at: dt.datetime, error: str | None, validators: Validators | None
    ) -> None:
        when = self._db_time(at)
        if error is None:
            tx.execute(
                self._sql("UPDATE feeds SET last_polled_at = ?, last_success_at = ? WHERE id = ?"),
                (when, when, feed_id),
            )
        else:
            tx.execute(
                self._sql("UPDATE feeds SET last_polled_at = ?, last_error = ?, last_error_at = ? WHERE id = ?"),
                (when, error, when, feed_id),
            )
        if validators is not None:
            tx.execute(self._sql("UPDATE feeds SET etag = ?, last_modified = ? WHERE id = ?"), (*validators, feed_id))

    # --- leases: each one conditional UPDATE in its own transaction, so of two claims exactly one wins ------
    def claim_feed(self, feed_id: str, owner: str, expires: float, now: float, replace: str | None = None) -> bool:
        sql = (
            "UPDATE feeds SET lease_owner = ?, lease_expires = ? WHERE id = ? AND (lease_owner IS NULL "
            "OR lease_expires < ? OR lease_owner = ? OR lease_owner = ?)"
        )
        with self.transaction() as tx:
            return tx.execute(self._sql(sql), (owner, expires, feed_id, now, owner, replace)).rowcount > 0

    def lease_of(self, feed_id: str) -> tuple[str, float] | None:
        rows = self._rows(
            self._sql("SELECT lease_owner, lease_expires FROM feeds WHERE id = ? AND lease_owner IS NOT NULL"),
            (feed_id,),
        )
        return (rows[0][0], float(rows[0][1])) if rows else None

    def renew_lease(self, feed_id: str, owner: str, expires: float) -> bool:
        sql = "UPDATE feeds SET lease_expires = ? WHERE id = ? AND lease_owner = ?"
        with self.transaction() as tx:
            return tx.execute(self._sql(sql), (expires, feed_id, owner)).rowcount > 0

    def release_lease(self, feed_id: str, owner: str) -> None:
        sql = "UPDATE feeds SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?"
        with self.transaction() as tx:
            tx.execute(self._sql(sql), (feed_id, owner))

    # --- entries ----------------------------------------------------------------------------------------
    def feed_entries(self, feed_id: str) -> list[EntryMark]:
        rows = self._rows(
            self._sql(
                "SELECT entry_key, article_id, status, reason FROM feed_entries WHERE feed_id = ? ORDER BY entry_key"
            ),
            (feed_id,),
        )
        return [EntryMark(*r) for r in rows]

    def feed_articles(self, feed_id: str) -> set[str]:
        rows = self._rows(
            self._sql("SELECT article_id FROM feed_entries WHERE feed_id = ? AND article_id IS NOT NULL"), (feed_id,)
        )
        return {r[0] for r in rows}

    # --- stories ----------------------------------------------------------------------------------------
    def first_seen(self, tx: Any, article_id: str) -> dt.datetime | None:
        sql = self._sql("SELECT first_seen_at FROM article_stories WHERE article_id = ?")
        row = tx.execute(sql, (article_id,)).fetchone()
        return self._py_time(row[0]) if row else None

    def forget_story(self, tx: Any, article_id: str) -> None:
        tx.execute(self._sql("DELETE FROM story_bands WHERE article_id = ?"), (article_id,))
        tx.execute(self._sql("DELETE FROM article_stories WHERE article_id = ?"), (article_id,))

    def new_since(self, since: dt.datetime, feed_id: str | None = None) -> list[StoryMember]:
        sql = (
            f"SELECT {MEMBER_COLUMNS} FROM article_stories s JOIN articles a ON a.id = s.article_id "
            "WHERE a.state = 'ready' AND s.first_seen_at >= ?"
        )
        args: list[Any] = [self._db_time(since)]
        if feed_id is not None:
            sql += " AND s.article_id IN (SELECT article_id FROM feed_entries WHERE feed_id = ?)"
            args.append(feed_id)
        rows = self._rows(self._sql(sql + " ORDER BY s.first_seen_at DESC, s.article_id"), args)
        return [self._member(r) for r in rows]
