"""The feed and story part of the store contract (:class:`qa.store.feeds.FeedStore`), run against every backend
(the ``store`` fixture of tests.test_store_contract: SQLite and a throwaway PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa import stories
from qa.models import Feed
from qa.store.feeds import EntryMark, FeedStore
from tests.feed_site import LOCAL_STORIES, WIRE_STORY
from tests.test_store_contract import BACKENDS, add, article

T0 = dt.datetime(2025, 5, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    opened = BACKENDS[request.param](request, tmp_path)
    yield opened
    opened.close()


def feed(fid: str = "f1", url: str = "http://news.example/feed") -> Feed:
    return Feed(id=fid, url=url, name="Example", interval_s=900, created_at=T0)


def test_feeds_crud_entries_and_poll_state(store: Any) -> None:
    assert isinstance(store, FeedStore)
    with store.transaction() as tx:
        store.add_feed(tx, feed())
        store.add_feed(tx, feed("f2", "http://news.example/other"))
    assert [f.id for f in store.list_feeds()] == ["f1", "f2"]
    assert store.feed_by_url("http://news.example/feed").id == "f1" and store.get_feed("nope") is None
    with store.transaction() as tx:
        store.mark_entries(tx, "f1", [EntryMark("a", "art-a", "added"), EntryMark("b", None, "skipped", "404")], T0)
        store.mark_entries(tx, "f1", [EntryMark("b", "art-b", "added")], T0)  # a later mark replaces
        store.record_poll(tx, "f1", T0, None, ('"v1"', "Thu, 01 May 2025 08:00:00 GMT"))
        store.record_poll(tx, "f2", T0, "HTTP 500", None)
    assert store.seen_entries("f1", ["a", "b", "c"]) == {"a", "b"} and store.seen_entries("f2", ["a"]) == set()
    assert store.feed_articles("f1") == {"art-a", "art-b"}
    one, two = store.get_feed("f1"), store.get_feed("f2")
    assert one.entries_seen == 2 and one.etag == '"v1"' and one.last_success_at == T0 and one.last_error is None
    assert two.last_error == "HTTP 500" and two.last_error_at == T0 and two.last_success_at is None
    with store.transaction() as tx:
        store.record_poll(tx, "f1", T0 + dt.timedelta(hours=1), "timeout", None)  # validators kept
    assert store.get_feed("f1").etag == '"v1"'
    with store.transaction() as tx:
        assert store.delete_feed(tx, "f1") and not store.delete_feed(tx, "f1")
    assert store.seen_entries("f1", ["a"]) == set() and [f.id for f in store.list_feeds()] == ["f2"]


def test_lease_one_winner_expiry_and_takeover(store: Any) -> None:
    with store.transaction() as tx:
        store.add_feed(tx, feed())
    now = time.time()
    wins: list[str] = []
    barrier = threading.Barrier(4)

    def claim(owner: str) -> None:
        barrier.wait()
        if store.claim_feed("f1", owner, now + 60, now):
            wins.append(owner)

    threads = [threading.Thread(target=claim, args=(f"h:{n}:x",)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1
    owner = wins[0]
    assert store.lease_of("f1") == (owner, now + 60)
    assert store.claim_feed("f1", owner, now + 90, now)  # the owner may claim again
    assert not store.claim_feed("f1", "other", now + 60, now)
    assert store.renew_lease("f1", owner, now + 120) and not store.renew_lease("f1", "other", now + 120)
    assert store.claim_feed("f1", "other", now + 60, now + 121)  # expired: taken
    assert not store.renew_lease("f1", owner, now + 200)  # the old owner has lost it
    assert store.claim_feed("f1", "third", now + 60, now, replace="other")  # a dead owner's, taken at once
    store.release_lease("f1", "other")  # not the holder: no effect
    assert store.lease_of("f1")[0] == "third"
    store.release_lease("f1", "third")
    assert store.lease_of("f1") is None


def test_stories_membership_first_seen_and_delete(store: Any) -> None:
    wire = "\n\n".join(WIRE_STORY)
    arts = [
        article("w1", wire, source="Outlet One"),
        article("w2", "Filed by our desk.\n\n" + wire, source="Outlet Two"),
        article("o1", "\n\n".join(LOCAL_STORIES["orchard"]), source="Outlet One"),
    ]
    add(store, *arts)
    with store.transaction() as tx:
        for n, a in enumerate(arts):
            stories.assign(store, tx, a, T0 + dt.timedelta(minutes=n))
    assert store.stories_of(["w1", "w2", "o1"]) == {"w1": "w1", "w2": "w1", "o1": "o1"}
    members = store.story_members(["w1", "o1"])
    assert [m.article_id for m in members["w1"]] == ["w1", "w2"] and stories.outlets(members["w1"]) == 2
    assert [m.article_id for m in store.new_since(T0 + dt.timedelta(minutes=1))] == ["o1", "w2"]
    # An update keeps when the article was first seen.
    with store.transaction() as tx:
        stories.assign(store, tx, arts[1], T0 + dt.timedelta(days=1))
    assert store.story_members(["w1"])["w1"][1].first_seen_at == T0 + dt.timedelta(minutes=1)
    with store.transaction() as tx:
        store.delete(tx, "w1")
    assert store.stories_of(["w1", "w2"]) == {"w2": "w1"}
    assert [m.article_id for m in store.story_members(["w1"])["w1"]] == ["w2"]
    with store.transaction() as tx:  # nothing of w1 is a candidate any more
        keys = stories.band_keys(stories.signature(wire))
        assert {c[0] for c in store.story_candidates(tx, keys, exclude="x")} == {"w2"}


def test_a_store_copy_carries_feeds_entries_and_stories(tmp_path: Path, postgres_url: str) -> None:
    from qa.store import SQLiteStore
    from qa.store.copy import copy_feeds, copy_store
    from qa.store.postgres import PostgresStore

    source = SQLiteStore(tmp_path / "source.sqlite3")
    wire = "\n\n".join(WIRE_STORY)
    arts = [article("w1", wire, source="One"), article("w2", "By our desk.\n\n" + wire, source="Two")]
    add(source, *arts)
    with source.transaction() as tx:
        for n, a in enumerate(arts):
            stories.assign(source, tx, a, T0 + dt.timedelta(minutes=n))
        source.add_feed(tx, feed())
        source.mark_entries(tx, "f1", [EntryMark("e1", "w1", "added"), EntryMark("e2", None, "skipped", "404")], T0)
        source.record_poll(tx, "f1", T0, None, ('"v1"', None))
    target = PostgresStore(postgres_url)
    try:
        assert copy_store(source, target).ok
        assert copy_feeds(source, target) == 1 and copy_feeds(source, target) == 0
        assert target.stories_of(["w1", "w2"]) == {"w1": "w1", "w2": "w1"}
        with target.transaction() as tx:
            assert target.first_seen(tx, "w2") == T0 + dt.timedelta(minutes=1)
        copied = target.get_feed("f1")
        assert copied.etag == '"v1"' and copied.last_success_at == T0 and copied.entries_seen == 2
        assert target.feed_entries("f1") == source.feed_entries("f1")
    finally:
        target.close()
        source.close()
