"""Grounding eval: load labelled (source, response) records, run a verifier, score it against the labels.

Records are JSON lines ``{id, source_text, response, label: supported|hallucinated, spans?}`` as in
``../shared/data/grounding/*.jsonl``. The verifier never sees ``label``, ``spans`` or ``meta``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from eval import metrics
from qa.config import Settings
from qa.grounding.verifier import ClaimVerdict

LABELS = ("supported", "hallucinated")


@dataclass
class GroundingRecord:
    id: str
    source_text: str
    response: str
    label: str
    spans: list[tuple[int, int]] = field(default_factory=list)  # unsupported spans of the response
    dataset: str = ""  # e.g. "QAGS/xsum": reporting only, never a feature

    @property
    def hallucinated(self) -> bool:
        return self.label == "hallucinated"


class Verifier(Protocol):
    threshold: float

    def verify(self, response: str, sources: list[str]) -> list[ClaimVerdict]: ...

    def response_score(self, verdicts: list[ClaimVerdict]) -> float: ...


def load_records(path: Path) -> list[GroundingRecord]:
    records: list[GroundingRecord] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            raw = json.loads(line)
            if raw.get("label") not in LABELS:
                raise ValueError(f"{path}:{lineno}: label must be one of {LABELS}, got {raw.get('label')!r}")
            spans = [(int(s["start"]), int(s["end"])) for s in raw.get("spans") or []]
            records.append(
                GroundingRecord(
                    str(raw.get("id", lineno)),
                    raw["source_text"],
                    raw["response"],
                    raw["label"],
                    spans,
                    str(raw.get("dataset", "")),
                )
            )
    return records


def classification_report(hallucinated: list[bool], support_scores: list[float], threshold: float) -> dict[str, float]:
    """Response-level metrics with "hallucinated" as the positive class (score below threshold)."""
    y = np.asarray(hallucinated, dtype=bool)
    s = np.asarray(support_scores, dtype=np.float64)
    pred = s < threshold
    return {
        "n": len(y),
        "balanced_accuracy": metrics.balanced_accuracy(y, pred),
        "f1_hallucinated": metrics.f1(y, pred),
        "precision": metrics.precision(y, pred),
        "recall": metrics.recall(y, pred),
        "roc_auc": metrics.roc_auc(y, -s),
        "threshold": threshold,
    }


def grounding_metric_names() -> frozenset[str]:
    """Every figure ``qa eval grounding`` reports (what ``--fail-under`` can gate)."""
    return frozenset(classification_report([True, False], [0.0, 1.0], 0.5)) | {"seconds_per_item", "span_f1"}


def claim_labels(record: GroundingRecord, claims: list[tuple[int, int]]) -> list[bool] | None:
    """Gold "unsupported" per claim: it overlaps a labelled span. ``None`` when unknown (no spans given)."""
    if record.label == "supported":
        return [False] * len(claims)
    if not record.spans:
        return None
    return [any(a < e and s < b for s, e in record.spans) for a, b in claims]


def span_f1(records: list[GroundingRecord], verdicts: list[list[ClaimVerdict]]) -> float | None:
    """Sentence-level F1 of flagging unsupported claims, over records whose claims have a known label."""
    gold: list[bool] = []
    pred: list[bool] = []
    for record, vs in zip(records, verdicts, strict=True):
        labels = claim_labels(record, [(v.start, v.end) for v in vs])
        if labels is None:
            continue
        gold.extend(labels)
        pred.extend(not v.supported for v in vs)
    if not any(r.spans for r in records) or not any(gold):
        return None
    return metrics.f1(gold, pred)


def make_verifier(mode: str, settings: Settings) -> Verifier:
    if mode == "offline":
        from qa.embeddings import minilm
        from qa.grounding import GroundingVerifier

        return GroundingVerifier(minilm(settings.embed_batch_size), threshold=settings.grounding_threshold)
    if mode == "llm":
        from qa.grounding import LLMJudge

        return LLMJudge(settings)
    raise ValueError(f"mode must be 'offline' or 'llm', got {mode!r}")


def run_grounding_eval(
    data: Path,
    mode: str = "offline",
    settings: Settings | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Score every record of ``data`` and compare with its label; see the module docstring for the format."""
    settings = settings or Settings()
    records = load_records(data)
    verifier = make_verifier(mode, settings)
    all_verdicts: list[list[ClaimVerdict]] = []
    scores: list[float] = []
    per_item: list[dict[str, Any]] = []
    started = time.perf_counter()
    for i, record in enumerate(records):
        verdicts = verifier.verify(record.response, [record.source_text])
        score = verifier.response_score(verdicts)
        all_verdicts.append(verdicts)
        scores.append(score)
        per_item.append(
            {
                "id": record.id,
                "label": record.label,
                "score": score,
                "predicted": "hallucinated" if score < verifier.threshold else "supported",
                "claims": [
                    {"start": v.start, "end": v.end, "supported": v.supported, "score": v.score, "reason": v.reason}
                    for v in verdicts
                ],
            }
        )
        if progress is not None:
            progress(i + 1, len(records))
    elapsed = time.perf_counter() - started
    result: dict[str, Any] = classification_report([r.hallucinated for r in records], scores, verifier.threshold)
    result["seconds_per_item"] = elapsed / max(len(records), 1)
    sf1 = span_f1(records, all_verdicts)
    if sf1 is not None:
        result["span_f1"] = sf1
    result["per_item"] = per_item
    return result
