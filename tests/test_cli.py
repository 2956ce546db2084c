"""The ``qa`` command as a new user meets it: help, exit codes, ids, progress, empty stores, JSON shapes."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from qa import terminal
from qa.cli import app
from qa.exit_codes import ExitCode
from tests.paths import DEMO_ARTICLES, ROOT

# An id longer than half a terminal, as feeds produce (a source slug, a date and a headline slug).
LONG_ID = "harbor-ledger-2025-04-11-port-calder-barrier-gate-two-delayed-by-storms"
LONG_ARTICLE = {
    "id": LONG_ID,
    "title": "Second Barrier Gate for Port Calder Held Up by Spring Storms, Engineers Say",
    "body": "The second steel gate for the Port Calder tidal barrier will arrive a week late. "
    "Storms in the North Channel kept the barge in port, the contractor said on Friday.",
    "published_at": "2025-04-11",
    "source": "Harbor Ledger",
}


def qa(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "80", **(env or {})})


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small store of its own: two demo articles and one with a long id."""
    folder = tmp_path_factory.mktemp("cli-input")
    for name in ("battery-recall.txt", "flood-barrier-vote.txt"):
        shutil.copy(DEMO_ARTICLES / name, folder / name)
    (folder / "long-id.json").write_text(json.dumps(LONG_ARTICLE))
    data = tmp_path_factory.mktemp("cli-store") / "data"
    done = qa("ingest", str(folder), "--data-dir", str(data))
    assert done.exit_code == 0, done.output
    return data


def test_help_shows_flags_as_flags() -> None:
    for command in (["--help"], ["ask", "--help"], ["ingest", "--help"], ["articles", "list", "--help"]):
        shown = qa(*command).output
        assert "--json" in shown or command == ["--help"]
        assert "<bool>" not in shown, shown
    assert "Exit codes" in qa("--help").output


def test_version() -> None:
    done = qa("--version")
    assert done.exit_code == 0 and re.fullmatch(r"qa \(newsqa\) \d+\.\d+\.\d+\S*\n", done.output), done.output


def test_articles_list_never_cuts_an_id(store: Path) -> None:
    done = qa("articles", "list", "--data-dir", str(store))
    assert done.exit_code == 0, done.output
    assert LONG_ID in done.output.split(), done.output  # whole, on one line, copyable into `show`
    assert qa("articles", "show", LONG_ID, "--data-dir", str(store)).exit_code == 0


def test_exit_codes_tell_not_found_from_usage_errors(store: Path) -> None:
    missing = qa("articles", "show", "no-such-article", "--data-dir", str(store))
    assert missing.exit_code == ExitCode.NOT_FOUND and "no-such-article" in missing.output
    assert qa("articles", "delete", "no-such-article", "--data-dir", str(store)).exit_code == ExitCode.NOT_FOUND
    assert qa("search", "x", "--mode", "fuzzy", "--data-dir", str(store)).exit_code == ExitCode.USAGE
    assert qa("ask", "x", "--today", "yesterday", "--data-dir", str(store)).exit_code == ExitCode.USAGE
    assert qa("ask").exit_code == ExitCode.USAGE  # Typer's own usage error
    unknown = qa("ask", "What happened?", "--article", "no-such-article", "--data-dir", str(store))
    assert unknown.exit_code == ExitCode.NOT_FOUND and "no-such-article" in unknown.output


def test_ingest_of_only_unusable_files_fails_and_names_the_file_once(tmp_path: Path) -> None:
    done = qa("ingest", str(ROOT / "pyproject.toml"), "--data-dir", str(tmp_path / "data"))
    assert done.exit_code == ExitCode.NOTHING_TO_DO, done.output
    skipped = next(line for line in done.output.splitlines() if line.startswith("skipped"))
    assert skipped.count("pyproject.toml") == 1 and "unsupported file type .toml" in skipped, skipped
    assert "nothing ingested" in done.output


def test_ingest_goes_on_past_a_missing_path(tmp_path: Path) -> None:
    """`qa ingest ../shared/data/articles/ demo/articles/` in a clone without ../shared: the demo articles go in,
    the missing folder is named, and the exit code says something was not found."""
    one = tmp_path / "in"
    one.mkdir()
    shutil.copy(DEMO_ARTICLES / "battery-recall.txt", one)
    done = qa("ingest", str(tmp_path / "no-such-folder"), str(one), "--data-dir", str(tmp_path / "data"))
    assert done.exit_code == ExitCode.NOT_FOUND, done.output
    assert "no such file or folder" in done.output and "no-such-folder" in done.output
    assert "1 added" in done.output


