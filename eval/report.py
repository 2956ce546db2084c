"""Reports shared by ``qa eval qa`` and ``qa eval grounding``: JSON, Markdown and HTML with matplotlib plots.

Both evals are reduced to one :class:`ReportSpec` (headline figures, per-group figures, score
distributions, failing items), so the two reports look and read the same.
"""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Overall keys that are rates in [0, 1] and go into the bar chart (counts and latencies do not).
RATE_KEYS = (
    "hit_at_1",
    "hit_at_5",
    "mrr",
    "exact_match",
    "f1",
    "answer_in_response",
    "mc_accuracy",
    "abstention_precision",
    "abstention_recall",
    "citation_validity",
    "faithfulness",
    "briefing_supported_rate",
    "briefing_coverage",
    "balanced_accuracy",
    "f1_hallucinated",
    "precision",
    "recall",
    "roc_auc",
    "span_f1",
)
# "accuracy" is answer-in-response on answerable items and abstention on unanswerable ones (MultiHop-RAG style).
GROUP_KEYS = ("hit_at_5", "f1", "accuracy", "mc_accuracy", "faithfulness")

TYPE_TABLE_KEYS = (
    "n",
    "hit_at_5",
    "mrr",
    "exact_match",
    "f1",
    "answer_in_response",
    "accuracy",
    "mc_accuracy",
    "abstention_recall",
    "faithfulness",
    "citation_validity",
    "p50_latency_ms",
)


@dataclass
class ReportSpec:
    title: str
    overall: dict[str, Any]
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # e.g. figures by question type
    distributions: dict[str, list[float]] = field(default_factory=dict)  # per-item scores → histograms
    failures: list[dict[str, Any]] = field(default_factory=list)  # rows listed at the end of the report
    notes: list[str] = field(default_factory=list)


def clean_json(value: Any) -> Any:
    """NaN (a metric that does not apply) is not valid JSON: write it as null."""
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {str(k): clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def write_json(data: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(clean_json(data), indent=2, ensure_ascii=False, default=str, allow_nan=False)
    path.write_text(text, encoding="utf-8")


def fmt(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


# --- specs ---------------------------------------------------------------------------------------------


def qa_overall(result: dict[str, Any]) -> dict[str, Any]:
    """The QA figures with the briefing ones folded in as ``briefing_<key>`` (reports and gates use this)."""
    briefing = (result.get("briefings") or {}).get("overall", {})
    return {**result["overall"], **{f"briefing_{k}": v for k, v in briefing.items()}}


def qa_spec(result: dict[str, Any], title: str = "QA eval") -> ReportSpec:
    items = result.get("items", [])
    dists = {
        "faithfulness": [i["faithfulness"] for i in items if _num(i.get("faithfulness"))],
        "f1": [i["f1"] for i in items if _num(i.get("f1"))],
        "latency_ms": [i["latency_ms"] for i in items if _num(i.get("latency_ms"))],
    }
    failures = [
        {
            "id": i["id"],
            "type": i.get("type"),
            "question": i["question"],
            "gold": "; ".join(i.get("gold") or []),
            "answer": i.get("answer", ""),
            "why": ", ".join(i.get("failed", [])),
        }
        for i in items
        if i.get("failed")
    ]
    return ReportSpec(title, qa_overall(result), result.get("by_type", {}), dists, failures, result.get("notes", []))


def grounding_spec(result: dict[str, Any], title: str = "Grounding eval") -> ReportSpec:
    items = result.get("per_item", [])
    overall = {k: v for k, v in result.items() if k != "per_item" and not isinstance(v, dict | list)}
    dists = {
        f"score ({label})": [i["score"] for i in items if i.get("label") == label]
        for label in ("supported", "hallucinated")
    }
    failures = [
        {"id": i["id"], "label": i["label"], "predicted": i["predicted"], "score": i["score"]}
        for i in items
        if i.get("predicted") != i.get("label")
    ]
    return ReportSpec(title, overall, {}, dists, failures)


def _num(value: Any) -> bool:
    return isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value))


# --- plots ---------------------------------------------------------------------------------------------


def plot(spec: ReportSpec, out_dir: Path) -> list[str]:
    """PNG files written into ``out_dir``; names relative to it."""
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and in CI
    import matplotlib.pyplot as plt

    written: list[str] = []
    rates = {k: v for k, v in spec.overall.items() if k in RATE_KEYS and _num(v)}
    if rates:
        fig, ax = plt.subplots(figsize=(max(6.0, 0.6 * len(rates)), 4))
        ax.bar(list(rates), list(rates.values()), color="#4c72b0")
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{spec.title}: overall")
        ax.tick_params(axis="x", rotation=60)
        for x, v in enumerate(rates.values()):
            ax.text(x, v + 0.01, f"{v:.2f}", ha="center", fontsize=7)
        written.append(_save(fig, out_dir, "metrics.png"))
    keys = [k for k in GROUP_KEYS if any(_num(g.get(k)) for g in spec.groups.values())]
    if spec.groups and keys:
        fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(spec.groups)), 4))
        width = 0.8 / len(keys)
        for n, key in enumerate(keys):
            values = [g.get(key) if _num(g.get(key)) else 0.0 for g in spec.groups.values()]
            ax.bar([x + n * width for x in range(len(spec.groups))], values, width, label=key)
        ax.set_xticks([x + 0.4 - width / 2 for x in range(len(spec.groups))], list(spec.groups), rotation=30)
        ax.set_ylim(0, 1.05)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        ax.set_title(f"{spec.title}: by question type")
        written.append(_save(fig, out_dir, "by_type.png"))
    dists = {k: v for k, v in spec.distributions.items() if v}
    if dists:
        fig, axes = plt.subplots(1, len(dists), figsize=(4 * len(dists), 3.2), squeeze=False)
        for ax, (name, values) in zip(axes[0], dists.items(), strict=True):
            # Scores in [0, 1] keep that axis, so a run of all-1.0 items reads as such, not as a lone bar.
            rate = all(0.0 <= v <= 1.0 for v in values)
            ax.hist(values, bins=20, range=(0.0, 1.0) if rate else None, color="#55a868")
            ax.set_title(name)
        written.append(_save(fig, out_dir, "histograms.png"))
    return written


