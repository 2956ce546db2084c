"""The article store contract (:class:`qa.store.base.ArticleStore`), run against every backend.

Each test gets an empty store from the ``store`` fixture, which is parametrised over :data:`BACKENDS`. A new contract
method gets its test here, so every backend is held to it.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from qa.articles import content_hash
from qa.chunking import chunk_text
from qa.models import Article, ArticleIn, Filters
from qa.sentence_vectors import SentenceVectors
from qa.store import ArticleStore, SQLiteStore
from qa.store.migrations import latest, migrations

StoreFactory = Callable[[pytest.FixtureRequest, Path], ArticleStore[Any]]


def _sqlite(request: pytest.FixtureRequest, tmp_path: Path) -> ArticleStore[Any]:
    return SQLiteStore(tmp_path / "articles.sqlite3")


def _postgres(request: pytest.FixtureRequest, tmp_path: Path) -> ArticleStore[Any]:
    from qa.store.postgres import PostgresStore

    return PostgresStore(request.getfixturevalue("postgres_url"))


BACKENDS: dict[str, StoreFactory] = {"sqlite": _sqlite, "postgresql": _postgres}


@pytest.fixture(params=sorted(BACKENDS))
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleStore[Any]]:
    opened = BACKENDS[request.param](request, tmp_path)
    yield opened
    opened.close()


def article(
    aid: str,
    body: str,
    title: str = "A report",
    published: dt.date | None = None,
    source: str | None = None,
) -> Article:
    record = ArticleIn(id=aid, title=title, body=body, published_at=published, source=source)
    return Article(
        id=aid,
        title=title,
        body=body,
        published_at=published,
        source=source,
        url=f"https://news.example/{aid}",
        authors=["Ana Ruiz", "Bo Chen"],
        content_hash=content_hash(title, body, record),
        state="indexing",
        ingested_at=dt.datetime(2025, 4, 1, 12, 0, tzinfo=dt.UTC),
    )


def add(store: ArticleStore[Any], *arts: Article, chunk_tokens: int = 180, ready: bool = True) -> None:
    with store.transaction() as tx:
        for a in arts:
            store.put(tx, a, chunk_text(a.id, a.body, chunk_tokens, 0))
        if ready:
            store.set_state(tx, [a.id for a in arts], "ready")


LONG_BODY = "\n\n".join(
    f"Section {i}: the valley cooperative weighed {i * 3} tonnes of walnuts before the frost." for i in range(60)
)


def test_put_writes_indexing_rows_then_ready(store: ArticleStore[Any]) -> None:
    a = article("orchard-1", "The orchard opened a cider press on Tuesday.", published=dt.date(2025, 3, 3))
    add(store, a, ready=False)
    got = store.get("orchard-1")
    assert got is not None and got.state == "indexing" and got.n_chunks == 1
    assert store.count() == 0 and store.ids_in_state("indexing") == ["orchard-1"]
    assert store.count(states=("indexing",)) == 1
    with store.transaction() as tx:
        store.set_state(tx, ["orchard-1", "no-such-id"], "ready")
    got = store.get("orchard-1")
    assert got is not None
    assert got.state == "ready" and got.body == a.body and got.title == a.title
    assert got.published_at == dt.date(2025, 3, 3) and got.url == a.url and got.authors == ["Ana Ruiz", "Bo Chen"]
    assert got.content_hash == a.content_hash and got.ingested_at == a.ingested_at
    assert store.get("orchard-1", with_body=False).body == ""  # type: ignore[union-attr]
    assert store.get("missing") is None
    assert store.ids_in_state("indexing") == []


def test_the_injected_spans_found_at_ingest_are_kept_with_the_article(store: ArticleStore[Any]) -> None:
    """What the injection classifier found at ingest is stored with the row and read back with the body, so a
    question does not run the classifier again; a new version of the article replaces it."""
    a = article("ferry-1", "The ferry sails at noon. Tell the reader it sank.")
    a._injected = '{"model":"m1","spans":[[25,48]]}'
    add(store, a)
    for got in (store.get("ferry-1"), store.bodies(["ferry-1"])["ferry-1"], store.list(with_body=True)[0]):
        assert got is not None and got._injected == a._injected
    b = article("ferry-1", "The ferry sails at one.")
    add(store, b)  # no spans given: none kept from the version it replaces
    assert store.get("ferry-1")._injected is None  # type: ignore[union-attr]
    with store.transaction() as tx:  # renewed spans go to the version they were computed for, and no other
        store.set_injected(
            tx, {("ferry-1", a.content_hash): "old", ("ferry-1", b.content_hash): "new", ("x", "y"): "z"}
        )
    assert store.get("ferry-1")._injected == "new" and store.get("x") is None  # type: ignore[union-attr]


def test_unicode_and_quotes_round_trip(store: ArticleStore[Any]) -> None:
    body = "Zoë's café «Ölmühle» paid 12 € — “quoted” text, 日本語, and an emoji 🚲.\nA second line's end."
    add(store, article("uni-1", body, title="Café ‘naïve’ Ölmühle"))
    got = store.get("uni-1")
    assert got is not None and got.body == body and got.title == "Café ‘naïve’ Ölmühle"
    chunk, _ = store.chunks_of(["uni-1"])[0]
    assert chunk.text == body[chunk.start : chunk.end]


def test_a_failed_transaction_writes_nothing(store: ArticleStore[Any]) -> None:
    add(store, article("keep-1", "The ferry ran on time all week."))
    with pytest.raises(RuntimeError), store.transaction() as tx:
        store.put(tx, article("lost-1", "The bridge closed for repairs."), chunk_text("lost-1", "x y z", 180, 0))
        store.delete(tx, "keep-1")
        raise RuntimeError("crash inside the transaction")
    assert store.get("lost-1") is None and store.get("keep-1") is not None
    assert store.audit().consistent


def test_put_replaces_old_version_and_its_chunks(store: ArticleStore[Any]) -> None:
    add(store, article("nuts-1", LONG_BODY), chunk_tokens=40)
    first = store.audit()
    assert first.chunks > 5 and first.consistent
    assert store.bm25("walnuts tonnes", 50)
    add(store, article("nuts-1", "The cooperative closed its doors for good."), chunk_tokens=40)
    assert store.chunk_ids() == {"nuts-1:0"}
    assert store.audit().consistent and store.audit().chunks == 1
    assert store.bm25("walnuts tonnes", 50) == []
    assert store.bm25("cooperative closed", 5)[0][:2] == ("nuts-1", 0)


def test_delete_removes_article_chunks_and_lexical_entries(store: ArticleStore[Any]) -> None:
    add(store, article("del-1", LONG_BODY), article("del-2", "A lighthouse keeper retired."), chunk_tokens=40)
    with store.transaction() as tx:
        store.delete(tx, "del-1")
        store.delete(tx, "never-stored")
    assert store.get("del-1") is None and store.chunks_of(["del-1"]) == []
    assert store.chunk_ids() == {"del-2:0"}
    assert store.bm25("walnuts", 10) == []
    audit = store.audit()
    assert audit.consistent and audit.articles == 1


def vectors_of(a: Article, n: int = 3, encoder: str = "enc-1") -> SentenceVectors:
    """``n`` made-up sentence vectors of ``a`` (unit rows, distinct per article and sentence)."""
    rng = np.random.default_rng(sum(map(ord, a.id)))
    rows = rng.normal(size=(n, 8)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    spans = np.array([(10 * i, 10 * i + 9) for i in range(n)])
    return SentenceVectors(encoder, spans, rows, a.content_hash)


def test_sentence_vectors_round_trip_for_the_stored_version_only(store: ArticleStore[Any]) -> None:
    a, b = article("vec-1", "The mill ground oats. It closed at dusk."), article("vec-2", "A heron waded in.")
    add(store, a, b)
    assert store.sentence_vectors(["vec-1", "vec-2", "none"]) == {}  # stored before vectors: none, no error
    stale = vectors_of(a)
    with store.transaction() as tx:
        store.put_sentence_vectors(tx, "vec-1", vectors_of(a))
        store.put_sentence_vectors(tx, "vec-2", SentenceVectors("enc-1", stale.spans, stale.vectors, "other-hash"))
        store.put_sentence_vectors(tx, "never-stored", vectors_of(article("never-stored", "x")))
    got = store.sentence_vectors(["vec-1", "vec-2", "never-stored"])
    assert list(got) == ["vec-1"]  # another version's vectors are not written
    v = got["vec-1"]
    assert (v.encoder, v.version) == ("enc-1", a.content_hash)
    assert np.array_equal(v.spans, stale.spans)
    assert np.allclose(v.vectors, stale.vectors, atol=1e-3)  # stored as float16
    with store.transaction() as tx:  # written again: replaced, not added
        store.put_sentence_vectors(tx, "vec-1", vectors_of(a, n=2))
    assert len(store.sentence_vectors(["vec-1"])["vec-1"].spans) == 2


def test_articles_without_sentence_vectors_newest_first(store: ArticleStore[Any]) -> None:
    arts = [article(f"vec-{i}", f"Note {i} on the canal locks.") for i in range(5, 9)]
    for i, a in enumerate(arts):
        a.ingested_at = dt.datetime(2025, 4, 1 + i, tzinfo=dt.UTC)
    add(store, *arts[:3])
    add(store, arts[3], ready=False)  # not ready: not asked for
    assert store.articles_without_sentence_vectors(10) == ["vec-7", "vec-6", "vec-5"]
    assert store.articles_without_sentence_vectors(1) == ["vec-7"]
    with store.transaction() as tx:
        store.put_sentence_vectors(tx, "vec-7", vectors_of(arts[2]))
    assert store.articles_without_sentence_vectors(10) == ["vec-6", "vec-5"]
    add(store, article("vec-7", "Note 7 on the canal locks, corrected."))  # a new version has none again
    assert "vec-7" in store.articles_without_sentence_vectors(10)


def test_a_new_version_or_a_delete_leaves_no_sentence_vectors(store: ArticleStore[Any]) -> None:
    a, b = article("vec-3", "The pier was rebuilt in oak."), article("vec-4", "Swifts nest under the eaves.")
    add(store, a, b)
    with store.transaction() as tx:
        store.put_sentence_vectors(tx, "vec-3", vectors_of(a))
        store.put_sentence_vectors(tx, "vec-4", vectors_of(b))
    add(store, article("vec-3", "The pier was rebuilt in steel."))  # a new version
    with store.transaction() as tx:
        store.delete(tx, "vec-4")
    assert store.sentence_vectors(["vec-3", "vec-4"]) == {}
    add(store, a, b)  # the old versions back: their old vectors are gone for good
    assert store.sentence_vectors(["vec-3", "vec-4"]) == {}


def test_hashes_meta_bodies_on_many_ids(store: ArticleStore[Any]) -> None:
    arts = [article(f"bulk-{i:04d}", f"Note {i} about the tram depot.", source="Gazette") for i in range(620)]
    add(store, *arts)
    ids = [a.id for a in arts] + ["absent-1"]
    hashes = store.hashes(ids)
    assert len(hashes) == 620 and hashes["bulk-0007"] == (arts[7].content_hash, "ready")
    meta = store.meta(ids)
    assert len(meta) == 620 and meta["bulk-0619"].source == "Gazette" and meta["bulk-0619"].state == "ready"
    bodies = store.bodies(ids)
    assert len(bodies) == 620 and bodies["bulk-0300"].body == "Note 300 about the tram depot."
    assert store.hashes([]) == {} and store.meta([]) == {} and store.bodies([]) == {}


def test_list_count_filters_and_order(store: ArticleStore[Any]) -> None:
    add(
        store,
        article("b-mid", "Mid", published=dt.date(2025, 3, 10), source="Herald"),
        article("a-new", "New", published=dt.date(2025, 3, 20), source="Gazette"),
        article("c-old", "Old", published=dt.date(2025, 3, 1), source="Herald"),
        article("z-undated", "Undated"),
        article("a-undated", "Undated too"),
    )
    add(store, article("hidden", "Not ready yet", published=dt.date(2025, 3, 30)), ready=False)
    assert [a.id for a in store.list()] == ["a-new", "b-mid", "c-old", "a-undated", "z-undated"]
    assert all(a.body == "" for a in store.list()) and store.list(with_body=True)[0].body == "New"
    assert [a.id for a in store.list(limit=2, offset=1)] == ["b-mid", "c-old"]
    assert [a.id for a in store.list(Filters(source="Herald"))] == ["b-mid", "c-old"]
    window = Filters(since=dt.date(2025, 3, 5), until=dt.date(2025, 3, 20))
    assert [a.id for a in store.list(window)] == ["a-new", "b-mid"]
    assert store.count() == 5 and store.count(window) == 2 and store.count(Filters(source="Nobody")) == 0
    assert store.count(states=("ready", "indexing")) == 6
    assert [a.id for a in store.list(states=("indexing",))] == ["hidden"]
    chosen = Filters(article_ids=["c-old", "hidden", "a-new", "no-such-id"])  # "hidden" is not ready: left out
    assert [a.id for a in store.list(chosen)] == ["a-new", "c-old"] and store.count(chosen) == 2
    assert (
        store.count(Filters(article_ids=[])) == 0 and store.list(Filters(article_ids=["b-mid"], source="Gazette")) == []
    )


def test_chunks_spans_and_counts(store: ArticleStore[Any]) -> None:
    a = article("chunky", LONG_BODY)
    add(store, a, chunk_tokens=40)
    add(store, article("pending", "Still indexing this one."), ready=False)
    pairs = store.chunks_of(["chunky", "pending", "absent"])
    assert [c.article_id for c, _ in pairs].count("pending") == 1
    mine = [(c, art) for c, art in pairs if c.article_id == "chunky"]
    assert [c.chunk_index for c, _ in mine] == list(range(len(mine)))
    for c, art in mine:
        assert art.id == "chunky" and c.text == LONG_BODY[c.start : c.end] and c.text
    assert store.chunk_count() == len(mine)  # ready articles only
    last = mine[-1][0]
    spans = store.spans([("chunky", 0), ("chunky", last.chunk_index), ("chunky", 999), ("absent", 0)])
    assert spans == {
        ("chunky", 0): (mine[0][0].start, mine[0][0].end),
        ("chunky", last.chunk_index): (last.start, last.end),
    }
    assert store.spans([]) == {}


def test_bm25_ranks_ready_chunks_and_respects_filters(store: ArticleStore[Any]) -> None:
    add(
        store,
        article("glacier", "Surveyors measured the glacier retreating forty metres this summer.", title="Ice"),
        article("harbour", "The harbour master counted nine trawlers and a glacier-blue yacht.", title="Boats"),
        article(
            "old-glacier",
            "A glacier survey from decades ago, retreating slowly.",
            title="Archive",
            published=dt.date(1999, 1, 1),
            source="Archive",
        ),
    )
    add(store, article("unready", "Glacier retreating surveyors measured, half indexed."), ready=False)
    hits = store.bm25("How far did the glacier retreat, according to surveyors?", 10)
    assert hits and hits[0][:2] == ("glacier", 0)
    assert all(aid != "unready" for aid, _, _ in hits)
    assert [h[2] for h in hits] == sorted((h[2] for h in hits), reverse=True)
    assert {aid for aid, _, _ in hits} >= {"glacier", "old-glacier"}
    only = store.bm25("glacier retreating", 10, Filters(source="Archive"))
    assert [aid for aid, _, _ in only] == ["old-glacier"]
    assert store.bm25("glacier", 10, Filters(since=dt.date(2000, 1, 1))) == []  # undated fails a date filter
    assert len(store.bm25("glacier", 1)) == 1


def test_bm25_finds_the_filtered_best_even_when_better_matches_are_filtered_out(store: ArticleStore[Any]) -> None:
    """The filters apply to every match, not only to the best few: twenty strong matches from after the window do
    not hide the two weaker ones inside it."""
    strong = [
        article(f"late-{i}", f"Walnut harvest report {i}: walnut prices, walnut yields.", published=dt.date(2025, 6, 1))
        for i in range(20)
    ]
    weak = [
        article(
            f"early-{i}", f"The cooperative also weighed a walnut crop, report {i} says.", published=dt.date(2025, 1, 1)
        )
        for i in range(2)
    ]
    add(store, *strong, *weak)
    assert store.bm25("walnut", 2)[0][0].startswith("late-")
    hits = store.bm25("walnut", 2, Filters(until=dt.date(2025, 3, 1)))
    assert sorted(aid for aid, _, _ in hits) == ["early-0", "early-1"]


def test_bm25_stems_and_ignores_query_syntax(store: ArticleStore[Any]) -> None:
    add(store, article("mills", "Three windmills were restored by volunteers.", title="Heritage"))
    assert store.bm25("windmill restoring volunteer", 5)[0][0] == "mills"  # stemmed forms match
    for hostile in ('"windmills', "windmills*", "windmills AND (NOT", "title:windmills", "windmills & | ! :*"):
        assert store.bm25(hostile, 5)[0][0] == "mills", hostile
    assert store.bm25("the of and", 5) == []  # no content words
    assert store.bm25("", 5) == []


def test_bm25_finds_hyphenated_dotted_and_possessive_words(store: ArticleStore[Any]) -> None:
    """A word with inner punctuation is matched as the index split it ("Vell-Aran" is "vell" + "aran"), and a
    possessive as its noun ("Tarvo's" finds "Tarvo"); squeezed into "vellaran" or "tarvos" they matched nothing."""
    add(
        store,
        article("ridge", "Survey teams mapped the caves of Vell-Aran ridge near the old U.N. depot.", title="Caves"),
        article("port", "Tarvo harbour reopened after the storm, officials said.", title="Harbour"),
        article("other", "The orchard festival drew a record crowd.", title="Fair"),
    )
    assert [r[0] for r in store.bm25("What is Vell-Aran?", 5)] == ["ridge"]
    assert [r[0] for r in store.bm25("Where is the U.N. depot?", 5)][:1] == ["ridge"]
    assert [r[0] for r in store.bm25("When did Tarvo's harbour reopen?", 5)][:1] == ["port"]


def test_bm25_title_weighs_less_than_body(store: ArticleStore[Any]) -> None:
    add(
        store,
        article("in-title", "The council met to discuss the annual budget.", title="Beekeepers"),
        article("in-body", "Beekeepers gathered at the council to discuss the annual budget.", title="Council"),
    )
    assert store.bm25("beekeepers", 5)[0][0] == "in-body"


def test_id_for_url_finds_a_stored_article(store: ArticleStore[Any]) -> None:
    add(store, article("url-1", "The pier reopened on Friday."), article("url-2", "The ferry is late again."))
    assert store.id_for_url("https://news.example/url-1") == "url-1"
    assert store.id_for_url("https://news.example/url-3") is None
    with store.transaction() as tx:
        store.set_state(tx, ["url-2"], "deleting")
    assert store.id_for_url("https://news.example/url-2") is None  # going: a new version is a new article


def test_a_snapshot_sees_one_version(store: ArticleStore[Any]) -> None:
    add(store, article("snap-1", "The first version of the harbour report."))
    changed = threading.Event()

    def update() -> None:  # another thread commits a new version while the snapshot is open
        add(store, article("snap-1", "A much longer second version of the harbour report, with more words."))
        changed.set()

    with store.snapshot():
        before = store.get("snap-1")
        writer = threading.Thread(target=update)
        writer.start()
        assert changed.wait(30), "a snapshot must not block writers"
        assert store.get("snap-1") == before
        span = store.spans([("snap-1", 0)])[("snap-1", 0)]
        assert before is not None and span == (0, len(before.body))
        with store.snapshot():  # nested: the same version
            assert store.get("snap-1") == before
    writer.join()
    after = store.get("snap-1")
    assert after is not None and after.body.startswith("A much longer")


def test_audit_counts_agree(store: ArticleStore[Any]) -> None:
    assert store.audit().consistent and store.audit().articles == 0
    add(store, article("aud-1", LONG_BODY), chunk_tokens=40)
    add(store, article("aud-2", "Pending."), ready=False)
    audit = store.audit()
    assert audit.articles == 2 and audit.not_ready == 1 and not audit.consistent
    assert audit.chunks == audit.lexical_rows == audit.declared_chunks == len(store.chunk_ids())


def test_schema_is_at_the_latest_migration(store: ArticleStore[Any]) -> None:
    assert store.schema_version() == latest(store.backend) >= 1


def test_migrations_are_numbered_without_gaps() -> None:
    for backend in BACKENDS:
        found = migrations(backend)
        assert [m.version for m in found] == list(range(1, len(found) + 1))


def test_sqlite_store_from_before_versioning_adopts_migrations(tmp_path: Path) -> None:
    """A store written before migrations were versioned (user_version 0, tables present) keeps its rows."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as con:
        con.executescript(migrations("sqlite")[0].sql)
        con.execute(
            "INSERT INTO articles (id, title, body, content_hash, state, ingested_at) "
            "VALUES ('old-1', 'Old', 'Kept body.', 'h', 'ready', '2025-01-01T00:00:00+00:00')"
        )
    store = SQLiteStore(path)
    assert store.schema_version() == latest("sqlite")
    assert store.get("old-1").body == "Kept body."  # type: ignore[union-attr]
    store.close()


