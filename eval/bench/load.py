"""Concurrent load: N asyncio clients against a real ``qa serve`` on 127.0.0.1, mixed ask/search/ingest.

Each client loops until the time is up (or its request budget is spent): ``/v1/ask`` 70%, ``/v1/search``
20% and ``POST /v1/articles`` 10% of its requests, shuffled; an ingested article is small and new (a few
sentences of a real one under a fresh id). Every non-2xx status and every transport error is an error.
Traffic only ever goes to the loopback server this benchmark started.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

from eval.bench.backends import backend
from eval.bench.common import OUT_DIR, Question, corpus_name, fmt_pct, percentiles, questions, real_records
from eval.bench.query import QUICK_REAL_ARTICLES, corpus_build, in_child
from eval.bench.server import qa_serve
from qa.models import ArticleIn
from qa.text import sentence_spans

MIX = (("ask", 0.7), ("search", 0.2), ("ingest", 0.1))
MAX_REQUESTS_PER_CLIENT = 2_000  # a hard bound besides the duration
REQUEST_TIMEOUT_S = 120.0


def small_article(rng: random.Random, records: list[ArticleIn], name: str) -> dict[str, Any]:
    base = rng.choice(records)
    spans = sentence_spans(base.body)
    start = rng.randrange(max(1, len(spans) - 4))
    body = " ".join(base.body[a:b] for a, b in spans[start : start + 4])
    return {
        "id": name,
        "title": f"{base.title} (update)",
        "body": body or base.body[:500],
        "published_at": base.published_at.isoformat() if base.published_at else None,
        "source": base.source,
    }


async def client_loop(
    n: int,
    url: str,
    tag: str,
    deadline: float,
    qs: list[Question],
    records: list[ArticleIn],
    samples: dict[str, list[float]],
    errors: list[str],
) -> None:
    rng = random.Random(1000 + n)
    # Each run of ten requests holds the exact mix in a shuffled order, so even a short run ingests.
    deck = [op for op, share in MIX for _ in range(round(share * 10))]
    async with httpx.AsyncClient(base_url=url, timeout=REQUEST_TIMEOUT_S) as client:
        for i in range(MAX_REQUESTS_PER_CLIENT):
            if time.monotonic() >= deadline:
                return
            if i % len(deck) == 0:
                rng.shuffle(deck)
            op = deck[i % len(deck)]
            q = rng.choice(qs)
            if op == "ingest":
                method, path, body = "POST", "/v1/articles", small_article(rng, records, f"load-{tag}-{n}-{i}")
            else:
                body = {"question": q.text, "today": q.today.isoformat() if q.today else None}
                method, path = "POST", f"/v1/{op}"
            start = time.perf_counter()
            try:
                r = await client.request(method, path, json=body)
                ok = r.status_code < 300
                detail = f"{op} {r.status_code} {r.text[:200]}"
            except httpx.HTTPError as exc:
                ok, detail = False, f"{op} {type(exc).__name__}: {exc}"
            samples[op].append(time.perf_counter() - start)
            if not ok:
                errors.append(detail)


async def drive(
    urls: list[str], clients: int, duration: float, qs: list[Question], records: list[ArticleIn], tag: str = "1"
) -> dict[str, Any]:
    """``clients`` clients spread round-robin over the servers at ``urls``; ``tag`` keeps each run's new article
    ids its own (a later run re-sending an earlier one's articles would find them unchanged: cheaper)."""
    samples: dict[str, list[float]] = defaultdict(list)
    errors: list[str] = []
    start = time.monotonic()
    await asyncio.gather(
        *(
            client_loop(n, urls[n % len(urls)], tag, start + duration, qs, records, samples, errors)
            for n in range(clients)
        )
    )
    # Requests still in flight at the deadline finish (bounded by the timeout), so time the whole run.
    elapsed = time.monotonic() - start
    total = sum(len(s) for s in samples.values())
    return {
        "clients": clients,
        "processes": len(urls),
        "duration_s": elapsed,
        "requests": total,
        "throughput_rps": total / elapsed,
        "by_op": {op: {**percentiles(s), "rps": len(s) / elapsed} for op, s in sorted(samples.items())},
        "all": percentiles([x for s in samples.values() for x in s]),
        "errors": len(errors),
        "error_samples": errors[:5],
    }


def run(
    quick: bool = False,
    clients: int | None = None,
    duration: float | None = None,
    corpus: str = "auto",
    cache_dir: Path | None = None,
    backend_name: str = "sqlite",
    processes: list[int] | None = None,
) -> dict[str, Any]:
    """Load on one corpus, once per entry of ``processes`` (``qa serve`` processes sharing the store). With more
    than one process anywhere in the list every run uses a Chroma server, so the runs differ only in the count."""
    processes = processes or [1]
    shared = max(processes) > 1
    if shared and backend_name == "sqlite":
        raise SystemExit("load: more than one process needs a shared store: add --backend postgres")
    clients = clients or (4 if quick else 8)
    duration = duration or (20.0 if quick else 60.0)
    size = 1_000 if quick else 10_000
    records = real_records(corpus)
    qs = questions(corpus)
    runs = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-load-") as tmp, backend(backend_name, Path(tmp), shared):
        data_dir = Path(tmp) / "data"
        built = in_child(
            corpus_build,
            str(data_dir),
            size,
            records,
            QUICK_REAL_ARTICLES if quick else None,
            str(cache_dir or OUT_DIR / "cache"),
        )
        for count in processes:
            with contextlib.ExitStack() as stack:
                # Server mode has no data-dir lock: the processes may share one (it holds nothing of theirs).
                servers = [stack.enter_context(qa_serve(data_dir)) for _ in range(count)]
                run_result = asyncio.run(drive([s.url for s in servers], clients, duration, qs, records, str(count)))
                run_result["server_memory_mb"] = servers[0].memory_mb()
            runs.append(run_result)
    result = {**runs[0], "runs": runs, "backend": backend_name}
    result.update(
        {"corpus": corpus_name(corpus), "corpus_chunks": built["chunks"], "corpus_articles": built["articles"]}
    )
    return result


def report(r: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for run in r.get("runs", [r]):
        lines += _report_run({**r, **run})
    runs = r.get("runs", [])
    if len(runs) > 1:
        base = runs[0]["throughput_rps"]
        lines.append(
            "throughput vs "
            + f"{runs[0]['processes']} process(es): "
            + ", ".join(f"{x['processes']} processes {x['throughput_rps'] / base:.2f}x" for x in runs[1:])
        )
    return lines


def _report_run(r: dict[str, Any]) -> list[str]:
    lines = [
        f"LOAD  {r['clients']} clients for {r['duration_s']:.0f} s against {r.get('processes', 1)} qa serve "
        f"on 127.0.0.1, store {r.get('backend', 'sqlite')} "
        f"({r['corpus_articles']:,} articles / {r['corpus_chunks']:,} chunks, mix "
        + " / ".join(f"{int(w * 100)}% {op}" for op, w in MIX)
        + ")"
    ]
    lines.append(f"  all     {r['throughput_rps']:6.2f} req/s  {fmt_pct(r['all'])}")
    for op, s in r["by_op"].items():
        lines.append(f"  {op:<7} {s['rps']:6.2f} req/s  {fmt_pct(s)}")
    mem = r["server_memory_mb"]
    lines.append(f"  server peak RSS {mem.get('peak_rss_mb', float('nan')):.0f} MB")
    lines.append(f"errors: {r['errors']} of {r['requests']} requests  {'OK' if r['errors'] == 0 else 'FAIL'}")
    lines += [f"  e.g. {e}" for e in r["error_samples"]]
    return lines


def markdown(r: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for run in r.get("runs", [r]):
        lines += _markdown_run({**r, **run})
    return lines


def _markdown_run(r: dict[str, Any]) -> list[str]:
    lines = [
        f"{r.get('processes', 1)} process(es), store {r.get('backend', 'sqlite')}, {r['clients']} clients, {r['duration_s']:.0f} s, {r['corpus_chunks']:,} chunks: "
        f"**{r['throughput_rps']:.2f} req/s, {r['errors']} errors** in {r['requests']} requests, "
        f"server peak RSS {r['server_memory_mb'].get('peak_rss_mb', float('nan')):.0f} MB",
        "",
        "| route | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for op, s in r["by_op"].items():
        lines.append(f"| {op} | {s['rps']:.2f} | {s['p50']:.0f} | {s['p95']:.0f} | {s['p99']:.0f} |")
    return lines
