"""The ``qa`` command: a thin layer over :class:`qa.service.NewsQA` (no logic of its own)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from eval.cli import eval_app
from qa.config import Settings
from qa.errors import QAError
from qa.models import Filters

app = typer.Typer(help="Grounded news Q&A and briefings over your articles.", no_args_is_help=True)
articles_app = typer.Typer(help="List, show and delete stored articles.", no_args_is_help=True)
app.add_typer(articles_app, name="articles")
app.add_typer(eval_app, name="eval")

console = Console(stderr=True)
out = Console()

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: $QA_DATA_DIR or ./data).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def settings_for(data_dir: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, with CLI flags on top."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def open_service(data_dir: Path | None = None, **overrides: Any) -> Any:
    from qa.service import NewsQA

    return NewsQA(settings_for(data_dir, **overrides))


def print_json(data: Any) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()]
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def fail(exc: QAError) -> None:
    console.print(f"[red]error:[/red] {exc.detail}")
    raise typer.Exit(2)


def parse_day(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        console.print(f"[red]error:[/red] {name} must be a date YYYY-MM-DD, got {value!r}")
        raise typer.Exit(2) from None


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .json .jsonl).")],
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Add or update articles; re-ingesting unchanged articles changes nothing."""
    missing = [p for p in paths if not p.exists()]
    if missing:
        console.print(f"[red]error:[/red] no such file or folder: {', '.join(map(str, missing))}")
        raise typer.Exit(2)
    try:
        svc = open_service(data_dir)
        with progress_bar("Indexing", None) as advance:
            report = svc.ingest_paths(paths, progress=advance)
    except QAError as exc:
        fail(exc)
    if as_json:
        print_json({**report.summary, "items": [i.model_dump() for i in report.items]})
        return
    for item in report.items:
        if item.status == "skipped":
            console.print(f"[yellow]skipped[/yellow] {item.path}: {item.reason}")
    s = report.summary
    out.print(
        f"articles: {s['added']} added, {s['updated']} updated, {s['unchanged']} unchanged, "
        f"{s['skipped']} skipped; chunks: {s['chunks']} written"
    )


@articles_app.command("list")
def articles_list(
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
) -> None:
    """Every stored article (newest first)."""
    filters = Filters(source=source, since=parse_day(since, "--since"), until=parse_day(until, "--until"))
    items, _total = open_service(data_dir).list_articles(filters)
    if as_json:
        print_json([a.model_dump(exclude={"body"}, mode="json") for a in items])
        return
    table = Table("id", "published", "source", "chunks", "title")
    for a in items:
        table.add_row(a.id, str(a.published_at or ""), a.source or "", str(a.n_chunks), a.title)
    out.print(table)
    out.print(f"{len(items)} articles")