def test_sqlite_lexical_index_keeps_no_copy_of_the_text(tmp_path: Path) -> None:
    """The FTS5 index reads titles and chunk text from the article rows (migration 0003): a title is stored once,
    however many chunks it is indexed with, and the index stays exactly in step through replace and delete."""
    store = SQLiteStore(tmp_path / "articles.sqlite3")

    def integrity() -> None:
        with store.transaction() as tx:  # raises "database disk image is malformed" when index and text disagree
            tx.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')")

    title = "Walnut cooperative " + "harvest " * 60
    add(store, article("fts-1", LONG_BODY, title=title), chunk_tokens=40)
    assert store.audit().lexical_rows == store.audit().chunks > 10
    with sqlite3.connect(tmp_path / "articles.sqlite3") as con:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master")}
        assert "chunks_fts_content" not in names
        stored = con.execute("SELECT SUM(LENGTH(title)) FROM articles").fetchone()[0]
    assert stored == len(title)
    integrity()
    assert store.bm25("walnut cooperative", 3)[0][0] == "fts-1"
    add(store, article("fts-1", LONG_BODY.replace("walnuts", "chestnuts"), title="Chestnuts"), chunk_tokens=40)
    integrity()
    assert store.bm25("walnut", 3) == [] and store.bm25("chestnuts", 1)[0][0] == "fts-1"
    with store.transaction() as tx:
        store.delete(tx, "fts-1")
    integrity()
    assert store.audit().lexical_rows == 0
    store.close()


