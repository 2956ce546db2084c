"""What ingest keeps and how it names things: pages that are not articles are skipped with a reason, no date is
invented, YAML front matter is metadata (not text), non-UTF-8 text is decoded and said so, and a new version of an
article (same canonical URL, or same source, title and date) updates it instead of adding a second one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from eval.fit_article_text import CHECK_DIR, check_pages, real_articles
from qa.article_text import THRESHOLD, model
from qa.articles import canonical_url, parse_bytes
from qa.config import Settings
from qa.errors import InvalidInput
from qa.service import NewsQA
from tests.paths import SHARED_DATA, need_shared

NAV_PAGE = b"""<!doctype html><html><head><title>Home</title></head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li>
<li><a href="/weather">Weather</a></li><li><a href="/contact">Contact us</a></li></ul></nav>
<main><h1>Home</h1><ul><li><a href="/a">Council budget vote</a></li><li><a href="/b">Storm warning</a></li></ul></main>
<footer>&copy; 2025 Lantern Bay Courier</footer></body></html>"""
PAYWALL_PAGE = b"""<!doctype html><html><head><title>Tidal barrier costs rise</title></head><body><article>
<h1>Tidal barrier costs rise</h1>
<p>Subscribe now for just $1 a week to keep reading.</p>
<p>Unlimited access to every story. Cancel anytime.</p>
<p>Already a subscriber? Sign in.</p></article></body></html>"""
ARTICLE_PAGE = b"""<!doctype html><html><head><title>Ferry timetable changes</title>
<link rel="canonical" href="https://bay-courier.example/news/ferry-timetable/?utm_source=newsletter">
</head><body><nav><a href="/">Home</a> <a href="/news">News</a></nav><article><h1>Ferry timetable changes</h1>
<p>The Lantern Bay ferry will add an evening crossing on weekdays from Monday, the operator said on Friday.</p>
<p>The 19:40 sailing will run until the end of October. Passengers had asked for a later boat for years.</p>
</article><footer>&copy; 2025 Lantern Bay Courier. All rights reserved.</footer></body></html>"""


@pytest.fixture(scope="module")
def svc(demo_service: NewsQA, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsQA]:
    service = NewsQA(Settings(data_dir=tmp_path_factory.mktemp("quality")), embedder=demo_service.embedder)
    yield service
    service.close()


@pytest.fixture
def client(api_client: Any, svc: NewsQA) -> TestClient:
    return api_client(svc)


def upload(client: TestClient, name: str, data: bytes) -> dict[str, Any]:
    r = client.post("/v1/articles:upload", files=[("files", (name, data, "application/octet-stream"))])
    assert r.status_code == 201, r.text
    return r.json()


# --- not article text ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "page"), [("nav.html", NAV_PAGE), ("paywall.html", PAYWALL_PAGE)])
def test_navigation_and_paywall_pages_are_skipped_with_a_reason(
    client: TestClient, svc: NewsQA, name: str, page: bytes
) -> None:
    before = svc.store.count()
    report = upload(client, name, page)
    assert report["added"] == 0 and report["skipped"] == 1, report
    item = report["items"][0]
    assert item["status"] == "skipped" and item["path"] == name and item["reason"].startswith("not article text")
    assert svc.store.count() == before


def test_a_json_batch_keeps_the_articles_and_skips_the_wall(client: TestClient, svc: NewsQA) -> None:
    article = {"id": "quality-ferry", "title": "Ferry", "body": "The ferry ran late on Friday. Passengers waited."}
    wall = {"id": "quality-wall", "title": "Ferry", "body": "Subscribe now for just $1 a week…"}
    r = client.post("/v1/articles", json={"articles": [article, wall]})
    assert r.status_code == 201, r.text
    assert (r.json()["added"], r.json()["skipped"]) == (1, 1)
    assert svc.store.get("quality-wall") is None and svc.store.get("quality-ferry") is not None


def test_the_model_on_pages_it_was_not_fitted_on() -> None:
    """The check pages (eval/data/article_text/check, written apart from the design pages): at most one wrong."""
    x, y, names, refused = check_pages()
    predicted = model().prob(x) >= THRESHOLD
    wrong = [n for n, p, t in zip(names, predicted, y == 1, strict=True) if p != t]
    wrong += [n for n in refused if n.startswith("article-")]
    assert len(names) + len(refused) == len(list(CHECK_DIR.iterdir())) >= 20
    assert len(wrong) <= 1, wrong


def test_real_news_articles_are_kept() -> None:
    need_shared(SHARED_DATA / "realtimeqa")
    x = real_articles(SHARED_DATA)
    assert len(x) > 300 and int((model().prob(x) < THRESHOLD).sum()) == 0


# --- dates --------------------------------------------------------------------------------------------------------
def test_a_copyright_footer_is_not_a_publication_date() -> None:
    (record,) = parse_bytes(ARTICLE_PAGE, "ferry.html")
    assert record.published_at is None
    dated = ARTICLE_PAGE.replace(b"<title>", b'<meta property="article:published_time" content="2025-06-02"><title>')
    assert parse_bytes(dated, "ferry.html")[0].published_at is not None


# --- front matter -------------------------------------------------------------------------------------------------
FRONT_MATTER_MD = b"""---
title: "Harbour: the dredging restarts"
date: 2025-04-02
source: Lantern Bay Courier
url: https://bay-courier.example/news/dredging/
authors: [Ada Kerr, Tom Vale]
id: courier-dredging
tags: [harbour, port]
---

