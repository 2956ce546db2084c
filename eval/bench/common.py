"""Shared pieces of the benchmarks: timers, percentiles, memory readings, the corpus and the questions."""

from __future__ import annotations

import datetime as dt
import os
import resource
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.datasets import DEMO_ARTICLES, DEMO_QUESTIONS, load_corpus, load_questions
from qa.models import ArticleIn

ROOT = Path(__file__).resolve().parents[2]
SHARED_DATA = ROOT.parent / "shared" / "data"
REALTIMEQA = SHARED_DATA / "realtimeqa"
OUT_DIR = ROOT / "out" / "bench"


# --- timing ------------------------------------------------------------------------------------------
def cpu_seconds() -> float:
    """User + system CPU of this process (all threads): steadier than wall time on a shared machine."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


@dataclass
class Span:
    wall: float = 0.0
    cpu: float = 0.0
    calls: int = 0


@dataclass
class Stopwatch:
    """Named wall/CPU accumulators, so one run can say where its time went."""

    spans: dict[str, Span] = field(default_factory=dict)

    @contextmanager
    def time(self, name: str) -> Iterator[Span]:
        span = self.spans.setdefault(name, Span())
        w, c = time.perf_counter(), cpu_seconds()
        try:
            yield span
        finally:
            span.wall += time.perf_counter() - w
            span.cpu += cpu_seconds() - c
            span.calls += 1

    def wrap(self, obj: Any, method: str, name: str) -> None:
        """Time every call of ``obj.method`` (set on the instance, so other instances are untouched)."""
        inner = getattr(obj, method)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.time(name):
                return inner(*args, **kwargs)

        setattr(obj, method, timed)

    def wall(self, name: str) -> float:
        return self.spans.get(name, Span()).wall


def percentiles(samples_s: list[float]) -> dict[str, float]:
    """p50/p95/p99/mean in milliseconds (``n`` says how far to trust p99)."""
    if not samples_s:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "mean": float("nan")}
    ms = np.asarray(samples_s) * 1000.0
    p50, p95, p99 = np.percentile(ms, [50, 95, 99])
    return {"n": len(ms), "p50": float(p50), "p95": float(p95), "p99": float(p99), "mean": float(ms.mean())}


def fmt_pct(p: dict[str, float]) -> str:
    return f"p50 {p['p50']:7.1f} ms  p95 {p['p95']:7.1f} ms  p99 {p['p99']:7.1f} ms  (n={p['n']})"


# --- memory ------------------------------------------------------------------------------------------
def peak_rss_mb() -> float:
    """This process's peak resident set. On Linux VmHWM, because ru_maxrss survives exec: a child spawned by
    a process that already peaked at 2 GB would report 2 GB too. Elsewhere ru_maxrss (bytes on macOS)."""
    hwm = proc_memory_mb(os.getpid()).get("peak_rss_mb")
    if hwm is not None:
        return hwm
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def proc_memory_mb(pid: int) -> dict[str, float]:
    """Current (VmRSS) and peak (VmHWM) resident memory of another process, from /proc (Linux only)."""
    out: dict[str, float] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(value.split()[0]) / 1024
    except OSError:
        pass
    return out


def dir_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


# --- data --------------------------------------------------------------------------------------------
def corpus_name(choice: str) -> str:
    """``auto`` is RealTimeQA (articles + distractors) where ../shared/data exists, else the demo corpus."""
    if choice == "auto":
        return "realtimeqa" if REALTIMEQA.is_dir() else "demo"
    return choice


def real_records(choice: str = "auto") -> list[ArticleIn]:
    """Real articles in a fixed order: the RealTimeQA gold articles then its distractors, or the demo set."""
    if corpus_name(choice) == "realtimeqa":
        paths = [REALTIMEQA / "articles.jsonl", REALTIMEQA / "haystack_articles.jsonl"]
    else:
        paths = [DEMO_ARTICLES]
    return load_corpus(paths).records


@dataclass
class Question:
    text: str
    today: dt.date | None


def questions(choice: str = "auto") -> list[Question]:
    """The eval questions with their dates (the demo questions name article files, so they get that corpus)."""
    if corpus_name(choice) == "realtimeqa":
        items = load_questions(REALTIMEQA / "qa.jsonl")
    else:
        items = load_questions(DEMO_QUESTIONS, load_corpus([DEMO_ARTICLES]))
    return [Question(q.question, q.today) for q in items]


def env_line() -> str:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"machine: {os.cpu_count()} CPUs, load average {load:.1f} at start (other work on the machine skews wall times)"
    )
