"""The feed and story part of the store contract: followed feeds, their poll leases, the entries already seen, and
the story each article belongs to (:mod:`qa.feeds`, :mod:`qa.stories`).

Kept apart from :mod:`qa.store.base` so each backend adds it as one mixin (``qa/store/sqlite_feeds.py``; the
statements both backends share are in ``qa/store/sql_feeds.py``); the guarantees are written here, once. Times are
timezone-aware UTC datetimes; lease expiry is epoch seconds, compared in the store so two processes never both win
a claim.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from qa.models import Feed

# A feed response's HTTP validators, (ETag, Last-Modified), either absent: sent back on the next poll.
Validators = tuple[str | None, str | None]


@dataclass(frozen=True)
class EntryMark:
    """One feed entry dealt with: stored (``added``/``updated``/``unchanged``) or ``skipped`` with a reason."""

    key: str
    article_id: str | None
    status: str
    reason: str | None = None


@dataclass(frozen=True)
class StoryMember:
    article_id: str
    story_id: str
    source: str | None
    first_seen_at: dt.datetime


class FeedStore(ABC):
    """Feeds, leases, seen entries and story membership. Writes that take ``tx`` join the caller's transaction
    (:meth:`qa.store.base.ArticleStore.transaction`); the lease methods run their own, one statement each."""

    # --- feeds ------------------------------------------------------------------------------------------
    @abstractmethod
    def add_feed(self, tx: Any, feed: Feed) -> None:
        """Insert a feed; its URL must not be followed already (check with :meth:`feed_by_url`)."""

    @abstractmethod
    def get_feed(self, feed_id: str) -> Feed | None:
        """The feed with its ``entries_seen`` count, or None."""

    @abstractmethod
    def feed_by_url(self, url: str) -> Feed | None:
        """The feed following exactly ``url``, or None."""

    @abstractmethod
    def list_feeds(self) -> list[Feed]:
        """Every feed, oldest first."""

    @abstractmethod
    def delete_feed(self, tx: Any, feed_id: str) -> bool:
        """Forget a feed and its seen entries (its articles stay); False when there was no such feed."""

    @abstractmethod
    def record_poll(
        self, tx: Any, feed_id: str, at: dt.datetime, error: str | None, validators: Validators | None
    ) -> None:
        """The outcome of a poll: ``error`` None is a success (``last_success_at`` = ``at``), else it is kept as
        ``last_error``. ``validators`` (ETag, Last-Modified) replace the stored ones unless None (kept)."""

    # --- leases: a poll is never started twice, across processes too -----------------------------------
    @abstractmethod
    def claim_feed(self, feed_id: str, owner: str, expires: float, now: float, replace: str | None = None) -> bool:
        """Take the feed's lease for ``owner`` until ``expires`` (epoch seconds) if it is free, expired at ``now``,
        already ``owner``'s, or held by ``replace`` (an owner known to be dead). Atomic: of two claims, one wins."""

    @abstractmethod
    def lease_of(self, feed_id: str) -> tuple[str, float] | None:
        """``(owner, expires)`` of the feed's lease, or None when free."""

    @abstractmethod
    def renew_lease(self, feed_id: str, owner: str, expires: float) -> bool:
        """Extend ``owner``'s lease; False when it is no longer ``owner``'s (taken over after expiring)."""

    @abstractmethod
    def release_lease(self, feed_id: str, owner: str) -> None:
        """Free the lease if ``owner`` holds it."""

    # --- entries ----------------------------------------------------------------------------------------
    @abstractmethod
    def seen_entries(self, feed_id: str, keys: Sequence[str]) -> set[str]:
        """The ``keys`` already marked for this feed."""

    @abstractmethod
    def mark_entries(self, tx: Any, feed_id: str, marks: Sequence[EntryMark], at: dt.datetime) -> None:
        """Record entries as dealt with (a mark for a key already marked replaces it)."""

    @abstractmethod
    def feed_entries(self, feed_id: str) -> list[EntryMark]:
        """Every entry marked for this feed (a store copy carries them over), by key."""

    @abstractmethod
    def feed_articles(self, feed_id: str) -> set[str]:
        """Ids of the articles stored from this feed's entries."""

    # --- stories ----------------------------------------------------------------------------------------
    @abstractmethod
    def story_candidates(self, tx: Any, band_keys: Sequence[str], exclude: str) -> list[tuple[str, str, bytes]]:
        """``(article_id, story_id, signature)`` of articles other than ``exclude`` sharing a band key, read in the
        caller's write transaction (so articles of the same batch find each other)."""

    @abstractmethod
    def first_seen(self, tx: Any, article_id: str) -> dt.datetime | None:
        """When the article was first stored (kept across updates), or None if it has no story yet."""

    @abstractmethod
    def put_story(
        self,
        tx: Any,
        member: StoryMember,
        signature: bytes,
        band_keys: Sequence[str],
    ) -> None:
        """Set the article's story, signature and band keys (replacing earlier ones) in the caller's transaction."""

    @abstractmethod
    def forget_story(self, tx: Any, article_id: str) -> None:
        """Drop the article's story membership and band keys (called by ``delete``)."""

    @abstractmethod
    def story_members(self, story_ids: Sequence[str]) -> dict[str, list[StoryMember]]:
        """The ``ready`` articles of each story, earliest first seen first."""

    @abstractmethod
    def stories_of(self, article_ids: Sequence[str]) -> dict[str, str]:
        """``article_id -> story_id`` for the ids that have one."""

    @abstractmethod
    def new_since(self, since: dt.datetime, feed_id: str | None = None) -> list[StoryMember]:
        """``ready`` articles first seen at or after ``since`` (only this feed's when given), newest first."""
