"""One poll of one feed: claim its lease, fetch it (conditionally), fetch the pages of the entries not seen before
and ingest them, record what happened.

- **Never twice at once.** A poll holds the feed's lease in the store (``QA_FEED_LEASE_S``), renewed while it runs;
  another poll of that feed, in this process or any other, finds it taken and reports ``busy``. A lease left by a
  process that died is taken over when it expires, or at once when its owner was a process on this machine that
  no longer exists.
- **Overlap.** Pages are fetched by a pool of workers (``QA_FETCH_WORKERS``, still polite per host) while the poll's
  own thread embeds and stores the pages already fetched, a batch at a time.
- **Nothing half done.** An article is written by the ordinary ingest (crash-safe: see
  :meth:`qa.service.NewsQA.repair`); its entry is marked seen only after it is stored. A page with no article text
  (a paywall, a consent wall) or a permanent failure (404, refused address, robots.txt) is marked seen as
  ``skipped`` with the reason; a passing failure (timeout, 503) is not, so the next poll tries it again, and then
  the feed's new ETag/Last-Modified are not kept either (a 304 would hide the entry).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING

from qa.errors import NotArticleText, QAError
from qa.feeds.fetch import Fetcher
from qa.feeds.guard import FetchFailed
from qa.feeds.parse import Entry, MalformedFeed, entry_record, parse_feed
from qa.models import Article, Feed, FeedEntryOutcome, FeedPollReport
from qa.store.feeds import EntryMark, FeedStore, Validators

if TYPE_CHECKING:
    from qa.service import NewsQA

Progress = Callable[[int], None]
log = logging.getLogger("qa.feeds")


def lease_owner() -> str:
    """``host:pid:nonce``: enough to tell a dead owner on this machine from a live one elsewhere."""
    return f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"


def dead_local_owner(owner: str) -> bool:
    """Whether ``owner`` was a process on this machine that no longer runs."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LeaseLost(Exception):
    """Another poll took the feed over (this one stalled past its lease): stop writing."""


