"""The benchmarks run and print their figures (never timed here: a benchmark is not a speed assertion)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from eval.bench.common import percentiles
from eval.bench.corpus import ReuseEmbedder, variant
from qa.models import ArticleIn
from qa.service import embedding_text
from tests.paths import ROOT


def _bench(tmp_path: Path, *args: str, timeout: float) -> tuple[str, dict[str, Any]]:
    """Run ``python -m eval.bench ARGS --json FILE``; it must succeed. Returns its printout and the JSON figures."""
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "eval.bench", *args, "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout, json.loads(out.read_text())


def test_ingest_quick_prints_ratios_on_the_demo_corpus(tmp_path: Path) -> None:
    printed, figures = _bench(tmp_path, "ingest", "--quick", "--corpus", "demo", timeout=300)
    assert "ratio pipeline/raw embedder (chunks/s):" in printed
    assert "ratio pipeline/naive (articles/s):" in printed
    result = figures["ingest"]
    # Same texts through the pipeline and the raw embedder, by construction.
    assert result["raw"]["chunks"] == result["pipeline"]["chunks"] > 0
    assert result["naive"]["chunks"] > 0


def test_load_on_postgres_compares_two_processes_with_one(tmp_path: Path, postgres_server: Any) -> None:
    """``load --backend postgres --processes 1,2``: the same load against one, then two ``qa serve`` sharing a
    throwaway PostgreSQL and a Chroma server; both runs error-free and the ratio printed (postgres_server: only
    for its skip, the benchmark starts its own)."""
    command = ["load", "--quick", "--corpus", "demo", "--backend", "postgres", "--processes", "1,2"]
    printed, figures = _bench(tmp_path, *command, "--clients", "4", "--duration", "4", timeout=600)
    assert "throughput vs 1 process(es): 2 processes" in printed
    runs = figures["load"]["runs"]
    assert [r["processes"] for r in runs] == [1, 2]
    assert all(r["errors"] == 0 and r["requests"] > 0 for r in runs), [r["error_samples"] for r in runs]


def test_feeds_quick_prints_the_polled_vs_direct_ratio(tmp_path: Path) -> None:
    printed, figures = _bench(tmp_path, "feeds", "--quick", "--corpus", "demo", timeout=600)
    assert "ratio polled/direct (articles/min):" in printed
    result = figures["feeds"]
    # Every page of every feed went in on both paths, and a second poll found nothing new.
    assert result["polled"]["articles"] == result["direct"]["articles"] == 5 * result["entries_per_feed"]
    assert result["polled"]["second_poll_new"] == 0


def _no_real_embedding(texts: list[str]) -> np.ndarray:
    raise AssertionError(f"composed vectors must not call the real embedder: {texts}")


def test_synthetic_vectors_are_composed_from_the_real_sentences() -> None:
    cache = SimpleNamespace(embedder=SimpleNamespace(id="fake", dim=4, embed=_no_real_embedding))
    emb = ReuseEmbedder(cache, seed=1)  # type: ignore[arg-type]
    a, b = np.eye(4, dtype=np.float32)[:2]
    emb.learn([embedding_text("T", "Alpha one. Alpha two."), embedding_text("T", "Beta one.")], np.stack([a, b]))
    emb.synthetic = True
    vec = emb.embed([embedding_text("New title", "Beta one. Alpha two.")])[0]
    assert abs(np.linalg.norm(vec) - 1) < 1e-5
    assert vec @ a > 0.65 and vec @ b > 0.65  # between the two sources, near neither alone


def test_variant_keeps_real_paragraphs_under_a_new_id() -> None:
    import random

    base = ArticleIn(id="a", title="Base", body="P1.\n\nP2.\n\nP3.\n\nP4.")
    donor = ArticleIn(id="b", title="Donor", body="D1.\n\nD2.")
    v = variant(7, base, donor, random.Random(0))
    assert v.id == "syn-000007" and v.title == "Base"
    assert set(v.body.split("\n\n")) <= {"P1.", "P2.", "P3.", "P4.", "D1.", "D2."}


def test_percentiles_in_milliseconds() -> None:
    p = percentiles([0.01] * 99 + [1.0])
    assert p["n"] == 100 and p["p50"] == 10.0 and p["p99"] > 10.0
