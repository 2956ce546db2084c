"""The ``curl`` examples of README.md and api/README.md, and the outputs shown under them, made from real runs.

Every ``curl`` line in a ``bash`` block is run, in document order, against a real ``qa serve --load-demo`` (the
lines with a Bearer key against one with ``QA_API_KEYS`` set); what it prints is rendered in a fixed, shortened
form (long strings cut at a word, lists shown by their first item, volatile values such as request ids as "...")
and written as the ``# `` lines under it. ``tests/test_api_server.py`` checks that the documents hold exactly that
rendering, so a change in what the service answers makes the docs stale, and this regenerates them::

    python -m tests.doc_examples --write      (or: make docs)
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.paths import ROOT

DOCS = (ROOT / "README.md", ROOT / "api" / "README.md")
DOC_BASE = "http://127.0.0.1:8000"
DOC_KEYS = "key-one,key-two"  # as in api/README.md's auth example
REGENERATE = "python -m tests.doc_examples --write"

# Rendering: strings longer than this are cut at a word; values under these keys change on every run.
MAX_STRING = 110
VOLATILE = {"request_id", "ingested_at", "x-request-id", "created", "created_at"}
REQUEST_ID_KEYS = {"request_id", "x-request-id"}  # shown when the example sends its own X-Request-ID
GENERATED_ID = re.compile(r"^(chatcmpl-)\w+$")
SHOWN_HEADERS = ("content-type", "www-authenticate", "x-request-id")
SSE_DELTAS_SHOWN = 2
WRAP_OVER = 160  # an object rendered longer than this gets one top-level key per line


@dataclass
class Example:
    doc: Path
    line: int  # index of the curl line in the document's lines
    command: str
    shown: list[str]  # the "# " lines under it, without the "# "


def find_examples(docs: tuple[Path, ...] = DOCS) -> list[Example]:
    examples = []
    for doc in docs:
        lines = doc.read_text().splitlines()
        in_bash = False
        for i, line in enumerate(lines):
            if line.startswith("```"):
                in_bash = line.strip() == "```bash" and not in_bash
                continue
            if in_bash and line.startswith("curl "):
                shown = []
                for after in lines[i + 1 :]:
                    if not after.startswith("#"):
                        break
                    shown.append(after[2:] if after.startswith("# ") else after[1:])
                examples.append(Example(doc, i, line, shown))
    return examples


# --- rendering -----------------------------------------------------------------------------------------------------
def _cut(text: str) -> str:
    if len(text) <= MAX_STRING:
        return text
    head = text[:MAX_STRING]
    return (head[: head.rfind(" ")] if " " in head else head) + " ..."


def _value(value: Any, key: str = "", nested_in_list: bool = False, volatile: frozenset[str] = frozenset()) -> str:
    if key in volatile:
        return '"..."'
    if isinstance(value, str):
        return json.dumps(_cut(GENERATED_ID.sub(r"\1...", value)), ensure_ascii=False)
    if isinstance(value, float):
        return json.dumps(round(value, 2))
    if isinstance(value, list):
        if not value:
            return "[]"
        if nested_in_list:
            return "[...]"
        first = _value(value[0], nested_in_list=True, volatile=volatile)
        return f"[{first},...]" if len(value) > 1 else f"[{first}]"
    if isinstance(value, dict):
        inner = ",".join(f"{json.dumps(k)}:{_value(v, k, nested_in_list, volatile)}" for k, v in value.items())
        return "{" + inner + "}"
    return json.dumps(value)


def render_json(value: Any, volatile: frozenset[str]) -> list[str]:
    """One line, or for a long object one line per top-level key (``{"a":1,`` / `` "b":2}``)."""
    line = _value(value, volatile=volatile)
    if len(line) <= WRAP_OVER or not isinstance(value, dict) or len(value) < 2:
        return [line]
    parts = [f"{json.dumps(k)}:{_value(v, k, volatile=volatile)}" for k, v in value.items()]
    return ["{" + parts[0] + ","] + [f" {p}," for p in parts[1:-1]] + [f" {parts[-1]}" + "}"]


def render_sse(body: str, volatile: frozenset[str]) -> list[str]:
    """The first deltas, then the final event (an SSE event is ``event:`` and ``data:`` lines and a blank line)."""
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields.get("event", "message"), json.loads(fields.get("data", "null"))))
    deltas = [e for e in events if e[0] == "delta"]
    shown = deltas[:SSE_DELTAS_SHOWN] + ([("...", None)] if len(deltas) > SSE_DELTAS_SHOWN else [])
    shown += [e for e in events if e[0] != "delta"]
    lines: list[str] = []
    for name, data in shown:
        lines += ["..."] if name == "..." else [f"event: {name}", f"data: {_value(data, volatile=volatile)}"]
        lines.append("")
    return lines[:-1]


def render_http(raw: str, volatile: frozenset[str]) -> list[str]:
    """``curl -i``: the status line, the headers a reader needs, a blank line, the body."""
    head, _, body = raw.replace("\r\n", "\n").partition("\n\n")
    status, *headers = head.splitlines()
    kept = []
    for header in headers:
        name, _, value = header.partition(":")
        if name.lower() in SHOWN_HEADERS:
            kept.append(f"{name.lower()}: {'...' if name.lower() in volatile else value.strip()}")
    return [status, *kept, "", *render_json(json.loads(body), volatile)]


def render(command: str, output: str) -> list[str]:
    volatile = frozenset(VOLATILE - REQUEST_ID_KEYS if "X-Request-ID:" in command else VOLATILE)
    if " -i " in command:
        return render_http(output, volatile)
    if "text/event-stream" in command:
        return render_sse(output, volatile)
    return render_json(json.loads(output), volatile)


# --- running -------------------------------------------------------------------------------------------------------
def run(example: Example, base: str) -> tuple[int, list[str]]:
    """The example's HTTP status and its rendered output, run from the repository root (for the upload paths)."""
    command = example.command.replace(DOC_BASE, base) + " -w '\\n%{http_code}'"
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True, timeout=180)
    if done.returncode != 0:
        raise RuntimeError(f"{example.command}\nfailed with exit {done.returncode}: {done.stderr}")
    output, _, code = done.stdout.rpartition("\n")
    return int(code), render(example.command, output)


