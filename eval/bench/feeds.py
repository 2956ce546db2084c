"""Feed polling throughput: 5 feeds × 50 entries from a quiet local server, against direct ingest of the same pages.

Both paths run in one process on the same article pages with the same (already warm) embedder:

* **direct** — each page's HTML extracted as a feed entry's page is (``qa.feeds.parse.entry_record``), prepared and
  ingested with ``NewsQA.ingest_articles``: the pipeline's normal speed for these pages, with no network at all;
* **polled** — ``Feeds.poll_many`` over HTTP from a local server (one host per feed, 127.0.0.1, allow-listed; no
  per-host delay, since politeness is a setting and not the pipeline's speed): feed fetch, conditional headers,
  guard, robots.txt, page fetches on the worker pool overlapped with embedding, entry bookkeeping.

The ratio polled/direct (articles per minute) says what following feeds costs over ingesting the same files. The
polled run also reports the fetch time summed over workers next to the embedding time: when the wall time is below
their sum, fetching overlapped with embedding.
"""

from __future__ import annotations

import html
import random
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from eval.bench.common import Stopwatch, corpus_name, cpu_seconds, real_records
from eval.bench.corpus import variant
from qa.chunking import encoding
from qa.config import Settings
from qa.embeddings import get_embedder
from qa.feeds.parse import entry_record, parse_feed
from qa.models import ArticleIn
from qa.service import NewsQA

FEEDS = 5
ENTRIES = 50
QUICK_ENTRIES = 8


class QuietServer:
    """A local site: fixed bytes per path, nothing else (robots.txt is a 404: everything allowed)."""

    def __init__(self, routes: dict[str, tuple[bytes, str]]) -> None:
        self.routes = routes
        served = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                body, kind = served.routes.get(self.path, (b"not found", "text/plain"))
                self.send_response(200 if self.path in served.routes else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @contextmanager
    def running(self) -> Iterator[QuietServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()


def page_html(record: ArticleIn) -> bytes:
    paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in record.body.split("\n\n") if p.strip())
    title = html.escape(record.title or "")
    return (
        f"<!doctype html><html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>{title}</h1>{paragraphs}</article><footer>All rights reserved.</footer></body></html>"
    ).encode()


def feed_xml(title: str, base: str, records: list[tuple[str, ArticleIn]]) -> bytes:
    items = "".join(
        f"<item><title>{html.escape(r.title or '')}</title><link>{base}{path}</link><guid>{base}{path}</guid>"
        + (f"<pubDate>{r.published_at:%a, %d %b %Y} 08:00:00 GMT</pubDate>" if r.published_at else "")
        + "</item>"
        for path, r in records
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{html.escape(title)}</title>'
        f"<link>{base}/</link><description>bench</description>{items}</channel></rss>"
    ).encode()


def articles(n: int, corpus: str) -> list[ArticleIn]:
    """``n`` distinct articles: the corpus's, then variants of them (paragraphs reshuffled and swapped)."""
    real = [r for r in real_records(corpus) if r.title and len(r.body) > 400]
    rng = random.Random(7)
    out = real[:n]
    while len(out) < n:
        out.append(variant(len(out), rng.choice(real), rng.choice(real), rng))
    return out


def _rate_per_min(n: int, seconds: float) -> float:
    return 60 * n / seconds if seconds > 0 else float("nan")


def run(quick: bool = False, corpus: str = "auto") -> dict[str, Any]:
    per_feed = QUICK_ENTRIES if quick else ENTRIES
    records = articles(FEEDS * per_feed, corpus)
    embedder = get_embedder(Settings())
    embedder.embed(["warm-up: the first onnxruntime run allocates its buffers"] * 8)
    encoding()
    servers = [QuietServer({}) for _ in range(FEEDS)]
    feeds: list[str] = []
    for f, server in enumerate(servers):
        mine = [(f"/a/{i}", records[f * per_feed + i]) for i in range(per_feed)]
        server.routes["/feed.xml"] = (feed_xml(f"Outlet {f}", server.base, mine), "application/rss+xml")
        for path, record in mine:
            server.routes[path] = (page_html(record), "text/html; charset=utf-8")
        feeds.append(server.base + "/feed.xml")
    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="qa-bench-feeds-") as tmp:
        for server in servers:
            stack.enter_context(server.running())
        direct = run_direct(servers, Settings(data_dir=Path(tmp) / "direct"), embedder)
        settings = Settings(data_dir=Path(tmp) / "polled", fetch_allow_hosts=["127.0.0.1"], fetch_host_delay_s=0.0)
        polled = run_polled(feeds, settings, embedder)
    ratio = _rate_per_min(polled["articles"], polled["wall_s"]) / _rate_per_min(direct["articles"], direct["wall_s"])
    # The same on process CPU time: what the work costs, less sensitive to other load on the machine.
    ratio_cpu = _rate_per_min(polled["articles"], polled["cpu_s"]) / _rate_per_min(direct["articles"], direct["cpu_s"])
    return {
        "corpus": corpus_name(corpus),
        "feeds": FEEDS,
        "entries_per_feed": per_feed,
        "direct": direct,
        "polled": polled,
        "ratio_polled_vs_direct": ratio,
        "ratio_polled_vs_direct_cpu": ratio_cpu,
    }


