"""The web page at ``/``: served by the app (public, CSP, own assets only), and used in a real browser (Debian's
chromium through Playwright) against real ``qa serve --load-demo`` processes.

Every browser test also checks, at teardown, that the page logged no console error, threw nothing, and made no
request to any origin but the app's."""

from __future__ import annotations

import fnmatch
import json
import re
import time
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.web import STATIC_DIR, TEMPLATES_DIR, WEB_DIR
from tests.browser import chromium_context, need_browser
from tests.paths import ROOT
from tests.servers import qa_server

KEY = "page-key-1"
MAX_FIRST_RENDER_BYTES = 100_000

# Questions about the demo corpus (demo/articles), written for these tests.
RECALL_QUESTION = "How many home batteries did Voltmere recall?"
UNANSWERABLE = "What did the central bank decide about interest rates?"
BRIEF_TOPIC = "Port Calder tidal barrier"


# --- the page as served (in-process, no browser) ----------------------------------------------------------------
class AssetParser(HTMLParser):
    """Collects what the template loads, and anything inline that the CSP would have to allow."""

    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []
        self.inline_scripts = 0
        self.inline_handlers: list[str] = []
        self.style_attrs = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            if a.get("src"):
                self.assets.append(a["src"] or "")
            else:
                self._in_script = True
        if tag == "link" and a.get("rel") in ("stylesheet", "icon"):
            self.assets.append(a.get("href") or "")
        if tag == "style":
            self.style_attrs += 1
        self.style_attrs += "style" in a
        self.inline_handlers += [name for name in a if name.startswith("on")]

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1


def module_imports(source: str) -> list[str]:
    return re.findall(r"""^\s*import\s[^;]*?from\s+["'](\./[^"']+)["']""", source, re.MULTILINE)