def test_progress_without_a_terminal_has_a_total_and_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "PROGRESS_LINE_EVERY_S", 0.0)  # a line per batch instead of one per 10 s
    monkeypatch.setattr("qa.service.INDEX_BATCH", 2)
    done = qa("ingest", str(DEMO_ARTICLES), "--data-dir", str(tmp_path / "data"))
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert "Indexing articles: 9 to do" in lines, lines
    periodic = [
        line for line in lines if re.fullmatch(r"Indexing articles: \d/9 \(\d+%\), 0:\d\d:\d\d elapsed.*", line)
    ]
    assert periodic and "left" in periodic[-1], lines
    assert any(re.fullmatch(r"Indexing articles: 9/9 done in 0:\d\d:\d\d", line) for line in lines), lines


def test_asking_an_empty_or_missing_store_says_so(tmp_path: Path) -> None:
    typo = tmp_path / "dtaa"
    done = qa("ask", "What happened?", "--data-dir", str(typo))
    assert done.exit_code == ExitCode.NOTHING_TO_DO and "no article store" in done.output, done.output
    assert not typo.exists()  # a mistyped --data-dir is not created
    empty = tmp_path / "empty"
    assert qa("ingest", str(ROOT / "pyproject.toml"), "--data-dir", str(empty)).exit_code == ExitCode.NOTHING_TO_DO
    for command in (["ask", "What happened?"], ["search", "battery"], ["brief", "--topic", "battery"]):
        done = qa(*command, "--data-dir", str(empty))
        assert done.exit_code == ExitCode.NOTHING_TO_DO and "is empty" in done.output, (command, done.output)


def test_unknown_gate_metric_is_rejected_before_the_eval_runs() -> None:
    done = qa("eval", "qa", "--fail-under", "bogus=0.5")
    assert done.exit_code == ExitCode.USAGE and "unknown metric 'bogus'" in done.output, done.output
    assert "corpus:" not in done.output  # nothing was ingested or answered
    assert qa("eval", "grounding", "--data", str(ROOT / "pyproject.toml"), "--fail-under", "f1=1").exit_code == 2


def test_ask_json_is_the_http_answer(store: Path) -> None:
    question = "How many home batteries did Voltmere recall?"
    done = qa("ask", question, "--json", "--data-dir", str(store))
    assert done.exit_code == 0, done.output
    data = json.loads(done.stdout)
    from qa.models import Answer

    assert set(data) == set(Answer.model_fields) and data["question"] == question


def test_ask_and_search_limited_to_given_articles(store: Path) -> None:
    done = qa("search", "barrier gate", "--json", "--article", LONG_ID, "--data-dir", str(store))
    assert done.exit_code == 0, done.output
    hits = json.loads(done.stdout)
    assert hits and {h["article_id"] for h in hits} == {LONG_ID}
    done = qa("ask", "Why is the gate late?", "--json", "--article", LONG_ID, "--data-dir", str(store))
    assert done.exit_code == 0, done.output
    assert {c["article_id"] for c in json.loads(done.stdout)["citations"]} == {LONG_ID}


def test_reindex_and_stats_print_sentences_or_json(store: Path) -> None:
    done = qa("reindex", "--data-dir", str(store))
    assert done.exit_code == 0, done.output
    assert re.search(r"^reindexed 3 articles: 3 articles, \d+ chunks, \d+ vectors$", done.stdout, re.M), done.output
    assert "{" not in done.stdout
    data = json.loads(qa("reindex", "--json", "--data-dir", str(store)).stdout)
    assert data["reindexed"] == 3 and data["chunks"] == data["vectors"] > 0
    assert json.loads(qa("stats", "--json", "--data-dir", str(store)).stdout)["articles"] == 3
    assert "3 articles" in qa("stats", "--data-dir", str(store)).stdout


@pytest.mark.server
def test_serve_on_a_busy_port_fails_fast_naming_it(tmp_path: Path) -> None:
    """`qa serve` and `make serve` take the port before installing or loading anything: a busy port is an error
    within seconds, naming the port and who holds it, and nothing is created."""
    import socket
    import subprocess
    import sys
    import time

    from tests.servers import qa_command

    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    port = holder.getsockname()[1]
    data = tmp_path / "data"
    commands = {
        "qa serve": [*qa_command(), "serve", "--load-demo", "--port", str(port), "--data-dir", str(data)],
        # VENV points nowhere: were the port checked after set-up, make would start building a virtualenv.
        "make serve": ["make", "-s", "serve", f"PORT={port}", f"PYTHON={sys.executable}", f"VENV={tmp_path / 'venv'}"],
    }
    try:
        for name, command in commands.items():
            started = time.monotonic()
            done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=60)
            elapsed = time.monotonic() - started
            assert done.returncode != 0, (name, done.stdout, done.stderr)
            assert f"port {port} on 127.0.0.1 is already in use by pid" in done.stderr, (name, done.stderr)
            assert f"--port {port + 1}" in done.stderr, (name, done.stderr)
            assert elapsed < 5, f"{name} took {elapsed:.1f}s to say the port is busy"
            assert not data.exists() and not (tmp_path / "venv").exists(), name
        serve = subprocess.run(commands["qa serve"], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert serve.returncode == ExitCode.UNAVAILABLE
    finally:
        holder.close()
