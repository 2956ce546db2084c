"""Scale-out: two ``qa serve`` processes share one PostgreSQL (articles, chunks, lexical index) and one Chroma server.

Every server here is real and started by the tests on 127.0.0.1: PostgreSQL from its binaries (``postgres_server``),
``chroma run``, and two uvicorn processes. The articles are written for these tests.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.servers import SERVER_PROCESSES, PostgresServer, chroma_server, qa_server

pytestmark = pytest.mark.server

# Seconds of mixed load from 8 clients over both processes (QA_SCALE_OUT_SECONDS shortens it for a quick run).
LOAD_SECONDS = float(os.environ.get("QA_SCALE_OUT_SECONDS", "30"))
CLIENTS = 8


@dataclass
class Cluster:
    db: PostgresServer
    url: str  # the database both processes use
    env: dict[str, str]
    chroma_port: int
    tmp: Path

    @contextlib.contextmanager
    def serve(self, name: str) -> Iterator[str]:
        with qa_server(self.tmp / name, env=self.env) as base:
            yield base

    def store(self) -> Any:
        from qa.store.postgres import PostgresStore

        return PostgresStore(self.url)

    def vector_ids(self) -> set[str]:
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        client = chromadb.HttpClient(
            host="127.0.0.1", port=self.chroma_port, settings=ChromaSettings(anonymized_telemetry=False)
        )
        return set(client.get_collection("chunks").get(include=[])["ids"])

    def assert_consistent(self) -> None:
        """Every article ready, rows and lexical entries agree, and the vectors are exactly the stored chunks."""
        store = self.store()
        try:
            audit = store.audit()
            assert audit.consistent, audit
            assert store.chunk_ids() == self.vector_ids()
        finally:
            store.close()


@pytest.fixture(scope="module")
def cluster(postgres_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("scale-out")
    url = postgres_server.create_database("scale_out")
    with chroma_server(tmp / "chroma") as port:
        env = {
            "QA_DATABASE_URL": url,
            "QA_CHROMA_MODE": "server",
            "QA_CHROMA_HOST": "127.0.0.1",
            "QA_CHROMA_PORT": str(port),
        }
        yield Cluster(postgres_server, url, env, port, tmp)


@pytest.fixture(scope="module")
def pair(cluster: Cluster) -> Iterator[tuple[str, str]]:
    """Processes A and B, each with its own (unused) data dir: everything they share is in the two servers."""
    with cluster.serve("a") as a, cluster.serve("b") as b:
        yield a, b


def report(place: str, n: int, extra: str = "") -> dict[str, Any]:
    """An article written for these tests: a made-up town's council story, several sentences of prose."""
    return {
        "id": f"{place.lower()}-{n}",
        "title": f"{place} council approves a new footbridge",
        "body": (
            f"The {place} town council voted on Tuesday to build a footbridge over the river near the old mill. "
            f"The bridge will cost {n + 3} million pounds and should open in the spring, the council said. "
            f"Residents of {place} had asked for a safer crossing for years, after the ferry stopped running. "
            f"Engineers from the county will begin surveying the banks next month. {extra}"
        ),
        "published_at": "2025-05-06",
        "source": "Valley Courier",
    }


def cited(answer: dict[str, Any]) -> set[str]:
    return {c["article_id"] for c in answer["citations"]}


def ask(base: str, question: str) -> dict[str, Any]:
    r = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=120)
    assert r.status_code == 200, r.text
    return r.json()


def test_ingest_through_one_process_answer_and_delete_through_the_other(
    cluster: Cluster, pair: tuple[str, str]
) -> None:
    a, b = pair
    article = report("Thornbury", 9)
    r = httpx.post(f"{a}/v1/articles", json=article, timeout=120)
    assert r.status_code == 201 and r.json()["items"][0]["status"] == "added", r.text
    answer = ask(b, "How much will the Thornbury footbridge cost?")  # at once: no cache, no delay
    assert "thornbury-9" in cited(answer) and "12 million" in answer["answer"]
    assert httpx.get(f"{b}/v1/articles/thornbury-9").json()["title"] == article["title"]
    # The same article again through B is unchanged: B sees A's write, and the ingest is idempotent.
    again = httpx.post(f"{b}/v1/articles", json=article, timeout=120).json()
    assert again["items"][0]["status"] == "unchanged"

    assert httpx.delete(f"{b}/v1/articles/thornbury-9").status_code == 200
    assert httpx.get(f"{a}/v1/articles/thornbury-9").status_code == 404
    assert "thornbury-9" not in cited(ask(a, "How much will the Thornbury footbridge cost?"))
    cluster.assert_consistent()