def test_page_is_public_and_sets_a_strict_csp(api_client: Any) -> None:
    client = api_client(api_keys=[KEY])
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'none'" and directives["connect-src"] == "'self'"
    assert "unsafe" not in csp
    assert page.headers["x-content-type-options"] == "nosniff"
    assert 'data-auth-required="true"' in page.text
    for asset in ("static/app.js", "static/app.css", "static/icon.svg"):
        assert client.get(f"/{asset}").status_code == 200, asset
    # Only the page is public: the API still wants the key.
    assert client.get("/v1/articles").status_code == 401
    assert client.get("/v1/articles", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    plain = api_client().get("/").text
    assert 'data-auth-required="false"' in plain and 'name="generator"' not in plain
    assert 'name="generator"' in api_client(llm_base_url="http://127.0.0.1:9/v1").get("/").text


def test_page_has_no_inline_code_and_loads_only_its_own_small_assets(api_client: Any) -> None:
    client = api_client()
    html = client.get("/").text
    parser = AssetParser()
    parser.feed(html)
    assert parser.inline_scripts == 0 and parser.inline_handlers == [] and parser.style_attrs == 0
    assert parser.assets and all(a.startswith("static/") for a in parser.assets), parser.assets
    # Follow the ES module imports from the entry point: everything the first render loads.
    pending, seen, total = list(parser.assets), set(), len(html.encode())
    while pending:
        asset = pending.pop()
        if asset in seen:
            continue
        seen.add(asset)
        r = client.get(f"/{asset}")
        assert r.status_code == 200, asset
        total += len(r.content)
        if asset.endswith(".js"):
            assert r.headers["content-type"].startswith("text/javascript"), r.headers["content-type"]
            pending += [f"static/{name[2:]}" for name in module_imports(r.text)]
    assert {f"static/{p.name}" for p in STATIC_DIR.iterdir()} == seen, "an asset is unused or not found"
    assert total < MAX_FIRST_RENDER_BYTES, f"first render loads {total} bytes"


def test_assets_name_no_other_origin_and_never_parse_html() -> None:
    for path in [*STATIC_DIR.iterdir(), *TEMPLATES_DIR.iterdir()]:
        text = path.read_text()
        # The SVG namespace is a name, not a request.
        urls = set(re.findall(r"(?:https?:)?//[A-Za-z0-9.-]+\.[a-z]{2,}", text)) - {"http://www.w3.org"}
        assert not urls, f"{path.name} names another origin: {urls}"
        if path.suffix == ".js":
            for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
                assert sink not in text, f"{path.name} uses {sink}"


def test_web_files_are_package_data() -> None:
    """A non-editable install must carry the page: every file under api/web matches a package-data pattern."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    patterns = config["tool"]["setuptools"]["package-data"]["api.web"]
    for path in WEB_DIR.rglob("*"):
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
            rel = path.relative_to(WEB_DIR).as_posix()
            assert any(fnmatch.fnmatch(rel, p) for p in patterns), f"{rel} would be left out of a wheel"


# --- browser fixtures --------------------------------------------------------------------------------------------
@dataclass
class Watch:
    """What a page did: console errors, uncaught errors, JS dialogs, and every request it made."""

    origin: str
    errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    requests: list[Any] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def attach(self, page: Any) -> None:
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"uncaught: {e}"))
        page.on("request", lambda r: self.requests.append(r))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        page.on("dialog", dialog)

    def check(self) -> None:
        errors = [e for e in self.errors if not any(re.search(p, e) for p in self.allowed)]
        assert errors == [], errors
        assert self.dialogs == [], self.dialogs
        foreign = [r.url for r in self.requests if not r.url.startswith(self.origin + "/")]
        assert foreign == [], f"requests that left the app's origin: {foreign}"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    need_browser()
    with chromium_context(viewport={"width": 1280, "height": 900}) as context:
        context.set_default_timeout(60_000)
        yield context


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()  # don't pay for a server whose tests will skip
    with qa_server(tmp_path_factory.mktemp("web") / "data", "--load-demo") as base:
        yield base


def open_page(browser: Any, base: str, path: str = "/") -> tuple[Any, Watch]:
    page = browser.new_page()
    watch = Watch(origin=base)
    watch.attach(page)
    page.goto(base + path)
    return page, watch


@pytest.fixture
def web(browser: Any, demo_server: str) -> Iterator[tuple[Any, Watch]]:
    page, watch = open_page(browser, demo_server)
    try:
        yield page, watch
        watch.check()
    finally:
        page.close()


# --- helpers -----------------------------------------------------------------------------------------------------
def sse_answer(text: str) -> dict[str, Any]:
    """The ``answer`` event of an SSE body; also checks the answer came as a stream of deltas first."""
    events = []
    for block in re.split(r"\r?\n\r?\n", text):
        name = re.search(r"^event: ?(.*)$", block, re.MULTILINE)
        data = [line[5:].lstrip() for line in block.splitlines() if line.startswith("data:")]
        if name and data:
            events.append((name.group(1).strip(), json.loads("\n".join(data))))
    assert events and events[-1][0] == "answer", events
    assert any(name == "delta" for name, _ in events[:-1])
    return events[-1][1]


STREAM_WATCH_JS = """
() => {
  window.__deltas = 0;
  new MutationObserver(() => {
    window.__deltas = Math.max(window.__deltas, document.querySelectorAll("#answer .streaming .sentence").length);
  }).observe(document.getElementById("answer"), { childList: true, subtree: true });
}
"""


def api_answer(base: str, question: str, key: str | None = None) -> dict[str, Any]:
    """The answer as the API streams it (extractive answers are deterministic: the page got the same)."""
    headers = {"Accept": "text/event-stream", **({"Authorization": f"Bearer {key}"} if key else {})}
    r = httpx.post(f"{base}/v1/ask", json={"question": question}, headers=headers, timeout=120)
    assert r.status_code == 200, r.text
    return sse_answer(r.text)


def ask(page: Any, question: str, base: str) -> dict[str, Any]:
    """Type the question and press Enter; the page must stream it (SSE), show each delta, then the answer."""
    page.click('a[data-view="ask"]')
    page.fill("#question", question)
    page.evaluate(STREAM_WATCH_JS)
    with page.expect_request(lambda r: r.url.endswith("/v1/ask")) as info:
        page.press("#question", "Enter")
    assert info.value.headers.get("accept") == "text/event-stream"
    page.wait_for_selector("#answer .answer-card[data-answerable]")
    assert page.evaluate("window.__deltas") >= 1, "the streamed deltas were shown before the answer"
    return api_answer(base, question)


def until(page: Any, predicate: str, arg: Any = None, timeout: float = 60.0) -> Any:
    """Poll a JS function until it returns something truthy. (Playwright's wait_for_function evaluates its
    predicate with eval inside the page, which the page's CSP rightly refuses.)"""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(predicate, arg)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true after {timeout}s: {predicate}")
        page.wait_for_timeout(50)


HIGHLIGHT_JS = """
(key) => {
  const body = document.getElementById("reader-body");
  const marks = [...body.querySelectorAll("mark")].filter((m) => m.dataset.keys.split(" ").includes(key));
  if (!marks.length) return null;
  const offset = (node, after) => {
    const r = document.createRange();
    r.setStart(body, 0);
    after ? r.setEndAfter(node) : r.setEndBefore(node);
    return r.toString().length;
  };
  return {
    text: marks.map((m) => m.textContent).join(""),
    start: offset(marks[0], false),
    end: offset(marks[marks.length - 1], true),
    current: [...body.querySelectorAll("mark.current")].map((m) => m.textContent).join(""),
    keys: [...new Set([...body.querySelectorAll("mark")].flatMap((m) => m.dataset.keys.split(" ")))],
    body: body.textContent,
    title: document.getElementById("reader-title").textContent,
    focused: document.activeElement === marks[0],
  };
}
"""


def open_citation(page: Any, chip: Any, base: str) -> dict[str, Any]:
    """Click a chip; the reader's highlight of that chip's quote, checked against the stored article."""
    key = chip.get_attribute("data-key")
    chip.click()
    until(
        page,
        "(key) => [...document.querySelectorAll('#reader-body mark.current')].some("
        "(m) => m.dataset.keys.split(' ').includes(key))",
        key,
    )
    shown = page.evaluate(HIGHLIGHT_JS, key)
    assert shown is not None
    article = httpx.get(f"{base}/v1/articles/{chip.get_attribute('data-article-id')}").json()
    assert shown["body"] == article["body"] and shown["title"] == article["title"]
    assert chip.get_attribute("class").split().count("active") == 1
    assert page.locator(".chip.active").count() == 1
    return shown


def check_citations_open(page: Any, chips: Any, citations: list[dict[str, Any]], base: str) -> None:
    """Every chip opens its quote: highlighted DOM text == quote and DOM offsets == start/end; all quotes of
    that article (in this answer or briefing) highlighted together."""
    by_key = {f"{c['article_id']}:{c['start']}:{c['end']}": c for c in citations}
    assert chips.count() >= 1
    for i in range(chips.count()):
        chip = chips.nth(i)
        cit = by_key[chip.get_attribute("data-key")]
        shown = open_citation(page, chip, base)
        assert shown["text"] == cit["quote"] == shown["current"]
        assert (shown["start"], shown["end"]) == (cit["start"], cit["end"])
        assert shown["focused"], "the reader moves focus to the quote"
        same_article = {k for k, c in by_key.items() if c["article_id"] == cit["article_id"]}
        assert set(shown["keys"]) == same_article
        assert page.locator("#reader-body mark.current").first.is_visible()


def answer_citations(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for s in answer["sentences"] for c in s["citations"]] + answer["citations"]


# --- browser: ask --------------------------------------------------------------------------------------------------
@pytest.mark.server
@pytest.mark.browser
def test_ask_shows_cited_answer_and_each_quote_at_its_offsets(web: tuple[Any, Watch], demo_server: str) -> None:
    page, _ = web
    answer = ask(page, RECALL_QUESTION, demo_server)
    assert answer["answerable"] and answer["citations"]
    card = page.locator("#answer .answer-card")
    assert card.get_attribute("data-answerable") == "true"
    if answer["short_answer"]:
        assert page.locator(".short-answer strong").text_content() == answer["short_answer"]
    for s in answer["sentences"]:
        assert s["text"] in card.text_content()
    chips = page.locator("#answer .chip")
    assert chips.count() == sum(len(s["citations"]) for s in answer["sentences"])
    check_citations_open(page, chips, answer_citations(answer), demo_server)
    # Escape closes the reader and gives focus back to the chip that opened it.
    page.keyboard.press("Escape")
    assert page.locator("#reader").is_hidden()
    assert page.evaluate("document.activeElement.classList.contains('chip')")


@pytest.mark.server
@pytest.mark.browser
def test_keyboard_reaches_every_citation_with_visible_focus(web: tuple[Any, Watch]) -> None:
    page, _ = web
    until(page, "() => document.activeElement && document.activeElement.id === 'question'")
    page.keyboard.type(RECALL_QUESTION)
    page.keyboard.press("Enter")  # Enter asks
    page.wait_for_selector("#answer .answer-card[data-answerable] .chip")
    total = page.evaluate("[...document.querySelectorAll('#answer .chip')].map((c, i) => (c.dataset.i = i)).length")
    reached: set[str] = set()
    page.focus("#question")
    for _ in range(total + 20):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "(() => { const a = document.activeElement; return a && a.classList.contains('chip') ? "
            "[a.dataset.i, getComputedStyle(a).outlineStyle] : null })()"
        )
        if focused:
            reached.add(focused[0])
            assert focused[1] != "none", "a focused chip shows a focus outline"
        if len(reached) == total:
            break
    assert len(reached) == total
    page.keyboard.press("Enter")  # Enter on a chip opens the reader at its quote
    page.wait_for_selector("#reader-body mark.current")


@pytest.mark.server
@pytest.mark.browser
def test_abstention_reads_as_one_with_the_nearest_evidence(web: tuple[Any, Watch], demo_server: str) -> None:
    page, _ = web
    answer = ask(page, UNANSWERABLE, demo_server)
    assert answer["answerable"] is False
    card = page.locator("#answer .answer-card")
    assert card.get_attribute("data-answerable") == "false" and "abstained" in card.get_attribute("class")
    assert card.locator(".preface").text_content().startswith("Not answered") and "don't say" in card.text_content()
    assert page.locator(".short-answer").count() == 0
    evidence = [c for s in answer["sentences"] for c in s["citations"]]
    assert page.locator("#answer .chip").count() == len(evidence)
    if evidence:
        check_citations_open(page, page.locator("#answer .chip"), evidence, demo_server)


@pytest.mark.server
@pytest.mark.browser
def test_ask_sends_the_as_of_date_and_filters(web: tuple[Any, Watch], demo_server: str) -> None:
    page, _ = web
    page.click("#ask-form summary")
    page.fill("#ask-form input[name=today]", "2025-03-30")
    page.fill("#ask-form input[name=source]", "Harbor Ledger")
    page.fill("#ask-form input[name=since]", "2025-03-01")
    page.fill("#ask-form input[name=until]", "2025-03-31")
    page.fill("#question", "How much will the tidal barrier cost?")
    with page.expect_request(lambda r: r.url.endswith("/v1/ask")) as info:
        page.press("#question", "Enter")
    sent = json.loads(info.value.post_data)
    assert sent == {
        "question": "How much will the tidal barrier cost?",
        "stream": True,
        "today": "2025-03-30",
        "filters": {"source": "Harbor Ledger", "since": "2025-03-01", "until": "2025-03-31"},
    }
    page.wait_for_selector("#answer .answer-card[data-answerable]")
    listed = httpx.get(
        f"{demo_server}/v1/articles", params={"source": "Harbor Ledger", "since": "2025-03-01", "until": "2025-03-31"}
    ).json()
    allowed = {a["id"] for a in listed["items"]}
    cited = {c.get_attribute("data-article-id") for c in page.locator("#answer .chip").all()}
    assert cited and cited <= allowed


@pytest.mark.server
@pytest.mark.browser
def test_unsupported_sentences_and_new_fields_render(web: tuple[Any, Watch]) -> None:
    """The LLM path's unsupported sentences (struck out, the verifier's reason on focus), an `explain` block and
    an abstention `reason`, rendered by the page's own module from a made-up answer."""
    page, _ = web
    cite = {"article_id": "a1", "title": "T <b>1</b>", "quote": "Q.", "start": 0, "end": 2, "published_at": None}
    answer = {
        "question": "q",
        "answer": "The articles don't say why. Supported.",
        "answerable": True,
        "short_answer": None,
        "citations": [cite],
        "sentences": [
            {"text": "Supported.", "supported": True, "score": 1, "citations": [cite]},
            {
                "text": "Invented <img src=x onerror=alert(1)>.",
                "supported": False,
                "score": 0.1,
                "reason": "no sentence in the sources states this",
                "citations": [],
            },
        ],
        "generator": "llm",
        "fallback": False,
        "reason": "partial",
        "explain": {"retrieved": 8, "kept": ["a1"]},
    }
    page.evaluate(
        "async (answer) => { const m = await import('./static/ask.js');"
        " document.getElementById('answer').replaceChildren(m.renderAnswer(answer)); }",
        answer,
    )
    card = page.locator("#answer .answer-card")
    assert card.locator(".preface").text_content() == "The articles don't say why."
    bad = card.locator(".sentence.unsupported")
    assert bad.count() == 1 and bad.get_attribute("tabindex") == "0"
    assert "<img src=x onerror=alert(1)>" in bad.text_content() and card.locator("img").count() == 0
    tip = page.locator("#" + bad.get_attribute("aria-describedby"))
    assert tip.text_content() == "no sentence in the sources states this"
    assert tip.is_hidden()
    bad.focus()
    assert tip.is_visible()
    assert "reason: partial" in card.locator(".meta-line").text_content()
    assert "retrieved" in card.locator(".explain").text_content()


# --- browser: articles -------------------------------------------------------------------------------------------
ARTICLE_A = """Lumen Valley Observatory Reopens After Mirror Repair

The Lumen Valley Observatory reopened to visitors on Saturday after technicians replaced the cracked secondary
mirror of its main telescope. The director, Ingrid Solberg, said the repair cost 418,000 crowns and took eleven
weeks, most of it spent waiting for the mirror blank to be cast.
"""
ARTICLE_B = """Marlow Ferry Adds a Night Crossing

The Marlow ferry company will add a night crossing between Marlow and Osterby from May, its operations chief,
Tomas Varga, said on Friday. The new sailing leaves Marlow at 23:40 and is timed for hospital shift workers.
"""


def article_ids_in_list(page: Any) -> list[str]:
    return page.eval_on_selector_all("#article-list .article", "els => els.map((e) => e.dataset.articleId)")


@pytest.mark.server
@pytest.mark.browser
def test_upload_two_files_then_delete_one_and_it_is_never_cited(
    web: tuple[Any, Watch], demo_server: str, tmp_path: Path
) -> None:
    page, _ = web
    (tmp_path / "observatory.txt").write_text(ARTICLE_A)
    (tmp_path / "ferry.md").write_text(ARTICLE_B)
    page.click('a[data-view="articles"]')
    page.wait_for_selector("#article-list .article")
    page.set_input_files("#files", [str(tmp_path / "observatory.txt"), str(tmp_path / "ferry.md")])
    rows = page.locator("#upload-results li")
    for name in ("observatory.txt", "ferry.md"):
        row = rows.filter(has_text=name)
        row.locator(".status.added").wait_for()
    until(page, "() => document.querySelectorAll('#article-list .article').length >= 11")
    titles = page.locator("#article-list .title").all_text_contents()
    assert "Lumen Valley Observatory Reopens After Mirror Repair" in titles
    assert "Marlow Ferry Adds a Night Crossing" in titles

    # The article view shows the stored text.
    ferry = page.locator("#article-list .article", has_text="Marlow Ferry")
    ferry_id = ferry.get_attribute("data-article-id")
    ferry.locator(".title").click()
    until(page, "() => document.getElementById('reader-title').textContent.startsWith('Marlow Ferry')")
    stored = httpx.get(f"{demo_server}/v1/articles/{ferry_id}").json()
    assert page.locator("#reader-body").text_content() == stored["body"]

    # Delete, with a confirmation: cancelling keeps it, confirming removes it everywhere.
    ferry.get_by_role("button", name="Delete “Marlow Ferry Adds a Night Crossing”").click()
    assert page.locator("#confirm-dialog").is_visible()
    page.locator("#confirm-dialog button[value=cancel]").click()
    assert ferry_id in article_ids_in_list(page)
    ferry.get_by_role("button", name=re.compile("Delete")).click()
    page.locator("#confirm-ok").click()
    until(page, "(id) => !document.querySelector(`[data-article-id='${id}']`)", ferry_id)
    assert ferry_id not in article_ids_in_list(page)
    assert page.locator("#reader").is_hidden(), "the reader closes when its article is deleted"
    assert httpx.get(f"{demo_server}/v1/articles/{ferry_id}").status_code == 404

    answer = ask(page, "When does the night ferry leave Marlow?", demo_server)
    assert ferry_id not in {c["article_id"] for c in answer_citations(answer)}
    assert page.locator(f'#answer .chip[data-article-id="{ferry_id}"]').count() == 0
    kept = ask(page, "How much did the observatory mirror repair cost?", demo_server)
    kept_ids = {c["article_id"] for c in answer_citations(kept)}
    assert page.locator("#answer .chip").count() and ferry_id not in kept_ids


@pytest.mark.server
@pytest.mark.browser
def test_drop_files_on_the_drop_zone(web: tuple[Any, Watch]) -> None:
    page, watch = web
    page.click('a[data-view="articles"]')
    page.wait_for_selector("#article-list .article")
    page.evaluate(
        """() => {
          const dt = new DataTransfer();
          dt.items.add(new File(["Dropped Note on Canal Locks\\n\\nThe canal trust said the Hollin locks reopen in June."],
                                "dropped.txt", {type: "text/plain"}));
          dt.items.add(new File(["not an article"], "notes.toml", {type: "text/plain"}));
          const zone = document.getElementById("drop-zone");
          zone.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true}));
          zone.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
        }"""
    )
    page.locator("#upload-results li", has_text="dropped.txt").locator(".status.added").wait_for()
    refused = page.locator("#upload-results li", has_text="notes.toml")
    refused.locator(".status.failed").wait_for()
    assert "unsupported file type" in refused.text_content()
    # The refused file produced a 415 from the API: the browser logs that failed request.
    watch.allowed.append(r"status of 415")


@pytest.mark.server
@pytest.mark.browser
def test_list_filters_search_and_paging(web: tuple[Any, Watch], demo_server: str) -> None:
    page, _ = web
    page.click('a[data-view="articles"]')
    page.wait_for_selector("#article-list .article")
    page.fill("#article-filters input[name=source]", "Harbor Ledger")
    page.fill("#article-filters input[name=since]", "2025-03-10")
    page.click("#article-filters button[type=submit]")
    want = httpx.get(f"{demo_server}/v1/articles", params={"source": "Harbor Ledger", "since": "2025-03-10"}).json()
    assert 0 < want["total"] < 9, "the filter should keep some demo articles, not all"
    count = f"1–{want['total']} of {want['total']} article{'s' if want['total'] > 1 else ''}"
    until(page, "(count) => document.getElementById('article-count').textContent === count", count)
    assert article_ids_in_list(page) == [a["id"] for a in want["items"]]

    page.fill("#article-filters input[name=source]", "")
    page.fill("#article-filters input[name=since]", "")
    page.fill("#article-filters input[name=q]", "overheating power connector")
    page.click("#article-filters button[type=submit]")
    page.locator("#article-list .snippet").first.wait_for()
    first = page.locator("#article-list .article").first
    assert "Voltmere" in first.locator(".title").text_content()
    first.locator(".title").click()
    page.wait_for_selector("#reader-body mark.current")

    # Paging: 23 articles of one source are 20 on the first page and 3 on the second.
    batch = [
        {
            "id": f"web-page-{i:02d}",
            "title": f"Tide Table Note {i}",
            "body": f"High tide at Osterby pier {i} is at noon.",
            "source": "Paging Test Wire",
            "published_at": f"2024-01-{i + 1:02d}",
        }
        for i in range(23)
    ]
    assert httpx.post(f"{demo_server}/v1/articles", json={"articles": batch}).status_code == 201
    page.fill("#article-filters input[name=q]", "")
    page.fill("#article-filters input[name=source]", "Paging Test Wire")
    page.click("#article-filters button[type=submit]")
    until(page, "() => document.getElementById('article-count').textContent === '1–20 of 23 articles'")
    assert len(article_ids_in_list(page)) == 20 and page.locator("#prev-page").is_disabled()
    page.click("#next-page")
    until(page, "() => document.getElementById('article-count').textContent === '21–23 of 23 articles'")
    assert article_ids_in_list(page) == ["web-page-02", "web-page-01", "web-page-00"]
    assert page.locator("#next-page").is_disabled()
    page.click("#prev-page")
    until(page, "() => document.getElementById('article-count').textContent.startsWith('1–20')")


# --- browser: briefings ------------------------------------------------------------------------------------------
@pytest.mark.server
@pytest.mark.browser
def test_briefing_bullets_open_their_quotes_and_copy_as_markdown(
    web: tuple[Any, Watch], browser: Any, demo_server: str
) -> None:
    page, _ = web
    browser.grant_permissions(["clipboard-read", "clipboard-write"], origin=demo_server)
    page.click('a[data-view="briefings"]')
    page.fill("#briefing-form input[name=topic]", BRIEF_TOPIC)
    with page.expect_response(lambda r: r.url.endswith("/v1/briefings")) as info:
        page.click("#brief-button")
    briefing = info.value.json()
    assert briefing["bullets"]
    page.wait_for_selector("#briefing .bullets li")
    assert page.locator("#briefing .bullets > li").count() == len(briefing["bullets"])
    citations = [c for b in briefing["bullets"] for c in b["citations"]]
    check_citations_open(page, page.locator("#briefing .chip"), citations, demo_server)

    page.get_by_role("button", name="Copy the whole briefing as Markdown").click()
    page.locator("#briefing .copied", has_text="Copied").first.wait_for()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"## {briefing['title']}")
    for b in briefing["bullets"]:
        assert f"- {b['text']}" in copied
    for c in citations:
        assert f"“{c['quote']}”" in copied
    page.get_by_role("button", name="Copy bullet 1 as Markdown").click()
    one = page.evaluate("navigator.clipboard.readText()")
    assert one.startswith(f"- {briefing['bullets'][0]['text']}") and "[^1]:" in one