def run_direct(servers: list[QuietServer], settings: Settings, embedder: Any) -> dict[str, Any]:
    """The same pages, read from the servers' memory and ingested with no HTTP."""
    svc = NewsQA(settings, embedder=embedder)
    try:
        w, c = time.perf_counter(), cpu_seconds()
        prepared = []
        for f, server in enumerate(servers):
            feed = parse_feed(server.routes["/feed.xml"][0], server.base + "/feed.xml", 10_000)
            for entry in feed.entries:
                page = server.routes[entry.link.removeprefix(server.base)][0].decode("utf-8")  # type: ignore[union-attr]
                prepared.append(svc.prepare(entry_record(entry, page, entry.link or "", f"Outlet {f}")))
        report = svc.ingest_articles(prepared)
        wall, cpu = time.perf_counter() - w, cpu_seconds() - c
        return {"articles": report.count("added"), "wall_s": wall, "cpu_s": cpu}
    finally:
        svc.close()


def run_polled(feeds: list[str], settings: Settings, embedder: Any) -> dict[str, Any]:
    watch = Stopwatch()
    svc = NewsQA(settings, embedder=embedder)
    try:
        for url in feeds:
            svc.feeds.add(url)
        watch.wrap(svc.feeds.fetcher, "get", "fetch (summed over workers)")
        watch.wrap(svc.embedder, "embed", "embed")
        w, c = time.perf_counter(), cpu_seconds()
        reports = svc.feeds.poll_many()
        wall, cpu = time.perf_counter() - w, cpu_seconds() - c
        added = sum(r.count("added") for r in reports)
        again = time.perf_counter()
        second = svc.feeds.poll_many()
        return {
            "articles": added,
            "failed_or_skipped": sum(r.count("failed") + r.count("skipped") for r in reports),
            "wall_s": wall,
            "cpu_s": cpu,
            "phases_s": {name: round(span.wall, 3) for name, span in watch.spans.items()},
            "second_poll_s": time.perf_counter() - again,
            "second_poll_new": sum(r.new for r in second),
        }
    finally:
        svc.close()


def report(r: dict[str, Any]) -> list[str]:
    d, p = r["direct"], r["polled"]
    phases = ", ".join(f"{k} {v:.1f}s" for k, v in p["phases_s"].items())
    return [
        f"FEEDS  {r['corpus']}: {r['feeds']} feeds × {r['entries_per_feed']} entries from a local server",
        f"  direct ingest of the same pages   {d['wall_s']:7.1f} s  {_rate_per_min(d['articles'], d['wall_s']):7.0f} "
        f"articles/min  ({d['articles']} articles, CPU {d['cpu_s']:.1f} s)",
        f"  polled (HTTP, fetch ∥ embed)      {p['wall_s']:7.1f} s  {_rate_per_min(p['articles'], p['wall_s']):7.0f} "
        f"articles/min  ({p['articles']} articles, {p['failed_or_skipped']} failed or skipped, CPU {p['cpu_s']:.1f} s)",
        f"    where the time went: {phases} (overlapped when their sum exceeds the wall time)",
        f"  second poll: {p['second_poll_s']:.2f} s, {p['second_poll_new']} new entries (feeds answer 200, entries seen)",
        f"ratio polled/direct (articles/min): {r['ratio_polled_vs_direct']:.2f}  "
        f"(on CPU time: {r['ratio_polled_vs_direct_cpu']:.2f})",
    ]


def markdown(r: dict[str, Any]) -> list[str]:
    d, p = r["direct"], r["polled"]
    return [
        "| path | articles | seconds | articles/min |",
        "|---|---:|---:|---:|",
        f"| direct ingest of the same pages | {d['articles']} | {d['wall_s']:.1f} | "
        f"{_rate_per_min(d['articles'], d['wall_s']):.0f} |",
        f"| polled: {r['feeds']} feeds × {r['entries_per_feed']} entries over HTTP | {p['articles']} | "
        f"{p['wall_s']:.1f} | {_rate_per_min(p['articles'], p['wall_s']):.0f} |",
        f"| **ratio** polled/direct | | | **{r['ratio_polled_vs_direct']:.2f}** "
        f"(CPU {r['ratio_polled_vs_direct_cpu']:.2f}) |",
    ]
