"""Query latency at growing corpus sizes: retrieval and extractive ``ask``, in-process and over HTTP.

For each size the corpus is grown (:mod:`eval.bench.corpus`, in a child process), then measured in a fresh
child process (``NewsQA.search`` and ``NewsQA.ask``, whose peak RSS is the in-process service's memory at
that size), then over HTTP against a real ``qa serve`` on 127.0.0.1 (``/v1/search`` and ``/v1/ask``, and
the server's own peak RSS). Requests are sequential: this is latency, the load benchmark does concurrency.
Every question carries its ``today`` date, as RealTimeQA's do, so retrieval applies its date filter.
"""

from __future__ import annotations

import itertools
import multiprocessing
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from eval.bench import corpus
from eval.bench.backends import backend
from eval.bench.common import Question, corpus_name, dir_mb, fmt_pct, peak_rss_mb, percentiles, questions, real_records
from eval.bench.server import qa_serve

SIZES = (1_000, 10_000, 100_000)
QUICK_SIZES = (1_000, 10_000)
QUICK_REAL_ARTICLES = 120  # ≈ 1k real chunks to embed once (then cached); the rest is synthetic
TARGET_ARTICLES = 10_000
TARGET_P50_MS, TARGET_P95_MS = 50.0, 150.0
CHAT_GAP_MS = 10.0  # /v1/chat/completions (non-streaming) p50 within this of /v1/ask on the same questions
WARMUP = 3


