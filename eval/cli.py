"""``qa eval ...``: argument parsing, progress bars and tables over eval.runner and eval.report."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from eval.report import TYPE_TABLE_KEYS, ReportSpec, fmt, write_json, write_report
from qa.config import Settings
from qa.errors import QAError
from qa.exit_codes import ExitCode
from qa.terminal import console, error, fail, progress_bar

eval_app = typer.Typer(help="Evaluate retrieval, answers and grounding on QA datasets.", no_args_is_help=True)

Questions = Annotated[Path, typer.Option("--questions", exists=True, dir_okay=False, help="QA JSONL file.")]
Articles = Annotated[list[Path], typer.Option("--articles", exists=True, help="Articles file or folder (repeatable).")]
# Piped output (CI logs, files) gets room for the wide tables instead of rich's 80-column default.
out = Console() if sys.stdout.isatty() else Console(width=140)

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Reuse this store (stored articles are not re-embedded); default: a temp store."),
]
JsonOut = Annotated[Path | None, typer.Option("--json", help="Write the results as JSON here.")]
ReportDir = Annotated[Path | None, typer.Option("--report", help="Write report.md/.html, plots and JSON here.")]
Split = Annotated[
    str | None,
    typer.Option(
        "--split",
        help="Only the earlier (tune) or later (check) half of a dated set, cut at the middle question's date.",
    ),
]
FailUnder = Annotated[
    list[str] | None, typer.Option("--fail-under", help="Gate metric=value; exit 1 when below (repeatable).")
]


def load(questions: Path, articles: list[Path], split: str | None = None) -> tuple[Any, list[Any]]:
    from eval.datasets import load_corpus, load_questions, split_by_date

    corpus = load_corpus(articles)
    for path, reason in corpus.skipped:
        console.print(f"[yellow]skipped[/yellow] {path}: {reason}")
    try:
        items = load_questions(questions, corpus)
        if split is not None:
            items = split_by_date(items, split)
    except (ValueError, KeyError) as exc:
        error(f"{questions}: {exc}", ExitCode.REFUSED)
    return corpus, items


def ingest_with_bar(svc: Any, corpus: Any) -> None:
    from eval import runner

    with progress_bar("Ingesting", len(corpus.records)) as advance:
        summary = runner.ingest(svc, corpus, advance)
    console.print(f"corpus: {len(corpus.records)} articles ({summary['added'] + summary['updated']} indexed now)")


@eval_app.command()
def retrieval(
    questions: Questions,
    articles: Articles,
    data_dir: DataDir = None,
    k: Annotated[int, typer.Option("--k", min=1, max=50, help="Cut-off for recall and MRR (articles).")] = 10,
    split: Split = None,
    json_out: JsonOut = None,
) -> None:
    """Article-level hit@1/5/10 and MRR for dense-only, BM25-only and hybrid retrieval."""
    from eval import runner

    corpus, items = load(questions, articles, split)
    with runner.service(Settings(), data_dir) as svc:
        ingest_with_bar(svc, corpus)
        missing = runner.check_gold(svc, items)
        if missing:
            console.print(f"[yellow]warning:[/yellow] {len(missing)} gold articles not in the corpus: {missing[:5]}")
        scored = sum(1 for it in items if it.answerable and it.article_ids)
        with progress_bar("Searching", scored * len(runner.MODES)) as advance:
            result = runner.run_retrieval(svc, items, k=k, progress=advance)
    modes = result["modes"]
    table = Table("metric", *modes, title=f"Retrieval over {scored} questions (article level)")
    for key in next(iter(modes.values())):
        table.add_row(key, *(fmt(row[key]) for row in modes.values()))
    out.print(table)
    if json_out:
        write_json(result, json_out)


def parse_gates(gates: list[str], known: Iterable[str]) -> dict[str, float]:
    """``metric=value`` gates, checked before any work starts: a typo must not cost a whole eval run."""
    parsed: dict[str, float] = {}
    for gate in gates:
        name, sep, value = gate.partition("=")
        try:
            parsed[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            error(f"--fail-under takes metric=value, got {gate!r}", ExitCode.USAGE)
    unknown = sorted(set(parsed) - set(known))
    if unknown:
        error(
            f"--fail-under: unknown metric {', '.join(map(repr, unknown))}; known: {', '.join(sorted(known))}",
            ExitCode.USAGE,
        )
    return parsed


def check_gates(overall: dict[str, Any], gates: dict[str, float]) -> list[str]:
    """Failed gates as messages. A metric that is missing or undefined (nan) fails its gate: a gate on a
    figure the run could not measure must not pass silently."""
    failed = []
    for name, floor in gates.items():
        value = overall.get(name)
        if not isinstance(value, int | float) or value != value or value < floor:
            failed.append(f"{name} = {fmt(value)} < {floor}")
    return failed


def print_overall(title: str, overall: dict[str, Any], by_type: dict[str, dict[str, Any]]) -> None:
    table = Table("metric", "value", title=title)
    for key, value in overall.items():
        table.add_row(key, fmt(value))
    out.print(table)
    if by_type:
        keys = [k for k in TYPE_TABLE_KEYS if any(fmt(g.get(k)) != "–" for g in by_type.values())]
        table = Table(title="By question type")
        table.add_column("type", no_wrap=True)
        for key in keys:
            table.add_column(key)
        for name, g in by_type.items():
            table.add_row(name, *(fmt(g.get(k)) for k in keys))
        out.print(table)


def finish(
    result: dict[str, Any],
    overall: dict[str, Any],
    spec: ReportSpec,
    json_out: Path | None,
    report: Path | None,
    gates: dict[str, float],
) -> None:
    """Write the JSON and the report, then apply the gates (exit FAILED when one fails)."""
    if json_out:
        write_json(result, json_out)
    if report:
        path = write_report(spec, report)
        write_json(result, report / "results.json")
        console.print(f"report: {path}")
    failed = check_gates(overall, gates)
    for message in failed:
        console.print(f"[red]gate failed:[/red] {message}")
    if failed:
        raise typer.Exit(ExitCode.FAILED)


@eval_app.command("qa")
def qa_command(
    questions: Annotated[
        Path | None,
        typer.Option("--questions", exists=True, dir_okay=False, help="QA JSONL (default: the built-in demo set)."),
    ] = None,
    articles: Annotated[
        list[Path] | None, typer.Option("--articles", exists=True, help="Articles file or folder (repeatable).")
    ] = None,
    briefings: Annotated[
        Path | None, typer.Option("--briefings", exists=True, dir_okay=False, help="Briefing cases JSONL.")
    ] = None,
    data_dir: DataDir = None,
    k: Annotated[int | None, typer.Option("--k", min=1, max=50, help="Chunks per answer (default: QA_K).")] = None,
    generator: Annotated[str, typer.Option("--generator", help="extractive or llm.")] = "extractive",
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N questions.")] = None,
    split: Split = None,
    json_out: JsonOut = None,
    report: ReportDir = None,
    fail_under: FailUnder = None,
) -> None:
    """Answer every question of a QA set and score retrieval, answers, abstention, citations, faithfulness."""
    from eval import runner
    from eval.datasets import DEMO_ARTICLES, DEMO_BRIEFINGS, DEMO_QUESTIONS, load_briefings
    from eval.report import qa_overall, qa_spec
    from eval.scoring import qa_metric_names

    if generator not in ("extractive", "llm"):
        error("--generator must be extractive or llm", ExitCode.USAGE)
    gates = parse_gates(fail_under or [], qa_metric_names())
    if questions is None:  # the built-in set: demo questions, the demo corpus and its briefing cases
        questions, articles, briefings = DEMO_QUESTIONS, [DEMO_ARTICLES], briefings or DEMO_BRIEFINGS
    if not articles:
        error("--articles is required with --questions", ExitCode.USAGE)
    corpus, items = load(questions, articles, split)
    items = items[:limit] if limit else items
    cases = load_briefings(briefings, corpus) if briefings else []
    try:
        with runner.service(Settings(), data_dir) as svc:
            ingest_with_bar(svc, corpus)
            with progress_bar("Answering", len(items) + len(cases)) as advance:
                result = runner.run_qa(svc, items, cases, k=k, generator=generator, progress=advance)
    except QAError as exc:  # e.g. --generator llm without an endpoint configured
        fail(exc)
    result["dataset"] = {
        "questions": str(questions),
        "articles": [str(a) for a in articles],
        "n_articles": len(corpus.records),
    }
    print_overall(f"QA eval: {questions.name} ({len(items)} questions)", result["overall"], result["by_type"])
    if "briefings" in result:
        print_overall("Briefings", result["briefings"]["overall"], {})
    finish(result, qa_overall(result), qa_spec(result, f"QA eval: {questions.name}"), json_out, report, gates)


@eval_app.command()
def grounding(
    data: Annotated[Path, typer.Option("--data", exists=True, dir_okay=False, help="Labelled grounding JSONL.")],
    mode: Annotated[str, typer.Option("--mode", help="offline (our verifier) or llm (LLM judge).")] = "offline",
    json_out: JsonOut = None,
    report: ReportDir = None,
    fail_under: FailUnder = None,
) -> None:
    """Score the grounding verifier on (source, response, label) records: balanced accuracy, F1, AUC."""
    from eval.grounding import grounding_metric_names, run_grounding_eval
    from eval.report import grounding_spec

    if mode not in ("offline", "llm"):
        error("--mode must be offline or llm", ExitCode.USAGE)
    gates = parse_gates(fail_under or [], grounding_metric_names())
    total = sum(1 for line in data.read_text(encoding="utf-8").splitlines() if line.strip())
    with progress_bar("Verifying", total) as advance:
        result = run_grounding_eval(data, mode, Settings(), progress=lambda done, total: advance(1))
    overall = {k: v for k, v in result.items() if k != "per_item"}
    print_overall(f"Grounding eval: {data.name} ({mode})", overall, {})
    finish(result, overall, grounding_spec(result, f"Grounding eval: {data.name} ({mode})"), json_out, report, gates)
