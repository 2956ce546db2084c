"""The ``qa`` command: a thin layer over :class:`qa.service.NewsQA` (no logic of its own)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.markup import escape
from rich.table import Table

from eval.cli import eval_app
from qa import exit_codes
from qa.config import Settings
from qa.errors import QAError
from qa.exit_codes import ExitCode
from qa.feeds_cli import feeds_app
from qa.models import Explanation, Filters
from qa.reasons import DESCRIPTIONS
from qa.terminal import console, error, fail, out, progress_bar

app = typer.Typer(
    help="Grounded news Q&A and briefings over your articles.",
    epilog=exit_codes.HELP,
    no_args_is_help=True,
)
articles_app = typer.Typer(help="List, show and delete stored articles.", no_args_is_help=True)
app.add_typer(articles_app, name="articles")
app.add_typer(eval_app, name="eval")
app.add_typer(feeds_app, name="feeds")

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: $QA_DATA_DIR or ./data).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]
Since = Annotated[str | None, typer.Option(metavar="YYYY-MM-DD", help="Published on or after this day.")]
Until = Annotated[str | None, typer.Option(metavar="YYYY-MM-DD", help="Published on or before this day.")]
ArticleIds = Annotated[
    list[str] | None,
    typer.Option("--article", metavar="ID", help="Only this article id (repeatable); unknown ids are an error."),
]


def package_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newsqa")
    except PackageNotFoundError:  # a bare checkout, not installed
        from qa import __version__

        return __version__


def _print_version(value: bool) -> None:
    if value:
        out.print(f"qa (newsqa) {package_version()}")
        raise typer.Exit()


@app.callback()
def main_options(
    version: Annotated[
        bool, typer.Option("--version", callback=_print_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """Grounded news Q&A and briefings over your articles."""


def settings_for(data_dir: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, with CLI flags on top."""
    values = {k: v for k, v in overrides.items() if v is not None}
    if data_dir is not None:
        values["data_dir"] = data_dir
    return Settings(**values)


def open_service(data_dir: Path | None = None, **overrides: Any) -> Any:
    return service_for(settings_for(data_dir, **overrides))


def service_for(settings: Settings) -> Any:
    from qa.datadir import DataDirBusy
    from qa.service import NewsQA

    try:
        return NewsQA(settings)
    except DataDirBusy as exc:  # every command opens the store: one clear message, not a traceback
        fail(exc)


def open_store(data_dir: Path | None = None, *, need_articles: bool = False) -> Any:
    """The service over an existing store. A data directory that does not exist is an error here (a mistyped
    ``--data-dir`` must not silently create an empty store); so is an empty store when ``need_articles``."""
    settings = settings_for(data_dir)
    where = settings.data_dir
    if not where.is_dir():
        error(
            f"no article store at {where}: check --data-dir / QA_DATA_DIR, or add articles first with `qa ingest PATH`",
            ExitCode.NOTHING_TO_DO,
        )
    try:
        svc = open_service(data_dir)
    except QAError as exc:
        fail(exc)
    if need_articles and svc.store.count() == 0:
        error(
            f"the article store at {where} is empty: add articles first with `qa ingest PATH`", ExitCode.NOTHING_TO_DO
        )
    return svc


def print_json(data: Any) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))


