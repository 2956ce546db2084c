"""Fit the grounding verifier's few combination weights and threshold, and report them on held-out data.

    .venv/bin/python -m eval.fit_grounding [--data-dir ../shared/data/grounding] [--combination NAME --write]

Discipline (issue 16, eval/grounding_splits.py): the weights and the threshold are fitted on the **SummEdits
fitting part only** (8 of its 13 source documents). Every figure is reported on the fitting part (in-sample, and
leave-one-document-out within it), on the **SummEdits check part** (5 other documents) and on **QAGS** (CNN/DM and
XSum, never fitted on). Each combination below is a small logistic model over a few of the verifier's features;
the entailment model itself (qa/grounding/nli.py) was trained on synthetic pairs from other text and never saw
these sets. The shipped combination is chosen by the fitting part's leave-one-document-out figure, not by the
checks.

- features come from ``GroundingVerifier.check`` (no labels involved); claim scores are the model's, capped for
  concrete contradictions where the combination says so, exactly as at run time; a response scores its weakest
  claim;
- SummEdits only labels whole summaries, so a hallucinated multi-sentence summary contributes only its weakest
  claim (re-picked each round by the current model) and a supported one contributes all its claims.
"""

from __future__ import annotations

import argparse
import json
import pickle
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from eval import metrics
from eval.grounding import GroundingRecord, claim_labels, load_records
from eval.grounding_splits import CHECK, FIT, document_key, split
from qa.chunking import chunk_text
from qa.config import Settings
from qa.embeddings import minilm
from qa.grounding.claims import split_claims
from qa.grounding.features import ENTAILMENT, FEATURES, cap_contradictions
from qa.grounding.model import Logistic, Trees
from qa.grounding.nli import MODEL_SHA256
from qa.grounding.verifier import WEIGHTS_PATH
from qa.sentence_vectors import SentenceVectors, embed_sentences

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "grounding"
DATASETS = {"summedits": "summedits_news.jsonl", "qags": "qags_cnndm_xsum.jsonl"}
L2 = 1.0
MIL_ROUNDS = 3

# Each combination: the features it weighs (the others get weight 0) and whether concrete contradictions cap
# the score. "rules" is the earlier verifier (all hand-designed features) refitted on the fitting part only.
COMBINATIONS: dict[str, tuple[tuple[str, ...], bool]] = {
    "entailment": (("entailment",), False),
    "entailment+cap": (("entailment",), True),
    "entailment+alignment": (("entailment", "similarity", "coverage_local"), True),
    "rules": (tuple(f for f in FEATURES if f != "entailment"), True),
    "all": (FEATURES, True),
}
MORE_IS_SUPPORT = ("entailment", "similarity", "coverage_local", "pair_coverage")  # weights kept >= 0
DEFAULT_COMBINATION = "entailment+alignment"


@dataclass
class Doc:
    dataset: str  # "summedits" | "qags"
    subset: str  # SummEdits, QAGS/cnndm or QAGS/xsum: reporting only
    part: str  # FIT or CHECK (eval/grounding_splits.py)
    group: str  # source-document hash: folds never split a source
    hallucinated: bool
    x: np.ndarray  # (claims with something to check) × features
    y: list[bool] | None  # gold per claim, None when only the summary label is known
    pairs: list[tuple[str, str]]  # (claim, window) per row of x: what the entailment model reads


class _Recorder:
    """Stands in for the entailment model while the other features are computed: keeps each (claim, window)."""

    def __init__(self) -> None:
        self.pairs: list[tuple[str, str]] = []

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        self.pairs.extend(pairs)
        return np.zeros(len(pairs), dtype=np.float32)


def featurise(data_dir: Path, cache_dir: Path | None) -> list[Doc]:
    """Features of every record of both datasets. Two cached stages: everything but the entailment logit (it does
    not depend on the model, so it can be computed while the model trains), then the logits of the shipped model."""
    from qa.grounding.nli import entailment_model

    name = f"grounding_features_{len(FEATURES)}{'' if VECTORS == 'embedded' else '_' + VECTORS}"
    base = cache_dir / f"{name}.pkl" if cache_dir else None
    scored = cache_dir / f"{name}_{MODEL_SHA256[:12]}.pkl" if cache_dir else None
    if scored is not None and scored.exists():
        return pickle.loads(scored.read_bytes())
    if base is not None and base.exists():
        docs = pickle.loads(base.read_bytes())
    else:
        docs = _features_without_entailment(data_dir)
        if base is not None:
            base.parent.mkdir(parents=True, exist_ok=True)
            base.write_bytes(pickle.dumps(docs))
    started = time.perf_counter()
    pairs = [p for d in docs for p in d.pairs]
    logits = iter(entailment_model().logits(pairs))
    for d in docs:
        for row in range(len(d.pairs)):
            d.x[row, ENTAILMENT] = next(logits)
    print(f"entailment: {len(pairs)} claims in {time.perf_counter() - started:.0f} s")
    if scored is not None:
        scored.write_bytes(pickle.dumps(docs))
    return docs


