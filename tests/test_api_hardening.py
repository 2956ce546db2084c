"""What a client can make the server do with crafted requests: forge log lines, get a redirect built from its own
Host header, store fields of any size."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.log import configure_logging
from qa.config import Settings
from qa.models import MAX_AUTHOR_CHARS, MAX_AUTHORS, MAX_ID_CHARS, MAX_SOURCE_CHARS, MAX_TITLE_CHARS, MAX_URL_CHARS
from qa.service import NewsQA

MakeClient = Any

FORGING_PATHS = [
    "/v1/x%0a2026-01-01 00:00:00,000 INFO api.access [-] GET /admin 200",
    "/v1/x%0d%0aFORGED",
    "/v1/x%1b[2J%1b[31mred",
    "/v1/x%c2%85next%e2%80%a8line",
]


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """A buffer for the handler ``configure_logging`` installs; the test's logging is put back after."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level, logging.getLogger("uvicorn.access").disabled)
    yield io.StringIO()
    root.handlers[:], level, logging.getLogger("uvicorn.access").disabled = saved
    root.setLevel(level)


@pytest.mark.parametrize("log_json", [False, True], ids=["text", "json"])
def test_control_characters_in_a_path_cannot_forge_log_lines(
    api_client: MakeClient, demo_service: NewsQA, log_stream: io.StringIO, log_json: bool
) -> None:
    client: TestClient = api_client(api_keys="k1")
    configure_logging(Settings(data_dir=demo_service.settings.data_dir, log_json=log_json))
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(log_stream)
    for path in FORGING_PATHS:
        assert client.get(path).status_code in (401, 404)
    logging.getLogger("api").error("boom", exc_info=ValueError("message\nFORGED line"))
    lines = log_stream.getvalue().split("\n")[:-1]
    assert len(lines) >= len(FORGING_PATHS) + 2
    for line in lines:
        assert not re.search(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", line), repr(line)
    if log_json:
        records = [json.loads(line) for line in lines]
        # Decoded (as a viewer prints them), the strings hold no control characters either; only a traceback keeps
        # its line breaks, each followed by an indent.
        decoded = "".join(str(v) for r in records for v in r.values()).replace("\n    ", "")
        assert not re.search(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", decoded), decoded
        assert sum(r["logger"] == "api.access" and "/v1/x" in r["path"] for r in records) == len(FORGING_PATHS)
    else:
        # Every line is a record of its own (timestamp first) or an indented traceback line.
        assert all(re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ", x) or x.startswith("    ") for x in lines)
        assert sum(" api.access " in line and "/v1/x" in line for line in lines) == len(FORGING_PATHS)
        assert "\\n2026-01-01" in log_stream.getvalue() and "\\x1b[2J" in log_stream.getvalue()


def test_no_redirect_built_from_the_host_header(api_client: MakeClient) -> None:
    client: TestClient = api_client(api_keys="k1")
    for path in ("/v1/articles/", "/v1/ask/", "/healthz/"):
        r = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert r.status_code == 404, (path, r.status_code, r.headers.get("location"))
        assert "location" not in r.headers
        assert r.headers["content-type"] == "application/problem+json"


OVERSIZED = {
    "title": "T" * (MAX_TITLE_CHARS + 1),
    "url": "https://example.com/" + "a" * MAX_URL_CHARS,
    "source": "S" * (MAX_SOURCE_CHARS + 1),
    "authors": ["A" * (MAX_AUTHOR_CHARS + 1)],
    "id": "i" * (MAX_ID_CHARS + 1),
}


@pytest.mark.parametrize("field", [*sorted(OVERSIZED), "authors-count"])
def test_every_article_field_is_bounded(api_client: MakeClient, field: str) -> None:
    client: TestClient = api_client()
    body = "The ferry to Lantern Bay ran late on Friday. Harbour staff blamed the wind."
    value = [f"Author {n}" for n in range(MAX_AUTHORS + 1)] if field == "authors-count" else OVERSIZED[field]
    name = field.split("-")[0]
    r = client.post("/v1/articles", json={"body": body, name: value})
    assert r.status_code == 422, r.text
    assert [e["loc"][-2 if name == "authors" and field != "authors-count" else -1] for e in r.json()["errors"]] == [
        name
    ], r.json()["errors"]
    # The same record in an uploaded file is refused too, naming the field.
    upload = json.dumps({"body": body, name: value}).encode()
    r = client.post("/v1/articles:upload", files=[("files", ("big.json", upload, "application/json"))])
    assert r.status_code == 422 and name in r.json()["detail"], r.text


def test_the_schema_states_the_bounds(api_client: MakeClient) -> None:
    client: TestClient = api_client(max_article_chars=12345)
    props = client.get("/openapi.json").json()["components"]["schemas"]["ArticleCreate"]["properties"]

    def bound(prop: dict[str, Any], key: str) -> Any:
        return next(b[key] for b in prop.get("anyOf", [prop]) if key in b)

    assert bound(props["title"], "maxLength") == MAX_TITLE_CHARS
    assert bound(props["url"], "maxLength") == MAX_URL_CHARS
    assert bound(props["source"], "maxLength") == MAX_SOURCE_CHARS
    assert bound(props["id"], "maxLength") == MAX_ID_CHARS
    assert props["authors"]["maxItems"] == MAX_AUTHORS and props["authors"]["items"]["maxLength"] == MAX_AUTHOR_CHARS
    assert props["body"]["maxLength"] == 12345


def test_a_long_title_does_not_crowd_the_chunk_out_of_its_embedding() -> None:
    from qa.service import EMBEDDED_TITLE_WORDS, embedding_text

    title = " ".join(["Harbour"] * 80)
    text = embedding_text(title, "The ferry ran late.")
    assert text.endswith("\n\nThe ferry ran late.") and len(text.split()) == EMBEDDED_TITLE_WORDS + 4
    assert embedding_text("Ferry delays", "The ferry ran late.") == "Ferry delays\n\nThe ferry ran late."
