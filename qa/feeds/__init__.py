"""News feeds: follow RSS/Atom sources, fetch their new articles politely and safely, and ingest them.

:class:`Feeds` is the one entry point (the CLI and the API go through ``NewsQA.feeds``): add, list, remove and poll
feeds. The pieces: :mod:`qa.feeds.guard` (SSRF), :mod:`qa.feeds.fetch` (polite HTTP), :mod:`qa.feeds.parse`
(feedparser, the entry's article), :mod:`qa.feeds.poller` (one poll, its lease). Feed state lives in the store
(:class:`qa.store.feeds.FeedStore`). ``QA_FEEDS_POLL=true`` makes ``qa serve`` run a :class:`BackgroundPoller`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import logging
import re
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from qa.errors import ConfigError, Conflict, InvalidInput, NotFound
from qa.feeds.fetch import Fetcher
from qa.feeds.poller import FeedPoller, lease_owner
from qa.models import MAX_SOURCE_CHARS, MAX_URL_CHARS, Feed, FeedPollReport
from qa.store.feeds import FeedStore

if TYPE_CHECKING:
    from qa.service import NewsQA

__all__ = ["BackgroundPoller", "Feeds", "parse_interval"]

log = logging.getLogger("qa.feeds")

_INTERVAL = re.compile(r"^\s*(\d{1,7})\s*(s|sec|m|min|h|hr|d|day)?\s*$", re.IGNORECASE)
_UNIT_S = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400}
MIN_INTERVAL_S = 60
MAX_INTERVAL_S = 7 * 86400


def parse_interval(text: str | int) -> int:
    """Seconds from ``"15m"``, ``"2h"``, ``"1d"``, ``"90s"`` or a number of seconds; 1 minute to 7 days."""
    match = _INTERVAL.match(str(text))
    if match is None:
        raise InvalidInput(f"interval {text!r}: give a number with a unit, like 15m, 2h or 1d")
    seconds = int(match.group(1)) * _UNIT_S[(match.group(2) or "s").lower()]
    if not MIN_INTERVAL_S <= seconds <= MAX_INTERVAL_S:
        raise InvalidInput(f"interval {text!r}: must be between 1 minute and 7 days")
    return seconds


def feed_id_for(url: str) -> str:
    """A short id derived from the URL (following it again after removing it gives the same id)."""
    return "f" + hashlib.sha256(url.encode("utf-8")).hexdigest()[:11]


def check_feed_url(url: str) -> str:
    url = url.strip()
    if len(url) > MAX_URL_CHARS:
        raise InvalidInput(f"feed URL is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as exc:
        raise InvalidInput(f"feed URL {url!r} is not a valid URL ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(f"feed URL {url!r} must be an http:// or https:// URL with a host")
    return url


class Feeds:
    def __init__(self, svc: NewsQA) -> None:
        if not isinstance(svc.store, FeedStore):
            raise ConfigError(f"the {svc.store.backend} store does not keep feeds")
        self.svc = svc
        self.store: FeedStore = svc.store
        self.owner = lease_owner()
        self._fetcher: Fetcher | None = None
        self._lock = threading.Lock()
        self.wake = threading.Event()  # set when a feed is added: the background poller looks at once

    @property
    def fetcher(self) -> Fetcher:
        with self._lock:
            if self._fetcher is None:
                self._fetcher = Fetcher(self.svc.settings)
            return self._fetcher

    def close(self) -> None:
        with self._lock:
            if self._fetcher is not None:
                self._fetcher.close()
                self._fetcher = None

    # --- CRUD ---------------------------------------------------------------------------------------------
    def add(self, url: str, name: str | None = None, interval: str | int | None = None) -> Feed:
        url = check_feed_url(url)
        self._refuse_unsafe_address(url)
        if name is not None and (not name.strip() or len(name) > MAX_SOURCE_CHARS):
            raise InvalidInput(f"feed name must be 1 to {MAX_SOURCE_CHARS} characters")
        seconds = parse_interval(interval) if interval is not None else self.svc.settings.feed_interval_s
        existing = self.store.feed_by_url(url)
        if existing is not None:
            raise Conflict(f"{url} is already followed as feed {existing.id}")
        feed = Feed(
            id=feed_id_for(url),
            url=url,
            name=name.strip() if name else None,
            interval_s=seconds,
            created_at=dt.datetime.now(dt.UTC),
        )
        with self.svc.store.transaction() as tx:
            self.store.add_feed(tx, feed)
        self.wake.set()
        return self.get(feed.id)

    def _refuse_unsafe_address(self, url: str) -> None:
        """A feed at a literal loopback, private or metadata address is refused when it is added (every poll would
        be refused anyway); a host name is only resolved when the feed is polled."""
        host = (urlsplit(url).hostname or "").strip("[]")
        try:
            ipaddress.ip_address(host.split("%")[0])
        except ValueError:
            return
        self.fetcher.guard.check_url(url)

    def get(self, feed_id: str) -> Feed:
        feed = self.store.get_feed(feed_id)
        if feed is None:
            raise NotFound(f"no feed with id {feed_id!r}")
        return feed

    def list(self) -> list[Feed]:
        return self.store.list_feeds()

    def remove(self, feed_id: str) -> None:
        """Stop following a feed; the articles it brought stay."""
        with self.svc.store.transaction() as tx:
            if not self.store.delete_feed(tx, feed_id):
                raise NotFound(f"no feed with id {feed_id!r}")

    # --- polling ------------------------------------------------------------------------------------------
    def poll(
        self, feed_id: str, progress: Callable[[int], None] | None = None, on_total: Callable[[int], None] | None = None
    ) -> FeedPollReport:
        """Poll one feed now (whether due or not)."""
        feed = self.get(feed_id)
        return FeedPoller(self.svc, self.store, self.fetcher, self.owner).poll(feed, progress, on_total)

    def poll_many(
        self,
        feed_ids: Sequence[str] | None = None,
        due_only: bool = False,
        progress: Callable[[int], None] | None = None,
        on_total: Callable[[int], None] | None = None,
    ) -> list[FeedPollReport]:
        """Poll the given feeds (all when None; only those due when ``due_only``), ``QA_FEEDS_PARALLEL`` at once."""
        feeds = [self.get(f) for f in feed_ids] if feed_ids is not None else self.list()
        if due_only:
            now = dt.datetime.now(dt.UTC)
            feeds = [f for f in feeds if f.due(now)]
        if not feeds:
            return []
        with ThreadPoolExecutor(min(len(feeds), self.svc.settings.feeds_parallel), thread_name_prefix="poll") as pool:
            return list(pool.map(lambda f: self.poll(f.id, progress, on_total), feeds))


class BackgroundPoller(threading.Thread):
    """Polls due feeds every ``QA_FEEDS_POLL_TICK_S`` (and at once when a feed is added) until stopped."""

    def __init__(self, feeds: Feeds, tick_s: float) -> None:
        super().__init__(name="feed-poller", daemon=True)
        self.feeds, self.tick_s = feeds, tick_s
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.feeds.wake.clear()
            try:
                for report in self.feeds.poll_many(due_only=True):
                    log.info("feed %s polled: %s", report.feed_id, _summary(report))
            except Exception:  # a bug or a store outage must not end polling for good
                log.exception("background feed poll failed")
            self.feeds.wake.wait(self.tick_s)

    def stop(self) -> None:
        self._stop_event.set()
        self.feeds.wake.set()
        self.join()


def _summary(report: FeedPollReport) -> dict[str, Any]:
    return {"status": report.status, "new": report.new, "added": report.count("added"), "error": report.error}