@pytest.mark.server
@pytest.mark.browser
def test_briefing_of_selected_articles(web: tuple[Any, Watch]) -> None:
    page, _ = web
    page.click('a[data-view="articles"]')
    page.wait_for_selector("#article-list .article")
    boxes = page.locator("#article-list .article input[type=checkbox]")
    ids = [page.locator("#article-list .article").nth(i).get_attribute("data-article-id") for i in (0, 1)]
    boxes.nth(0).check()
    boxes.nth(1).check()
    page.click('a[data-view="briefings"]')
    assert page.locator("#selected-count").text_content() == "2"
    page.check("#briefing-form input[value=selected]")
    with page.expect_request(lambda r: r.url.endswith("/v1/briefings")) as info:
        page.click("#brief-button")
    assert json.loads(info.value.post_data)["article_ids"] == ids
    page.wait_for_selector("#briefing .bullets li .chip")
    assert {c.get_attribute("data-article-id") for c in page.locator("#briefing .chip").all()} <= set(ids)


# --- browser: safety, auth, layout, weight --------------------------------------------------------------------------
@pytest.mark.server
@pytest.mark.browser
def test_markup_in_an_article_renders_as_text(web: tuple[Any, Watch], demo_server: str) -> None:
    page, watch = web
    title = 'Quarry <img src=x onerror="alert(1)"> Vote <script>alert(2)</script>'
    body = (
        "The Brackwater quarry council voted on Tuesday to close the east pit. "
        'Its clerk posted the notice as <script>alert("pwned")</script> and <img src=x onerror=alert(3)> by mistake.\n\n'
        "Residents said the <b>dust</b> had settled since the pit slowed down <iframe src=javascript:alert(4)>."
    )
    article = {"id": "web-xss-quarry", "title": title, "body": body, "url": "javascript:alert(5)", "source": "<i>x</i>"}
    assert httpx.post(f"{demo_server}/v1/articles", json=article).status_code == 201
    stored = httpx.get(f"{demo_server}/v1/articles/web-xss-quarry").json()
    assert "<script>" in stored["body"] and "onerror" in stored["body"], "the test needs the markup stored"

    page.click('a[data-view="articles"]')
    page.fill("#article-filters input[name=source]", "<i>x</i>")
    page.click("#article-filters button[type=submit]")
    item = page.locator('#article-list .article[data-article-id="web-xss-quarry"]')
    item.wait_for()
    assert "<i>x</i>" in item.locator(".info").text_content()
    assert item.locator(".title").text_content() == stored["title"]
    item.locator(".title").click()
    until(page, "() => document.getElementById('reader-title').textContent.startsWith('Quarry')")
    assert page.locator("#reader-body").text_content() == stored["body"]
    assert page.locator("#reader-link a").count() == 0, "a javascript: URL is never a link"

    answer = ask(page, "What did the Brackwater quarry clerk post by mistake?", demo_server)
    quotes = [c for c in answer_citations(answer) if c["article_id"] == "web-xss-quarry"]
    assert quotes and any("<script>" in q["quote"] for q in quotes), "the answer should quote the markup"
    for s in answer["sentences"]:
        assert s["text"] in page.locator("#answer .sentences").text_content()
    check_citations_open(page, page.locator("#answer .chip"), answer_citations(answer), demo_server)
    injected = page.evaluate(
        "document.querySelectorAll('main img, main script, main iframe, main b, main i, aside img, aside script,"
        " aside iframe').length"
    )
    assert injected == 0
    page.wait_for_timeout(300)  # give any onerror handler the chance to fire
    assert watch.dialogs == []


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    need_browser()
    with qa_server(tmp_path_factory.mktemp("web-auth") / "data", "--load-demo", env={"QA_API_KEYS": KEY}) as base:
        yield base