def _client(
    n: int, bases: tuple[str, str], deadline: float, statuses: list[tuple[str, int]], errors: list[str]
) -> None:
    """Ask, search, ingest and delete, alternating between the processes; a few shared ids are written and
    deleted by several clients through both processes at once (the advisory locks' work)."""
    rng = random.Random(n)
    with httpx.Client(timeout=120) as http:
        i = 0
        while time.monotonic() < deadline:
            base = bases[(n + i) % 2]
            op = rng.choice(("ask", "ask", "search", "ingest", "ingest", "delete"))
            shared = rng.randrange(4)
            try:
                if op == "ask":
                    r = http.post(f"{base}/v1/ask", json={"question": "What will the footbridge cost?"})
                elif op == "search":
                    r = http.post(f"{base}/v1/search", json={"question": "river crossing ferry"})
                elif op == "ingest":
                    body = report("Ashby", shared, extra=f"Client {n} filed update {i}.")
                    r = http.post(f"{base}/v1/articles", json=body)
                else:
                    r = http.delete(f"{base}/v1/articles/ashby-{shared}")
                statuses.append((op, r.status_code))
                if r.status_code >= 500 or (op != "delete" and r.status_code >= 300):
                    errors.append(f"{op} via {base}: {r.status_code} {r.text[:300]}")
            except httpx.HTTPError as exc:
                errors.append(f"{op} via {base}: {type(exc).__name__} {exc}")
            i += 1


def test_eight_clients_over_both_processes(cluster: Cluster, pair: tuple[str, str]) -> None:
    statuses: list[tuple[str, int]] = []
    errors: list[str] = []
    deadline = time.monotonic() + LOAD_SECONDS
    threads = [threading.Thread(target=_client, args=(n, pair, deadline, statuses, errors)) for n in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[:5]
    ops = {op for op, _ in statuses}
    assert ops == {"ask", "search", "ingest", "delete"} and len(statuses) >= CLIENTS * 2
    assert any(op == "delete" and code == 200 for op, code in statuses)  # deletes raced ingests and won some
    cluster.assert_consistent()


def _indexing(cluster: Cluster) -> int:
    store = cluster.store()
    try:
        return len(store.ids_in_state("indexing"))
    finally:
        store.close()


def test_a_process_killed_mid_ingest_is_repaired_by_its_restart(cluster: Cluster, pair: tuple[str, str]) -> None:
    _, b = pair
    batch = [report(f"Kelso{n}", n, extra="The mayor welcomed the plan. " * 30) for n in range(48)]
    with cluster.serve("victim") as victim:
        proc = SERVER_PROCESSES[victim]

        def post() -> None:
            with contextlib.suppress(httpx.HTTPError):  # the connection dies with the process
                httpx.post(f"{victim}/v1/articles", json={"articles": batch}, timeout=120)

        poster = threading.Thread(target=post)
        poster.start()
        deadline = time.monotonic() + 60
        while _indexing(cluster) == 0:  # rows written, vectors not yet: the middle of an ingest
            assert time.monotonic() < deadline, "the ingest never started"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        poster.join(timeout=60)
    assert _indexing(cluster) > 0  # left half done: rows there, not answerable
    assert ask(b, "How much will the Thornbury footbridge cost?")  # the other process keeps serving
    ids = {a["id"] for a in batch}
    listed = httpx.get(f"{b}/v1/articles", params={"limit": 200}).json()
    assert not ids & {a["id"] for a in listed["items"]}  # nothing half-indexed is listed or answered from

    with cluster.serve("victim-restarted") as restarted:  # start-up repair finishes the interrupted ingest
        assert _indexing(cluster) == 0
        cluster.assert_consistent()
        stored = cluster.store()
        try:
            present = set(stored.hashes(list(ids)))
        finally:
            stored.close()
        assert present  # what was written is now whole: each one answerable through either process
        some = sorted(present)[0]
        assert httpx.get(f"{restarted}/v1/articles/{some}").status_code == 200
        assert httpx.get(f"{b}/v1/articles/{some}").status_code == 200
        # Sending the whole batch again adds the rest once: no duplicate rows or vectors.
        r = httpx.post(f"{restarted}/v1/articles", json={"articles": batch}, timeout=300)
        statuses = [i["status"] for i in r.json()["items"]]
        assert statuses.count("unchanged") == len(present) and statuses.count("added") == len(ids) - len(present)
        cluster.assert_consistent()


def test_database_outage_gives_503_problems_and_recovers_without_restart(
    cluster: Cluster, pair: tuple[str, str]
) -> None:
    a, b = pair
    question = "When should the footbridge open?"
    ask(a, question)
    cluster.db.stop()
    try:
        for base in (a, b):
            r = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=60)
            assert r.status_code == 503, r.text
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["title"] == "Store unavailable" and "unavailable" in r.json()["detail"]
            listing = httpx.get(f"{base}/v1/articles", timeout=60)
            assert listing.status_code == 503 and listing.json()["status"] == 503
            ready = httpx.get(f"{base}/readyz", timeout=60)
            assert ready.status_code == 503 and "postgresql" in ready.json()["detail"]
            assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        cluster.db.start()
    for base in (a, b):  # the pools reconnect on their own
        deadline = time.monotonic() + 60
        while (r := httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=60)).status_code != 200:
            assert time.monotonic() < deadline, r.text
            time.sleep(0.5)
        ready = httpx.get(f"{base}/readyz").json()
        assert ready["database"] == "postgresql" and ready["schema_version"] >= 1
        assert ready["vector_index"] == "chroma-server" and ready["vectors"] == ready["chunks"]
