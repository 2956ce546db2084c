"""SQLite implementation of :class:`qa.store.feeds.FeedStore` (a mixin of :class:`qa.store.sqlite.SQLiteStore`;
tables from migration 0004). Read the contract for the guarantees."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager

from qa.models import Feed
from qa.store.feeds import EntryMark, FeedStore, StoryMember

_FEED_COLUMNS = (
    "f.id, f.url, f.name, f.interval_s, f.created_at, f.etag, f.last_modified, f.last_polled_at, f.last_success_at, "
    "f.last_error, f.last_error_at, (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id) AS entries_seen"
)


def _time(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _iso(value: dt.datetime | None) -> str | None:
    return value.astimezone(dt.UTC).isoformat() if value else None


def _feed(row: sqlite3.Row) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        interval_s=row["interval_s"],
        created_at=dt.datetime.fromisoformat(row["created_at"]),
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled_at=_time(row["last_polled_at"]),
        last_success_at=_time(row["last_success_at"]),
        last_error=row["last_error"],
        last_error_at=_time(row["last_error_at"]),
        entries_seen=row["entries_seen"],
    )


def _member(row: sqlite3.Row | tuple) -> StoryMember:  # type: ignore[type-arg]
    return StoryMember(row[0], row[1], row[2], dt.datetime.fromisoformat(row[3]))


class SQLiteFeedsMixin(FeedStore):
    """Needs the host class's ``_connect()``, ``transaction()`` and ``_by_ids()``."""

    def _connect(self) -> sqlite3.Connection:  # provided by SQLiteStore
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[sqlite3.Connection]:  # provided by SQLiteStore
        raise NotImplementedError

    def _by_ids(self, sql: str, ids: Sequence[str]) -> Iterator[sqlite3.Row]:  # provided by SQLiteStore
        raise NotImplementedError

    # --- feeds ------------------------------------------------------------------------------------------
    def add_feed(self, tx: sqlite3.Connection, feed: Feed) -> None:
        tx.execute(
            "INSERT INTO feeds (id, url, name, interval_s, created_at) VALUES (?,?,?,?,?)",
            (feed.id, feed.url, feed.name, feed.interval_s, _iso(feed.created_at)),
        )

    def get_feed(self, feed_id: str) -> Feed | None:
        row = self._connect().execute(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = ?", (feed_id,)).fetchone()
        return _feed(row) if row else None

    def feed_by_url(self, url: str) -> Feed | None:
        row = self._connect().execute(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.url = ?", (url,)).fetchone()
        return _feed(row) if row else None

    def list_feeds(self) -> list[Feed]:
        rows = self._connect().execute(f"SELECT {_FEED_COLUMNS} FROM feeds f ORDER BY f.created_at, f.id")
        return [_feed(r) for r in rows]

    def delete_feed(self, tx: sqlite3.Connection, feed_id: str) -> bool:
        tx.execute("DELETE FROM feed_entries WHERE feed_id = ?", (feed_id,))
        return tx.execute("DELETE FROM feeds WHERE id = ?", (feed_id,)).rowcount > 0

    def record_poll(
        self,
        tx: sqlite3.Connection,
        feed_id: str,
        at: dt.datetime,
        error: str | None,
        validators: tuple[str | None, str | None] | None,
    ) -> None:
        if error is None:
            tx.execute(
                "UPDATE feeds SET last_polled_at = ?, last_success_at = ? WHERE id = ?", (_iso(at),) * 2 + (feed_id,)
            )
        else:
            tx.execute(
                "UPDATE feeds SET last_polled_at = ?, last_error = ?, last_error_at = ? WHERE id = ?",
                (_iso(at), error, _iso(at), feed_id),
            )
        if validators is not None:
            tx.execute("UPDATE feeds SET etag = ?, last_modified = ? WHERE id = ?", (*validators, feed_id))

    # --- leases -----------------------------------------------------------------------------------------
    def claim_feed(self, feed_id: str, owner: str, expires: float, now: float, replace: str | None = None) -> bool:
        with self.transaction() as tx:
            cur = tx.execute(
                "UPDATE feeds SET lease_owner = ?, lease_expires = ? WHERE id = ? AND (lease_owner IS NULL "
                "OR lease_expires < ? OR lease_owner = ? OR lease_owner = ?)",
                (owner, expires, feed_id, now, owner, replace),
            )
            return cur.rowcount > 0

    def lease_of(self, feed_id: str) -> tuple[str, float] | None:
        row = (
            self._connect()
            .execute(
                "SELECT lease_owner, lease_expires FROM feeds WHERE id = ? AND lease_owner IS NOT NULL", (feed_id,)
            )
            .fetchone()
        )
        return (row[0], row[1]) if row else None

    def renew_lease(self, feed_id: str, owner: str, expires: float) -> bool:
        with self.transaction() as tx:
            cur = tx.execute(
                "UPDATE feeds SET lease_expires = ? WHERE id = ? AND lease_owner = ?", (expires, feed_id, owner)
            )
            return cur.rowcount > 0

    def release_lease(self, feed_id: str, owner: str) -> None:
        with self.transaction() as tx:
            tx.execute(
                "UPDATE feeds SET lease_owner = NULL, lease_expires = NULL WHERE id = ? AND lease_owner = ?",
                (feed_id, owner),
            )

    # --- entries ----------------------------------------------------------------------------------------
    def seen_entries(self, feed_id: str, keys: Sequence[str]) -> set[str]:
        seen: set[str] = set()
        con = self._connect()
        for b in range(0, len(keys), 500):
            part = list(keys[b : b + 500])
            marks = ",".join("?" * len(part))
            sql = f"SELECT entry_key FROM feed_entries WHERE feed_id = ? AND entry_key IN ({marks})"
            seen.update(r[0] for r in con.execute(sql, [feed_id, *part]))
        return seen

    def mark_entries(self, tx: sqlite3.Connection, feed_id: str, marks: Sequence[EntryMark], at: dt.datetime) -> None:
        tx.executemany(
            "INSERT OR REPLACE INTO feed_entries (feed_id, entry_key, article_id, status, reason, seen_at) "
            "VALUES (?,?,?,?,?,?)",
            [(feed_id, m.key, m.article_id, m.status, m.reason, _iso(at)) for m in marks],
        )

    def feed_entries(self, feed_id: str) -> list[EntryMark]:
        rows = self._connect().execute(
            "SELECT entry_key, article_id, status, reason FROM feed_entries WHERE feed_id = ? ORDER BY entry_key",
            (feed_id,),
        )
        return [EntryMark(*r) for r in rows]

    def feed_articles(self, feed_id: str) -> set[str]:
        rows = self._connect().execute(
            "SELECT article_id FROM feed_entries WHERE feed_id = ? AND article_id IS NOT NULL", (feed_id,)
        )
        return {r[0] for r in rows}

    # --- stories ----------------------------------------------------------------------------------------
    def story_candidates(
        self, tx: sqlite3.Connection, band_keys: Sequence[str], exclude: str
    ) -> list[tuple[str, str, bytes]]:
        if not band_keys:
            return []
        marks = ",".join("?" * len(band_keys))
        rows = tx.execute(
            "SELECT s.article_id, s.story_id, s.signature FROM article_stories s WHERE s.article_id IN "
            f"(SELECT article_id FROM story_bands WHERE band_key IN ({marks})) AND s.article_id != ?",
            [*band_keys, exclude],
        )
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    def first_seen(self, tx: sqlite3.Connection, article_id: str) -> dt.datetime | None:
        row = tx.execute("SELECT first_seen_at FROM article_stories WHERE article_id = ?", (article_id,)).fetchone()
        return _time(row[0]) if row else None

    def put_story(
        self, tx: sqlite3.Connection, member: StoryMember, signature: bytes, band_keys: Sequence[str]
    ) -> None:
        self.forget_story(tx, member.article_id)
        tx.execute(
            "INSERT INTO article_stories (article_id, story_id, signature, source, first_seen_at) VALUES (?,?,?,?,?)",
            (member.article_id, member.story_id, signature, member.source, _iso(member.first_seen_at)),
        )
        tx.executemany(
            "INSERT OR IGNORE INTO story_bands (band_key, article_id) VALUES (?, ?)",
            [(k, member.article_id) for k in band_keys],
        )

    def forget_story(self, tx: sqlite3.Connection, article_id: str) -> None:
        tx.execute("DELETE FROM story_bands WHERE article_id = ?", (article_id,))
        tx.execute("DELETE FROM article_stories WHERE article_id = ?", (article_id,))

    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[StoryMember]]:
        out: dict[str, list[StoryMember]] = {s: [] for s in story_ids}
        rows = self._by_ids(
            "SELECT s.article_id, s.story_id, s.source, s.first_seen_at FROM article_stories s "
            "JOIN articles a ON a.id = s.article_id WHERE a.state = 'ready' AND s.story_id IN ({marks}) "
            "ORDER BY s.first_seen_at, s.article_id",
            story_ids,
        )
        for r in rows:
            out[r[1]].append(_member(r))
        for members in out.values():
            members.sort(key=lambda m: (m.first_seen_at, m.article_id))
        return out

    def stories_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        rows = self._by_ids(
            "SELECT article_id, story_id FROM article_stories WHERE article_id IN ({marks})", article_ids
        )
        return {r[0]: r[1] for r in rows}

    def new_since(self, since: dt.datetime, feed_id: str | None = None) -> list[StoryMember]:
        sql = (
            "SELECT s.article_id, s.story_id, s.source, s.first_seen_at FROM article_stories s "
            "JOIN articles a ON a.id = s.article_id WHERE a.state = 'ready' AND s.first_seen_at >= ?"
        )
        args: list[object] = [_iso(since)]
        if feed_id is not None:
            sql += " AND s.article_id IN (SELECT article_id FROM feed_entries WHERE feed_id = ?)"
            args.append(feed_id)
        sql += " ORDER BY s.first_seen_at DESC, s.article_id"
        return [_member(r) for r in self._connect().execute(sql, args)]
