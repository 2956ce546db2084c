"""What every ``qa`` command shares: the two consoles, progress, error messages and exit codes
(:class:`qa.exit_codes.ExitCode`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from qa.errors import QAError
from qa.exit_codes import ExitCode

# Messages and progress go to stderr; results (text or --json) to stdout, so `qa ... --json | jq` works.
# soft_wrap: a message is one line in logs and pipes (rich would cut it at 80 columns), the terminal wraps it.
console = Console(stderr=True, soft_wrap=True)
out = Console()

# Without a terminal (CI logs, pipes) progress is printed as a line at most this often, plus start and end lines.
PROGRESS_LINE_EVERY_S = 10.0


def _show_flags_as_flags() -> None:
    """Typer 0.29's rich help prints every boolean flag with a value type (``--json <bool>``, even ``--help
    <bool>``), as if it took a value; its plain help does not. Show no type for a flag, as click does."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_show_flags_as_flags()


def exit_code_for(exc: QAError) -> ExitCode:
    """The exit code of a core error, from its HTTP status (so a new QAError subclass needs no entry here)."""
    if exc.status == 404:
        return ExitCode.NOT_FOUND
    if exc.status == 503:
        return ExitCode.UNAVAILABLE
    if 400 <= exc.status < 500:
        return ExitCode.REFUSED
    return ExitCode.FAILED


def error(message: str, code: ExitCode) -> NoReturn:
    """Print ``error: message`` on stderr and exit with ``code``."""
    console.print(f"[red]error:[/red] {escape(message)}")
    raise typer.Exit(code)


def fail(exc: QAError) -> NoReturn:
    error(exc.detail, exit_code_for(exc))


def _clock(seconds: float) -> str:
    seconds = round(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class ProgressLines:
    """Progress as plain lines for logs: a start line with the total, one line at most every ``every_s`` with the
    count, elapsed time and an estimate of the time left, and an end line."""

    def __init__(self, label: str, total: int | None, every_s: float, console: Console) -> None:
        self.label, self.total, self.every_s, self.console = label, total, every_s, console
        self.done = 0
        self.started = self.last = time.monotonic()
        todo = f"{total} to do" if total is not None else "started"
        self.console.print(f"{label}: {todo}", markup=False, highlight=False)

    def status(self) -> str:
        elapsed = time.monotonic() - self.started
        if not self.total:
            return f"{self.label}: {self.done} done, {_clock(elapsed)} elapsed"
        left = elapsed / self.done * (self.total - self.done) if self.done else None
        eta = f", about {_clock(left)} left" if left is not None else ""
        percent = 100 * self.done // self.total
        return f"{self.label}: {self.done}/{self.total} ({percent}%), {_clock(elapsed)} elapsed{eta}"

    def advance(self, n: int) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.every_s and (self.total is None or self.done < self.total):
            self.last = now
            self.console.print(self.status(), markup=False, highlight=False)

    def finish(self) -> None:
        elapsed = _clock(time.monotonic() - self.started)
        of = f"/{self.total}" if self.total is not None else ""
        self.console.print(f"{self.label}: {self.done}{of} done in {elapsed}", markup=False, highlight=False)


@contextmanager
def progress_bar(label: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """``advance(n)`` for work of ``total`` items: a bar with count and time left on a terminal, lines otherwise."""
    if console.is_terminal:
        columns = [
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        ]
        with Progress(*columns, console=console, transient=True) as bar:
            task = bar.add_task(label, total=total)
            yield lambda n: bar.advance(task, n)
        return
    lines = ProgressLines(label, total, PROGRESS_LINE_EVERY_S, console)
    yield lines.advance
    lines.finish()