@pytest.mark.server
@pytest.mark.browser
def test_auth_prompt_then_the_page_works(browser: Any, auth_server: str) -> None:
    page, watch = open_page(browser, auth_server)
    watch.allowed.append(r"status of 401")  # the wrong key's refused request, logged by the browser
    try:
        dialog = page.locator("#key-dialog")
        dialog.wait_for(state="visible")  # asked at once: the page knows auth is on
        page.fill("#key-input", "not-the-key")
        page.click("#key-dialog button[type=submit]")
        page.fill("#question", RECALL_QUESTION)
        page.press("#question", "Enter")
        # The wrong key gets a 401, and the page asks again, saying so.
        dialog.wait_for(state="visible")
        assert "refused" in page.locator("#key-message").text_content()
        page.fill("#key-input", KEY)
        page.click("#key-dialog button[type=submit]")
        page.wait_for_selector("#answer .answer-card[data-answerable] .chip")
        assert page.evaluate("sessionStorage.getItem('newsqa.apiKey')") == KEY
        # Kept for the tab: a reload asks nothing, and the list loads with the key.
        page.reload()
        page.click('a[data-view="articles"]')
        page.wait_for_selector("#article-list .article")
        assert dialog.is_hidden()
        api_calls = [r for r in watch.requests if "/v1/" in r.url]
        assert api_calls and all(KEY not in r.url and "not-the-key" not in r.url for r in watch.requests)
        assert api_calls[-1].headers.get("authorization") == f"Bearer {KEY}"
        assert any(r.headers.get("authorization") == "Bearer not-the-key" for r in api_calls)
        watch.check()
    finally:
        page.close()


