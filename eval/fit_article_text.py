"""Fit the "is this article text?" model and write ``qa/article_text_weights.json``.

    python -m eval.fit_article_text [--shared ../shared/data] [--dry-run]

- fitted on the design pages of :mod:`eval.article_text_data` (generated from our own text), with a 5-fold
  cross-validated accuracy on them;
- checked on the pages in ``eval/data/article_text/check/`` (written separately, never fitted on), run through the
  same parsing and cleaning as an upload (``qa.articles.parse_bytes`` + ``normalize_record``);
- and, where ``../shared/data`` is present, on the real articles there (RealTimeQA gold and distractor articles):
  all are news articles, so the share the model would skip is its false-skip rate on real news.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from eval.article_text_data import design_pages
from eval.fit_grounding import fit_logistic
from qa.article_text import FEATURES, THRESHOLD, WEIGHTS_PATH, features
from qa.articles import clean_body, normalize_record, parse_bytes
from qa.errors import QAError
from qa.grounding.model import Logistic

CHECK_DIR = Path(__file__).resolve().parent / "data" / "article_text" / "check"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def design_matrix() -> tuple[np.ndarray, np.ndarray, list[str]]:
    pages = design_pages()
    x = np.array([features(clean_body(body)) for body, _, _ in pages])
    return x, np.array([label for _, label, _ in pages], dtype=np.float64), [kind for _, _, kind in pages]


def fit(x: np.ndarray, y: np.ndarray) -> Logistic:
    return fit_logistic(x, y, np.ones(len(y)))


def accuracy(model: Logistic, x: np.ndarray, y: np.ndarray) -> float:
    return float(((model.prob(x) >= THRESHOLD) == (y == 1)).mean()) if len(y) else float("nan")


def cross_validated(x: np.ndarray, y: np.ndarray, folds: int = 5, seed: int = 0) -> float:
    order = np.random.default_rng(seed).permutation(len(y))
    right = 0
    for k in range(folds):
        test = order[k::folds]
        train = np.setdiff1d(order, test)
        right += int(((fit(x[train], y[train]).prob(x[test]) >= THRESHOLD) == (y[test] == 1)).sum())
    return right / len(y)


def check_pages() -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Features of the check pages that parse, and the names of those the parser itself already refuses
    (no text at all): those count as skipped."""
    rows, labels, names, refused = [], [], [], []
    for path in sorted(CHECK_DIR.iterdir()):
        try:
            records = parse_bytes(path.read_bytes(), path.name)
        except QAError:
            refused.append(path.name)
            continue
        for record in records:
            _, body = normalize_record(record)
            rows.append(features(body))
            labels.append(1.0 if path.name.startswith("article-") else 0.0)
            names.append(path.name)
    return np.array(rows), np.array(labels), names, refused


def real_articles(shared: Path) -> np.ndarray:
    rows = []
    for name in ("articles.jsonl", "haystack_articles.jsonl"):
        path = shared / "realtimeqa" / name
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                body = json.loads(line).get("body")
                if body:
                    rows.append(features(clean_body(body)))
    return np.array(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shared", type=Path, default=SHARED)
    parser.add_argument("--dry-run", action="store_true", help="report, don't write the weights")
    args = parser.parse_args()

    x, y, _ = design_matrix()
    model = fit(x, y)
    cx, cy, names, refused = check_pages()
    wrong = [n for n, p, t in zip(names, model.prob(cx) >= THRESHOLD, cy == 1, strict=True) if p != t]
    wrong += [n for n in refused if n.startswith("article-")]
    n_check = len(cy) + len(refused)
    figures: dict[str, object] = {
        "design_pages": len(y),
        "design_accuracy_in_sample": round(accuracy(model, x, y), 4),
        "design_accuracy_5fold": round(cross_validated(x, y), 4),
        "check_pages": n_check,
        "check_refused_by_the_parser": len(refused),
        "check_accuracy": round(1 - len(wrong) / n_check, 4),
    }
    real = real_articles(args.shared)
    if len(real):
        figures["real_articles"] = len(real)
        figures["real_articles_skipped"] = int((model.prob(real) < THRESHOLD).sum())
    print(json.dumps({**figures, "check_misclassified": wrong}, indent=2))
    print("coefficients (standardised):", dict(zip(FEATURES, model.coef.round(3).tolist(), strict=True)))
    if not args.dry_run:
        out = {"features": list(FEATURES), "threshold": THRESHOLD, "model": model.to_dict(), "figures": figures}
        WEIGHTS_PATH.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {WEIGHTS_PATH}")


if __name__ == "__main__":
    main()
