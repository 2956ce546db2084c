"""The whole pipeline runs with no network: no download is attempted, no outbound socket is opened."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.paths import DEMO_ARTICLES, ROOT
from tests.servers import qa_server

GUARDED = (
    "import sys, tests.netguard as g; g.install(); from qa.cli import app; sys.argv = ['qa', *sys.argv[1:]]; app()"
)


def run_guarded(args: list[str], log: Path, prefix: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "NETGUARD_LOG": str(log),
        # No proxy or hub settings may rescue a download attempt.
        "HF_HUB_OFFLINE": "0",
        "TIKTOKEN_CACHE_DIR": str(log.parent / "empty-tiktoken-cache"),
    }
    return subprocess.run(
        [*(prefix or []), sys.executable, "-c", GUARDED, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )


def test_ingest_and_search_open_no_outbound_socket(tmp_path: Path) -> None:
    log = tmp_path / "attempts.log"
    data = tmp_path / "data"
    ingest = run_guarded(["ingest", str(DEMO_ARTICLES), "--data-dir", str(data)], log)
    assert ingest.returncode == 0, ingest.stderr
    search = run_guarded(["search", "Who won the rail pay deal?", "--json", "--data-dir", str(data)], log)
    assert search.returncode == 0, search.stderr
    assert json.loads(search.stdout)
    assert not log.exists(), f"outbound connections were attempted: {log.read_text()}"


@pytest.mark.skipif(shutil.which("unshare") is None, reason="unshare(1) is not available")
def test_pipeline_runs_in_a_network_namespace_without_network(tmp_path: Path) -> None:
    probe = subprocess.run(["unshare", "-rn", "true"], capture_output=True)
    if probe.returncode != 0:
        pytest.skip("unprivileged network namespaces are not allowed here")
    log = tmp_path / "attempts.log"
    data = tmp_path / "data"
    done = run_guarded(["ingest", str(DEMO_ARTICLES), "--data-dir", str(data)], log, prefix=["unshare", "-rn"])
    assert done.returncode == 0, done.stderr
    done = run_guarded(
        ["search", "tidal barrier cost", "--json", "--data-dir", str(data)], log, prefix=["unshare", "-rn"]
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["text"]


def test_service_without_llm_opens_no_outbound_connection(tmp_path: Path) -> None:
    """The HTTP service on the embedded default: load, ingest, ask, brief, search — nothing leaves the machine."""
    import httpx

    from tests.servers import free_port, stop, wait_http

    log = tmp_path / "attempts.log"
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    env["NETGUARD_LOG"] = str(log)
    args = ["serve", "--load-demo", "--port", str(port), "--data-dir", str(tmp_path / "data")]
    out = open(tmp_path / "serve.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-c", GUARDED, *args], cwd=ROOT, env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", timeout=240, proc=proc)
        article = {"title": "Ferry note", "body": "The harbour office logged 41 ferry crossings on Sunday."}
        assert httpx.post(f"{base}/v1/articles", json=article, timeout=120).status_code == 201
        ask = httpx.post(f"{base}/v1/ask", json={"question": "How many ferry crossings were logged?"}, timeout=120)
        assert ask.status_code == 200 and ask.json()["citations"]
        assert httpx.post(f"{base}/v1/briefings", json={"topic": "rail strike"}, timeout=120).status_code == 200
        assert httpx.post(f"{base}/v1/search", json={"question": "battery recall"}, timeout=120).status_code == 200
    finally:
        stop(proc)
        out.close()
    assert not log.exists(), f"outbound connections were attempted: {log.read_text()}"


# --- /docs: Swagger UI from an installed package, with no network ------------------------------------------------
@pytest.fixture(scope="module")
def guarded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`qa serve` under tests.netguard (every outbound connection refused and logged), on an empty store."""
    tmp = tmp_path_factory.mktemp("docs-offline")
    attempts = tmp / "attempts.log"
    guarded = [sys.executable, "-c", GUARDED]
    with qa_server(tmp / "data", command=guarded, env={"NETGUARD_LOG": str(attempts)}) as base:
        yield base, attempts


def same_origin_refs(html: str) -> list[str]:
    """Every src/href of the page and the schema URL its script loads; each must be a path on this server."""
    refs = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html) + re.findall(r"""\burl: *["']([^"']+)["']""", html)
    for ref in refs:
        assert not urlsplit(ref).netloc and not ref.startswith("//"), f"/docs loads {ref} from another origin"
    return refs


def test_docs_and_every_asset_they_reference_load_with_no_network(guarded_server: tuple[str, Path]) -> None:
    import httpx

    base, attempts = guarded_server
    page = httpx.get(f"{base}/docs")
    assert page.status_code == 200 and "text/html" in page.headers["content-type"], page.text[:300]
    refs = same_origin_refs(page.text)
    assert {"/openapi.json", "/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css"} <= set(refs), refs
    for ref in refs:
        r = httpx.get(base + ref)
        assert r.status_code == 200 and len(r.content) > 100, (ref, r.status_code)
        if ref.endswith(".css"):  # images and fonts the stylesheet pulls in: inline data, or files here
            for url in re.findall(r"url\(([^)]+)\)", r.text):
                url = url.strip("'\" ")
                assert url.startswith(("data:", "#")) or not urlsplit(url).netloc, f"{ref} loads {url}"
    assert '"validatorUrl": null' in page.text  # Swagger UI's default validator badge is fetched from outside
    assert not attempts.exists(), f"the server tried to go out: {attempts.read_text()}"


def test_docs_render_in_a_browser_with_no_network(guarded_server: tuple[str, Path]) -> None:
    """Chromium renders every operation of the API while any request off this machine is refused and recorded."""
    from tests.browser import chromium_context, need_browser

    need_browser()
    base, _ = guarded_server
    outside: list[str] = []

    def only_loopback(route: Any) -> None:
        url = route.request.url
        if url.startswith("data:") or urlsplit(url).hostname in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with chromium_context() as context:
        context.route("**/*", only_loopback)
        page = context.new_page()
        page.goto(f"{base}/docs")
        page.wait_for_selector(".opblock", timeout=60_000)
        assert "News QA" in page.locator(".info .title").inner_text()
        assert page.locator(".opblock").count() >= 8  # every route of the API, each as an operation block
    assert outside == [], f"/docs tried to load from elsewhere: {outside}"