# A heading inside the text

Dredging in the inner harbour restarted on Wednesday after a six-month pause.
"""


def test_yaml_front_matter_is_metadata_not_text() -> None:
    (record,) = parse_bytes(FRONT_MATTER_MD, "dredging.md")
    assert record.title == "Harbour: the dredging restarts" and str(record.published_at) == "2025-04-02"
    assert record.source == "Lantern Bay Courier" and record.authors == ["Ada Kerr", "Tom Vale"]
    assert record.id == "courier-dredging" and record.url == "https://bay-courier.example/news/dredging/"
    assert "---" not in record.body and "tags" not in record.body and "Dredging in the inner harbour" in record.body


@pytest.mark.parametrize(
    "front",
    ["title: [unclosed", "- just\n- a list", "title: !!python/object:os.system x", "id: ../x", "title: {a: 1}"],
)
def test_bad_front_matter_is_a_clear_422(front: str) -> None:
    with pytest.raises(InvalidInput):
        parse_bytes(f"---\n{front}\n---\nThe dam opened on Monday.".encode(), "bad.md")


# --- encodings ----------------------------------------------------------------------------------------------------
def test_a_windows_1252_text_file_is_decoded_and_the_encoding_reported(client: TestClient, svc: NewsQA) -> None:
    text = (
        "Café owner wins prize\n\n"
        "The owner of the Quayside Café, Zoë Marsh, won the county’s “best breakfast” award on Monday. "
        "She said the prize belonged to her staff, who start work at five o’clock every morning."
    )
    report = upload(client, "cafe.txt", text.encode("cp1252"))
    item = report["items"][0]
    # Windows-1252 and its Central European sibling 1250 agree on every byte used here: either is a right guess.
    assert item["status"] == "added" and item["encoding"] in ("cp1252", "cp1250"), item
    stored = svc.get_article(item["article_id"])
    assert "Zoë Marsh" in stored.body and "county’s “best breakfast”" in stored.body
    assert (
        upload(client, "utf8.txt", text.replace("Café owner", "Caf\u00e9 chef").encode())["items"][0]["encoding"]
        is None
    )


# --- identity -----------------------------------------------------------------------------------------------------
def test_canonical_urls() -> None:
    assert canonical_url("HTTPS://Bay-Courier.EXAMPLE:443/news/a/?utm_source=x&b=2&a=1#top") == (
        "https://bay-courier.example/news/a?a=1&b=2"
    )
    assert canonical_url("http://bay-courier.example:8080/") == "http://bay-courier.example:8080/"
    assert canonical_url("https://x.example/p?fbclid=abc&gclid=d") == "https://x.example/p"
    assert canonical_url("  ") is None and canonical_url("urn:isbn:123") == "urn:isbn:123"


def test_an_edited_reupload_updates_the_same_article(client: TestClient, svc: NewsQA) -> None:
    first = "Pier repairs begin\n\nEngineers began repairs to the west pier on Monday. The work will take a month."
    added = upload(client, "pier.txt", first.encode())["items"][0]
    assert added["status"] == "added"
    edited = first.replace("a month", "six weeks, the council said")
    again = upload(client, "pier.txt", edited.encode())["items"][0]
    assert (again["status"], again["article_id"]) == ("updated", added["article_id"])
    assert "six weeks" in svc.get_article(added["article_id"]).body
    assert upload(client, "pier.txt", edited.encode())["items"][0]["status"] == "unchanged"


def test_the_same_canonical_url_with_new_text_is_an_update(client: TestClient, svc: NewsQA) -> None:
    added = upload(client, "ferry.html", ARTICLE_PAGE)["items"][0]
    assert added["status"] == "added"
    stored = svc.get_article(added["article_id"])
    assert stored.url == "https://bay-courier.example/news/ferry-timetable"
    corrected = ARTICLE_PAGE.replace(b"19:40", b"19:50").replace(b"utm_source=newsletter", b"utm_medium=rss")
    again = upload(client, "ferry-corrected.html", corrected)["items"][0]
    assert (again["status"], again["article_id"]) == ("updated", added["article_id"])
    # A JSON record with the same page's URL, spelt differently, is that article too.
    record = {"url": "https://BAY-COURIER.example/news/ferry-timetable/#comments", "title": "Ferry timetable changes"}
    record["body"] = "The Lantern Bay ferry will add an evening crossing on weekdays from Monday, the operator said."
    r = client.post("/v1/articles", json=record)
    assert r.status_code == 201 and r.json()["items"][0]["article_id"] == added["article_id"], r.text
    assert r.json()["updated"] == 1


def test_an_article_with_its_own_id_is_found_by_url(client: TestClient, svc: NewsQA) -> None:
    body = "The harbour office opened a new visitor centre on Saturday. Entry is free until the end of May."
    given = {"id": "courier-visitor-centre", "url": "https://bay-courier.example/visitor-centre", "body": body}
    assert client.post("/v1/articles", json=given).status_code == 201
    update = {"url": "https://bay-courier.example/visitor-centre?utm_campaign=spring", "body": body + " It has a cafe."}
    r = client.post("/v1/articles", json=update)
    assert r.json()["items"][0] == {**r.json()["items"][0], "article_id": "courier-visitor-centre", "status": "updated"}


def test_same_title_from_two_sources_or_days_stays_apart(svc: NewsQA) -> None:
    from qa.models import ArticleIn

    body = "The market reopened on Tuesday after the floods. Traders said trade was slow."
    records = [
        ArticleIn(title="Market reopens", source="Courier", body=body),
        ArticleIn(title="Market reopens", source="Gazette", body=body),
        ArticleIn(title="Market reopens", source="Courier", published_at="2025-03-04", body=body),
    ]
    ids = {svc.prepare(r).id for r in records}
    assert len(ids) == 3


def test_stored_weights_match_their_features() -> None:
    weights = json.loads((Path(__file__).resolve().parents[1] / "qa" / "article_text_weights.json").read_text())
    from qa.article_text import FEATURES

    assert weights["features"] == list(FEATURES) and len(weights["model"]["coef"]) == len(FEATURES)
    assert np.isfinite(weights["model"]["coef"]).all()
