"""The API as deployed: real ``qa serve`` (uvicorn) processes on 127.0.0.1, real HTTP, real SSE, and the
service in Chroma server mode against a real ``chroma run``."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.paths import DEMO_ARTICLES, EXAMPLE_ARTICLE, need_shared
from tests.servers import chroma_server, qa_server

pytestmark = pytest.mark.server

KEYS = "key-one,key-two"  # as in the api/README.md auth example
KEY = "key-two"
POMPEO = "Why was the Pompeo meeting cancelled?"
CANCELLED = "At midnight on Wednesday, the State Department announced that it had been canceled"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server with auth on (QA_API_KEYS) and an empty store."""
    with qa_server(tmp_path_factory.mktemp("serve") / "data", env={"QA_API_KEYS": KEYS}) as base:
        yield base


@pytest.fixture
def http(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, headers={"Authorization": f"Bearer {KEY}"}, timeout=120) as client:
        yield client


def read_sse(response: httpx.Response) -> list[tuple[str, Any]]:
    """Parse an SSE stream as it arrives (line by line, the way a browser's EventSource does)."""
    events: list[tuple[str, Any]] = []
    name, data = "message", []
    for line in response.iter_lines():
        if line == "":
            if data:
                events.append((name, json.loads("\n".join(data))))
            name, data = "message", []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip())
    return events


def check_citations(http: httpx.Client, citations: list[dict[str, Any]]) -> None:
    for cit in citations:
        body = http.get(f"/v1/articles/{cit['article_id']}").json()["body"]
        assert body[cit["start"] : cit["end"]] == cit["quote"]


