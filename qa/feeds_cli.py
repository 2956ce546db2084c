"""``qa feeds``: follow, list, remove and poll news feeds (a thin layer over :class:`qa.feeds.Feeds`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from qa.errors import QAError
from qa.exit_codes import ExitCode
from qa.models import Feed, FeedPollReport
from qa.terminal import console, error, fail, out, progress_bar

feeds_app = typer.Typer(help="Follow RSS/Atom news feeds and poll them for new articles.", no_args_is_help=True)

DataDir = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (default: $QA_DATA_DIR or ./data).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def _service(data_dir: Path | None, existing: bool = True) -> Any:
    from qa.cli import open_service, open_store

    try:
        return open_store(data_dir) if existing else open_service(data_dir)
    except QAError as exc:
        fail(exc)


def _print_json(data: Any) -> None:
    out.print_json(json.dumps(data, ensure_ascii=False, default=str))


def _interval(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@feeds_app.command("add")
def feeds_add(
    url: Annotated[str, typer.Argument(help="The feed's URL (RSS or Atom).")],
    name: Annotated[str | None, typer.Option(help="The outlet's name (default: the feed's own title).")] = None,
    interval: Annotated[str | None, typer.Option(help="Time between polls: 15m, 2h, 1d (default 15m).")] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Follow a feed (nothing is fetched until it is polled)."""
    svc = _service(data_dir, existing=False)
    try:
        feed = svc.feeds.add(url, name=name, interval=interval)
    except QAError as exc:
        fail(exc)
    if as_json:
        _print_json(feed.model_dump(mode="json"))
    else:
        out.print(f"following {feed.url} as feed {feed.id} (every {_interval(feed.interval_s)})", highlight=False)


@feeds_app.command("list")
def feeds_list(data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """The followed feeds with the outcome of their last poll."""
    feeds: list[Feed] = _service(data_dir).feeds.list()
    if as_json:
        _print_json([f.model_dump(mode="json") for f in feeds])
        return
    table = Table(show_edge=False)
    table.add_column("id", no_wrap=True)
    table.add_column("every", no_wrap=True)
    table.add_column("entries", justify="right", no_wrap=True)
    table.add_column("last success", no_wrap=True)
    table.add_column("url / last error", overflow="fold", ratio=1)
    for f in feeds:
        ok = f"{f.last_success_at:%Y-%m-%d %H:%M}" if f.last_success_at else "never"
        err = (
            f"\nerror: {f.last_error}"
            if f.last_error and (not f.last_success_at or (f.last_error_at and f.last_error_at > f.last_success_at))
            else ""
        )
        table.add_row(
            f.id, _interval(f.interval_s), str(f.entries_seen), ok, (f.name + ": " if f.name else "") + f.url + err
        )
    out.print(table)
    out.print(f"{len(feeds)} feeds", highlight=False)


@feeds_app.command("remove")
def feeds_remove(feed_id: str, data_dir: DataDir = None, as_json: JsonFlag = False) -> None:
    """Stop following a feed (the articles it brought stay)."""
    try:
        _service(data_dir).feeds.remove(feed_id)
    except QAError as exc:
        fail(exc)
    if as_json:
        _print_json({"deleted": feed_id})
    else:
        out.print(f"removed feed {feed_id}", highlight=False)


@feeds_app.command("poll")
def feeds_poll(
    feed_id: Annotated[str | None, typer.Argument(help="Only this feed (default: every feed).")] = None,
    data_dir: DataDir = None,
    as_json: JsonFlag = False,
) -> None:
    """Poll feeds once now: fetch their new entries' pages and ingest them, with a per-feed summary.

    Exit 1 when a feed could not be polled (its error is shown and kept in `qa feeds list`)."""
    svc = _service(data_dir)
    try:
        ids = [svc.feeds.get(feed_id).id] if feed_id else None
        if not (ids or svc.feeds.list()):
            error("no feeds: follow one with `qa feeds add URL`", ExitCode.NOTHING_TO_DO)
        with progress_bar("Polling feeds", None) as advance:
            reports = svc.feeds.poll_many(ids, progress=advance)
    except QAError as exc:
        fail(exc)
    if as_json:
        _print_json([r.model_dump(mode="json") for r in reports])
    else:
        for r in reports:
            _print_report(r)
    if any(r.status in ("error", "busy") for r in reports):
        raise typer.Exit(ExitCode.FAILED)


def _print_report(r: FeedPollReport) -> None:
    if r.status == "not_modified":
        out.print(f"{r.feed_id}: not modified since the last poll", highlight=False)
        return
    if r.status in ("error", "busy"):
        console.print(f"[red]{escape(r.feed_id)}:[/red] {escape(r.error or '')}", highlight=False)
        return
    counts = ", ".join(f"{r.count(s)} {s}" for s in ("added", "updated", "unchanged", "skipped", "failed"))
    out.print(f"{r.feed_id}: {r.entries} entries, {r.new} new: {counts}", highlight=False)
    if r.warning:
        console.print(f"  [yellow]warning:[/yellow] {escape(r.warning)}", highlight=False)
    for item in r.items:
        if item.status in ("skipped", "failed"):
            console.print(f"  {item.status} {item.url or item.key}: {item.reason}", highlight=False, markup=False)
