"""``python -m eval.bench [ingest|query|load|feeds|all] [--quick] [--json OUT] [--plot PNG]`` (default: all)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from eval.bench.common import OUT_DIR, env_line

BENCHES = ("ingest", "query", "load", "feeds")


def parse(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.bench", description=__doc__)
    p.add_argument("bench", nargs="?", choices=(*BENCHES, "all"), default="all")
    p.add_argument("--quick", action="store_true", help="Small sizes for regression checks (each under 2 minutes).")
    p.add_argument("--json", type=Path, help="Write every figure as JSON here.")
    p.add_argument("--markdown", type=Path, help="Write the results tables (with this command) as Markdown here.")
    p.add_argument("--plot", type=Path, help=f"Latency-vs-corpus-size plot (default {OUT_DIR / 'query-latency.png'}).")
    p.add_argument(
        "--corpus",
        choices=("auto", "realtimeqa", "demo"),
        default="auto",
        help="Real articles to start from (auto: RealTimeQA where ../shared/data exists, else demo).",
    )
    p.add_argument("--articles", type=int, help="ingest: number of articles (default: 48 quick, all otherwise).")
    p.add_argument(
        "--sizes",
        type=lambda s: [int(x) for x in s.split(",")],
        help="query: corpus sizes in chunks, e.g. 1000,10000,100000.",
    )
    p.add_argument("--queries", type=int, help="query: timed requests per size and path (default 30 quick, 200).")
    p.add_argument("--data-dir", type=Path, help="query: build the corpus here and keep it (default: a temp dir).")
    p.add_argument(
        "--backend",
        choices=("sqlite", "postgres"),
        default="sqlite",
        help="query: also measure this article store, after SQLite in the same run (postgres: a throwaway local "
        "PostgreSQL); load: the store the servers share.",
    )
    p.add_argument(
        "--processes",
        type=lambda s: [int(x) for x in s.split(",")],
        default=[1],
        help="load: qa serve processes sharing one store and a Chroma server, e.g. 1,2 (each count in turn; more "
        "than one needs --backend postgres).",
    )
    p.add_argument("--clients", type=int, help="load: concurrent clients (default 8, quick 4).")
    p.add_argument("--duration", type=float, help="load: seconds of load (default 60, quick 20).")
    p.add_argument(
        "--cache-dir",
        type=Path,
        default=OUT_DIR / "cache",
        help="Embeddings of the real chunks, kept between runs (query and load corpora).",
    )
    return p.parse_args(argv)


def run_one(name: str, args: argparse.Namespace) -> tuple[dict[str, Any], list[str]]:
    """Run one benchmark, print its report; returns its figures and its Markdown table."""
    if name == "ingest":
        from eval.bench import ingest as bench

        result = bench.run(quick=args.quick, articles=args.articles, corpus=args.corpus)
    elif name == "feeds":
        from eval.bench import feeds as bench  # type: ignore[no-redef]

        result = bench.run(quick=args.quick, corpus=args.corpus)
    elif name == "query":
        from eval.bench import query as bench  # type: ignore[no-redef]

        result = bench.run(
            quick=args.quick,
            sizes=args.sizes,
            queries=args.queries,
            corpus=args.corpus,
            cache_dir=args.cache_dir,
            plot=args.plot or OUT_DIR / "query-latency.png",
            data_dir=args.data_dir,
            backends=tuple(dict.fromkeys(("sqlite", args.backend))),
        )
    else:
        from eval.bench import load as bench  # type: ignore[no-redef]

        result = bench.run(
            quick=args.quick,
            clients=args.clients,
            duration=args.duration,
            corpus=args.corpus,
            cache_dir=args.cache_dir,
            backend_name=args.backend,
            processes=args.processes,
        )
    print("\n".join(bench.report(result)), flush=True)
    return result, bench.markdown(result)


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    print(env_line(), flush=True)
    command = "python -m eval.bench " + " ".join(sys.argv[1:] if argv is None else argv)
    results: dict[str, Any] = {"quick": args.quick, "command": command}
    tables = [f"Command: `{command}` ({time.strftime('%Y-%m-%d')}; {env_line()})", ""]
    for name in BENCHES if args.bench == "all" else (args.bench,):
        start = time.perf_counter()
        results[name], table = run_one(name, args)
        print(f"({name} took {time.perf_counter() - start:.0f} s)\n", flush=True)
        tables += [f"**{name}**", "", *table, ""]
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text("\n".join(tables))
        print(f"wrote {args.markdown}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, default=str))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