def run_all(demo_base: str, keys_base: str) -> list[tuple[Example, int, list[str]]]:
    """Every example in document order (they build on each other: add, list, delete), each on the right server."""
    results = []
    for example in find_examples():
        base = keys_base if "Bearer" in example.command else demo_base
        status, rendered = run(example, base)
        results.append((example, status, rendered))
    return results


def stale(results: list[tuple[Example, int, list[str]]]) -> list[str]:
    """For each example whose documented output is not what it printed: where, what is shown, what came."""
    problems = []
    for example, _, rendered in results:
        if example.shown != rendered:
            where = f"{example.doc.relative_to(ROOT)}:{example.line + 1}"
            shown = "\n".join(f"    # {s}" for s in example.shown) or "    (nothing)"
            real = "\n".join(f"    # {r}" for r in rendered)
            problems.append(f"{where}: {example.command}\n  documented:\n{shown}\n  printed now:\n{real}")
    return problems


def write(results: list[tuple[Example, int, list[str]]]) -> list[Path]:
    """Put each rendering under its curl line, replacing what was there; returns the documents changed."""
    changed = []
    for doc in DOCS:
        lines = doc.read_text().splitlines()
        # Bottom-up, so earlier line numbers stay valid.
        for example, _, rendered in sorted((r for r in results if r[0].doc == doc), key=lambda r: -r[0].line):
            start = example.line + 1
            lines[start : start + len(example.shown)] = [f"# {r}" if r else "#" for r in rendered]
        text = "\n".join(lines) + "\n"
        if text != doc.read_text():
            doc.write_text(text)
            changed.append(doc)
    return changed


def with_servers(work: Callable[[str, str], Any]) -> Any:
    """Run ``work(demo_base, keys_base)`` with the two real servers the examples need (as `make serve` runs them)."""
    from tests.servers import qa_server

    with tempfile.TemporaryDirectory(prefix="doc-examples-") as tmp:
        for name in ("demo", "keys"):
            (Path(tmp) / name).mkdir()
        with (
            qa_server(Path(tmp) / "demo" / "data", "--load-demo") as demo,
            qa_server(Path(tmp) / "keys" / "data", "--load-demo", env={"QA_API_KEYS": DOC_KEYS}) as keys,
        ):
            return work(demo, keys)


def main(argv: list[str]) -> int:
    results = with_servers(run_all)
    if "--write" in argv:
        changed = write(results)
        print(
            f"{len(results)} examples run; rewritten: {', '.join(str(c.relative_to(ROOT)) for c in changed) or 'none'}"
        )
        return 0
    problems = stale(results)
    print("\n\n".join(problems) or f"all {len(results)} documented outputs are current")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
