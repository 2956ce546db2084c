"""PostgreSQL implementation of :class:`qa.store.feeds.FeedStore` (a mixin of :class:`qa.store.postgres.PostgresStore`;
tables from migration 0002). Read the contract for the guarantees; statements the backends share are in
:mod:`qa.store.sql_feeds` (a lease claim is one conditional UPDATE, so of two processes claiming at once exactly
one wins), this file keeps PostgreSQL's own: native times, ``%s`` placeholders, ``= ANY`` id lists, ``ON CONFLICT``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from qa.store.feeds import EntryMark, StoryMember
from qa.store.sql_feeds import MEMBER_COLUMNS, SQLFeedsMixin


class PostgresFeedsMixin(SQLFeedsMixin):
    """Needs the host class's ``_rows()``, ``transaction()`` and ``placeholder``."""

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

    # --- stories ----------------------------------------------------------------------------------------
    def story_candidates(self, tx: Any, band_keys: Sequence[str], exclude: str) -> list[tuple[str, str, bytes]]:
        rows = tx.execute(
            "SELECT s.article_id, s.story_id, s.signature FROM article_stories s WHERE s.article_id IN "
            "(SELECT article_id FROM story_bands WHERE band_key = ANY(%s)) AND s.article_id != %s",
            (list(band_keys), exclude),
        ).fetchall()
        return [(r[0], r[1], bytes(r[2])) for r in rows]

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

    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[StoryMember]]:
        out: dict[str, list[StoryMember]] = {s: [] for s in story_ids}
        rows = self._rows(
            f"SELECT {MEMBER_COLUMNS} FROM article_stories s JOIN articles a ON a.id = s.article_id "
            "WHERE a.state = 'ready' AND s.story_id = ANY(%s) ORDER BY s.first_seen_at, s.article_id",
            (list(story_ids),),
        )
        for r in rows:
            out[r[1]].append(self._member(r))
        return out

    def stories_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        rows = self._rows(
            "SELECT article_id, story_id FROM article_stories WHERE article_id = ANY(%s)", (list(article_ids),)
        )
        return {r[0]: r[1] for r in rows}
