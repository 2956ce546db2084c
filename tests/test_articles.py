"""Parsing and cleaning of every supported format."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from qa.articles import article_id_for, clean_body, normalize_record, parse_bytes, parse_date, record_from_mapping
from qa.errors import InvalidInput, UnsupportedType
from tests.paths import DEMO_ARTICLES, EXAMPLE_ARTICLE, need_shared


def test_plain_text_date_and_title_lines_and_boilerplate_removed() -> None:
    need_shared(EXAMPLE_ARTICLE)
    [rec] = parse_bytes(EXAMPLE_ARTICLE.read_bytes(), EXAMPLE_ARTICLE.name)
    assert rec.published_at == dt.date(2024, 4, 21)
    title, body = normalize_record(rec)
    assert title == "Diplomacy Appears Stalled With North Korea, Despite Trump’s Declarations"
    assert body.startswith("WASHINGTON — The goal of a diplomatic meeting")
    assert body.endswith("mostly because of a trade war that Mr. Trump started.")
    assert "Read Full Article" not in body and "Related Posts" not in body


def test_boilerplate_lines_go_but_article_sentences_stay() -> None:
    raw = (
        "The council voted 7 to 4.\nShare on Facebook\nSign up for our newsletter to get updates\n"
        "Advertisement\nShe said the share of voters who sign up was high.\n\nRelated Posts\nOther story"
    )
    body = clean_body(raw)
    assert body.splitlines() == ["The council voted 7 to 4.", "She said the share of voters who sign up was high."]


def test_html_extraction_drops_page_furniture() -> None:
    html = DEMO_ARTICLES / "flood-barrier-construction.html"
    [rec] = parse_bytes(html.read_bytes(), html.name)
    title, body = normalize_record(rec)
    assert "Tidal Barrier" in title
    assert rec.published_at is not None
    for furniture in ("Share on Facebook", "newsletter", "Related Posts", "alert(", "function("):
        assert furniture not in body, furniture
    assert len(body) > 800


def test_markdown_metadata_lines() -> None:
    md = DEMO_ARTICLES / "flood-barrier-overrun.md"
    [rec] = parse_bytes(md.read_bytes(), md.name)
    assert rec.title and rec.published_at and rec.source
    assert "Published:" not in rec.body and not rec.body.lstrip().startswith("#")


def test_jsonl_and_realtimeqa_field_names() -> None:
    [rec] = parse_bytes((DEMO_ARTICLES / "wire.jsonl").read_bytes(), "wire.jsonl")
    assert rec.id == "mw-20250408-voltmere-recall" and rec.published_at == dt.date(2025, 4, 8)
    rtqa = {
        "id": "x-1",
        "title": "t",
        "source": "CNN",
        "published_at": "2022-07-12T10:00:00Z",
        "url": "https://example.com/a",
        "authors": ["A B"],
        "body": "Text here.",
    }
    rec = record_from_mapping(rtqa)
    assert (rec.id, rec.source, rec.published_at, rec.authors) == ("x-1", "CNN", dt.date(2022, 7, 12), ["A B"])
    alt = record_from_mapping({"headline": "H", "text": "Body.", "date": "March 4, 2025", "author": "X and Y"})
    assert (alt.title, alt.body, alt.published_at, alt.authors) == ("H", "Body.", dt.date(2025, 3, 4), ["X", "Y"])


def test_json_list_and_wrapper_object() -> None:
    data = json.dumps({"articles": [{"body": "One."}, {"body": "Two."}]}).encode()
    assert [r.body for r in parse_bytes(data, "a.json")] == ["One.", "Two."]


@pytest.mark.parametrize(
    ("data", "name", "error"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", "x.txt", UnsupportedType),
        (b"\xff\xfe\x00\xd8", "x.txt", InvalidInput),  # a UTF-16 byte-order mark, then a lone surrogate
        (b"hello", "x.pdf", UnsupportedType),
        (b"{not json", "x.json", InvalidInput),
        (b'{"title": "no body"}', "x.json", InvalidInput),
        (b"[" * 100_000 + b"]" * 100_000, "x.json", InvalidInput),
    ],
)
def test_bad_files_raise_typed_errors(data: bytes, name: str, error: type[Exception]) -> None:
    with pytest.raises(error):
        parse_bytes(data, name)


def test_ids_are_stable_and_prefer_given_then_url() -> None:
    a = record_from_mapping({"body": "Same text."})
    b = record_from_mapping({"body": "Same text."})
    assert article_id_for(a) == article_id_for(b)
    assert article_id_for(record_from_mapping({"id": "given", "body": "x"})) == "given"
    u1 = record_from_mapping({"url": "https://example.com/s", "body": "v1"})
    u2 = record_from_mapping({"url": "https://example.com/s", "body": "v2"})
    assert article_id_for(u1) == article_id_for(u2)


def test_parse_date_formats() -> None:
    assert parse_date("Sunday, 21 Apr 2024") == dt.date(2024, 4, 21)
    assert parse_date("2023-09-26T17:01:22+00:00") == dt.date(2023, 9, 26)
    assert parse_date("Sept 5, 2022") == dt.date(2022, 9, 5)
    assert parse_date("not a date") is None
