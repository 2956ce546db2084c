"""The whole pipeline runs with no network: no download is attempted, no outbound socket is opened."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import DEMO_ARTICLES, ROOT

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
