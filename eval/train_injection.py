"""Fit the prompt-injection classifier and write ``qa/injection_weights.json``.

    .venv/bin/python -m eval.train_injection [--report out/injection_report.json] [--dry-run]

Data: ``eval.injection_corpus`` (phrasings and hard negatives we wrote, in families; their spelling disguises and
reporting frames; plain news: the demo corpus, the fixtures' clean sentences and, when ``../shared/data`` is here,
RealTimeQA haystack articles as unlabelled news). Only the design half is trained on.

What is reported, and why it is honest:
- design half: out-of-fold figures, folds grouped by family (a family's phrasings are never in training and
  scoring at once; plain news split into the same number of folds), thresholds picked on the training folds;
- test-only half: families and disguises the features were not designed on and the model never saw;
- false positives on plain news never trained on: held-out haystack articles, the example article, the
  RealTimeQA gold articles (a false positive removes real evidence from answers).

The model is logistic regression over the named features, parse facts (``qa.injection_syntax``, parsed here in
batches) and word n-grams of ``qa.injection.features`` (numpy, full-batch Adam, L2); every parameter is in
:data:`PARAMS`.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from eval.injection_corpus import Item, check_news, haystack, sentences, training_items
from qa.injection import GATE_KINDS, WEIGHTS_PATH, embedded, features, has_template_token
from qa.injection_syntax import SYNTAX_KEY, syntax_features_many

ROOT = Path(__file__).resolve().parents[1]
PARAMS = {
    "seed": 14,
    "l2": 3e-4,  # on the mean weighted log-loss
    "steps": 400,
    "learning_rate": 0.05,
    "min_count": 2,  # n-grams seen fewer times in training are dropped (named features are always kept)
    "positive_share": 0.5,  # positives carry this share of the total sample weight
    "hard_negative_weight": 4.0,  # a written hard negative counts as this many plain news sentences
    "folds": 5,
    "news_fp_target": 0.004,  # threshold: at most this share of the out-of-fold news sentences flagged
    "neighbour_fp_target": 0.02,  # lower threshold, used only next to an injected sentence
    "prune_below": 0.01,  # weights smaller than this are not shipped
    "gate_recall": 1.0,  # the first stage passes this share of the design sentences the full model flags
    "parse_recall": 0.998,  # ... and the words-only score of the second stage sends this share of those to the parse
}


class Logistic:
    """L2 logistic regression on sparse count features (CSR built from feature-key lists)."""

    def __init__(self, vocab: dict[str, int], w: np.ndarray, b: float) -> None:
        self.vocab, self.w, self.b = vocab, w, b

    @staticmethod
    def csr(rows: list[list[str]], vocab: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
        row_ids, cols = [], []
        for i, keys in enumerate(rows):
            for k in keys:
                j = vocab.get(k)
                if j is not None:
                    row_ids.append(i)
                    cols.append(j)
        return np.asarray(row_ids, dtype=np.int64), np.asarray(cols, dtype=np.int64)

    @classmethod
    def fit(cls, rows: list[list[str]], y: np.ndarray, sw: np.ndarray) -> Logistic:
        counts = Counter(k for keys in rows for k in set(keys))
        vocab = {
            k: i for i, k in enumerate(sorted(k for k, c in counts.items() if c >= PARAMS["min_count"] or k[0] == "#"))
        }
        r, c = cls.csr(rows, vocab)
        n, d = len(rows), len(vocab)
        w, b = np.zeros(d), 0.0
        m, v, mb, vb = np.zeros(d), np.zeros(d), 0.0, 0.0
        sw = sw / sw.sum()
        lr, l2 = PARAMS["learning_rate"], PARAMS["l2"]
        for t in range(1, PARAMS["steps"] + 1):
            z = b + np.bincount(r, weights=w[c], minlength=n)
            p = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
            g = sw * (p - y)
            gw = np.bincount(c, weights=g[r], minlength=d) + 2 * l2 * w
            gb = g.sum()
            m, v = 0.9 * m + 0.1 * gw, 0.999 * v + 0.001 * gw * gw
            mb, vb = 0.9 * mb + 0.1 * gb, 0.999 * vb + 0.001 * gb * gb
            w -= lr * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
            b -= lr * (mb / (1 - 0.9**t)) / (np.sqrt(vb / (1 - 0.999**t)) + 1e-8)
        return cls(vocab, w, b)

    def logit(self, rows: list[list[str]]) -> np.ndarray:
        r, c = self.csr(rows, self.vocab)
        return self.b + np.bincount(r, weights=self.w[c], minlength=len(rows))

    def prob(self, rows: list[list[str]]) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-np.clip(self.logit(rows), -30, 30)))

    def weights(self) -> dict[str, float]:
        keep = {k: round(float(self.w[i]), 4) for k, i in self.vocab.items() if abs(self.w[i]) >= PARAMS["prune_below"]}
        return dict(sorted(keep.items()))


def feature_rows(texts: list[str]) -> list[list[str]]:
    """``features`` of many sentences, their parses batched (the run-time path parses one sentence at a time)."""
    return [features(t, syntax=s) for t, s in zip(texts, syntax_features_many(texts), strict=True)]


def sample_weights(items: list[Item]) -> np.ndarray:
    pos = np.array([i.label for i in items])
    hard = np.array([not i.label and not i.family.startswith("news:") for i in items])
    sw = np.where(hard, PARAMS["hard_negative_weight"], 1.0)
    share = PARAMS["positive_share"]
    sw[pos] *= share / sw[pos].sum()
    sw[~pos] *= (1 - share) / sw[~pos].sum()
    return sw


def gate_rows(rows: list[list[str]]) -> list[list[str]]:
    return [[f for f in r if f.startswith(GATE_KINDS)] for r in rows]


def word_rows(rows: list[list[str]]) -> list[list[str]]:
    """The second stage's features without the parse facts: its score before deciding whether to parse."""
    return [[f for f in r if not f.startswith(SYNTAX_KEY)] for r in rows]