def in_child(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` in a fresh spawned process, so its memory and Chroma handles end with it."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(fn, *args).result()


def _timed(fn: Callable[[], Any], n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def measure_inprocess(data_dir: str, qs: list[Question], n: int) -> dict[str, Any]:
    """Sequential ``search`` and ``ask`` latencies on an opened store (runs in a child process)."""
    from qa.config import Settings
    from qa.service import NewsQA

    svc = NewsQA(Settings(data_dir=Path(data_dir)))
    it = itertools.cycle(qs)
    result: dict[str, Any] = {"stats": svc.stats()}
    search = _timed(lambda: svc.search((q := next(it)).text, today=q.today), WARMUP + n)[WARMUP:]
    result["search"] = percentiles(search)
    # The same questions without their date: no Chroma metadata filter, to show what the date filter costs.
    undated = _timed(lambda: svc.search(next(it).text), n)
    result["search_undated"] = percentiles(undated)
    ask = _timed(lambda: svc.ask((q := next(it)).text, today=q.today, generator="extractive"), WARMUP + n)
    result["ask"] = percentiles(ask[WARMUP:])
    result["peak_rss_mb"] = peak_rss_mb()
    return result


def _http_route(client: httpx.Client, route: str, qs: list[Question], n: int) -> dict[str, Any]:
    errors: list[str] = []
    it = itertools.cycle(qs)

    def call() -> None:
        q = next(it)
        body: dict[str, Any] = {"question": q.text, "today": q.today.isoformat() if q.today else None}
        if route == "ask":
            body["generator"] = "extractive"
        r = client.post(f"/v1/{route}", json=body)
        if r.status_code != 200:
            errors.append(f"{r.status_code} {r.text[:200]}")

    samples = _timed(call, WARMUP + n)[WARMUP:]
    return {**percentiles(samples), "errors": len(errors), "first_error": errors[0] if errors else None}


def _chat_body(q: Question) -> dict[str, Any]:
    body: dict[str, Any] = {"model": "newsqa", "messages": [{"role": "user", "content": q.text}]}
    if q.today:
        body["today"] = q.today.isoformat()
    return body


def _ask_vs_chat(client: httpx.Client, qs: list[Question], n: int) -> dict[str, Any]:
    """``/v1/ask`` and non-streaming ``/v1/chat/completions`` on the same questions, alternating request by
    request so both see the same machine load; the chat route's overhead is the difference of their p50s."""
    samples: dict[str, list[float]] = {"ask": [], "chat": []}
    errors: list[str] = []
    it = itertools.cycle(qs)
    for i in range(WARMUP + n):
        q = next(it)
        ask = {"question": q.text, "today": q.today.isoformat() if q.today else None, "generator": "extractive"}
        for route, path, body in (("ask", "/v1/ask", ask), ("chat", "/v1/chat/completions", _chat_body(q))):
            start = time.perf_counter()
            r = client.post(path, json=body)
            if i >= WARMUP:
                samples[route].append(time.perf_counter() - start)
            if r.status_code != 200:
                errors.append(f"{route} {r.status_code} {r.text[:200]}")
    first = errors[0] if errors else None
    return {
        route: {**percentiles(v), "errors": sum(e.startswith(route) for e in errors), "first_error": first}
        for route, v in samples.items()
    }


def measure_http(url: str, qs: list[Question], n: int) -> dict[str, Any]:
    with httpx.Client(base_url=url, timeout=60) as client:
        return {"search": _http_route(client, "search", qs, n), **_ask_vs_chat(client, qs, n)}


def run(
    quick: bool = False,
    sizes: list[int] | None = None,
    queries: int | None = None,
    corpus: str = "auto",
    cache_dir: Path | None = None,
    plot: Path | None = None,
    data_dir: Path | None = None,
    backends: tuple[str, ...] = ("sqlite",),
) -> dict[str, Any]:
    """Every size on each backend in turn (``backends``: see :mod:`eval.bench.backends`), in one run so their
    figures compare under the same machine load."""
    from eval.bench.common import OUT_DIR

    sizes = sorted(sizes or (QUICK_SIZES if quick else SIZES))
    n = queries or (30 if quick else 200)
    records = real_records(corpus)
    qs = questions(corpus)
    real_limit = QUICK_REAL_ARTICLES if quick else None
    cache = str(cache_dir or OUT_DIR / "cache")
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="qa-bench-query-") as tmp:
        for name in backends:
            with backend(name, Path(tmp)):
                # A given --data-dir is kept, and grown rather than rebuilt on the next run (SQLite only: a
                # PostgreSQL database here is a throwaway one).
                kept = data_dir if data_dir and name == "sqlite" else None
                rows += _rows_for(name, kept or Path(tmp) / f"data-{name}", sizes, records, real_limit, cache, qs, n)
    result: dict[str, Any] = {"corpus": corpus_name(corpus), "queries_per_size": n, "rows": rows}
    first = [r for r in rows if r["backend"] == backends[0]]
    result["memory"] = per_vector_memory(first)
    if plot is not None and first:
        result["plot"] = str(draw(first, plot))
    return result


def _rows_for(
    name: str,
    data_dir: Path,
    sizes: list[int],
    records: list[Any],
    real_limit: int | None,
    cache: str,
    qs: list[Question],
    n: int,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for size in sizes:
        start = time.perf_counter()
        built = in_child(corpus_build, str(data_dir), size, records, real_limit, cache)
        build_s = time.perf_counter() - start
        print(f"  [{name}] corpus {size:>7,} chunks: built in {build_s:.0f} s ({built})", flush=True)
        local = in_child(measure_inprocess, str(data_dir), qs, n)
        with qa_serve(data_dir) as server:
            http = measure_http(server.url, qs, n)
            http["server_memory_mb"] = server.memory_mb()
        rows.append(
            {
                "backend": name,
                "size": size,
                "build": built,
                "build_s": build_s,
                "inprocess": local,
                "http": http,
                "disk_mb": {
                    "sqlite": dir_mb(data_dir) - dir_mb(data_dir / "chroma"),
                    "chroma": dir_mb(data_dir / "chroma"),
                },
            }
        )
    return rows


def corpus_build(*args: Any) -> dict[str, Any]:
    return corpus.build(*args)


def per_vector_memory(rows: list[dict[str, Any]]) -> dict[str, float] | None:
    """Marginal server memory and disk per stored chunk, from the smallest to the largest corpus."""
    if len(rows) < 2:
        return None
    a, b = rows[0], rows[-1]
    dv = b["build"]["chunks"] - a["build"]["chunks"]
    mem_a = a["http"]["server_memory_mb"].get("peak_rss_mb", float("nan"))
    mem_b = b["http"]["server_memory_mb"].get("peak_rss_mb", float("nan"))
    disk = sum(b["disk_mb"].values()) - sum(a["disk_mb"].values())
    return {
        "rss_bytes_per_chunk": (mem_b - mem_a) * 2**20 / dv,
        "disk_bytes_per_chunk": disk * 1e6 / dv,
        "server_base_mb": mem_a,
    }


def draw(rows: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["build"]["chunks"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    series = [
        ("in-process search", lambda r: r["inprocess"]["search"]),
        ("in-process ask", lambda r: r["inprocess"]["ask"]),
        ("HTTP /v1/search", lambda r: r["http"]["search"]),
        ("HTTP /v1/ask", lambda r: r["http"]["ask"]),
    ]
    for label, get in series:
        if any(get(r) is None for r in rows):
            continue
        line = ax.plot(x, [get(r)["p50"] for r in rows], marker="o", label=f"{label} p50")[0]
        ax.plot(x, [get(r)["p95"] for r in rows], marker="^", ls="--", color=line.get_color(), label=f"{label} p95")
    for target, label in ((TARGET_P50_MS, "/v1/ask target p50"), (TARGET_P95_MS, "/v1/ask target p95")):
        ax.axhline(target, color="grey", lw=0.8, ls=":")
        ax.annotate(label, (x[0], target), fontsize=7, color="grey", va="bottom")
    ax.set(
        xscale="log",
        yscale="log",
        xlabel="corpus size (chunks)",
        ylabel="latency (ms)",
        title="Query latency vs corpus size (sequential requests)",
    )
    ax.legend(fontsize=7, ncol=2)
    ax.grid(True, which="both", alpha=0.3)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def report(r: dict[str, Any]) -> list[str]:
    lines = [
        f"QUERY  {r['corpus']} questions with their dates, {r['queries_per_size']} sequential requests per "
        "path and size (latencies in ms)"
    ]
    for row in r["rows"]:
        b, local, http = row["build"], row["inprocess"], row["http"]
        mem = http["server_memory_mb"]
        lines.append(
            f"  [{row.get('backend', 'sqlite')}] {b['chunks']:>7,} chunks / {b['articles']:>6,} articles ({b['synthetic_articles']:,} synthetic)"
            f"   server peak RSS {mem.get('peak_rss_mb', float('nan')):.0f} MB, in-process "
            f"{local['peak_rss_mb']:.0f} MB, disk {sum(row['disk_mb'].values()):.0f} MB"
        )
        lines.append(f"    search  in-process  {fmt_pct(local['search'])}")
        lines.append(f"    (undated, no filter) {fmt_pct(local['search_undated'])}")
        ask = local["ask"]
        lines.append(f"    ask     in-process  {fmt_pct(ask) if ask else 'n/a (NewsQA.ask is not available)'}")
        for route in ("search", "ask", "chat"):
            h = http.get(route)
            if h is None:
                continue
            err = f"  errors {h['errors']}" + (f" ({h['first_error']})" if h["errors"] else "")
            lines.append(f"    {route:<7} HTTP        {fmt_pct(h)}{err}")
        if "chat" in http:
            gap = http["chat"]["p50"] - http["ask"]["p50"]
            lines.append(f"    chat p50 - ask p50: {gap:+.1f} ms (target within {CHAT_GAP_MS:.0f} ms)")
    mem = r.get("memory")
    if mem:
        lines.append(
            f"  memory per chunk (marginal, server peak RSS): {mem['rss_bytes_per_chunk']:,.0f} B; "
            f"disk per chunk: {mem['disk_bytes_per_chunk']:,.0f} B"
        )
    for name in dict.fromkeys(row.get("backend", "sqlite") for row in r["rows"]):
        last = [row for row in r["rows"] if row.get("backend", "sqlite") == name][-1]
        h = last["http"]["ask"]
        label = "target" if last["build"]["articles"] >= TARGET_ARTICLES else "target (corpus below 10k articles)"
        ok = h["errors"] == 0 and h["p50"] <= TARGET_P50_MS and h["p95"] <= TARGET_P95_MS
        lines.append(
            f"[{name}] {label}: /v1/ask at {last['build']['articles']:,} articles p50 {h['p50']:.1f} ms "
            f"(<= {TARGET_P50_MS:.0f}), p95 {h['p95']:.1f} ms (<= {TARGET_P95_MS:.0f})  {'OK' if ok else 'BELOW'}"
        )
    if "plot" in r:
        lines.append(f"  plot: {r['plot']}")
    return lines


def markdown(r: dict[str, Any]) -> list[str]:
    def cell(p: dict[str, float] | None) -> str:
        return "n/a" if p is None else f"{p['p50']:.0f} / {p['p95']:.0f} / {p['p99']:.0f}"

    lines = [
        "| store | chunks | articles | search in-process | `/v1/search` | ask in-process | `/v1/ask` | `/v1/chat/completions` "
        "| server peak RSS | disk |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in r["rows"]:
        b, local, http = row["build"], row["inprocess"], row["http"]
        lines.append(
            f"| {row.get('backend', 'sqlite')} | {b['chunks']:,} | {b['articles']:,} | {cell(local['search'])} | {cell(http['search'])} | "
            f"{cell(local['ask'])} | {cell(http['ask'])} | {cell(http.get('chat'))} | "
            f"{http['server_memory_mb'].get('peak_rss_mb', float('nan')):.0f} MB | "
            f"{sum(row['disk_mb'].values()):.0f} MB |"
        )
    lines.append("")
    lines.append("Latencies in ms as p50 / p95 / p99, sequential requests, questions with their dates.")
    return lines