def test_auth_over_http(server: str) -> None:
    assert httpx.get(f"{server}/healthz").status_code == 200
    assert httpx.get(f"{server}/readyz").status_code == 200
    r = httpx.get(f"{server}/v1/articles")
    assert r.status_code == 401 and r.headers["content-type"] == "application/problem+json"
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert httpx.get(f"{server}/v1/articles", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_whole_flow(http: httpx.Client) -> None:
    example = need_shared(EXAMPLE_ARTICLE)
    with example.open("rb") as f:
        r = http.post("/v1/articles:upload", files=[("files", (example.name, f, "text/plain"))])
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["added"] == 1 and report["chunks"] > 0
    article_id = report["items"][0]["article_id"]
    assert article_id in [a["id"] for a in http.get("/v1/articles").json()["items"]]

    answer = http.post("/v1/ask", json={"question": POMPEO}).json()
    # The article reports the cancellation but gives no reason, so the engine may say so (answerable=false)
    # while quoting what the article does say; either way every cited sentence must be verified.
    cited = [s for s in answer["sentences"] if s["citations"]]
    assert cited and all(s["supported"] for s in cited), answer["sentences"]
    assert any(CANCELLED in c["quote"] for c in answer["citations"]), answer["citations"]
    check_citations(http, answer["citations"])

    with http.stream("POST", "/v1/ask", json={"question": POMPEO}, headers={"Accept": "text/event-stream"}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = read_sse(r)
    names = [n for n, _ in events]
    assert names.count("answer") == 1 and names[-1] == "answer" and "delta" in names
    streamed = events[-1][1]
    assert streamed["answer"] == answer["answer"] and streamed["citations"] == answer["citations"]
    assert [s["supported"] for s in streamed["sentences"]] == [s["supported"] for s in answer["sentences"]]

    hits = http.post("/v1/search", json={"question": POMPEO, "k": 3}).json()
    assert hits and hits[0]["article_id"] == article_id

    brief = http.post("/v1/briefings", json={"article_ids": [article_id]})
    assert brief.status_code == 200, brief.text
    bullets = brief.json()["bullets"]
    assert bullets and all(b["citations"] for b in bullets)
    check_citations(http, [c for b in bullets for c in b["citations"]])

    assert http.delete(f"/v1/articles/{article_id}").json() == {"deleted": article_id}
    gone = http.get(f"/v1/articles/{article_id}")
    assert gone.status_code == 404 and gone.headers["content-type"] == "application/problem+json"
    assert http.post("/v1/search", json={"question": POMPEO}).json() == []


def test_errors_over_http(http: httpx.Client) -> None:
    """The same problem+json over a real socket, incl. cases a TestClient can't fake (raw bytes, oversize)."""
    bad = http.post("/v1/ask", content=b"{not json", headers={"content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["title"] == "Malformed JSON"
    latin = http.post("/v1/search", content=b'{"question": "caf\xe9"}', headers={"content-type": "application/json"})
    assert latin.status_code == 422 and "UTF-8" in latin.json()["detail"]
    huge = http.post("/v1/articles", content=b"x" * 10_000_001, headers={"content-type": "application/json"})
    assert huge.status_code == 413 and huge.headers["content-type"] == "application/problem+json"
    assert http.get("/v2/anything").status_code == 404
    assert http.delete("/v1/ask").status_code == 405


def test_health_answers_while_heavy_work_runs(http: httpx.Client, server: str) -> None:
    """Indexing is CPU work in the thread pool: the event loop must keep answering health checks meanwhile."""
    files = [("files", (p.name, p.read_bytes())) for p in sorted(DEMO_ARTICLES.iterdir())]
    done = threading.Event()
    result: dict[str, Any] = {}

    def upload() -> None:
        result["response"] = http.post("/v1/articles:upload", files=files)
        done.set()

    worker = threading.Thread(target=upload)
    worker.start()
    latencies = []
    while not done.is_set():
        t0 = time.perf_counter()
        assert httpx.get(f"{server}/healthz", timeout=5).status_code == 200
        latencies.append(time.perf_counter() - t0)
        time.sleep(0.05)
    worker.join()
    assert result["response"].status_code == 201
    assert len(latencies) > 3 and max(latencies) < 2.0, latencies  # typically < 0.4 s while indexing


def test_chroma_server_mode(tmp_path: Path) -> None:
    """`qa serve --load-demo` with the vectors in a real Chroma server: the README setup for a bigger deployment."""
    chroma = chroma_server(tmp_path / "chroma-server")
    port = chroma.__enter__()
    try:
        env = {"QA_CHROMA_MODE": "server", "QA_CHROMA_HOST": "127.0.0.1", "QA_CHROMA_PORT": str(port)}
        with qa_server(tmp_path / "data", "--load-demo", env=env) as base:
            ready = httpx.get(f"{base}/readyz").json()
            assert ready["articles"] == 9 and ready["vectors"] == ready["chunks"] > 0
            assert not (tmp_path / "data" / "chroma").exists()  # nothing embedded: vectors live in the server
            question = "Which company will build the Port Calder tidal barrier?"
            r = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=120)
            assert r.status_code == 200 and "Kestrel" in r.json()["answer"]
            hits = httpx.post(f"{base}/v1/search", json={"question": "battery recall", "mode": "dense"}).json()
            assert hits and "recall" in " ".join(h["text"] for h in hits).lower()
            chroma.__exit__(None, None, None)  # the vector store goes away: not ready any more
            chroma = None
            down = httpx.get(f"{base}/readyz", timeout=30)
            assert down.status_code == 503 and down.headers["content-type"] == "application/problem+json"
            assert "Chroma server vector index" in down.json()["detail"]
            # A request that needs the vectors gets a 503 problem naming the dependency, never a 500.
            asked = httpx.post(f"{base}/v1/ask", json={"question": question}, timeout=60)
            assert asked.status_code == 503 and asked.json()["title"] == "Store unavailable", asked.text
            assert "Chroma server" in asked.json()["detail"]
            assert httpx.get(f"{base}/healthz").status_code == 200
    finally:
        if chroma is not None:
            chroma.__exit__(None, None, None)


# --- the documented curl examples, and the outputs shown under them ------------------------------------------
def test_documented_curl_outputs_are_what_the_service_prints() -> None:
    """Every curl line of README.md and api/README.md, run in order against real `qa serve --load-demo` processes
    (the Bearer examples with QA_API_KEYS set): the documents show exactly what they print (tests/doc_examples.py)."""
    from tests import doc_examples

    results = doc_examples.with_servers(doc_examples.run_all)
    assert len(results) >= 15
    for example, status, rendered in results:  # the status the shown output implies (problem "status", HTTP line)
        m = re.search(r'"status":(\d{3})|^HTTP/1.1 (\d{3})', "\n".join(rendered), re.M)
        expected = int(m.group(1) or m.group(2)) if m else None
        assert status == expected if expected else 200 <= status < 300, (example.command, status)
    problems = doc_examples.stale(results)
    assert not problems, (
        f"{len(problems)} documented outputs differ from what the service prints now. If the change is intended, "
        f"regenerate them with `{doc_examples.REGENERATE}` (or `make docs`) and review the diff.\n\n"
        + "\n\n".join(problems)
    )