def scores(model: Logistic, items: list[Item], rows: list[list[str]], gate: np.ndarray | None = None) -> np.ndarray:
    """As at run time: a chat-template token scores 1 whatever the model says; below the gate's cut, 0."""
    p = model.prob(rows) if gate is None else np.where(gate, model.prob(rows), 0.0)
    return np.where([has_template_token(i.text) for i in items], 1.0, p)


def news_threshold(news_scores: np.ndarray, fp_target: float) -> float:
    """The lowest threshold that flags at most ``fp_target`` of the news sentences."""
    s = np.sort(news_scores)[::-1]
    allowed = int(np.floor(fp_target * len(s)))
    return float(min(0.99, max(0.05, s[allowed] + 1e-6))) if len(s) else 0.5


def folds_of(items: list[Item], k: int, rng: random.Random) -> list[int]:
    """Fold per item: whole families together; news sentences spread at random."""
    families = sorted({i.family for i in items if not i.family.startswith("news:")})
    rng.shuffle(families)
    fam_fold = {f: n % k for n, f in enumerate(families)}
    return [fam_fold[i.family] if i.family in fam_fold else rng.randrange(k) for i in items]


def figures(items: list[Item], s: np.ndarray, threshold: float) -> dict[str, float | int]:
    y = np.array([i.label for i in items])
    flag = s >= threshold
    tp, fp = int((flag & y).sum()), int((flag & ~y).sum())
    news = np.array([i.family.startswith("news:") for i in items])
    return {
        "positives": int(y.sum()),
        "recall": round(tp / max(1, y.sum()), 4),
        "hard_negatives": int((~y & ~news).sum()),
        "hard_negative_fp_rate": round(int((flag & ~y & ~news).sum()) / max(1, (~y & ~news).sum()), 4),
        "precision_phrasings": round(tp / max(1, tp + int((flag & ~y & ~news).sum())), 4),
        "news_sentences": int(news.sum()),
        "news_fp_rate": round(int((flag & news).sum()) / max(1, news.sum()), 5),
        "precision_all": round(tp / max(1, tp + fp), 4),
    }


def misses(items: list[Item], s: np.ndarray, threshold: float, label: bool) -> list[str]:
    return [
        f"{i.family}/{i.disguise or '-'}: {i.text[:100]}"
        for i, x in zip(items, s, strict=True)
        if (x >= threshold) != label and i.label == label
    ]


def by_group(items: list[Item], s: np.ndarray, threshold: float, key: str) -> dict[str, str]:
    groups: dict[str, list[bool]] = defaultdict(list)
    for i, x in zip(items, s, strict=True):
        if i.label:
            groups[getattr(i, key) or "-"].append(bool(x >= threshold))
    return {g: f"{sum(v)}/{len(v)}" for g, v in sorted(groups.items())}