def _save(fig: Any, out_dir: Path, name: str) -> str:
    fig.tight_layout()
    fig.savefig(out_dir / name, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    return name


# --- documents -----------------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[Any]]) -> list[list[str]]:
    return [header, *[[fmt(c) for c in r] for r in rows]]


def tables(spec: ReportSpec) -> list[tuple[str, list[list[str]]]]:
    out = [("Overall", _table(["metric", "value"], [[k, v] for k, v in spec.overall.items()]))]
    if spec.groups:
        present = {k for g in spec.groups.values() for k in g}
        keys = [k for k in TYPE_TABLE_KEYS if k in present] or sorted(present)
        out.append(
            (
                "By question type",
                _table(["type", *keys], [[t, *(g.get(k) for k in keys)] for t, g in spec.groups.items()]),
            )
        )
    if spec.failures:
        cols = list(spec.failures[0])
        out.append(
            (
                f"Failing items ({len(spec.failures)})",
                _table(cols, [[str(f.get(c, ""))[:300] for c in cols] for f in spec.failures]),
            )
        )
    return out


def markdown(spec: ReportSpec, images: list[str]) -> str:
    lines = [f"# {spec.title}", "", *spec.notes, ""]
    lines += [f"![{name}]({name})" for name in images] + [""]
    for heading, rows in tables(spec):
        lines += [f"## {heading}", "", "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
        lines += ["| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in r) + " |" for r in rows[1:]]
        lines.append("")
    return "\n".join(lines)


def html_doc(spec: ReportSpec, images: list[str]) -> str:
    e = html.escape
    parts = [
        f"<!doctype html><meta charset='utf-8'><title>{e(spec.title)}</title>",
        "<style>body{font-family:sans-serif;max-width:1100px;margin:auto}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:3px 6px;font-size:13px;vertical-align:top}</style>",
        f"<h1>{e(spec.title)}</h1>",
        *(f"<p>{e(n)}</p>" for n in spec.notes),
        *(f"<img src='{e(name)}' alt='{e(name)}'>" for name in images),
    ]
    for heading, rows in tables(spec):
        head = "".join(f"<th>{e(c)}</th>" for c in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows[1:])
        parts.append(f"<h2>{e(heading)}</h2><table><tr>{head}</tr>{body}</table>")
    return "\n".join(parts)


def write_report(spec: ReportSpec, out_dir: Path) -> Path:
    """``report.md`` and ``report.html`` (plus PNG plots) in ``out_dir``; returns the HTML path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    images = plot(spec, out_dir)
    (out_dir / "report.md").write_text(markdown(spec, images), encoding="utf-8")
    path = out_dir / "report.html"
    path.write_text(html_doc(spec, images), encoding="utf-8")
    return path
