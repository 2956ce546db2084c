"""SIGKILL in the middle of an ingest or a delete, restart: every article is whole or absent."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from qa.config import Settings
from qa.service import NewsQA
from tests.paths import DEMO_ARTICLES, ROOT


def synthetic_corpus(path: Path, n: int) -> Path:
    """n distinct articles made by reshuffling our demo corpus's sentences (deterministic)."""
    rng = random.Random(7)
    sentences = [
        line.strip()
        for f in sorted(DEMO_ARTICLES.glob("*.txt"))
        for line in f.read_text(encoding="utf-8").splitlines()
        if len(line.strip()) > 60
    ]
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            body = "\n\n".join(rng.sample(sentences, 8))
            out.write(json.dumps({"id": f"syn-{i:04d}", "title": f"Synthetic {i}", "body": body}) + "\n")
    return path


def ready_count(data: Path) -> int:
    db = data / "articles.sqlite3"
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(db, timeout=5) as con:
            return con.execute("SELECT COUNT(*) FROM articles WHERE state='ready'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def kill_when(proc: subprocess.Popen[bytes], condition: Callable[[], bool], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if condition():
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return
        time.sleep(0.05)
    raise AssertionError(f"process ended (rc={proc.poll()}) before the kill point")


def assert_consistent(svc: NewsQA) -> None:
    audit = svc.store.audit()
    assert audit.consistent, audit
    assert svc.index.count() == audit.chunks, "every chunk has exactly one vector, no orphans or duplicates"
    assert set(svc.index.collection.get(include=[])["ids"]) == svc.store.chunk_ids()


def test_sigkill_during_ingest_then_restart_and_rerun(tmp_path: Path) -> None:
    corpus = synthetic_corpus(tmp_path / "big.jsonl", 160)
    data = tmp_path / "data"
    cmd = [sys.executable, "-m", "qa.cli", "ingest", str(corpus), "--data-dir", str(data)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    kill_when(proc, lambda: ready_count(data) >= 32)

    svc = NewsQA(Settings(data_dir=data))  # start-up repair
    assert_consistent(svc)
    survived = svc.store.count()
    assert 32 <= survived < 160
    report = svc.ingest_paths([corpus])
    assert report.summary["unchanged"] == survived and report.summary["added"] == 160 - survived
    assert_consistent(svc)
    assert svc.store.count() == 160


def test_sigkill_during_deletes_then_restart(tmp_path: Path) -> None:
    corpus = synthetic_corpus(tmp_path / "big.jsonl", 60)
    data = tmp_path / "data"
    NewsQA(Settings(data_dir=data)).ingest_paths([corpus])
    script = (
        "import sys; from qa.config import Settings; from qa.service import NewsQA; "
        f"s = NewsQA(Settings(data_dir={str(data)!r})); "
        "[s.delete_article(f'syn-{i:04d}') for i in range(60)]"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    kill_when(proc, lambda: ready_count(data) <= 45)
    svc = NewsQA(Settings(data_dir=data))
    assert_consistent(svc)
    assert 0 < svc.store.count() <= 45
