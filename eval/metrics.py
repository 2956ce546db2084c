"""Generic binary-classification metrics in plain numpy (no sklearn at run time).

Conventions: ``y_true``/``y_pred`` are 0/1 with 1 the positive class; scores are higher for the positive
class. Results are 0–1 floats; a metric that is undefined on the input (no positives, say) is ``nan``.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

import numpy as np

ArrayLike = Sequence[float] | Sequence[int] | Sequence[bool] | np.ndarray


def confusion(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[int, int, int, int]:
    """``(tp, fp, tn, fn)``."""
    t = np.asarray(y_true).astype(bool)
    p = np.asarray(y_pred).astype(bool)
    return int(np.sum(t & p)), int(np.sum(~t & p)), int(np.sum(~t & ~p)), int(np.sum(t & ~p))


def _ratio(a: float, b: float) -> float:
    return a / b if b else float("nan")


def precision(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    tp, fp, _, _ = confusion(y_true, y_pred)
    return _ratio(tp, tp + fp)


def recall(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    tp, _, _, fn = confusion(y_true, y_pred)
    return _ratio(tp, tp + fn)


def specificity(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    _, fp, tn, _ = confusion(y_true, y_pred)
    return _ratio(tn, tn + fp)


def f1(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    tp, fp, _, fn = confusion(y_true, y_pred)
    return _ratio(2 * tp, 2 * tp + fp + fn)


def balanced_accuracy(y_true: ArrayLike, y_pred: ArrayLike) -> float:
    """Mean of recall and specificity: 0.5 for any constant predictor, whatever the class balance."""
    return float(np.nanmean([recall(y_true, y_pred), specificity(y_true, y_pred)]))


def roc_auc(y_true: ArrayLike, scores: ArrayLike) -> float:
    """Area under the ROC curve as the Mann–Whitney statistic (ties count one half)."""
    t = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=np.float64)
    n_pos, n_neg = int(t.sum()), int((~t).sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    # Average ranks handle ties exactly.
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=np.float64)
    sorted_s = s[order]
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_s[j + 1] == sorted_s[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return float((ranks[t].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def best_threshold(y_true: ArrayLike, scores: ArrayLike, metric: str = "balanced_accuracy") -> float:
    """The cut on ``scores`` (predict positive when score >= cut) that maximises ``metric`` on this data.

    For fitting only: never call it on the data a reported figure is computed on.
    """
    fn = {"balanced_accuracy": balanced_accuracy, "f1": f1}[metric]
    s = np.asarray(scores, dtype=np.float64)
    cuts = np.unique(s)
    # Midpoints between neighbouring scores generalise better than the observed values themselves.
    candidates = np.concatenate([[cuts[0] - 1e-9], (cuts[:-1] + cuts[1:]) / 2.0, [cuts[-1] + 1e-9]])
    values = [fn(y_true, s >= c) for c in candidates]
    return float(candidates[int(np.nanargmax(values))])


# --- QA metrics (retrieval, answers, abstention, briefings) ------------------------------------------------
# Plain functions over strings and id lists; the runner (eval/runner.py) decides what to feed them.

_ARTICLES = re.compile(r"\b(a|an|the)\b")


def mean(values: Sequence[float]) -> float:
    """Mean ignoring ``nan`` (items a metric does not apply to); ``nan`` when nothing is left."""
    kept = [v for v in values if v == v]
    return float(sum(kept) / len(kept)) if kept else float("nan")


def percentile(values: Sequence[float], q: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), q)) if len(values) else float("nan")


def normalize_answer(text: str) -> str:
    """SQuAD normalisation (lower case, no punctuation, no articles, single spaces). Punctuation includes the
    Unicode classes too: news answers come with curly quotes (“Squid Game”) that the ASCII set misses."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(" " if unicodedata.category(ch).startswith("P") or ch in "$%+<=>^`|~" else ch for ch in text)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str | None, golds: Sequence[str]) -> float:
    if not golds:
        return float("nan")
    pred = normalize_answer(prediction or "")
    return float(any(pred == normalize_answer(g) for g in golds))


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if not pred_tokens or not gold_tokens:
        return float(pred_tokens == gold_tokens)
    if same == 0:
        return 0.0
    p, r = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * p * r / (p + r)


def token_f1(prediction: str | None, golds: Sequence[str]) -> float:
    """SQuAD token F1, best over the gold aliases."""
    if not golds:
        return float("nan")
    pred = normalize_answer(prediction or "").split()
    return max(_f1(pred, normalize_answer(g).split()) for g in golds)


def answer_in_response(response: str | None, golds: Sequence[str]) -> float:
    """1 when a normalised gold answer occurs in the normalised response on word boundaries."""
    if not golds:
        return float("nan")
    text = f" {normalize_answer(response or '')} "
    wanted = [normalize_answer(g) for g in golds]
    return float(any(f" {w} " in text for w in wanted if w))


def distinct(ids: Sequence[str]) -> list[str]:
    """Ids in first-seen order: chunk hits → ranked articles."""
    return list(dict.fromkeys(ids))


def first_relevant_rank(ranked: Sequence[str], relevant: Sequence[str]) -> int | None:
    """1-based rank of the first relevant id among the distinct ids of ``ranked``; None when absent."""
    gold = set(relevant)
    for rank, item in enumerate(distinct(ranked), 1):
        if item in gold:
            return rank
    return None


def hit_at_k(rank: int | None, k: int) -> float:
    return float(rank is not None and rank <= k)


def reciprocal_rank(rank: int | None, k: int | None = None) -> float:
    """MRR term, cut at ``k`` when given (MRR@k)."""
    if rank is None or (k is not None and rank > k):
        return 0.0
    return 1.0 / rank


def recall_at_k(ranked: Sequence[str], relevant: Sequence[str], k: int) -> float:
    """Share of the relevant ids among the first ``k`` distinct ranked ids."""
    gold = set(relevant)
    if not gold:
        return float("nan")
    return len(gold & set(distinct(ranked)[:k])) / len(gold)


def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).replace("’", "'").replace("“", '"').replace("”", '"').split())


def evidence_recall(evidence: Sequence[str], texts: Sequence[str]) -> float:
    """Share of evidence sentences found verbatim (up to whitespace and quote style) in the retrieved texts."""
    if not evidence:
        return float("nan")
    pool = "\n".join(_squash(t) for t in texts)
    return sum(1 for e in evidence if _squash(e) in pool) / len(evidence)


def abstention(unanswerable: Sequence[bool], abstained: Sequence[bool]) -> tuple[float, float]:
    """(precision, recall) of abstaining, with "the question is unanswerable" as the positive class."""
    return precision(unanswerable, abstained), recall(unanswerable, abstained)


def _content_tokens(text: str) -> list[str]:
    return [t for t in normalize_answer(text).split() if len(t) > 2 or t.isdigit()]


def key_sentence_coverage(key_sentences: Sequence[str], texts: Sequence[str], threshold: float = 0.5) -> float:
    """Share of key sentences whose content words a single briefing text (bullet or its quote) recalls at
    least ``threshold`` of: coverage of facts, not of wording, so paraphrased bullets count."""
    if not key_sentences:
        return float("nan")
    bags = [set(_content_tokens(t)) for t in texts]
    covered = 0
    for sentence in key_sentences:
        want = set(_content_tokens(sentence))
        if want and any(len(want & bag) / len(want) >= threshold for bag in bags):
            covered += 1
    return covered / len(key_sentences)
