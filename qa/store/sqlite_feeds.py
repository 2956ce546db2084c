"""SQLite implementation of :class:`qa.store.feeds.FeedStore` (a mixin of :class:`qa.store.sqlite.SQLiteStore`;
tables from migration 0004). Read the contract for the guarantees; statements the backends share are in
:mod:`qa.store.sql_feeds`, this file keeps SQLite's own: times as UTC ISO text, ``?`` placeholders, id lists in
batches under SQLite's variable limit, ``INSERT OR REPLACE``/``OR IGNORE``."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from typing import Any

from qa.store.feeds import EntryMark, StoryMember
from qa.store.sql_feeds import MEMBER_COLUMNS, SQLFeedsMixin


class SQLiteFeedsMixin(SQLFeedsMixin):
    """Needs the host class's ``_connect()``, ``_rows()``, ``transaction()`` and ``_by_ids()``."""

    def _connect(self) -> sqlite3.Connection:  # provided by SQLiteStore
        raise NotImplementedError

    def _by_ids(self, sql: str, ids: Sequence[str]) -> Iterator[sqlite3.Row]:  # provided by SQLiteStore
        raise NotImplementedError

    @staticmethod
    def _db_time(value: dt.datetime) -> str:
        # UTC ISO text sorts as the times do, so comparisons in SQL (new_since) stay right.
        return value.astimezone(dt.UTC).isoformat()

    @staticmethod
    def _py_time(value: Any) -> dt.datetime:
        return dt.datetime.fromisoformat(value)

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
            [(feed_id, m.key, m.article_id, m.status, m.reason, self._db_time(at)) for m in marks],
        )

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

    def put_story(
        self, tx: sqlite3.Connection, member: StoryMember, signature: bytes, band_keys: Sequence[str]
    ) -> None:
        self.forget_story(tx, member.article_id)
        tx.execute(
            "INSERT INTO article_stories (article_id, story_id, signature, source, first_seen_at) VALUES (?,?,?,?,?)",
            (member.article_id, member.story_id, signature, member.source, self._db_time(member.first_seen_at)),
        )
        tx.executemany(
            "INSERT OR IGNORE INTO story_bands (band_key, article_id) VALUES (?, ?)",
            [(k, member.article_id) for k in band_keys],
        )

    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[StoryMember]]:
        out: dict[str, list[StoryMember]] = {s: [] for s in story_ids}
        # "+a.state": without statistics SQLite chose the index on the articles' state and read every ready
        # article to find a few stories' members (25 ms at 10k articles, on every answer: citation_folder); the
        # unary plus keeps that index out, so the stories' own index leads (0.03 ms).
        rows = self._by_ids(
            f"SELECT {MEMBER_COLUMNS} FROM article_stories s "
            "JOIN articles a ON a.id = s.article_id WHERE +a.state = 'ready' AND s.story_id IN ({marks}) "
            "ORDER BY s.first_seen_at, s.article_id",
            story_ids,
        )
        for r in rows:
            out[r[1]].append(self._member(r))
        for members in out.values():  # batches each come sorted; the whole may not be
            members.sort(key=lambda m: (m.first_seen_at, m.article_id))
        return out

    def stories_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        rows = self._by_ids(
            "SELECT article_id, story_id FROM article_stories WHERE article_id IN ({marks})", article_ids
        )
        return {r[0]: r[1] for r in rows}