# Where the source sentences' vectors come from: "embedded" by the verifier, or "stored" as the store keeps them
# for an article (qa/sentence_vectors.py: the sentences of its chunks, float16), as the answer engine verifies.
VECTORS = "stored"


@lru_cache(maxsize=64)
def _stored_vectors(text: str) -> SentenceVectors:
    settings = Settings()
    chunks = chunk_text("source", text, settings.chunk_tokens, settings.chunk_overlap_tokens)
    stored = embed_sentences(minilm(), chunks)["source"]
    return SentenceVectors.from_blobs(stored.encoder, *stored.blobs())  # exactly what a store gives back


def source_vectors(text: str) -> list[SentenceVectors | None] | None:
    """``known`` for verifying against ``text`` as one source: what the store would keep for it as an article body
    (VECTORS "stored"), or nothing (the verifier embeds every sentence)."""
    return [_stored_vectors(text)] if VECTORS == "stored" else None


FIXTURE = ROOT / "tests" / "fixtures" / "llm_answers_pompeo.json"
EXAMPLE = ROOT.parent / "shared" / "data" / "articles" / "000_c5f37d0b212be8a7.txt"


def fixture_docs() -> list[Doc]:
    """The local LLM's hand-labelled sentences about the example article, one Doc each (a check, never fitted
    on): an invented sentence is a hallucinated Doc, a supported one a faithful Doc. A sentence that stands word
    for word in the article has nothing to check, as in ``GroundingVerifier.verify_claims``."""
    from qa.grounding.nli import entailment_model
    from qa.grounding.verifier import GroundingVerifier, verbatim_span

    verifier = GroundingVerifier(threshold=0.5, entailment=entailment_model())
    article = EXAMPLE.read_text(encoding="utf-8")
    docs = []
    for case in json.loads(FIXTURE.read_text(encoding="utf-8")):
        for key, hallucinated in (("invented_sentences", True), ("supported_sentences", False)):
            for sentence in case[key]:
                known = source_vectors(article)
                check = (
                    None
                    if verbatim_span(sentence, [article])
                    else verifier.check([sentence], [article], True, known)[0]
                )
                x = check.values[None, :].astype(np.float64) if check is not None else np.zeros((0, len(FEATURES)))
                docs.append(Doc("fixture", "fixture", CHECK, "fixture", hallucinated, x, None, []))
    return docs


def fixture_figures(combo: Combination, docs: list[Doc]) -> str:
    flagged = combo.doc_scores(docs) < combo.threshold
    invented = sum(1 for d, f in zip(docs, flagged, strict=True) if d.hallucinated and f)
    kept = sum(1 for d, f in zip(docs, flagged, strict=True) if not d.hallucinated and not f)
    n_inv = sum(d.hallucinated for d in docs)
    return f"local LLM fixture: invented flagged {invented}/{n_inv}, supported kept {kept}/{len(docs) - n_inv}"


def _features_without_entailment(data_dir: Path) -> list[Doc]:
    from qa.grounding.verifier import GroundingVerifier

    recorder = _Recorder()
    verifier = GroundingVerifier(threshold=0.5, entailment=recorder)  # type: ignore[arg-type]
    docs: list[Doc] = []
    for name, filename in DATASETS.items():
        records: list[GroundingRecord] = load_records(data_dir / filename)
        parts = split(records, name)
        part_of = {id(r): part for part, rs in parts.items() for r in rs}
        started = time.perf_counter()
        for r in records:
            first = len(recorder.pairs)
            spans = split_claims(r.response)
            claims = [r.response[a:b] for a, b in spans]
            checks = verifier.check(claims, [r.source_text], entailment=True, known=source_vectors(r.source_text))
            gold = claim_labels(r, spans)
            keep = [i for i, c in enumerate(checks) if c is not None]
            x = np.stack([checks[i].values for i in keep]) if keep else np.zeros((0, len(FEATURES)))
            y = [gold[i] for i in keep] if gold is not None else None
            subset = r.dataset if name == "qags" else "SummEdits"
            group = document_key(r.source_text)[:16]
            docs.append(
                Doc(
                    name, subset, part_of[id(r)], group, r.hallucinated, x.astype(np.float64), y, recorder.pairs[first:]
                )
            )
        print(f"{name}: {len(records)} records, {(time.perf_counter() - started) / len(records):.3f} s/item")
    return docs