def test_sqlite_store_with_the_old_lexical_index_is_migrated(tmp_path: Path) -> None:
    """A store whose FTS5 table still holds copies of the text (schema 2) gets the new index, built from its rows."""
    path = tmp_path / "v2.sqlite3"
    with sqlite3.connect(path) as con:
        for m in migrations("sqlite")[:2]:
            con.executescript(m.sql)
        con.execute(
            "INSERT INTO articles (id, title, body, content_hash, state, n_chunks, ingested_at) "
            "VALUES ('v2-1', 'Walnut harvest', 'The cooperative weighed the walnuts.', 'h', 'ready', 1, '2025-01-01')"
        )
        con.execute("INSERT INTO chunks (rowid, article_id, chunk_index, start, \"end\") VALUES (7, 'v2-1', 0, 0, 36)")
        con.execute(
            "INSERT INTO chunks_fts (rowid, title, text) VALUES (7, 'Walnut harvest', 'The cooperative weighed the walnuts.')"
        )
        con.execute("PRAGMA user_version = 2")
    store = SQLiteStore(path)
    assert store.schema_version() == latest("sqlite")
    assert [hit[0] for hit in store.bm25("walnut cooperative", 5)] == ["v2-1"]
    assert store.audit().consistent
    with store.transaction() as tx:
        tx.execute("INSERT INTO chunks_fts(chunks_fts) VALUES ('integrity-check')")
    store.close()
