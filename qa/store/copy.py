"""Copy one article store into another (``qa migrate``): articles with their chunk offsets, verified on arrival.

Articles land in the target as ``indexing``: the target's vector index gets them when a service next opens the target
(start-up repair embeds every ``indexing`` article) or on ``qa reindex``, so a copy is never answered from before
its vectors exist. Each article's fingerprint (every stored field and its chunk offsets) is read back from the
target and compared with the source's; an article already in the target with the same fingerprint is left alone,
so a copy that was interrupted can simply be run again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from qa import stories
from qa.models import Article, Chunk
from qa.store.base import ArticleStore, content_values
from qa.store.feeds import FeedStore

# Articles per read-copy-verify round: one target transaction each.
COPY_BATCH = 100


@dataclass
class CopyReport:
    copied: int = 0  # written to the target
    unchanged: int = 0  # already in the target, identical
    skipped_not_ready: int = 0  # ``indexing``/``deleting`` in the source: a crash's leftovers, not copied
    chunks: int = 0  # chunk rows of the copied and unchanged articles
    mismatched: list[str] = field(default_factory=list)  # ids whose read-back fingerprint differs

    @property
    def ok(self) -> bool:
        return not self.mismatched


def fingerprint(article: Article, chunks: Sequence[Chunk]) -> str:
    """A digest of everything a store keeps of an article, state and ingest time aside."""
    record = [*content_values(article), [(c.chunk_index, c.start, c.end) for c in chunks]]
    return hashlib.sha256(json.dumps(record, ensure_ascii=False).encode()).hexdigest()


def _contents(store: ArticleStore[Any], ids: Sequence[str]) -> dict[str, tuple[Article, list[Chunk]]]:
    with store.snapshot():
        arts = store.bodies(ids)
        out: dict[str, tuple[Article, list[Chunk]]] = {aid: (art, []) for aid, art in arts.items()}
        for chunk, _ in store.chunks_of(list(arts)):
            out[chunk.article_id][1].append(chunk)
    return out


def _first_seen(source: ArticleStore[Any], ids: Sequence[str]) -> dict[str, dt.datetime]:
    if not isinstance(source, FeedStore) or not ids:
        return {}
    story_of = source.stories_of(ids)
    members = source.story_members(list(set(story_of.values())))
    return {m.article_id: m.first_seen_at for group in members.values() for m in group}


def copy_feeds(source: ArticleStore[Any], target: ArticleStore[Any]) -> int:
    """Copy the followed feeds the target lacks, with their seen entries, validators and last outcomes (so the
    target does not fetch everything again); returns how many were copied."""
    if not isinstance(source, FeedStore) or not isinstance(target, FeedStore):
        return 0
    copied = 0
    for feed in source.list_feeds():
        if target.get_feed(feed.id) is not None or target.feed_by_url(feed.url) is not None:
            continue
        with target.transaction() as tx:
            target.add_feed(tx, feed)
            target.mark_entries(tx, feed.id, source.feed_entries(feed.id), feed.last_polled_at or feed.created_at)
            if feed.last_error and feed.last_error_at:
                target.record_poll(tx, feed.id, feed.last_error_at, feed.last_error, None)
            if feed.last_success_at:
                target.record_poll(tx, feed.id, feed.last_success_at, None, (feed.etag, feed.last_modified))
        copied += 1
    return copied


def copy_store(
    source: ArticleStore[Any], target: ArticleStore[Any], progress: Callable[[int], None] | None = None
) -> CopyReport:
    """Copy the source's ``ready`` articles into the target and verify each one read back (see the module doc)."""
    report = CopyReport(skipped_not_ready=source.count(states=("indexing", "deleting")))
    ids = [a.id for a in source.list(states=("ready",))]
    for b in range(0, len(ids), COPY_BATCH):
        part = ids[b : b + COPY_BATCH]
        src = _contents(source, part)
        wanted = {aid: fingerprint(*pair) for aid, pair in src.items()}
        present = {aid: fingerprint(*pair) for aid, pair in _contents(target, part).items()}
        todo = [aid for aid in wanted if present.get(aid) != wanted[aid]]
        first_seen = _first_seen(source, todo)
        with target.article_locks(todo), target.transaction() as tx:
            for aid in todo:
                target.put(tx, *src[aid])
                if isinstance(target, FeedStore):  # its story, with when it was first seen in the source
                    stories.assign(target, tx, src[aid][0], dt.datetime.now(dt.UTC), first_seen.get(aid))
        arrived = {aid: fingerprint(*pair) for aid, pair in _contents(target, list(wanted)).items()}
        report.mismatched += [aid for aid in wanted if arrived.get(aid) != wanted[aid]]
        report.copied += len(todo)
        report.unchanged += len(wanted) - len(todo)
        report.chunks += sum(len(chunks) for _, chunks in src.values())
        if progress:
            progress(len(part))
    return report