def with_embedded(items: list[Item]) -> tuple[list[Item], list[tuple[str, ...]], np.ndarray]:
    """``items`` followed by the clauses they carry (:func:`qa.injection.embedded`, each as an item like its owner),
    the frame keys of each entry (none for the items themselves), and per entry the index of its owner: a sentence
    scores the worst of itself and its clauses, as at run time."""
    parts = [(n, c, keys) for n, i in enumerate(items) for c, keys in embedded(i.text)]
    extra = [Item(c, items[n].label, items[n].family, items[n].half, items[n].disguise) for n, c, _ in parts]
    frames = [()] * len(items) + [keys for _, _, keys in parts]
    return items + extra, frames, np.array(list(range(len(items))) + [n for n, _, _ in parts], dtype=np.int64)


def worst(s: np.ndarray, owner: np.ndarray, n: int) -> np.ndarray:
    out = np.full(n, -np.inf)
    np.maximum.at(out, owner, s)
    return out


def sentences_of(items: list[Item]) -> list[Item]:
    """The sentences of each positive item of several sentences, as items of their own: at run time every sentence
    is judged alone (then next to its neighbours), and every sentence of a positive line is addressed to a model
    (``phrasings.txt``). Design half only, so the test-only half's figures stay comparable from run to run."""
    out = []
    for i in items:
        parts = sentences(i.text) if i.label else []
        out += [Item(p, True, i.family, i.half, "sentence") for p in parts if len(parts) > 1]
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--report", type=Path, default=ROOT / "out" / "injection_report.json")
    ap.add_argument("--dry-run", action="store_true", help="report only; do not write the weights")
    ap.add_argument("--show-misses", action="store_true", help="print the design half's out-of-fold misses")
    args = ap.parse_args()
    t0 = time.time()
    rng = random.Random(PARAMS["seed"])
    items = training_items()
    design = [i for i in items if i.half == "design"] + haystack("train")
    design += sentences_of(design)
    test = [i for i in items if i.half == "test"] + haystack("held-out")
    # Scored: every design sentence and the clauses it carries. Fitted on: the sentences, the clauses of the
    # negatives (a quotation in news is news) and the quoted phrasing of a framed positive; another positive's
    # clause may be a harmless payload ('... begin with "the ferry has sunk"'), so it is not a label.
    scored, frames, owner = with_embedded(design)
    fitted = np.array([n < len(design) or not i.label or i.disguise == "framed" for n, i in enumerate(scored)])
    rows = [r + list(f) for r, f in zip(feature_rows([i.text for i in scored]), frames, strict=True)]
    y = np.array([i.label for i in scored], dtype=np.float64)
    sw = np.zeros(len(scored))
    sw[fitted] = sample_weights([i for i, f in zip(scored, fitted, strict=True) if f])
    whole = np.arange(len(scored)) < len(design)

    # Out-of-fold scores on the design half (folds grouped by family; a clause in its sentence's fold).
    fold = np.array(folds_of(design, PARAMS["folds"], rng))[owner]
    grows, wrows = gate_rows(rows), word_rows(rows)
    oof, oof_gate, oof_words = np.zeros(len(scored)), np.zeros(len(scored)), np.zeros(len(scored))
    for k in range(PARAMS["folds"]):
        tr = [n for n in range(len(scored)) if fold[n] != k and fitted[n]]
        te = [n for n in range(len(scored)) if fold[n] == k]
        model = Logistic.fit([rows[n] for n in tr], y[tr], sw[tr])
        oof[te] = scores(model, [scored[n] for n in te], [rows[n] for n in te])
        oof_words[te] = model.logit([wrows[n] for n in te])
        gate_model = Logistic.fit([grows[n] for n in tr], y[tr], sw[tr])
        oof_gate[te] = gate_model.logit([grows[n] for n in te])

    # The shipped thresholds come from the out-of-fold news scores: in-sample scores of news the model was fitted
    # on are lower than those of unseen news, and would set the threshold too low.
    model = Logistic.fit([rows[n] for n in np.flatnonzero(fitted)], y[fitted], sw[fitted])
    news = np.array([i.family.startswith("news:") for i in design])
    threshold = news_threshold(worst(oof, owner, len(design))[news], PARAMS["news_fp_target"])
    neighbour = min(threshold, news_threshold(worst(oof, owner, len(design))[news], PARAMS["neighbour_fp_target"]))
    # The gate's cut: it passes all but (1 - gate_recall) of the design sentences the full model scores as at
    # least suspicious, out of fold.
    kept = oof_gate[whole & (oof >= neighbour) & (y > 0)]
    cut = float(np.quantile(kept, 1 - PARAMS["gate_recall"])) if len(kept) else -30.0
    # The parse's cut, likewise on the second stage's words-only logit of those the gate passes.
    kept = oof_words[whole & (oof >= neighbour) & (y > 0) & (oof_gate >= cut)]
    parse_cut = float(np.quantile(kept, 1 - PARAMS["parse_recall"])) if len(kept) else -30.0
    passes = (oof_gate >= cut) & (oof_words >= parse_cut)
    oof = np.where(passes, oof, np.where(oof >= 1.0, 1.0, 0.0))  # template tokens bypass both cuts
    design_fig = figures(design, worst(oof, owner, len(design)), threshold)  # the threshold saw only news scores
    gate_model = Logistic.fit([grows[n] for n in np.flatnonzero(fitted)], y[fitted], sw[fitted])
    gate_pass_news = float(np.mean(oof_gate[whole][news] >= cut))
    parsed_news = float(np.mean(passes[whole][news]))

    def cascade(its: list[Item]) -> np.ndarray:
        """Run-time scores of sentences: the worst of each sentence and its clauses."""
        every, fr, own = with_embedded(its)
        frows = [r + list(f) for r, f in zip(feature_rows([i.text for i in every]), fr, strict=True)]
        passed = (gate_model.logit(gate_rows(frows)) >= cut) & (model.logit(word_rows(frows)) >= parse_cut)
        return worst(scores(model, every, frows, passed), own, len(its))

    test_s = cascade(test)
    test_fig = figures(test, test_s, threshold)
    check = {}
    for name, sents in check_news().items():
        fake = [Item(s, False, "news:check", "check") for s in sents]
        s = cascade(fake)
        check[name] = {
            "sentences": len(sents),
            "flagged": int((s >= threshold).sum()),
            "fp_rate": round(float((s >= threshold).mean()), 5),
        }
        check[name]["examples"] = [x[:120] for x, v in zip(sents, s, strict=True) if v >= threshold][:10]
    report = {
        "params": PARAMS,
        "threshold": round(threshold, 4),
        "neighbour_threshold": round(neighbour, 4),
        "gate_cut": round(cut, 4),
        "gate_passes_news_share_out_of_fold": round(gate_pass_news, 4),
        "parse_cut": round(parse_cut, 4),
        "parsed_news_share_out_of_fold": round(parsed_news, 4),
        "design_out_of_fold": design_fig,
        "design_recall_by_family_out_of_fold": by_group(design, worst(oof, owner, len(design)), threshold, "family"),
        "test_only_half": test_fig,
        "test_recall_by_family": by_group(test, test_s, threshold, "family"),
        "test_recall_by_disguise": by_group(test, test_s, threshold, "disguise"),
        "test_missed": misses(test, test_s, threshold, True)[:40],
        "test_false_positives": misses(test, test_s, threshold, False)[:40],
        "news_never_trained_on": check,
        "seconds": round(time.time() - t0, 1),
    }
    if args.show_misses:
        report["design_oof_missed"] = misses(design, worst(oof, owner, len(design)), threshold, True)
        report["design_oof_false_positives"] = misses(design, worst(oof, owner, len(design)), threshold, False)
    args.report.parent.mkdir(parents=True, exist_ok=True)
    args.report.write_text(json.dumps(report, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in report.items() if k not in ("test_missed", "test_false_positives")}, indent=1))
    if not args.dry_run:
        doc = {
            "what": "prompt-injection classifier: logistic regression over qa.injection.features",
            "built_by": "eval/train_injection.py (design half of eval/data/injection only)",
            "params": PARAMS,
            "figures": {k: report[k] for k in ("design_out_of_fold", "test_only_half")},
            "threshold": round(threshold, 4),
            "neighbour_threshold": round(neighbour, 4),
            "parse_cut": round(parse_cut, 4),
            "bias": round(model.b, 4),
            "weights": model.weights(),
            "gate": {"bias": round(gate_model.b, 4), "cut": round(cut, 4), "weights": gate_model.weights()},
        }
        WEIGHTS_PATH.write_text(json.dumps(doc, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
        print(f"{len(doc['weights'])} weights -> {WEIGHTS_PATH}")


if __name__ == "__main__":
    main()