def parse_day(value: str | None, name: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        error(f"{name} must be a date YYYY-MM-DD, got {value!r}", ExitCode.USAGE)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders (.txt .md .html .json .jsonl).")],
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Add or update articles; re-ingesting unchanged articles changes nothing.

    A path that does not exist is reported and the others are still ingested (exit 3); when every input is
    skipped nothing is stored (exit 4)."""
    missing = [p for p in paths if not p.exists()]
    for path in missing:
        console.print(f"[red]error:[/red] no such file or folder: {path}", highlight=False)
    present = [p for p in paths if p.exists()]
    report = None
    if present:
        try:
            svc = open_service(data_dir)
            articles, report = svc.read_paths(present)
            with progress_bar("Indexing articles", len(articles)) as advance:
                report.items.extend(svc.ingest_articles(articles, progress=advance).items)
        except QAError as exc:
            fail(exc)
    if report is not None:
        if as_json:
            print_json({**report.summary, "items": [i.model_dump() for i in report.items]})
        else:
            for item in report.items:
                if item.status == "skipped":
                    console.print(f"[yellow]skipped[/yellow] {item.path}: {item.reason}", highlight=False)
            s = report.summary
            out.print(
                f"articles: {s['added']} added, {s['updated']} updated, {s['unchanged']} unchanged, "
                f"{s['skipped']} skipped; chunks: {s['chunks']} written"
            )
    if missing:
        raise typer.Exit(ExitCode.NOT_FOUND)
    if report is not None and report.items and all(i.status == "skipped" for i in report.items):
        error("nothing ingested: every input was skipped", ExitCode.NOTHING_TO_DO)
    if report is not None and not report.items:
        error(
            f"no article files (.txt .md .html .json .jsonl) under {', '.join(map(str, present))}",
            ExitCode.NOTHING_TO_DO,
        )


@articles_app.command("list")
def articles_list(
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    since: Since = None,
    until: Until = None,
) -> None:
    """Every stored article (newest first)."""
    filters = Filters(source=source, since=parse_day(since, "--since"), until=parse_day(until, "--until"))
    items, _total = open_store(data_dir).list_articles(filters)
    if as_json:
        print_json([a.model_dump(exclude={"body"}, mode="json") for a in items])
        return
    out.print(articles_table(items))
    out.print(f"{len(items)} articles", highlight=False)


def articles_table(items: list[Any]) -> Table:
    """Ids are never cut or wrapped, whatever the width (they are copied into `show` and `delete`); the title
    wraps instead."""
    table = Table(show_edge=False)
    table.add_column("id", no_wrap=True, min_width=max((len(a.id) for a in items), default=2))
    table.add_column("published", no_wrap=True)
    table.add_column("source", overflow="fold")
    table.add_column("chunks", justify="right", no_wrap=True)
    table.add_column("title", overflow="fold", ratio=1)
    for a in items:
        table.add_row(a.id, str(a.published_at or ""), a.source or "", str(a.n_chunks), a.title)
    return table


@articles_app.command("show")
def articles_show(article_id: str, data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """One article with its stored cleaned body."""
    try:
        art = open_store(data_dir).get_article(article_id)
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
        open_store(data_dir).delete_article(article_id)
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
    today: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="The question's date: no later articles.")
    ] = None,
    source: Annotated[str | None, typer.Option(help="Only this source.")] = None,
    since: Since = None,
    until: Until = None,
    mode: Annotated[str, typer.Option(help="hybrid, dense or bm25.")] = "hybrid",
    article: ArticleIds = None,
) -> None:
    """Hybrid search (dense + BM25) over the stored chunks. Scores are 0–1 in every mode (1 = the best passage;
    they rank one result list, not across questions)."""
    if mode not in ("hybrid", "dense", "bm25"):
        error("--mode must be hybrid, dense or bm25", ExitCode.USAGE)
    filters = Filters(
        source=source, since=parse_day(since, "--since"), until=parse_day(until, "--until"), article_ids=article
    )
    svc = open_store(data_dir, need_articles=True)
    try:
        hits = svc.search(
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


def _print_citations(citations: list[Any]) -> None:
    for n, c in enumerate(citations, 1):
        when = f", {c.published_at}" if c.published_at else ""
        outlets = f", carried by {c.outlets} outlets" if c.outlets > 1 else ""
        out.print(f"[{n}] {c.title}{when} ({c.article_id} {c.start}-{c.end}{outlets})", markup=False, highlight=False)
        out.print(f"    “{c.quote}”", markup=False, highlight=False)


def _print_explanation(x: Explanation) -> None:
    q = x.question
    lines = [
        "",
        "Explain",
        f"  question: answer type {q.answer_type}, wh-word {q.wh_word or '-'}, head noun {q.head_noun or '-'}"
        + (", asks for a role" if q.role_of else "")
        + (", asks for a name" if q.named else ""),
        f"  focus terms: {' '.join(q.focus_terms) or '-'}; names and figures: {' '.join(q.names) or '-'}",
        "  evidence (score, coverage, retrieval):",
        *(f"    {e.score:.3f} {e.coverage:.3f} {e.retrieval:.3f}  {e.text}" for e in x.evidence),
        "  candidates (score, kind, features):" if x.candidates else "  candidates: none",
    ]
    for c in x.candidates:
        mark = "*" if c.chosen else " "
        feats = " ".join(f"{k}={v:g}" for k, v in c.features.items())
        status = f" [dropped: {c.dropped}]" if c.dropped else ""
        lines.append(f"   {mark}{c.score:.3f} {c.kind:<7} {c.text!r}{status}  {feats}")
    lines.append(f"  reason: {x.reason.value} ({x.reason_text})")
    for line in lines:
        out.print(line, markup=False, highlight=False)


@app.command()
def ask(
    question: str,
    today: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help='The question\'s date, for "this week".')
    ] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Use the configured OpenAI-compatible LLM.")] = False,
    k: Annotated[int | None, typer.Option("-k", min=1, max=100, help="Passages to retrieve.")] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
    article: ArticleIds = None,
    explain: Annotated[
        bool,
        typer.Option("--explain", help="Show the question analysis, candidates with their scores, and the reason."),
    ] = False,
) -> None:
    """A grounded answer with verbatim citations (abstains when the articles don't say)."""
    today_date = parse_day(today, "--today")
    svc = open_store(data_dir, need_articles=True)
    try:
        answer = svc.ask(
            question,
            today=today_date,
            k=k,
            filters=Filters(article_ids=article) if article else None,
            generator="llm" if llm else None,
            explain=explain,
        )
    except QAError as exc:
        fail(exc)
    if as_json:
        print_json(answer.model_dump(mode="json"))  # the same object as POST /v1/ask returns
        return
    out.print(answer.answer, markup=False, highlight=False)
    if answer.short_answer:
        out.print(f"\nShort answer: {answer.short_answer}", markup=False, highlight=False)
    out.print(f"\nReason: {answer.reason.value} ({DESCRIPTIONS[answer.reason]})", markup=False, highlight=False)
    if answer.fallback:
        console.print("[yellow]note:[/yellow] the LLM answer was not supported by the articles; showing quotes")
    if answer.citations:
        out.print()
        _print_citations(answer.citations)
    if answer.explain is not None:
        _print_explanation(answer.explain)


@app.command()
def brief(
    article: Annotated[
        list[str] | None, typer.Option("--article", metavar="ID", help="Article id (repeatable).")
    ] = None,
    topic: Annotated[str | None, typer.Option(help="Topic to find articles for.")] = None,
    new_since: Annotated[
        str | None,
        typer.Option(
            "--new-since",
            metavar="WHEN",
            help="What's new: articles first seen since then (2025-05-01T08:00 UTC, yesterday, '6 hours ago').",
        ),
    ] = None,
    feed: Annotated[str | None, typer.Option("--feed", metavar="ID", help="What's new from this feed.")] = None,
    since: Annotated[
        str | None, typer.Option(metavar="DAY", help="Published on or after (YYYY-MM-DD, yesterday, 'N days ago').")
    ] = None,
    until: Annotated[str | None, typer.Option(metavar="DAY", help="Published on or before this day.")] = None,
    today: Annotated[
        str | None, typer.Option(metavar="YYYY-MM-DD", help="Resolve relative dates against this day (default now).")
    ] = None,
    llm: Annotated[bool, typer.Option("--llm", help="Use the configured OpenAI-compatible LLM.")] = False,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """A title and 3–8 cited bullets over the given articles, a topic, or what is new (--new-since, --feed):
    one bullet source per story, the stories carried by most outlets first."""
    from qa.when import resolve_day, resolve_moment

    if not article and not topic and new_since is None and feed is None:
        error("give --article ID (repeatable), --topic TEXT, --new-since WHEN or --feed ID", ExitCode.USAGE)
    now = dt.datetime.now(dt.UTC)
    if today is not None:
        now = dt.datetime.combine(parse_day(today, "--today") or now.date(), dt.time(), dt.UTC)
    try:
        window = [resolve_day(v, now.date()) if v else None for v in (since, until)]
        moment = resolve_moment(new_since, now) if new_since else None
    except QAError as exc:
        error(exc.detail, ExitCode.USAGE)
    svc = open_store(data_dir, need_articles=True)
    try:
        result = svc.brief(
            article_ids=article or None,
            topic=topic,
            since=window[0],
            until=window[1],
            generator="llm" if llm else None,
            new_since=moment,
            feed_id=feed,
        )
    except QAError as exc:
        fail(exc)
    if as_json:
        print_json(result.model_dump(mode="json"))  # the same object as POST /v1/briefings returns
        return
    out.print(f"[bold]{escape(result.title)}[/bold]")
    for b in result.bullets:
        refs = ", ".join(
            f"{c.article_id}:{c.start}-{c.end}" + (f", {c.outlets} outlets" if c.outlets > 1 else "")
            for c in b.citations
        )
        out.print(f"• {b.text} ", markup=False, highlight=False, end="")
        out.print(f"[dim]({escape(refs)})[/dim]")


@app.command()
def reindex(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """Rebuild chunks, BM25 and vectors from the stored articles (after changing chunking or embedder)."""
    svc = open_store(data_dir)
    try:
        total = svc.store.count(states=("ready", "indexing"))
        with progress_bar("Reindexing articles", total) as advance:
            n = svc.reindex(progress=advance)
    except QAError as exc:
        fail(exc)
    counts = svc.stats()
    if as_json:
        print_json({"reindexed": n, **counts})
    else:
        out.print(f"reindexed {n} articles: {_counts_sentence(counts)}", highlight=False)


def _counts_sentence(counts: dict[str, int]) -> str:
    return f"{counts['articles']} articles, {counts['chunks']} chunks, {counts['vectors']} vectors"


@app.command()
def stats(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """Counts of articles, chunks and vectors."""
    counts = open_store(data_dir).stats()
    if as_json:
        print_json(counts)
    else:
        out.print(f"{settings_for(data_dir).data_dir}: {_counts_sentence(counts)}", highlight=False)


@app.command()
def migrate(
    to: Annotated[str, typer.Option("--to", metavar="URL", help="Target store, e.g. postgresql://user@host/db.")],
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Copy the article store (the one --data-dir / QA_DATABASE_URL names) into another, verifying every article.

    Copied articles wait as ``indexing`` until the target's vectors are built, which the first command that opens
    the target does at start-up (e.g. ``QA_DATABASE_URL=URL qa stats``, or ``qa serve``).
    Safe to run again: identical articles are left alone. Exit 1 if any article reads back different."""
    from qa import store as stores
    from qa.store.copy import copy_feeds, copy_store

    source_settings = settings_for(data_dir)
    if source_settings.database_url is None and not source_settings.sqlite_path.exists():
        error(f"no article store at {source_settings.sqlite_path}: check --data-dir / QA_DATA_DIR", ExitCode.NOT_FOUND)
    try:
        source = stores.open_store(source_settings)
        target = stores.open_store(source_settings.model_copy(update={"database_url": SecretStr(to)}))
    except QAError as exc:
        fail(exc)
    try:
        with progress_bar("Copying articles", source.count()) as advance:
            report = copy_store(source, target, progress=advance)
        feeds = copy_feeds(source, target)
        audit = target.audit()
    except QAError as exc:
        fail(exc)
    finally:
        source.close()
        target.close()
    summary = {
        "copied": report.copied,
        "unchanged": report.unchanged,
        "chunks": report.chunks,
        "skipped_not_ready": report.skipped_not_ready,
        "mismatched": report.mismatched,
        "feeds": feeds,
        "target": {"articles": audit.articles, "chunks": audit.chunks, "lexical_rows": audit.lexical_rows},
    }
    if as_json:
        print_json(summary)
    else:
        out.print(
            f"{report.copied} articles copied, {report.unchanged} already there, {report.chunks} chunks, "
            f"{feeds} feeds; "
            f"target holds {audit.articles} articles, {audit.chunks} chunks. Their vectors are built when a command "
            "first opens the target (e.g. `QA_DATABASE_URL=... qa stats`).",
            highlight=False,
        )
        if report.skipped_not_ready:
            console.print(f"[yellow]{report.skipped_not_ready} unfinished articles not copied[/yellow]")
    if not report.ok:
        error(f"{len(report.mismatched)} articles read back different: {report.mismatched[:5]}", ExitCode.FAILED)


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
    from qa.ports import PortUnavailable, listening_socket

    # The port is taken first, before anything loads: a busy port fails in a second, not after loading the
    # models and the demo corpus, and nothing can grab it in between.
    try:
        sock = listening_socket(host, port)
    except PortUnavailable as exc:
        error(str(exc), ExitCode.UNAVAILABLE)
    with sock:
        _serve_on(sock, host, data_dir, load_demo, log_json, log_level)


def _serve_on(
    sock: Any, host: str, data_dir: Path | None, load_demo: bool, log_json: bool | None, log_level: str | None
) -> None:
    import logging

    import uvicorn

    from api.app import create_app
    from api.log import configure_logging
    from api.server import uvicorn_options

    settings = settings_for(data_dir, log_json=log_json, log_level=log_level)
    configure_logging(settings)
    if host not in ("127.0.0.1", "localhost", "::1") and not settings.api_keys:
        logging.getLogger("api").warning("serving on %s without QA_API_KEYS: anyone who can reach it can use it", host)
    if load_demo and not DEMO_ARTICLES.is_dir():
        error(f"demo corpus not found at {DEMO_ARTICLES}", ExitCode.NOT_FOUND)
    # Opened here rather than in the app's start-up, so a data dir in use or a bad setting is one clear message.
    service = service_for(settings)
    if load_demo:
        try:
            s = service.ingest_paths([DEMO_ARTICLES]).summary
        except QAError as exc:
            fail(exc)
        console.print(f"demo corpus: {s['added']} added, {s['updated']} updated, {s['unchanged']} unchanged")
    # log_config=None keeps the logging set up above (request ids, JSON) instead of uvicorn's own.
    config = uvicorn.Config(
        create_app(settings, service),
        log_config=None,
        access_log=False,
        log_level=settings.log_level.lower(),
        **uvicorn_options(settings),
    )
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:  # pragma: no cover - console entry
    app(sys.argv[1:])


if __name__ == "__main__":  # pragma: no cover
    main()
