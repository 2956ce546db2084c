"""The HTTP API in-process (TestClient): every documented error as problem+json, validation, auth, CORS,
request ids, all-or-nothing batches, and the article/ask/brief/search routes over the demo corpus."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.deps import key_matches
from api.schemas import NOT_BLANK
from qa.config import Settings
from qa.service import NewsQA

MakeClient = Callable[..., TestClient]
PROBLEM_KEYS = {"type", "title", "status", "detail"}


def assert_problem(response: Any, status: int, *fragments: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body.keys() >= PROBLEM_KEYS and body["status"] == status
    assert body["type"].startswith("urn:newsqa:problem:"), body  # one scheme, plain HTTP errors (401, 405) included
    assert body["instance"] and body["request_id"] == response.headers["x-request-id"]
    for fragment in fragments:
        assert fragment.lower() in body["detail"].lower(), body
    return body


@pytest.fixture(autouse=True)
def _no_auth_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QA_API_KEYS", raising=False)
    monkeypatch.delenv("QA_CORS_ORIGINS", raising=False)


@pytest.fixture
def client(api_client: MakeClient) -> TestClient:
    return api_client()


@pytest.fixture
def limited(api_client: MakeClient, limited_service: NewsQA) -> TestClient:
    return api_client(limited_service)


def article(aid: str, body: str = "The council met on Tuesday. It approved the budget.", **extra: Any) -> dict:
    return {"id": aid, "title": f"Title {aid}", "body": body, **extra}


def sse_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


# --- health and schema ------------------------------------------------------------------------------------
def test_health_and_ready(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and ready["articles"] >= 9 and ready["vectors"] >= ready["articles"]


def test_not_ready_before_the_service_is_loaded() -> None:
    app = create_app(Settings(data_dir="/nonexistent-never-created"))  # no lifespan run: nothing loaded
    c = TestClient(app, raise_server_exceptions=False)
    assert c.get("/healthz").status_code == 200
    assert_problem(c.get("/readyz"), 503, "loading")
    assert_problem(c.get("/v1/articles"), 503, "loading")


def test_openapi_documents_errors_as_problem_json(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    assert {
        "/v1/articles",
        "/v1/articles:upload",
        "/v1/articles/{article_id}",
        "/v1/ask",
        "/v1/briefings",
        "/v1/search",
        "/healthz",
        "/readyz",
    } <= paths.keys()
    for path, item in paths.items():
        # The OpenAI-compatible routes answer errors in OpenAI's shape, every other route in problem+json.
        openai = path in ("/v1/models", "/v1/models/{model}", "/v1/chat/completions")
        for method, op in item.items():
            for code, resp in op["responses"].items():
                if int(code) >= 400:
                    expected = ["application/json"] if openai else ["application/problem+json"]
                    assert list(resp["content"]) == expected, (path, method, code)
                    if openai:
                        assert resp["content"]["application/json"]["schema"]["$ref"].endswith("/OpenAIError")
    assert paths["/v1/ask"]["post"]["responses"]["200"]["content"].keys() == {"application/json", "text/event-stream"}
    ask_req = schema["components"]["schemas"]["AskRequest"]
    assert ask_req["examples"] and ask_req["properties"]["question"]["maxLength"] == 2000
    assert "securitySchemes" not in schema.get("components", {})  # auth is off here


# --- errors -------------------------------------------------------------------------------------------------
def test_malformed_json_is_400(client: TestClient) -> None:
    r = client.post("/v1/search", content=b'{"question": ', headers={"content-type": "application/json"})
    assert_problem(r, 400, "not valid JSON")


def test_deeply_nested_json_is_400(client: TestClient) -> None:
    r = client.post("/v1/ask", content=b"[" * 200_000, headers={"content-type": "application/json"})
    assert_problem(r, 400, "nested too deeply")
    deep = b'{"question": "x", "filters": ' + b'{"source": ' * 5000 + b'"a"' + b"}" * 5001
    assert client.post("/v1/ask", content=deep, headers={"content-type": "application/json"}).status_code in (400, 422)


def test_missing_and_empty_fields_are_422_with_field_errors(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/search", json={}), 422, "body.question", "required")
    assert body["errors"] == [{"loc": ["body", "question"], "msg": "Field required", "type": "missing"}]
    assert_problem(client.post("/v1/ask", json={"question": ""}), 422, "at least 1 character")
    assert_problem(client.post("/v1/ask", json={"question": " \t\x1c "}), 422, "body.question: must not be blank")
    # The schema's pattern means the same in every regex dialect (no \s, whose ECMA-262 meaning, the one JSON
    # Schema uses, left "\x85\x85" valid to the fuzzer) and names exactly what Python counts as whitespace.
    assert re.search(r"\\[sSdDwW]", NOT_BLANK) is None
    for c in map(chr, range(0x10000)):
        assert (re.fullmatch(NOT_BLANK, c) is None) == c.isspace(), hex(ord(c))
    for space in ("\x85", "\u2028", "\u3000"):
        assert_problem(client.post("/v1/ask", json={"question": space * 2}), 422, "must not be blank")
    assert_problem(client.post("/v1/briefings", json={}), 422, "article_ids or a topic")
    assert_problem(client.post("/v1/articles", json={"title": "no body"}), 422, "body.article.body")
    assert_problem(client.post("/v1/ask", json={"question": "q", "k": 0}), 422, "body.k")
    for not_a_count in (True, "8", 2.5):  # JSON Schema integers only (1.0 is one)
        assert_problem(client.post("/v1/search", json={"question": "q", "k": not_a_count}), 422, "body.k")
    assert client.post("/v1/search", json={"question": "q", "k": 2.0}).status_code == 200
    assert_problem(client.post("/v1/ask", json={"question": "q", "stream": 1}), 422, "body.stream")
    assert_problem(client.post("/v1/ask", json={"question": "q", "questoin": 1}), 422, "extra inputs")
    assert_problem(client.post("/v1/search", json={"question": "q", "today": "yesterday"}), 422, "body.today")
    assert_problem(client.get("/v1/articles", params={"since": "2025-13-01"}), 422, "query.since")


def test_input_text_is_never_echoed_in_errors(client: TestClient) -> None:
    secret = "CONFIDENTIAL-" + "x" * 20
    body = assert_problem(client.post("/v1/articles", json={"body": secret, "authors": "not-a-list"}), 422)
    assert secret not in json.dumps(body)


def test_non_utf8_json_body_is_422(client: TestClient) -> None:
    r = client.post("/v1/search", content=b'{"question": "caf\xe9"}', headers={"content-type": "application/json"})
    assert_problem(r, 422, "not valid UTF-8")


def test_unpaired_surrogate_is_422(client: TestClient) -> None:
    raw = b'{"id": "sur-1", "body": "text", "authors": ["\\udc00"]}'
    r = client.post("/v1/articles", content=raw, headers={"content-type": "application/json"})
    assert_problem(r, 422, "surrogate")
    assert client.get("/v1/articles/sur-1").status_code == 404


def test_question_over_the_limit_is_422(client: TestClient, limited: TestClient) -> None:
    body = assert_problem(client.post("/v1/search", json={"question": "x" * 2001}), 422, "at most 2000 characters")
    assert body["errors"][0]["loc"] == ["body", "question"]
    assert_problem(limited.post("/v1/ask", json={"question": "why " * 20}), 422, "at most 50 characters")
    assert_problem(limited.post("/v1/briefings", json={"topic": "t" * 51}), 422, "body.topic")
    assert (
        limited.get("/openapi.json").json()["components"]["schemas"]["AskRequest"]["properties"]["question"][
            "maxLength"
        ]
        == 50
    )


def test_llm_generator_not_configured_is_422(client: TestClient) -> None:
    body = assert_problem(client.post("/v1/ask", json={"question": "q", "generator": "llm"}), 422, "QA_LLM_BASE_URL")
    assert body["errors"][0]["loc"] == ["body", "generator"]
    assert_problem(client.post("/v1/briefings", json={"topic": "rail", "generator": "llm"}), 422, "body.generator")
    gen = client.get("/openapi.json").json()["components"]["schemas"]["AskRequest"]["properties"]["generator"]
    assert {"enum": ["extractive"], "type": "string"} in gen["anyOf"]


def test_article_over_the_limit_is_413(limited: TestClient) -> None:
    assert_problem(limited.post("/v1/articles", json=article("big-1", "word " * 200)), 413, "limit is 500")
    assert limited.get("/v1/articles/big-1").status_code == 404


def test_batch_over_the_limit_is_413_and_stores_nothing(limited: TestClient) -> None:
    batch = {"articles": [article(f"many-{i}") for i in range(4)]}
    assert_problem(limited.post("/v1/articles", json=batch), 413, "limit is 3")
    assert limited.get("/v1/articles/many-0").status_code == 404


def test_request_body_over_the_limit_is_413(limited: TestClient) -> None:
    big = {"articles": [article("huge", "word " * 1000)]}
    assert_problem(limited.post("/v1/articles", json=big), 413, "limit is 4000")

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted while streaming
        yield b'{"question": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = limited.post("/v1/search", content=chunks(), headers={"content-type": "application/json"})
    assert_problem(r, 413, "limit of 4000")


def test_upload_file_over_the_limit_is_413(limited: TestClient) -> None:
    r = limited.post("/v1/articles:upload", files=[("files", ("big.txt", b"word " * 2000, "text/plain"))])
    assert_problem(r, 413)


def test_unsupported_and_binary_uploads_are_415(client: TestClient) -> None:
    r = client.post("/v1/articles:upload", files=[("files", ("report.pdf", b"%PDF-1.4", "application/pdf"))])
    assert_problem(r, 415, "report.pdf", "unsupported file type .pdf")
    r = client.post("/v1/articles:upload", files=[("files", ("x.txt", b"abc\x00\x01def", "text/plain"))])
    assert_problem(r, 415, "binary")
    r = client.post("/v1/articles:upload", files=[("files", ("", b"text", "text/plain"))])
    assert r.status_code in (415, 422)


def test_non_utf8_upload_is_decoded_and_undecodable_text_is_422(client: TestClient) -> None:
    text = "Café Lune reopened on Monday after a fire. Its owner said the kitchen was rebuilt in six weeks."
    r = client.post("/v1/articles:upload", files=[("files", ("latin1.txt", text.encode("latin-1")))])
    assert r.status_code == 201 and r.json()["items"][0]["encoding"], r.text
    assert client.get(f"/v1/articles/{r.json()['items'][0]['article_id']}").json()["body"] == text
    bad = b"\xff\xfe" + "The dam".encode("utf-16-le") + b"\x00\xd8"  # UTF-16 with a lone surrogate
    assert_problem(client.post("/v1/articles:upload", files=[("files", ("bad.txt", bad))]), 422, "bad.txt")


def test_upload_without_files_is_422(client: TestClient) -> None:
    assert_problem(client.post("/v1/articles:upload", data={"x": "1"}), 422, "files")


def test_unknown_article_is_404(client: TestClient) -> None:
    assert_problem(client.get("/v1/articles/no-such-id"), 404, "no-such-id")
    assert_problem(client.delete("/v1/articles/no-such-id"), 404, "no-such-id")


def test_unknown_route_and_method_are_problem_json(client: TestClient) -> None:
    assert_problem(client.get("/v1/nothing-here"), 404, "no route")
    r = client.get("/v1/ask")
    assert_problem(r, 405, "not allowed")
    assert "POST" in r.headers["allow"]
    assert_problem(client.put("/v1/articles/x"), 405)


def test_unexpected_exception_is_a_500_that_leaks_nothing(caplog: pytest.LogCaptureFixture, tmp_path: Any) -> None:
    class Broken:
        settings = Settings(data_dir=tmp_path)

        def list_articles(self, *args: Any, **kwargs: Any) -> Any:
            raise RuntimeError("db password is hunter2")

    c = TestClient(create_app(service=Broken()), raise_server_exceptions=False)  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, logger="api"):
        r = c.get("/v1/articles")
    body = assert_problem(r, 500)
    assert "hunter2" not in r.text and body["type"].endswith("internal-error")
    assert any(rec.levelno == logging.ERROR and rec.exc_info for rec in caplog.records)  # logged, with traceback


# --- all-or-nothing ------------------------------------------------------------------------------------------
def test_batch_with_one_invalid_article_stores_nothing(client: TestClient) -> None:
    batch = {"articles": [article("aon-good"), article("aon-bad", " \n ")]}
    assert_problem(client.post("/v1/articles", json=batch), 422, "article 1", "empty")
    assert client.get("/v1/articles/aon-good").status_code == 404


def test_upload_with_one_bad_file_stores_nothing(client: TestClient) -> None:
    files = [
        ("files", ("good.md", b"# Good upload\n\nId: upl-good\n\nThe mayor opened the bridge on Friday.")),
        ("files", ("bad.jsonl", b'{"id": "upl-bad", "body": "fine"}\n{"id": "upl-worse"}\n')),
    ]
    assert_problem(client.post("/v1/articles:upload", files=files), 422, "bad.jsonl")
    assert client.get("/v1/articles/upl-good").status_code == 404
    assert client.get("/v1/articles/upl-bad").status_code == 404


# --- articles ------------------------------------------------------------------------------------------------
def test_article_lifecycle(client: TestClient) -> None:
    one = article(
        "life-1", "The ferry service resumed on Monday after repairs.", source="Test Wire", published_at="2030-01-02"
    )
    r = client.post("/v1/articles", json=one)
    assert r.status_code == 201
    assert r.json()["added"] == 1 and r.json()["items"][0]["article_id"] == "life-1"
    again = client.post("/v1/articles", json={"articles": [one]}).json()
    assert again["unchanged"] == 1 and again["added"] == 0
    got = client.get("/v1/articles/life-1").json()
    assert got["body"] == "The ferry service resumed on Monday after repairs." and got["source"] == "Test Wire"
    page = client.get("/v1/articles", params={"source": "Test Wire", "since": "2030-01-01"}).json()
    assert [a["id"] for a in page["items"]] == ["life-1"] and page["total"] == 1 and "body" not in page["items"][0]
    assert client.delete("/v1/articles/life-1").json() == {"deleted": "life-1"}
    assert client.get("/v1/articles/life-1").status_code == 404


def test_listing_pages(client: TestClient) -> None:
    first = client.get("/v1/articles", params={"limit": 2}).json()
    second = client.get("/v1/articles", params={"limit": 2, "offset": 2}).json()
    assert len(first["items"]) == 2 and first["total"] >= 9 and first["limit"] == 2
    assert {a["id"] for a in first["items"]}.isdisjoint(a["id"] for a in second["items"])
    dated = client.get("/v1/articles", params={"since": "2025-04-01", "until": "2025-04-30"}).json()["items"]
    assert dated and all("2025-04-01" <= a["published_at"] <= "2025-04-30" for a in dated)


RAIN = "Rain fell all week in the valley, and the river rose by a metre."


def test_upload_formats(client: TestClient) -> None:
    files = [
        ("files", ("a.txt", b"2030-02-01\n\nUpload text title\n\nThe tram line opened on Sunday.")),
        ("files", ("b.json", json.dumps({"articles": [{"id": "upl-json", "text": RAIN}]}).encode())),
        (
            "files",
            (
                "c.html",
                b"<html><body><article><h1>Html title</h1><p>The museum reopened after a long"
                b" renovation that took three years and cost the city a great deal of money.</p>"
                b"</article></body></html>",
            ),
        ),
    ]
    r = client.post("/v1/articles:upload", files=files)
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["added"] + report["updated"] + report["unchanged"] == 3
    assert client.get("/v1/articles/upl-json").json()["body"] == RAIN


# --- search, ask, briefings ----------------------------------------------------------------------------------
def test_search_shape(client: TestClient) -> None:
    hits = client.post("/v1/search", json={"question": "tidal barrier cost", "k": 3}).json()
    assert len(hits) == 3
    assert set(hits[0]) == {"article_id", "title", "chunk_index", "start", "end", "text", "score"}
    assert "Barrier" in hits[0]["title"] or "barrier" in hits[0]["text"]


def test_ask_json_is_grounded(client: TestClient) -> None:
    r = client.post("/v1/ask", json={"question": "Which company will build the Port Calder tidal barrier?"})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["answerable"] and "Kestrel" in answer["answer"] and answer["citations"]
    for cit in answer["citations"]:
        body = client.get(f"/v1/articles/{cit['article_id']}").json()["body"]
        assert body[cit["start"] : cit["end"]] == cit["quote"]


def test_ask_and_search_take_article_ids_like_briefings(client: TestClient) -> None:
    """filters.article_ids limits an answer or a search to given articles; an unknown id is a 404, as for briefings."""
    hits = client.post("/v1/search", json={"question": "tidal barrier", "k": 10}).json()
    other = hits[-1]["article_id"]
    assert other != hits[0]["article_id"]
    only = {"article_ids": [other]}
    limited = client.post("/v1/search", json={"question": "tidal barrier", "k": 10, "filters": only})
    assert limited.status_code == 200, limited.text
    assert {h["article_id"] for h in limited.json()} == {other}
    answer = client.post("/v1/ask", json={"question": "What about the tidal barrier?", "filters": only})
    assert answer.status_code == 200, answer.text
    assert {c["article_id"] for c in answer.json()["citations"]} <= {other}
    for route in ("/v1/ask", "/v1/search"):
        unknown = {"question": "tidal barrier?", "filters": {"article_ids": [other, "no-such-article"]}}
        assert_problem(client.post(route, json=unknown), 404, "no-such-article")
        assert_problem(client.post(route, json={"question": "q", "filters": {"article_ids": []}}), 422)


@pytest.mark.parametrize("how", ["accept", "flag"])
def test_ask_streams_sse(client: TestClient, how: str) -> None:
    question = {"question": "How did the Port Calder city council vote on the tidal barrier?"}
    if how == "flag":
        r = client.post("/v1/ask", json={**question, "stream": True})
    else:
        r = client.post("/v1/ask", json=question, headers={"accept": "text/event-stream"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = sse_events(r.text)
    names = [n for n, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) <= {"delta"} and "delta" in names
    final = events[-1][1]
    assert final["citations"] and all("supported" in s for s in final["sentences"])
    assert "".join(d["text"] for n, d in events if n == "delta").strip()


def test_ask_stream_validates_before_streaming(client: TestClient) -> None:
    assert_problem(client.post("/v1/ask", json={"question": "x" * 2001, "stream": True}), 422)
    assert_problem(client.post("/v1/ask", json={"question": "q", "stream": True, "filters": {"x": 1}}), 422)


def test_ask_stream_reports_a_late_failure_as_an_error_event(api_client: MakeClient, demo_service: NewsQA) -> None:
    from qa.errors import LLMUnavailable

    class Flaky:
        settings = demo_service.settings

        def check_question(self, question: str) -> None:
            pass

        def ask_stream(self, question: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
            yield {"event": "delta", "data": {"text": "Partial "}}
            raise LLMUnavailable("the LLM endpoint stopped answering")

    c = TestClient(create_app(service=Flaky()), raise_server_exceptions=False)  # type: ignore[arg-type]
    events = sse_events(c.post("/v1/ask", json={"question": "q", "stream": True}).text)
    assert events[0] == ("delta", {"text": "Partial "})
    assert events[-1][0] == "error" and events[-1][1]["status"] == 503


def test_briefing_by_ids_and_unknown_id(client: TestClient) -> None:
    ids = [a["id"] for a in client.get("/v1/articles", params={"source": "Harbor Ledger"}).json()["items"]]
    assert ids
    r = client.post("/v1/briefings", json={"article_ids": ids})
    assert r.status_code == 200, r.text
    brief = r.json()
    assert brief["bullets"] and all(b["citations"] for b in brief["bullets"])
    assert_problem(client.post("/v1/briefings", json={"article_ids": ["no-such-article"]}), 404, "no-such-article")


def test_briefing_by_topic(client: TestClient) -> None:
    r = client.post("/v1/briefings", json={"topic": "Northvale rail strike", "since": "2025-03-01"})
    assert r.status_code == 200, r.text
    assert r.json()["bullets"]


@pytest.mark.parametrize("topic", ["zzzqqqxx", "?", "volcanic ash over the northern islands"])
def test_briefing_on_a_topic_nothing_matches_is_404(client: TestClient, topic: str) -> None:
    assert_problem(client.post("/v1/briefings", json={"topic": topic}), 404, "no articles match")


# --- auth, CORS, request ids, logging --------------------------------------------------------------------------
def test_auth_on(api_client: MakeClient) -> None:
    c = api_client(api_keys="key-one,key-two")
    r = c.get("/v1/articles")
    assert_problem(r, 401, "missing API key")
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert_problem(c.get("/v1/articles", headers={"Authorization": "Bearer wrong"}), 401, "invalid API key")
    assert_problem(c.get("/v1/articles", headers={"Authorization": "Basic a2V5LW9uZTo="}), 401)
    assert_problem(c.post("/v1/search", json={"question": "q"}), 401)
    assert c.get("/v1/articles", headers={"Authorization": "Bearer key-two"}).status_code == 200
    assert c.get("/v1/articles", headers={"Authorization": "bearer key-one"}).status_code == 200
    assert c.get("/healthz").status_code == 200 and c.get("/readyz").status_code == 200
    schema = c.get("/openapi.json").json()
    assert "HTTPBearer" in schema["components"]["securitySchemes"]


def test_auth_off_by_default(client: TestClient) -> None:
    assert client.get("/v1/articles").status_code == 200


def test_key_compare() -> None:
    assert key_matches("b", ["a", "b"]) and not key_matches("c", ["a", "b"]) and not key_matches("", ["a"])


def test_cors_off_by_default_and_configurable(client: TestClient, api_client: MakeClient) -> None:
    origin = {"Origin": "https://app.example"}
    assert "access-control-allow-origin" not in client.get("/v1/articles", headers=origin).headers
    c = api_client(cors_origins="https://app.example", api_keys="k")
    pre = c.options(
        "/v1/ask",
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type",
        },
    )
    assert pre.status_code == 200 and pre.headers["access-control-allow-origin"] == "https://app.example"
    r = c.get("/v1/articles", headers={**origin, "Authorization": "Bearer k"})
    assert r.headers["access-control-allow-origin"] == "https://app.example"
    other = c.get("/v1/articles", headers={"Origin": "https://evil.example", "Authorization": "Bearer k"})
    assert "access-control-allow-origin" not in other.headers


def test_request_id_header(client: TestClient) -> None:
    assert len(client.get("/healthz").headers["x-request-id"]) == 32
    assert client.get("/healthz", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"] == "abc-123"
    assert client.get("/healthz", headers={"X-Request-ID": "bad id\n"}).headers["x-request-id"] != "bad id\n"


def test_logs_hold_no_article_text_or_keys(api_client: MakeClient, caplog: pytest.LogCaptureFixture) -> None:
    c = api_client(api_keys="sekrit-key-123")
    marker = "ZEBRA-MARKER-TEXT"
    with caplog.at_level(logging.DEBUG):
        c.post(
            "/v1/articles",
            json=article("log-1", f"{marker} appeared in town."),
            headers={"Authorization": "Bearer sekrit-key-123"},
        )
        c.post("/v1/search", json={"question": marker}, headers={"Authorization": "Bearer sekrit-key-123"})
        c.get("/v1/articles", headers={"Authorization": "Bearer wrong-key-456"})
    text = "\n".join(r.getMessage() + json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert marker not in text and "sekrit-key-123" not in text and "wrong-key-456" not in text
    access = [r for r in caplog.records if r.name == "api.access"]
    assert any(getattr(r, "status", None) == 201 for r in access)


def test_json_log_format() -> None:
    from api.log import JsonFormatter, RequestIdFilter

    record = logging.LogRecord("api.access", logging.INFO, __file__, 1, "GET %s", ("/x",), None)
    record.status = 200
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "GET /x" and line["status"] == 200 and line["request_id"] == "-"
