"""PostgreSQL implementation of :class:`qa.store.feeds.FeedStore` (a mixin of :class:`qa.store.postgres.PostgresStore`;
tables from migration 0002). Read the contract for the guarantees; a lease claim is one conditional UPDATE, so of
two processes claiming at once exactly one wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from qa.models import Feed
from qa.store.feeds import EntryMark, FeedStore, StoryMember

_FEED_COLUMNS = (
    "f.id, f.url, f.name, f.interval_s, f.created_at, f.etag, f.last_modified, f.last_polled_at, f.last_success_at, "
    "f.last_error, f.last_error_at, (SELECT COUNT(*) FROM feed_entries e WHERE e.feed_id = f.id) AS entries_seen"
)
_MEMBER_COLUMNS = "s.article_id, s.story_id, s.source, s.first_seen_at"


def _feed(r: tuple[Any, ...]) -> Feed:
    names = (
        "id", "url", "name", "interval_s", "created_at", "etag", "last_modified", "last_polled_at", "last_success_at",
        "last_error", "last_error_at", "entries_seen",
    )  # fmt: skip
    return Feed(**dict(zip(names, r, strict=True)))


class PostgresFeedsMixin(FeedStore):
    """Needs the host class's ``_rows()`` and ``transaction()``."""

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[tuple[Any, ...]]:  # provided by PostgresStore
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager[Any]:  # provided by PostgresStore
        raise NotImplementedError

    # --- feeds ------------------------------------------------------------------------------------------
    def add_feed(self, tx: Any, feed: Feed) -> None:
        tx.execute(
            "INSERT INTO feeds (id, url, name, interval_s, created_at) VALUES (%s, %s, %s, %s, %s)",
            (feed.id, feed.url, feed.name, feed.interval_s, feed.created_at),
        )

    def get_feed(self, feed_id: str) -> Feed | None:
        rows = self._rows(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = %s", (feed_id,))
        return _feed(rows[0]) if rows else None

    def feed_by_url(self, url: str) -> Feed | None:
        rows = self._rows(f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.url = %s", (url,))
        return _feed(rows[0]) if rows else None

    def list_feeds(self) -> list[Feed]:
        return [_feed(r) for r in self._rows(f"SELECT {_FEED_COLUMNS} FROM feeds f ORDER BY f.created_at, f.id")]

    def delete_feed(self, tx: Any, feed_id: str) -> bool:
        tx.execute("DELETE FROM feed_entries WHERE feed_id = %s", (feed_id,))
        return tx.execute("DELETE FROM feeds WHERE id = %s", (feed_id,)).rowcount > 0

    def record_poll(
        self,
        tx: Any,
        feed_id: str,
        at: dt.datetime,
        error: str | None,
        validators: tuple[str | None, str | None] | None,
    ) -> None:
        if error is None:
            tx.execute("UPDATE feeds SET last_polled_at = %s, last_success_at = %s WHERE id = %s", (at, at, feed_id))
        else:
            tx.execute(
                "UPDATE feeds SET last_polled_at = %s, last_error = %s, last_error_at = %s WHERE id = %s",
                (at, error, at, feed_id),
            )
        if validators is not None:
            tx.execute("UPDATE feeds SET etag = %s, last_modified = %s WHERE id = %s", (*validators, feed_id))

    # --- leases -----------------------------------------------------------------------------------------
    def claim_feed(self, feed_id: str, owner: str, expires: float, now: float, replace: str | None = None) -> bool:
        with self.transaction() as tx:
            cur = tx.execute(
                "UPDATE feeds SET lease_owner = %s, lease_expires = %s WHERE id = %s AND (lease_owner IS NULL "
                "OR lease_expires < %s OR lease_owner = %s OR lease_owner = %s)",
                (owner, expires, feed_id, now, owner, replace),
            )
            return cur.rowcount > 0

    def lease_of(self, feed_id: str) -> tuple[str, float] | None:
        rows = self._rows(
            "SELECT lease_owner, lease_expires FROM feeds WHERE id = %s AND lease_owner IS NOT NULL", (feed_id,)
        )
        return (rows[0][0], float(rows[0][1])) if rows else None

    def renew_lease(self, feed_id: str, owner: str, expires: float) -> bool:
        with self.transaction() as tx:
            cur = tx.execute(
                "UPDATE feeds SET lease_expires = %s WHERE id = %s AND lease_owner = %s", (expires, feed_id, owner)
            )
            return cur.rowcount > 0

    def release_lease(self, feed_id: str, owner: str) -> None:
        with self.transaction() as tx:
            tx.execute(
                "UPDATE feeds SET lease_owner = NULL, lease_expires = NULL WHERE id = %s AND lease_owner = %s",
                (feed_id, owner),
            )

    # --- entries ----------------------------------------------------------------------------------------
    def seen_entries(self, feed_id: str, keys: Sequence[str]) -> set[str]:
        rows = self._rows(
            "SELECT entry_key FROM feed_entries WHERE feed_id = %s AND entry_key = ANY(%s)", (feed_id, list(keys))
        )
        return {r[0] for r in rows}

    def mark_entries(self, tx: Any, feed_id: str, marks: Sequence[EntryMark], at: dt.datetime) -> None:
        with tx.cursor() as cur:
            cur.executemany(
                "INSERT INTO feed_entries (feed_id, entry_key, article_id, status, reason, seen_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (feed_id, entry_key) DO UPDATE SET "
                "article_id = EXCLUDED.article_id, status = EXCLUDED.status, reason = EXCLUDED.reason, "
                "seen_at = EXCLUDED.seen_at",
                [(feed_id, m.key, m.article_id, m.status, m.reason, at) for m in marks],
            )

    def feed_entries(self, feed_id: str) -> list[EntryMark]:
        rows = self._rows(
            "SELECT entry_key, article_id, status, reason FROM feed_entries WHERE feed_id = %s ORDER BY entry_key",
            (feed_id,),
        )
        return [EntryMark(*r) for r in rows]

    def feed_articles(self, feed_id: str) -> set[str]:
        rows = self._rows(
            "SELECT article_id FROM feed_entries WHERE feed_id = %s AND article_id IS NOT NULL", (feed_id,)
        )
        return {r[0] for r in rows}

    # --- stories ----------------------------------------------------------------------------------------
    def story_candidates(self, tx: Any, band_keys: Sequence[str], exclude: str) -> list[tuple[str, str, bytes]]:
        rows = tx.execute(
            "SELECT s.article_id, s.story_id, s.signature FROM article_stories s WHERE s.article_id IN "
            "(SELECT article_id FROM story_bands WHERE band_key = ANY(%s)) AND s.article_id != %s",
            (list(band_keys), exclude),
        ).fetchall()
        return [(r[0], r[1], bytes(r[2])) for r in rows]

    def first_seen(self, tx: Any, article_id: str) -> dt.datetime | None:
        row = tx.execute("SELECT first_seen_at FROM article_stories WHERE article_id = %s", (article_id,)).fetchone()
        return row[0] if row else None

    def put_story(self, tx: Any, member: StoryMember, signature: bytes, band_keys: Sequence[str]) -> None:
        self.forget_story(tx, member.article_id)
        tx.execute(
            "INSERT INTO article_stories (article_id, story_id, signature, source, first_seen_at) "
            "VALUES (%s, %s, %s, %s, %s)",
            (member.article_id, member.story_id, signature, member.source, member.first_seen_at),
        )
        tx.execute(
            "INSERT INTO story_bands (band_key, article_id) SELECT k, %s FROM unnest(%s::text[]) AS k "
            "ON CONFLICT DO NOTHING",
            (member.article_id, list(band_keys)),
        )

    def forget_story(self, tx: Any, article_id: str) -> None:
        tx.execute("DELETE FROM story_bands WHERE article_id = %s", (article_id,))
        tx.execute("DELETE FROM article_stories WHERE article_id = %s", (article_id,))

    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[StoryMember]]:
        out: dict[str, list[StoryMember]] = {s: [] for s in story_ids}
        rows = self._rows(
            f"SELECT {_MEMBER_COLUMNS} FROM article_stories s JOIN articles a ON a.id = s.article_id "
            "WHERE a.state = 'ready' AND s.story_id = ANY(%s) ORDER BY s.first_seen_at, s.article_id",
            (list(story_ids),),
        )
        for r in rows:
            out[r[1]].append(StoryMember(*r))
        return out

    def stories_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        rows = self._rows(
            "SELECT article_id, story_id FROM article_stories WHERE article_id = ANY(%s)", (list(article_ids),)
        )
        return {r[0]: r[1] for r in rows}

    def new_since(self, since: dt.datetime, feed_id: str | None = None) -> list[StoryMember]:
        sql = (
            f"SELECT {_MEMBER_COLUMNS} FROM article_stories s JOIN articles a ON a.id = s.article_id "
            "WHERE a.state = 'ready' AND s.first_seen_at >= %s"
        )
        args: list[Any] = [since]
        if feed_id is not None:
            sql += " AND s.article_id IN (SELECT article_id FROM feed_entries WHERE feed_id = %s)"
            args.append(feed_id)
        return [StoryMember(*r) for r in self._rows(sql + " ORDER BY s.first_seen_at DESC, s.article_id", args)]