# --- the two model kinds: logistic regression (IRLS) and gradient-boosted depth-2 trees -------------------

Model = Logistic | Trees


def fit_logistic(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Logistic:
    """``y`` is 1 for supported. Standardised features, L2 on the coefficients (not the intercept)."""
    mean = np.average(x, axis=0, weights=w)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], L2 / w.sum())
    penalty[-1] = 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(z @ beta)))
        grad = z.T @ (w * (p - y)) / w.sum() + penalty * beta
        hess = (z * (w * p * (1 - p))[:, None]).T @ z / w.sum() + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hess, grad)
        beta -= step
        if np.abs(step).max() < 1e-8:
            break
    return Logistic(mean, scale, beta[:-1], float(beta[-1]))


TREE_ROUNDS, TREE_DEPTH, TREE_RATE, TREE_MIN_LEAF, TREE_LAMBDA = 60, 2, 0.1, 30.0, 1.0


def _grow(x: np.ndarray, g: np.ndarray, h: np.ndarray, rows: np.ndarray, depth: int) -> object:
    """Newton-boosting regression tree on gradient ``g`` / hessian ``h`` (weighted), as nested lists."""
    leaf = float(g[rows].sum() / (h[rows].sum() + TREE_LAMBDA))
    if depth == 0 or len(rows) < 2 * TREE_MIN_LEAF:
        return round(leaf, 6)
    parent = g[rows].sum() ** 2 / (h[rows].sum() + TREE_LAMBDA)
    best: tuple[float, int, float] | None = None
    for f in range(x.shape[1]):
        values = x[rows, f]
        for t in np.unique(np.quantile(values, np.linspace(0.05, 0.95, 19))):
            left = rows[values <= t]
            right = rows[values > t]
            if len(left) < TREE_MIN_LEAF or len(right) < TREE_MIN_LEAF:
                continue
            gain = (
                g[left].sum() ** 2 / (h[left].sum() + TREE_LAMBDA)
                + g[right].sum() ** 2 / (h[right].sum() + TREE_LAMBDA)
                - parent
            )
            if best is None or gain > best[0]:
                best = (gain, f, float(t))
    if best is None or best[0] <= 1e-6:
        return round(leaf, 6)
    _, f, t = best
    return [
        f,
        round(t, 6),
        _grow(x, g, h, rows[x[rows, f] <= t], depth - 1),
        _grow(x, g, h, rows[x[rows, f] > t], depth - 1),
    ]