@pytest.mark.server
@pytest.mark.browser
def test_phone_width_layout(browser: Any, demo_server: str) -> None:
    page, watch = open_page(browser, demo_server)
    try:
        page.set_viewport_size({"width": 375, "height": 740})
        for view in ("ask", "articles", "briefings"):
            page.click(f'a[data-view="{view}"]')
            page.wait_for_timeout(200)
            assert page.evaluate("document.documentElement.scrollWidth") <= 375, f"{view} scrolls sideways"
        ask(page, RECALL_QUESTION, demo_server)
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.locator("#answer .chip").first.click()
        page.wait_for_selector("#reader-body mark.current")
        box = page.locator("#reader").bounding_box()
        assert box is not None and box["width"] <= 375 and box["x"] >= 0
        assert page.locator("#reader-body mark.current").first.is_visible()
        page.click("#reader-close")
        assert page.locator("#reader").is_hidden()
        size = page.evaluate("parseFloat(getComputedStyle(document.querySelector('.sentences')).fontSize)")
        assert size >= 16
        watch.check()
    finally:
        page.close()


@pytest.mark.server
@pytest.mark.browser
def test_first_render_weighs_under_100_kb(web: tuple[Any, Watch]) -> None:
    page, _ = web
    page.wait_for_load_state("load")
    sizes = page.evaluate(
        "[...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')]"
        ".filter((e) => e.initiatorType !== 'fetch').map((e) => [e.name, e.encodedBodySize])"
    )
    assert len(sizes) >= 4
    assert sum(size for _, size in sizes) < MAX_FIRST_RENDER_BYTES, sizes


