"""One process per embedded data dir: a CLI ingest into the directory of a running ``qa serve`` is refused with a
message naming the server (instead of writing vectors the server's dense search would never see), and the same
ingest works once the server has stopped."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from qa.config import Settings
from qa.exit_codes import ExitCode
from qa.service import NewsQA
from tests.paths import ROOT
from tests.servers import qa_command, qa_server

pytestmark = pytest.mark.server

ARTICLE = (
    "Lantern Bay\n\n"
    "The Lantern Bay ferry terminal reopened on Friday after a month of repairs to its floating pontoon. "
    "Harbour staff said the first crossing carried forty cars and a school choir."
)
QUESTION = "When did the Lantern Bay ferry terminal reopen?"


def qa_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*qa_command(), *args], capture_output=True, text=True, cwd=ROOT, timeout=300)


def dense_hits(base: str) -> list[str]:
    r = httpx.post(f"{base}/v1/search", json={"question": QUESTION, "k": 3, "mode": "dense"}, timeout=60)
    assert r.status_code == 200, r.text
    return [h["text"] for h in r.json()]


def test_cli_ingest_into_a_served_data_dir_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    article = tmp_path / "lantern-bay.txt"
    article.write_text(ARTICLE, encoding="utf-8")

    with qa_server(data) as base:
        done = qa_cli("ingest", str(article), "--data-dir", str(data))
        assert done.returncode == ExitCode.UNAVAILABLE, done.stdout + done.stderr
        message = " ".join(done.stderr.split())
        assert f"the data directory {data.resolve()} is in use by process" in message, message
        assert "qa serve" in message and "/v1/articles:upload" in message and "QA_CHROMA_MODE=server" in message
        # Nothing was written behind the server's back: BM25, the vectors and /readyz agree.
        assert httpx.get(f"{base}/readyz", timeout=10).json()["articles"] == 0
        assert dense_hits(base) == []

        # The way that works while it runs: through the server.
        with article.open("rb") as f:
            r = httpx.post(
                f"{base}/v1/articles:upload", files=[("files", (article.name, f, "text/plain"))], timeout=120
            )
        assert r.status_code == 201 and r.json()["added"] == 1, r.text
        assert any("forty cars" in text for text in dense_hits(base))

    # Once the server has stopped, the CLI owns the directory, and a new server sees what it wrote.
    second = tmp_path / "lantern-bay-timetable.txt"
    second.write_text(
        "Lantern Bay timetable\n\nThe Lantern Bay ferry terminal will run an extra evening crossing on weekdays "
        "from Monday, the harbour office said.",
        encoding="utf-8",
    )
    done = qa_cli("ingest", str(second), "--data-dir", str(data))
    assert done.returncode == 0 and "1 added" in done.stdout, done.stdout + done.stderr
    with qa_server(data) as base:
        assert any("extra evening crossing" in text for text in dense_hits(base))


def test_openers_in_one_process_share_the_directory(tmp_path: Path) -> None:
    first = NewsQA(Settings(data_dir=tmp_path))
    second = NewsQA(Settings(data_dir=tmp_path), embedder=first.embedder)
    first.close()
    assert second.stats() == {"articles": 0, "chunks": 0, "vectors": 0}
    second.close()
    # Released: another process may open it now.
    done = qa_cli("stats", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
