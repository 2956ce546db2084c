"""No upload body can make ingest fail with anything but a 4xx: property-based tests over every parser.

Each example is a file body for one supported suffix — random bytes, random text, and structured bodies built from
the fields each format knows (JSON records with every field alias and any JSON value, Markdown key lines, HTML
tags) with the hostile pieces mixed in: lone surrogate escapes, deep nesting, 5,000-digit integers, ``id: ../x``.
Parsing, cleaning, hashing and chunking must either work or raise a :class:`qa.errors.QAError` with a 4xx status.
The whole file runs in well under 60 s (it runs in CI).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from qa.articles import SUPPORTED_SUFFIXES, parse_bytes
from qa.chunking import chunk_text
from qa.config import Settings
from qa.errors import QAError
from qa.service import NewsQA

FUZZ = settings(max_examples=100, deadline=None, database=None, suppress_health_check=list(HealthCheck))

FIELD_NAMES = [
    *("id", "article_id", "doc_id", "title", "headline", "body", "text", "content", "article", "maintext"),
    *("published_at", "published", "date", "publish_date", "pub_date", "source", "outlet", "url", "link"),
    *("authors", "author", "byline", "articles"),
]
HOSTILE_JSON = [
    '"\\ud800"',  # a lone surrogate escape
    '"text \\udfff end"',
    "1" * 5000,  # longer than Python's int-to-string limit
    "[" * 5000 + "]" * 5000,  # deeper than the recursion limit
    '{"a":' * 3000 + "1" + "}" * 3000,
    "1e999",
    "-0",
    "null",
]
MD_KEYS = ["published", "date", "source", "url", "authors", "author", "by", "id", "title", "Id", "URL"]
HOSTILE_VALUES = ["../x", "..", "/etc/passwd", "a" * 600, "\u202e", "\x00", "2025-13-45", "Sunday, 31 Feb 2024", ""]
HTML_TAGS = ["p", "div", "article", "title", "h1", "a", "nav", "footer", "script", "meta", "link", "time", "span"]


@pytest.fixture(scope="module")
def svc(demo_service: NewsQA, tmp_path_factory: pytest.TempPathFactory) -> NewsQA:
    service = NewsQA(Settings(data_dir=tmp_path_factory.mktemp("fuzz")), embedder=demo_service.embedder)
    yield service
    service.close()


def ingest_or_4xx(svc: NewsQA, data: bytes, name: str) -> None:
    """What an upload does before embedding: parse, clean and hash each record, chunk its body."""
    try:
        for record in parse_bytes(data, name):
            article = svc.prepare(record)
            chunk_text(article.id, article.body, svc.settings.chunk_tokens, svc.settings.chunk_overlap_tokens)
    except QAError as exc:
        assert 400 <= exc.status < 500, (type(exc).__name__, exc.detail)


# --- strategies ---------------------------------------------------------------------------------------------------
texts = st.text(max_size=300)
json_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), texts)
json_values = st.recursive(
    json_scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4), max_leaves=12
)


@st.composite
def json_record(draw: Any) -> str:
    """A JSON object with known field names; some values replaced by hostile raw JSON."""
    keys = draw(st.lists(st.sampled_from(FIELD_NAMES) | texts, max_size=8, unique=True))
    parts = []
    for key in keys:
        if draw(st.booleans()) and draw(st.booleans()):
            value = draw(st.sampled_from(HOSTILE_JSON))
        else:
            value = json.dumps(draw(json_values), ensure_ascii=draw(st.booleans()))
        parts.append(f"{json.dumps(key)}: {value}")
    return "{" + ", ".join(parts) + "}"


@st.composite
def json_body(draw: Any) -> tuple[bytes, str]:
    records = draw(st.lists(json_record() | st.sampled_from(HOSTILE_JSON), min_size=1, max_size=4))
    shape = draw(st.sampled_from(["jsonl", "list", "wrapped", "one"]))
    if shape == "jsonl":
        return "\n".join(records).encode(), "a.jsonl"
    if shape == "list":
        return ("[" + ",".join(records) + "]").encode(), "a.json"
    if shape == "wrapped":
        return ('{"articles": [' + ",".join(records) + "]}").encode(), "a.json"
    return records[0].encode(), "a.json"


HOSTILE_YAML = [
    "title: [unclosed",
    "- a\n- list",
    "a: &x [1, 2]\nb: [*x, *x, *x]",
    "title: !!python/object/apply:os.system [echo]",
    "id: " + "9" * 5000,
    "title: " + "[" * 2000 + "]" * 2000,
    "date: 2025-02-30",
    "authors: {a: 1}",
    "url: 12",
    "\t: bad indent",
]


@st.composite
def front_matter(draw: Any) -> str:
    keys = ["title", "date", "published", "source", "url", "canonical_url", "authors", "author", "id", "tags"]
    lines = [f"{k}: {json.dumps(draw(json_values))}" for k in draw(st.lists(st.sampled_from(keys), max_size=6))]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(HOSTILE_YAML)))
    return "---\n" + "\n".join(lines) + "\n---\n"


@st.composite
def markdown_body(draw: Any) -> bytes:
    lines = [draw(front_matter())] if draw(st.booleans()) else []
    if draw(st.booleans()):
        lines.append("# " + draw(texts | st.sampled_from(HOSTILE_VALUES)))
    for key in draw(st.lists(st.sampled_from(MD_KEYS), max_size=6)):
        lines.append(f"{key}: {draw(st.sampled_from(HOSTILE_VALUES) | texts)}")
    lines.extend(draw(st.lists(texts, max_size=6)))
    return "\n".join(lines).encode("utf-8", "surrogatepass")


@st.composite
def html_body(draw: Any) -> bytes:
    def node(depth: int) -> str:
        tag = draw(st.sampled_from(HTML_TAGS))
        attrs = ""
        if tag in ("a", "link", "meta"):
            name = draw(st.sampled_from(["href", "rel", "content", "name", "property"]))
            attrs = f' {name}="{draw(texts)}"'
        inner = draw(texts) if depth > 2 or draw(st.booleans()) else "".join(node(depth + 1) for _ in range(2))
        return f"<{tag}{attrs}>{inner}</{tag}>"

    return ("<html><head>" + node(0) + "</head><body>" + node(0) + node(0) + "</body></html>").encode(
        "utf-8", "surrogatepass"
    )


# --- properties ---------------------------------------------------------------------------------------------------
@FUZZ
@given(data=st.binary(max_size=3000), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_any_bytes(svc: NewsQA, data: bytes, suffix: str) -> None:
    ingest_or_4xx(svc, data, f"upload{suffix}")


@FUZZ
@given(text=st.text(max_size=3000), suffix=st.sampled_from(SUPPORTED_SUFFIXES))
def test_any_text(svc: NewsQA, text: str, suffix: str) -> None:
    ingest_or_4xx(svc, text.encode("utf-8"), f"upload{suffix}")


@FUZZ
@given(body=json_body())
@example(body=(b'{"body": "ok text", "title": "t\\ud800"}', "a.json"))
@example(body=(b'{"body": "text", "authors": ["a\\udc00"]}', "a.jsonl"))
@example(body=(b'{"body": "x"}\n' + b"[" * 100_000 + b"]" * 100_000, "a.jsonl"))
@example(body=(b'{"body": "x", "id": ' + b"7" * 5000 + b"}", "a.json"))
def test_json_records(svc: NewsQA, body: tuple[bytes, str]) -> None:
    ingest_or_4xx(svc, *body)


@FUZZ
@given(body=markdown_body())
@example(body=b"# Title\nid: ../x\n\nThe council met on Tuesday.")
@example(body=b"---\nid: ../x\n---\nThe council met on Tuesday.")
@example(body=b"---\nid: " + b"9" * 5000 + b"\ndate: 2025-02-30\n---\nThe council met on Tuesday.")
@example(body=b"---\ndate: 2025-02-30\n---\nThe council met on Tuesday.")
@example(body=b"---\na: &a [1]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nauthors: [*c, *c]\n---\nText.")
def test_markdown(svc: NewsQA, body: bytes) -> None:
    ingest_or_4xx(svc, body, "a.md")


@FUZZ
@given(body=html_body())
def test_html(svc: NewsQA, body: bytes) -> None:
    ingest_or_4xx(svc, body, "a.html")


# --- the four bodies of the report, through the HTTP upload: 422, and nothing stored ------------------------------
REPORTED = {
    "surrogate.json": b'{"title": "Dam \\ud800", "body": "The dam opened on Monday."}',
    "surrogate.jsonl": b'{"body": "The dam opened on Monday.", "authors": ["\\udc00"]}',
    "deep.jsonl": b"[" * 50_000 + b"]" * 50_000,
    "digits.json": b'{"body": "The dam opened on Monday.", "words": ' + b"9" * 5000 + b"}",
    "traversal.md": b"# Dam opens\nid: ../x\n\nThe dam opened on Monday.",
}


@pytest.mark.parametrize("name", sorted(REPORTED))
def test_reported_uploads_are_422(api_client: Any, svc: NewsQA, tmp_path: Path, name: str) -> None:
    client: TestClient = api_client(svc)
    r = client.post("/v1/articles:upload", files=[("files", (name, REPORTED[name], "application/octet-stream"))])
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json" and name in r.json()["detail"]
    assert svc.store.count() == 0
