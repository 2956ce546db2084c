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