class Lease:
    """The feed's lease for one poll, renewed from a background thread until released."""

    def __init__(self, store: FeedStore, feed_id: str, owner: str, seconds: float) -> None:
        self.store, self.feed_id, self.owner, self.seconds = store, feed_id, owner, seconds
        self._stop = threading.Event()
        self.lost = False
        self._thread: threading.Thread | None = None

    def claim(self) -> bool:
        now = time.time()
        if self.store.claim_feed(self.feed_id, self.owner, now + self.seconds, now):
            return self._start()
        held = self.store.lease_of(self.feed_id)
        dead = held is not None and dead_local_owner(held[0])
        if dead and self.store.claim_feed(self.feed_id, self.owner, now + self.seconds, now, replace=held[0]):  # type: ignore[index]
            return self._start()
        return False

    def _start(self) -> bool:
        self._thread = threading.Thread(target=self._renew, name=f"lease-{self.feed_id}", daemon=True)
        self._thread.start()
        return True

    def _renew(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            if not self.store.renew_lease(self.feed_id, self.owner, time.time() + self.seconds):
                self.lost = True
                return

    def check(self) -> None:
        if self.lost:
            raise LeaseLost(f"feed {self.feed_id}: another poll took over its lease")

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.store.release_lease(self.feed_id, self.owner)


class FeedPoller:
    def __init__(self, svc: NewsQA, store: FeedStore, fetcher: Fetcher, owner: str) -> None:
        self.svc, self.store, self.fetcher, self.owner = svc, store, fetcher, owner

    def poll(
        self, feed: Feed, progress: Progress | None = None, on_total: Callable[[int], None] | None = None
    ) -> FeedPollReport:
        lease = Lease(self.store, feed.id, self.owner, self.svc.settings.feed_lease_s)
        if not lease.claim():
            return FeedPollReport(feed_id=feed.id, status="busy", error="a poll of this feed is already running")
        try:
            return self._poll(feed, lease, progress, on_total)
        finally:
            lease.release()

    def _poll(
        self, feed: Feed, lease: Lease, progress: Progress | None, on_total: Callable[[int], None] | None
    ) -> FeedPollReport:
        started = dt.datetime.now(dt.UTC)
        try:
            fetched = self.fetcher.get(feed.url, "feed", feed.etag, feed.last_modified)
            if fetched.not_modified:
                self._record(feed.id, started, None, None)
                return FeedPollReport(feed_id=feed.id, status="not_modified")
            parsed = parse_feed(
                fetched.content,
                fetched.url,
                self.svc.settings.feed_max_entries,
                fetched.content_type or "application/xml",
            )
        except (FetchFailed, MalformedFeed) as exc:
            self._record(feed.id, started, exc.detail, None)
            return FeedPollReport(feed_id=feed.id, status="error", error=exc.detail)
        seen = self.store.seen_entries(feed.id, [e.key for e in parsed.entries])
        new = [e for e in parsed.entries if e.key not in seen]
        if on_total:
            on_total(len(new))
        outlet = feed.name or parsed.title
        items = self._ingest(feed, new, outlet, lease, progress)
        failed = [i for i in items if i.status == "failed"]
        error = f"{len(failed)} entries failed and are tried again next poll: {failed[0].reason}" if failed else None
        # Validators only when every entry was dealt with: else a 304 next time would hide the failed ones.
        self._record(feed.id, started, error, None if failed else (fetched.etag, fetched.last_modified))
        return FeedPollReport(
            feed_id=feed.id,
            status="ok",
            error=error,
            warning=f"the feed is malformed but was read: {parsed.problem}" if parsed.problem else None,
            entries=len(parsed.entries),
            new=len(new),
            items=items,
        )

    def _record(self, feed_id: str, at: dt.datetime, error: str | None, validators: Validators | None) -> None:
        with self.svc.store.transaction() as tx:
            self.store.record_poll(tx, feed_id, at, error, validators)

    # --- pages --------------------------------------------------------------------------------------------
    def _ingest(
        self, feed: Feed, entries: list[Entry], outlet: str | None, lease: Lease, progress: Progress | None
    ) -> list[FeedEntryOutcome]:
        """Fetch pages on the worker pool; embed and store them here as they arrive, a batch at a time."""
        from qa.service import INDEX_BATCH

        outcomes: list[FeedEntryOutcome] = []
        ready: list[tuple[Entry, Article]] = []
        with ThreadPoolExecutor(self.svc.settings.fetch_workers, thread_name_prefix=f"fetch-{feed.id}") as pool:
            futures: dict[Future[Article | FeedEntryOutcome], Entry] = {
                pool.submit(self._page, e, outlet): e for e in entries
            }
            for fut in as_completed(futures):
                result = fut.result()
                if isinstance(result, FeedEntryOutcome):
                    outcomes.append(self._mark(feed.id, lease, [], [result])[0])
                    if progress:
                        progress(1)
                    continue
                ready.append((futures[fut], result))
                if len(ready) >= INDEX_BATCH:
                    outcomes += self._store(feed.id, lease, ready, progress)
                    ready = []
            if ready:
                outcomes += self._store(feed.id, lease, ready, progress)
        return outcomes

    def _page(self, entry: Entry, outlet: str | None) -> Article | FeedEntryOutcome:
        """The prepared article of an entry's page, or the outcome that says why there is none."""

        def outcome(status: str, reason: str) -> FeedEntryOutcome:
            return FeedEntryOutcome(key=entry.key, url=entry.link, title=entry.title, status=status, reason=reason)  # type: ignore[arg-type]

        if not entry.link:
            return outcome("skipped", "the entry has no link")
        try:
            page = self.fetcher.get(entry.link, "page")
            record = entry_record(entry, page.text(), page.url, outlet)
            return self.svc.prepare(record)
        except FetchFailed as exc:
            return outcome("skipped" if exc.permanent else "failed", exc.detail)
        except NotArticleText as exc:
            return outcome("skipped", exc.detail)
        except QAError as exc:  # a page the ingest refuses (too long, invalid field): it will not get better
            return outcome("skipped", exc.detail)
        except Exception as exc:  # a bug or a library failing on odd input: this entry only, tried again next poll
            log.exception("feed entry %s failed", entry.link)
            return outcome("failed", f"unexpected error: {type(exc).__name__}: {exc}")

    def _store(
        self, feed_id: str, lease: Lease, batch: list[tuple[Entry, Article]], progress: Progress | None
    ) -> list[FeedEntryOutcome]:
        lease.check()
        report = self.svc.ingest_articles([a for _, a in batch])
        status = {i.article_id: i.status for i in report.items}
        done = [
            FeedEntryOutcome(
                key=e.key,
                url=e.link,
                title=a.title,
                status=status.get(a.id, "unchanged"),
                article_id=a.id,  # type: ignore[arg-type]
            )
            for e, a in batch
        ]
        marked = self._mark(feed_id, lease, done, [])
        if progress:
            progress(len(batch))
        return marked

    def _mark(
        self, feed_id: str, lease: Lease, stored: list[FeedEntryOutcome], other: list[FeedEntryOutcome]
    ) -> list[FeedEntryOutcome]:
        """Mark entries seen (all but passing failures), after their articles are stored."""
        lease.check()
        items = stored + other
        marks = [EntryMark(i.key, i.article_id, i.status, i.reason) for i in items if i.status != "failed"]
        if marks:
            with self.svc.store.transaction() as tx:
                self.store.mark_entries(tx, feed_id, marks, dt.datetime.now(dt.UTC))
        return items
