"""Fit a logistic short-answer candidate score on generated cloze questions and compare it with the reader's.

    .venv/bin/python -m eval.fit_reader [--data out/reader_data.jsonl] [--data-dir out/reader_store] \
        [--out out/reader_weights.json]

The questions come from ``eval/reader_data.py`` (templates over parsed sentences of the demo corpus and the
RealTimeQA haystack articles, split by article into ``fit`` and ``check``). Every question is asked as in
``qa eval`` (retrieval over a store holding all those articles, so the others are distractors, then the
extractive reader); each candidate that passes the reader's hard gates becomes one row of its named features
(:data:`qa.generators.candidate_score.FEATURES`), labelled by whether its text is the generated answer (SQuAD
normalisation); every candidate of an unanswerable twin is labelled no. A logistic model is fitted on the ``fit``
part (each question weighing the same), with the fitting code of the grounding verifier; weights are written on
the features' own scale. The answer threshold is the cut on the best candidate's score that gets most ``fit``
questions right (answered correctly, or turned down when unanswerable). Reported on both parts, under the fitted
score and under the reader's formula (:mod:`qa.generators.candidate_score`): how often the top candidate is the
answer, how often the answer given is right, how often an unanswerable question is turned down, and the accuracy
over both. The fitted weights go to ``--out``; the reader does not read them (see the README's reader section).
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from eval import runner
from eval.fit_grounding import fit_logistic
from eval.metrics import normalize_answer
from eval.reader_data import DEFAULT_ARTICLES, PER_ARTICLE, generate, training_corpus
from qa.answer import Turn
from qa.generators import candidate_score
from qa.generators.candidate_score import FEATURES

ROOT = Path(__file__).resolve().parents[1]
NAMES = tuple(FEATURES)
OUT = ROOT / "out" / "reader_weights.json"


@dataclass
class Row:
    question: str  # item id
    part: str
    key: str  # the candidate's normalised text (its occurrences are one candidate)
    x: np.ndarray
    label: bool
    unanswerable: bool


# --- collecting rows ----------------------------------------------------------------------------------------------
def collect(items: list[dict], data_dir: Path) -> list[Row]:
    rows: list[Row] = []
    with runner.service(None, data_dir) as svc:
        runner.ingest(svc, training_corpus(list(DEFAULT_ARTICLES)))
        engine = svc.engine
        for n, it in enumerate(items):
            today = dt.date.fromisoformat(it["today"]) if it.get("today") else None
            turn = engine.retrieve(Turn(question=it["question"], today=today))
            draft = engine.extractive.answer(it["question"], turn.sources, today)
            gold = normalize_answer(it["answer"]) if it.get("answer") else None
            for c in draft.trace.candidates if draft.trace else []:
                if "agreement" not in c.features:
                    continue  # stopped by a hard gate: never scored
                key = normalize_answer(c.text)
                x = np.array([c.features.get(f, 0.0) for f in NAMES])
                rows.append(Row(it["id"], it["part"], key, x, key == gold, gold is None))
            if n % 100 == 0:
                print(f"  {n}/{len(items)} questions, {len(rows)} candidate rows", flush=True)
    return rows


def by_question(rows: list[Row]) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for r in rows:
        out[r.question].append(r)
    return out


# --- choosing and scoring ---------------------------------------------------------------------------------------
def pick(rows: list[Row], score: str, coef: np.ndarray | None = None, intercept: float = 0.0) -> tuple[Row, float]:
    """The candidate the reader would answer with, and its score (hand formula or linear score)."""
    groups: dict[str, list[tuple[Row, float]]] = defaultdict(list)
    for r in rows:
        features = dict(zip(NAMES, r.x, strict=True))
        s = candidate_score.score(features) if score == "hand" else float(r.x @ coef + intercept)
        groups[r.key].append((r, s))
    best: tuple[Row, float] | None = None
    for group in groups.values():
        group.sort(key=lambda p: -p[1])
        total = candidate_score.total([s for _, s in group]) if score == "hand" else group[0][1]
        if best is None or total > best[1]:
            best = (group[0][0], total)
    assert best is not None
    return best


def best_scores(questions: dict[str, list[Row]], score: str, coef=None, intercept=0.0) -> dict[str, tuple[Row, float]]:
    return {q: pick(rows, score, coef, intercept) for q, rows in questions.items()}


def figures(items: list[dict], picks: dict[str, tuple[Row, float]], threshold: float) -> dict[str, float | int]:
    """Answerable items: top candidate right, answer given right; unanswerable ones: turned down (no candidate, or
    the best below the threshold); accuracy over both."""
    answerable = [it["id"] for it in items if it.get("answer")]
    unanswerable = [it["id"] for it in items if not it.get("answer")]
    top1 = sum(1 for q in answerable if q in picks and picks[q][0].label)
    right = sum(1 for q in answerable if q in picks and picks[q][0].label and picks[q][1] >= threshold)
    down = sum(1 for q in unanswerable if q not in picks or picks[q][1] < threshold)
    return {
        "answerable": len(answerable),
        "top1": round(top1 / max(1, len(answerable)), 4),
        "answered_right": round(right / max(1, len(answerable)), 4),
        "unanswerable": len(unanswerable),
        "turned_down_unanswerable": round(down / max(1, len(unanswerable)), 4),
        "accuracy": round((right + down) / max(1, len(items)), 4),
    }


def fit(questions: dict[str, list[Row]]) -> tuple[np.ndarray, float]:
    """Logistic model on the rows of questions whose answer is among the candidates and of unanswerable ones (all
    their candidates are wrong), each question weighing 1."""
    rows = [r for group in questions.values() if any(r.label for r in group) or group[0].unanswerable for r in group]
    size = {q: len(g) for q, g in questions.items()}
    x = np.array([r.x for r in rows])
    y = np.array([float(r.label) for r in rows])
    w = np.array([1.0 / size[r.question] for r in rows])
    model = fit_logistic(x, y, w)
    coef = model.coef / model.scale  # back on the features' own scale: score = intercept + coef . x
    intercept = float(model.intercept - (model.coef * model.mean / model.scale).sum())
    return coef, intercept


def best_threshold(items: list[dict], picks: dict[str, tuple[Row, float]]) -> float:
    """The cut on the best candidate's score that gets most of ``items`` right."""
    scores = sorted({s for _, s in picks.values()})
    cuts = [scores[0] - 1.0] + [(a + b) / 2 for a, b in itertools.pairwise(scores)]
    return max(cuts, key=lambda t: (figures(items, picks, t)["accuracy"], -abs(t)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "out" / "reader_data.jsonl")
    parser.add_argument("--data-dir", type=Path, default=ROOT / "out" / "reader_store")
    parser.add_argument("--out", type=Path, default=OUT, help="where the fitted weights and figures go")
    args = parser.parse_args()
    if args.data.exists():
        items = [json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        items = [vars(it) for it in generate(list(DEFAULT_ARTICLES), PER_ARTICLE)]
    rows = collect(items, args.data_dir)
    parts = {p: by_question([r for r in rows if r.part == p]) for p in ("fit", "check")}
    part_items = {p: [it for it in items if it["part"] == p] for p in parts}
    coef, intercept = fit(parts["fit"])
    threshold = best_threshold(part_items["fit"], best_scores(parts["fit"], "fit", coef, intercept))
    report = {
        p: {
            "hand": figures(part_items[p], best_scores(parts[p], "hand"), candidate_score.THRESHOLD),
            "fitted": figures(part_items[p], best_scores(parts[p], "fit", coef, intercept), threshold),
        }
        for p in parts
    }
    weights = {
        "what": "logistic candidate score: intercept + coef . features (qa/generators/candidate_score.FEATURES)",
        "fitted_by": "python -m eval.fit_reader (fit part of eval/reader_data.py questions); not used by the reader",
        "coef": {n: round(float(c), 6) for n, c in zip(NAMES, coef, strict=True)},
        "intercept": round(intercept, 6),
        "threshold": round(threshold, 6),
        "figures": report,
    }
    print(json.dumps(weights, indent=2))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(weights, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