def fit_trees(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Trees:
    prior = float(np.average(y, weights=w))
    model = Trees(float(np.log(prior / (1 - prior))), [])
    rows = np.arange(len(x))
    for _ in range(TREE_ROUNDS):
        p = model.prob(x)
        tree = _grow(x, w * (y - p), w * p * (1 - p), rows, TREE_DEPTH)
        model.trees.append(_scale(tree, TREE_RATE))
    return model


def _scale(node: object, rate: float) -> object:
    if isinstance(node, list):
        return [node[0], node[1], _scale(node[2], rate), _scale(node[3], rate)]
    return round(float(node) * rate, 6)  # type: ignore[arg-type]


FITTERS = {"logistic": fit_logistic, "trees": fit_trees}
KIND = "logistic"


@dataclass
class Combination:
    """A fitted model over a few features (a column mask on the full feature vector) and its threshold."""

    model: Logistic | Trees
    columns: list[int]
    cap: bool
    threshold: float = 0.5

    def claim_scores(self, x: np.ndarray) -> np.ndarray:
        prob = self.model.prob(x[:, self.columns])
        return cap_contradictions(x, prob) if self.cap else prob

    def doc_scores(self, docs: list[Doc]) -> np.ndarray:
        # A response with nothing checkable counts as supported, as in GroundingVerifier.response_score.
        return np.array([float(self.claim_scores(d.x).min()) if len(d.x) else 1.0 for d in docs])

    def full_model(self) -> Logistic:
        """The logistic model over all FEATURES (zero weight on the unused ones), as the verifier loads it."""
        assert isinstance(self.model, Logistic)
        n = len(FEATURES)
        mean, scale, coef = np.zeros(n), np.ones(n), np.zeros(n)
        mean[self.columns], scale[self.columns], coef[self.columns] = self.model.mean, self.model.scale, self.model.coef
        return Logistic(mean, scale, coef, self.model.intercept)


def training_rows(docs: list[Doc], combo: Combination | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs: list[np.ndarray] = []
    ys: list[float] = []
    for d in docs:
        if not len(d.x):
            continue
        if d.y is not None:
            rows, labels = list(range(len(d.x))), [not h for h in d.y]
        elif not d.hallucinated:
            rows, labels = list(range(len(d.x))), [True] * len(d.x)
        else:
            # Only "some claim is unsupported" is known: take the one the model finds weakest (or, before
            # there is a model, the one the entailment model doubts most).
            weakest = (
                int(np.argmin(combo.claim_scores(d.x)))
                if combo is not None
                else int(np.argmin(d.x[:, FEATURES.index("entailment")]))
            )
            rows, labels = [weakest], [False]
        for r, lab in zip(rows, labels, strict=True):
            xs.append(d.x[r])
            ys.append(float(lab))
    y = np.array(ys)
    # Each class weighs the same: the majority class does not set the decision boundary.
    w = np.where(y > 0.5, 0.5 / max(y.sum(), 1), 0.5 / max((1 - y).sum(), 1)) * len(y)
    return np.stack(xs), y, w


def fit(docs: list[Doc], name: str) -> Combination:
    features, cap = COMBINATIONS[name]
    columns = [FEATURES.index(f) for f in features]
    combo: Combination | None = None
    for _ in range(MIL_ROUNDS):
        x, y, w = training_rows(docs, combo)
        combo = Combination(FITTERS[KIND](x[:, columns], y, w), columns, cap)
        while isinstance(combo.model, Logistic) and (wrong := _against_its_direction(combo)) is not None:
            columns = [c for c in columns if c != wrong]
            combo = Combination(FITTERS[KIND](x[:, columns], y, w), columns, cap)
    assert combo is not None
    combo.threshold = pick_threshold(combo, docs)
    return combo


def _against_its_direction(combo: Combination) -> int | None:
    """The column whose fitted weight most contradicts the direction its feature must have (more support
    evidence may never lower the score): correlated features can flip a sign, and a combination that rewards
    a claim for sharing fewer words with the source would pass unrelated claims."""
    assert isinstance(combo.model, Logistic)
    wrong = [
        (w, c) for c, w in zip(combo.columns, combo.model.coef, strict=True) if FEATURES[c] in MORE_IS_SUPPORT and w < 0
    ]
    return min(wrong)[1] if wrong else None


def pick_threshold(combo: Combination, docs: list[Doc]) -> float:
    """Maximise balanced accuracy on the given (training) documents."""
    scores = combo.doc_scores(docs)
    y = [d.hallucinated for d in docs]
    grid = np.unique(np.concatenate([np.linspace(0.02, 0.98, 97), scores]))
    values = [metrics.balanced_accuracy(y, scores < t) for t in grid]
    return float(grid[int(np.argmax(values))])


def figures(docs: list[Doc], scores: np.ndarray, threshold: float | np.ndarray) -> dict[str, float]:
    y = [d.hallucinated for d in docs]
    pred = scores < threshold
    return {
        "n": len(docs),
        "balanced_accuracy": round(100 * metrics.balanced_accuracy(y, pred), 1),
        "roc_auc": round(100 * metrics.roc_auc(y, -scores), 1),
        "f1_hallucinated": round(100 * metrics.f1(y, pred), 1),
    }


def leave_one_document_out(docs: list[Doc], name: str) -> dict[str, float]:
    """Within the fitting part: every summary scored by weights and a threshold fitted on the other documents."""
    groups = sorted({d.group for d in docs})
    scores = np.zeros(len(docs))
    thresholds = np.zeros(len(docs))
    for g in groups:
        train = [d for d in docs if d.group != g]
        test = [i for i, d in enumerate(docs) if d.group == g]
        combo = fit(train, name)
        scores[test] = combo.doc_scores([docs[i] for i in test])
        thresholds[test] = combo.threshold
    return figures(docs, scores, thresholds)


def parts(docs: list[Doc]) -> dict[str, list[Doc]]:
    return {
        "summedits_fit": [d for d in docs if d.dataset == "summedits" and d.part == FIT],
        "summedits_check": [d for d in docs if d.dataset == "summedits" and d.part == CHECK],
        "qags": [d for d in docs if d.dataset == "qags"],
        "qags_cnndm": [d for d in docs if d.subset == "QAGS/cnndm"],
        "qags_xsum": [d for d in docs if d.subset == "QAGS/xsum"],
    }


def evaluate(docs: list[Doc], name: str) -> tuple[Combination, dict[str, dict[str, float]]]:
    fitting = parts(docs)["summedits_fit"]
    combo = fit(fitting, name)
    out = {"summedits_fit_lodo": leave_one_document_out(fitting, name)}
    for key, part in parts(docs).items():
        out[key] = figures(part, combo.doc_scores(part), combo.threshold)
    return combo, out


def evaluate_shipped(docs: list[Doc]) -> dict[str, dict[str, float]]:
    """The weights the verifier ships now, at their threshold, on the same parts (in-sample where they were fitted
    on these records: the earlier weights were fitted on all of SummEdits and QAGS)."""
    from qa.grounding.verifier import shipped_weights

    weights = shipped_weights()
    out = {}
    for key, part in parts(docs).items():
        scores = np.array([float(weights.score(d.x).min()) if len(d.x) else 1.0 for d in part])
        out[key] = figures(part, scores, weights.threshold)
    return out


def main() -> None:
    global KIND, VECTORS
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--cache-dir", type=Path, default=ROOT / "out", help="features cache folder")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--write", action="store_true", help="write --combination's weights to --out (the verifier's)")
    parser.add_argument("--model", choices=sorted(FITTERS), default="logistic")
    parser.add_argument("--combination", choices=sorted(COMBINATIONS), default=DEFAULT_COMBINATION)
    parser.add_argument("--json", type=Path, help="write every combination's figures here")
    parser.add_argument(
        "--vectors", choices=("stored", "embedded"), default=VECTORS, help="source sentence vectors (see VECTORS)"
    )
    args = parser.parse_args()

    KIND, VECTORS = args.model, args.vectors
    docs = featurise(args.data_dir, args.cache_dir)
    table: dict[str, dict] = {}
    shipped: Combination | None = None
    table["shipped"] = evaluate_shipped(docs)
    print("shipped weights")
    for key, f in table["shipped"].items():
        print(f"    {key:24s} BA {f['balanced_accuracy']:5.1f}  AUC {f['roc_auc']:5.1f}  (n={f['n']})")
    fixture = fixture_docs() if EXAMPLE.is_file() else []
    for name in COMBINATIONS:
        combo, figs = evaluate(docs, name)
        table[name] = figs
        if name == args.combination:
            shipped = combo
        print(f"{name:22s} threshold {combo.threshold:.4f}")
        if fixture:
            print(f"    {fixture_figures(combo, fixture)}")
        for key, f in figs.items():
            print(f"    {key:24s} BA {f['balanced_accuracy']:5.1f}  AUC {f['roc_auc']:5.1f}  (n={f['n']})")
    if args.json:
        args.json.write_text(json.dumps({"figures": table}, indent=2) + "\n", encoding="utf-8")
    assert shipped is not None
    if isinstance(shipped.model, Logistic):
        used = {FEATURES[c]: round(float(w), 3) for c, w in zip(shipped.columns, shipped.model.coef, strict=True)}
        print(f"shipped {args.combination}: coefficients {used}, threshold {shipped.threshold:.4f}")
    if not args.write:
        return
    args.out.write_text(
        json.dumps(
            {
                "features": list(FEATURES),
                "model": shipped.full_model().to_dict(),
                "contradiction_cap": shipped.cap,
                "threshold": round(shipped.threshold, 4),
                "combination": args.combination,
                "entailment_model_sha256": MODEL_SHA256,
                "fitted_on": "the SummEdits-news fitting part only (eval/grounding_splits.py); see eval/fit_grounding.py",
                "figures": table[args.combination],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