@pytest.mark.llm
@pytest.mark.server
@pytest.mark.browser
def test_llm_generator_is_offered_and_its_verdicts_shown(browser: Any, llm_server: str, tmp_path: Path) -> None:
    """With an LLM configured the page offers it; the answer shows each sentence's verdict (SmolLM2 invents
    things, so unsupported sentences are likely: each must carry its reason, shown on keyboard focus)."""
    from tests.llm_server import MODEL_ALIAS

    env = {
        "QA_LLM_BASE_URL": llm_server,
        "QA_LLM_MODEL": MODEL_ALIAS,
        "QA_LLM_MAX_TOKENS": "96",
        "QA_LLM_CONTEXT_TOKENS": "600",
        "QA_K": "4",
    }
    with qa_server(tmp_path / "data", "--load-demo", env=env) as base:
        page, watch = open_page(browser, base)
        try:
            page.click("#ask-form summary")
            page.select_option("#ask-form select[name=generator]", "llm")
            page.fill("#question", RECALL_QUESTION)
            with page.expect_request(lambda r: r.url.endswith("/v1/ask")) as info:
                page.press("#question", "Enter")
            assert json.loads(info.value.post_data)["generator"] == "llm"
            card = page.locator("#answer .answer-card[data-answerable]")
            card.wait_for(timeout=300_000)
            assert "Generator: llm" in card.locator(".meta-line").text_content()
            flagged = card.locator(".sentence.unsupported")
            for i in range(flagged.count()):
                sentence = flagged.nth(i)
                tip = page.locator("#" + sentence.get_attribute("aria-describedby"))
                assert tip.text_content().strip()
                sentence.focus()
                assert tip.is_visible()
            watch.check()
        finally:
            page.close()


def test_missing_browser_skips_here_but_fails_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    import tests.browser as browser_module

    monkeypatch.setattr(browser_module.shutil, "which", lambda name: None)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("QA_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium"):
        need_browser()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match=r"must run in CI.*chromium"):
        need_browser()