@articles_app.command("show")
def articles_show(article_id: str, data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """One article with its stored cleaned body."""
    try:
        art = open_service(data_dir).get_article(article_id)
    except QAError as exc:
        fail(exc)
    if as_json:
        print_json(art.model_dump(mode="json"))
        return
    out.print(f"[bold]{art.title}[/bold]\n{art.published_at or ''} {art.source or ''} {art.url or ''}\n")
    out.print(art.body, markup=False, highlight=False)


@articles_app.command("delete")
def articles_delete(article_id: str, data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """Remove an article and every chunk of it."""
    try:
        open_service(data_dir).delete_article(article_id)
    except QAError as exc:
        fail(exc)
    if as_json:
        print_json({"deleted": article_id})
    else:
        out.print(f"deleted {article_id}")


@app.command()
def search(
    question: str,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Number of hits.")] = 8,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
    today: Annotated[str | None, typer.Option(help="The question's date (YYYY-MM-DD): no later articles.")] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
) -> None:
    """Hybrid search (dense + BM25) over the stored chunks."""
    if mode not in ("hybrid", "dense", "bm25"):
        console.print("[red]error:[/red] --mode must be hybrid, dense or bm25")
        raise typer.Exit(2)
    filters = Filters(source=source, since=parse_day(since, "--since"), until=parse_day(until, "--until"))
    try:
        hits = open_service(data_dir).search(
            question,
            k=k,
            filters=filters,
            today=parse_day(today, "--today"),
            mode=mode,  # type: ignore[arg-type]
        )
    except QAError as exc:
        fail(exc)
    if as_json:
        keys = ("article_id", "title", "chunk_index", "start", "end", "text", "score")
        print_json([{key: getattr(h, key) for key in keys} for h in hits])
        return
    for n, h in enumerate(hits, 1):
        out.print(f"[bold]{n}. {h.title}[/bold] ({h.article_id}#{h.chunk_index}, score {h.score:.3f})")
        out.print(h.text, markup=False, highlight=False)
        out.print()


def _answer_json(answer: Any) -> dict[str, Any]:
    data = answer.model_dump(mode="json")
    keys = ("answer", "short_answer", "answerable", "citations", "sentences", "generator", "fallback")
    return {k: data[k] for k in keys}


def _print_citations(citations: list[Any]) -> None:
    for n, c in enumerate(citations, 1):
        when = f", {c.published_at}" if c.published_at else ""
        out.print(f"[{n}] {c.title}{when} ({c.article_id} {c.start}-{c.end})", markup=False, highlight=False)
        out.print(f"    “{c.quote}”", markup=False, highlight=False)


@app.command()
def ask(
    question: str,
    today: Annotated[str | None, typer.Option(help='The question\'s date (YYYY-MM-DD), for "this week".')] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Use the configured OpenAI-compatible LLM.")] = False,
    k: Annotated[int | None, typer.Option("-k", min=1, max=100, help="Passages to retrieve.")] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """A grounded answer with verbatim citations (abstains when the articles don't say)."""
    try:
        answer = open_service(data_dir).ask(
            question, today=parse_day(today, "--today"), k=k, generator="llm" if llm else None
        )
    except QAError as exc:
        fail(exc)
    if as_json:
        print_json(_answer_json(answer))
        return
    out.print(answer.answer, markup=False, highlight=False)
    if answer.short_answer:
        out.print(f"\nShort answer: {answer.short_answer}", markup=False, highlight=False)
    if answer.fallback:
        console.print("[yellow]note:[/yellow] the LLM answer was not supported by the articles; showing quotes")
    if answer.citations:
        out.print()
        _print_citations(answer.citations)


@app.command()
def brief(
    article: Annotated[list[str] | None, typer.Option("--article", help="Article id (repeatable).")] = None,
    topic: Annotated[str | None, typer.Option(help="Topic to find articles for.")] = None,
    since: Annotated[str | None, typer.Option(help="Published on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Published on or before YYYY-MM-DD.")] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Use the configured OpenAI-compatible LLM.")] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """A title and 3–8 cited bullets over the given articles or a topic."""
    try:
        result = open_service(data_dir).brief(
            article_ids=article or None,
            topic=topic,
            since=parse_day(since, "--since"),
            until=parse_day(until, "--until"),
            generator="llm" if llm else None,
        )
    except QAError as exc:
        fail(exc)
    if as_json:
        data = result.model_dump(mode="json")
        print_json(
            {
                "title": data["title"],
                "bullets": [{"text": b["text"], "citations": b["citations"]} for b in data["bullets"]],
                "article_ids": data["article_ids"],
            }
        )
        return
    out.print(f"[bold]{result.title}[/bold]")
    for b in result.bullets:
        refs = ", ".join(f"{c.article_id}:{c.start}-{c.end}" for c in b.citations)
        out.print(f"• {b.text} ", markup=False, highlight=False, end="")
        out.print(f"[dim]({refs})[/dim]")


@app.command()
def reindex(data_dir: DataDir = None) -> None:
    """Rebuild chunks, BM25 and vectors from the stored articles (after changing chunking or embedder)."""
    try:
        svc = open_service(data_dir)
        with progress_bar("Reindexing", svc.store.count(states=("ready", "indexing"))) as advance:
            n = svc.reindex(progress=advance)
    except QAError as exc:
        fail(exc)
    out.print(f"reindexed {n} articles; {svc.stats()}")


@app.command()
def stats(data_dir: DataDir = None) -> None:
    """Counts of articles, chunks and vectors."""
    print_json(open_service(data_dir).stats())


DEMO_ARTICLES = Path(__file__).resolve().parent.parent / "demo" / "articles"


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    data_dir: DataDir = None,
    load_demo: Annotated[bool, typer.Option("--load-demo", help="Ingest demo/articles before serving.")] = False,
    log_json: Annotated[bool | None, typer.Option("--log-json/--log-text", help="Log JSON lines.")] = None,
    log_level: Annotated[str | None, typer.Option(help="DEBUG, INFO, WARNING, ... (default $QA_LOG_LEVEL).")] = None,
) -> None:
    """Serve the HTTP API (docs at /docs) with uvicorn; models load once at start-up."""
    import logging

    import uvicorn

    from api.app import create_app
    from api.log import configure_logging

    settings = settings_for(data_dir, log_json=log_json, log_level=log_level)
    configure_logging(settings)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_keys:
        logging.getLogger("api").warning("serving on %s without QA_API_KEYS: anyone who can reach it can use it", host)
    service = None
    if load_demo:
        if not DEMO_ARTICLES.is_dir():
            console.print(f"[red]error:[/red] demo corpus not found at {DEMO_ARTICLES}")
            raise typer.Exit(2)
        try:
            from qa.service import NewsQA

            service = NewsQA(settings)
            s = service.ingest_paths([DEMO_ARTICLES]).summary
        except QAError as exc:
            fail(exc)
        console.print(f"demo corpus: {s['added']} added, {s['updated']} updated, {s['unchanged']} unchanged")
    # log_config=None keeps the logging set up above (request ids, JSON) instead of uvicorn's own.
    uvicorn.run(
        create_app(settings, service),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
        log_level=settings.log_level.lower(),
    )


def main() -> None:  # pragma: no cover - console entry
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
