"""Fit the briefing's parameters and write ``qa/briefing/weights.json``.

    python -m eval.fit_briefing [--haystack ../shared/data/realtimeqa/haystack_articles.jsonl]

No evaluation item is used. The training data is generated from unlabelled news text: RealTimeQA's haystack
articles, read as raw text only (never their questions or answers). Articles are split by a hash of their id:
one in four is the checking part, never fitted on; every figure is printed for both parts, and the shipped
weights are those fitted on the fitting part alone.

1. **Importance** (which sentences state a key fact). Generated label: *another article reports it too* — some
   sentence of a different article (not a copy of this one) has an embedding cosine of at least
   ``FACT_COSINE`` with it. Facts that several outlets report are what a story is about; opinions, colour,
   asides and boilerplate are not repeated (near-verbatim lines found in several articles, such as newsletter
   plugs, are boilerplate and left out). Features: :data:`qa.briefing.features.FEATURES`, computed from the
   article alone. Model: L2 logistic regression (``eval.fit_grounding.fit_logistic``).
2. **Importance weight** against coverage (:func:`qa.briefing.selection.choose`): a 5-bullet briefing of one
   article should state the repeated facts (distinct clusters of labelled sentences: *fact recall*) and cover
   what the article spends its words on (the facility-location value: each sentence, weighted by length,
   counted by its similarity to the closest bullet: *coverage*). More weight on importance raises the first
   and lowers the second; the weight kept serves both equally (:func:`balance`, on the fitting part).
3. **Relevance** (is an article about a topic): topics made from articles' own titles and leads; the store
   holds about half of the articles. A topic made from a stored article must find it; a topic made from an
   article not in the store, or a random string, must find nothing (articles on the same story as the
   topic's source are left out of the negatives: they may rightly match). Features:
   :data:`qa.briefing.relevance.FEATURES` from a real store (Chroma + SQLite); the cutoff maximises balanced
   accuracy on the fitting part.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import random
import re
import string
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from eval import metrics
from eval.fit_grounding import fit_logistic
from qa.briefing import features as bf
from qa.briefing import relevance as br
from qa.briefing.params import WEIGHTS_PATH
from qa.briefing.selection import Scored, choose, score
from qa.briefing.sentences import ArticleSentences
from qa.grounding.model import Logistic
from qa.models import Article, ArticleIn

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_HAYSTACK = ROOT.parent / "shared" / "data" / "realtimeqa" / "haystack_articles.jsonl"
FACT_COSINE = 0.72  # a sentence of another article this close reports the same fact
COPY_COSINE = 0.95  # ... this close, it is the same line (a copy, or boilerplate)
COPY_SHARE = 0.3  # two articles sharing this share of lines are one article printed twice
BOILERPLATE_ARTICLES = 2  # a line found near-verbatim in this many other articles is boilerplate
STORY_COSINE = 0.6  # articles whose mean sentence embeddings are this close tell the same story
SAME_FACT = 0.75  # labelled sentences of one article this close state one fact (for the weight fit)
BUDGET = 5  # bullets of a one-article briefing (qa.briefing.engine.bullet_budget(1))
WEIGHT_GRID = [0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0, 5.0]
STORE_SHARE = 0.5  # share of articles put in the store for the relevance fit


def part(article_id: str) -> str:
    """``check`` for one article in four (by a hash of its id), else ``fit``."""
    return "check" if hashlib.sha256(article_id.encode()).digest()[0] % 4 == 0 else "fit"


def load_articles(path: Path) -> list[Article]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if not r.get("body", "").strip():
            continue
        out.append(
            Article(
                id=r["id"],
                title=r.get("title") or "",
                body=r["body"],
                published_at=r.get("published_at"),
                source=r.get("source"),
                content_hash=hashlib.sha256(r["body"].encode()).hexdigest(),
            )
        )
    return out


# --- sentences, embeddings and the generated importance labels ---------------------------------------------------
@dataclass
class Doc:
    text: ArticleSentences
    vectors: np.ndarray  # unit embeddings of text.sentences
    title: np.ndarray
    x: np.ndarray  # features
    candidate: np.ndarray  # may be a bullet (as at run time)
    label: np.ndarray  # 1: reported by another article too; 0: not; -1: boilerplate (not used)

    @property
    def part(self) -> str:
        return part(self.text.article.id)


class CachedEmbedder:
    """The run-time embedder behind a cache on disk (embedding ~12k sentences takes minutes on 2 cores)."""

    def __init__(self, cache: Path | None) -> None:
        from qa.embeddings import minilm

        self.inner = minilm()
        self.id, self.dim = self.inner.id, self.inner.dim
        self.cache = cache
        self.store: dict[str, np.ndarray] = pickle.loads(cache.read_bytes()) if cache and cache.exists() else {}
        self.dirty = False

    def embed(self, texts: list[str]) -> np.ndarray:
        keys = [hashlib.sha256(t.encode()).hexdigest()[:24] for t in texts]
        todo = [i for i, k in enumerate(keys) if k not in self.store]
        if todo:
            for i, v in zip(todo, self.inner.embed([texts[i] for i in todo]), strict=True):
                self.store[keys[i]] = v
            self.dirty = True
        return np.stack([self.store[k] for k in keys]) if keys else np.zeros((0, self.dim), dtype=np.float32)

    def save(self) -> None:
        if self.cache is not None and self.dirty:
            self.cache.parent.mkdir(parents=True, exist_ok=True)
            self.cache.write_bytes(pickle.dumps(self.store))
            self.dirty = False


def build_docs(articles: list[Article], embedder: CachedEmbedder) -> list[Doc]:
    docs = []
    started = time.perf_counter()
    for n, a in enumerate(articles, 1):
        text = ArticleSentences(a)
        if len(text) < 2:
            continue
        scored = score([text], None, embedder, model=_zero_model())
        vectors = scored.vectors
        title = embedder.embed([a.title])[0]
        x = bf.sentence_features(text, vectors, title)
        docs.append(Doc(text, vectors, title, x, scored.candidate, np.zeros(len(text), dtype=int)))
        if n % 25 == 0:
            embedder.save()
            print(f"  {n}/{len(articles)} articles embedded ({time.perf_counter() - started:.0f} s)", flush=True)
    embedder.save()
    return docs


def _zero_model() -> Logistic:
    n = len(bf.FEATURES)
    return Logistic(np.zeros(n), np.ones(n), np.zeros(n), 0.0)


def label_docs(docs: list[Doc]) -> None:
    """Set each sentence's generated label (see the module docstring)."""
    owner = np.concatenate([np.full(len(d.vectors), i) for i, d in enumerate(docs)])
    allv = np.vstack([d.vectors for d in docs]).astype(np.float32)
    copies = _copied_articles(docs, allv, owner)
    at = 0
    for i, d in enumerate(docs):
        block = d.vectors.astype(np.float32) @ allv.T
        same = np.isin(owner, [i, *copies.get(i, [])])
        block[:, same] = -1.0
        for r in range(len(d.vectors)):
            near = owner[block[r] >= COPY_COSINE]
            if len(set(near.tolist())) >= BOILERPLATE_ARTICLES:
                d.label[r] = -1
            else:
                d.label[r] = int(block[r].max() >= FACT_COSINE)
        at += len(d.vectors)


def _copied_articles(docs: list[Doc], allv: np.ndarray, owner: np.ndarray) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for i, d in enumerate(docs):
        block = d.vectors.astype(np.float32) @ allv.T
        for j in set(owner[(block >= COPY_COSINE).any(axis=0)].tolist()) - {i}:
            shared = (block[:, owner == j] >= COPY_COSINE).any(axis=1).mean()
            if shared >= COPY_SHARE:
                out.setdefault(i, []).append(j)
    return out


def importance_rows(docs: Iterable[Doc]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    xs, ys, ws = [], [], []
    for d in docs:
        keep = d.candidate & (d.label >= 0)
        if not keep.any():
            continue
        xs.append(d.x[keep])
        ys.append(d.label[keep])
        ws.append(np.full(int(keep.sum()), 1.0 / keep.sum()))  # each article weighs the same
    w = np.concatenate(ws)
    return np.vstack(xs), np.concatenate(ys).astype(float), w * len(w) / w.sum()


def importance_report(model: Logistic, docs: list[Doc]) -> dict[str, float]:
    x, y, _ = importance_rows(docs)
    out = {"n_sentences": len(y), "positive_share": round(float(y.mean()), 4)}
    out["auc_model"] = round(metrics.roc_auc(y, model.prob(x)), 4)
    for name in ("first_paragraph", "centrality", "subject_similarity"):
        col = x[:, bf.FEATURES.index(name)]
        out[f"auc_{name}_alone"] = round(metrics.roc_auc(y, col), 4)
    out["auc_position_alone"] = round(metrics.roc_auc(y, -x[:, bf.FEATURES.index("position")]), 4)
    return out


# --- importance against coverage --------------------------------------------------------------------------------
def facts(d: Doc) -> list[int]:
    """A fact id per labelled sentence (-1 for the others): labelled sentences this close state one fact."""
    ids = [-1] * len(d.label)
    heads: list[int] = []
    for i in np.flatnonzero(d.label == 1):
        match = next((h for h in heads if float(d.vectors[i] @ d.vectors[h]) >= SAME_FACT), None)
        if match is None:
            heads.append(int(i))
            ids[i] = len(heads) - 1
        else:
            ids[i] = ids[match]
    return ids


def briefing_figures(model: Logistic | None, docs: list[Doc], weight: float) -> dict[str, float]:
    """Over one-article briefings of ``BUDGET`` bullets: distinct labelled facts covered (share of what
    ``BUDGET`` bullets could cover), coverage of the article, share of bullets after its first 1,000
    characters. ``model`` ``None``: the first ``BUDGET`` candidate sentences instead (the lead baseline)."""
    recall, coverage, late = [], [], []
    for d in docs:
        ids = facts(d)
        n_facts = len(set(ids) - {-1})
        if n_facts < 2 or d.candidate.sum() < 2 * BUDGET:
            continue
        if model is None:
            chosen = [int(i) for i in np.flatnonzero(d.candidate)[:BUDGET]]
        else:
            scored = Scored([d.text], d.text.sentences, d.vectors, model.prob(d.x), d.candidate)
            chosen = [p.sentence.index for p in choose(scored, BUDGET, weight=weight)]
        recall.append(len({ids[i] for i in chosen} - {-1}) / min(BUDGET, n_facts))
        coverage.append(article_coverage(d, chosen))
        late.append(np.mean([d.text.sentences[i].start > 1000 for i in chosen]))
    return {
        "n_articles": len(recall),
        "fact_recall": round(float(np.mean(recall)), 4),
        "coverage": round(float(np.mean(coverage)), 4),
        "bullets_after_1000_chars": round(float(np.mean(late)), 4),
    }


def balance(curve: dict[float, dict[str, float]], weight: float) -> float:
    """How well ``weight`` serves both goals: fact recall and coverage, each scaled to the range it spans over
    the grid (0 at its worst weight, 1 at its best), summed. The two goals count the same."""
    total = 0.0
    for key in ("fact_recall", "coverage"):
        values = [c[key] for c in curve.values()]
        lo, hi = min(values), max(values)
        total += (curve[weight][key] - lo) / (hi - lo) if hi > lo else 1.0
    return total


def article_coverage(d: Doc, chosen: list[int]) -> float:
    sims = np.clip(d.vectors @ d.vectors[chosen].T, 0.0, 1.0).max(axis=1)
    size = np.array([max(1, len(s.words)) for s in d.text.sentences], dtype=np.float64)
    return float(sims @ size / size.sum())


# --- relevance ----------------------------------------------------------------------------------------------------
_CAPITALISED_RUN = re.compile(r"(?<=\w[ ,] )((?:[A-Z][\w'’\-]+(?:\s+|$)){1,4})")


def topics_of(a: Article, rng: random.Random) -> list[str]:
    """Topics a user might ask about this article: its title, a few of the title's content words, the names
    in its lead sentence."""
    from qa.text import content_words

    out = [a.title.strip()]
    words = [w for w in re.findall(r"[\w'’\-]+", a.title) if w.lower() in set(content_words(a.title))]
    if len(words) >= 3:
        n = rng.randint(2, min(4, len(words)))
        start = rng.randint(0, len(words) - n)
        out.append(" ".join(words[start : start + n]))
    text = ArticleSentences(a)
    if len(text):
        names = [m.strip() for m in _CAPITALISED_RUN.findall(text.sentences[0].text)]
        if names:
            out.append(" ".join(names[:2]))
    return [t for t in out if t]


def random_topics(rng: random.Random, vocabulary: list[str], n: int) -> list[str]:
    out = []
    for i in range(n):
        kind = i % 3
        if kind == 0:
            out.append("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 10))))
        elif kind == 1:
            out.append(rng.choice(["?", "!", "...", "-", "??", "#", "'", "()"]))
        else:
            out.append(" ".join(rng.sample(vocabulary, 2)))
    return out


@dataclass
class Pair:
    topic: str
    source: str  # id of the article the topic was made from ("" for random strings)
    x: np.ndarray
    y: int
    found_source: bool  # the topic's own article was among the candidates


def relevance_pairs(articles: list[Article], docs: list[Doc], embedder: Any, seed: int = 0) -> list[Pair]:
    from qa.config import Settings
    from qa.service import NewsQA
    from qa.text import content_words

    rng = random.Random(seed)
    mean = {d.text.article.id: _unit(d.vectors.mean(axis=0)) for d in docs}
    stored = [a for a in articles if a.id in mean and rng.random() < STORE_SHARE]
    stored_ids = {a.id for a in stored}
    vocabulary = sorted({w for a in articles for w in content_words(a.title) if w.isalpha() and len(w) > 3})
    pairs: list[Pair] = []
    with tempfile.TemporaryDirectory(prefix="fit-briefing-") as tmp:
        service = NewsQA(Settings(data_dir=Path(tmp)), embedder=embedder)
        print(f"  ingesting {len(stored)} articles into a temporary store", flush=True)
        service.ingest_records(
            [
                ArticleIn(id=a.id, title=a.title, body=a.body, published_at=a.published_at, source=a.source)
                for a in stored
            ]
        )
        retriever = service.engine.retriever
        jobs = [(t, a.id) for a in articles if a.id in mean for t in topics_of(a, rng)]
        jobs += [(t, "") for t in random_topics(rng, vocabulary, len(jobs) // 4)]
        for topic, source in jobs:
            cands = br.candidates(retriever, topic, None, None)
            found = any(c.article.id == source for c in cands)
            for c in cands:
                if c.article.id == source:
                    y = 1
                elif source and float(mean[source] @ mean[c.article.id]) >= STORY_COSINE:
                    continue  # the same story: it may rightly match
                else:
                    y = 0
                pairs.append(Pair(topic, source, c.features, y, found))
            if not cands and source in stored_ids:
                pairs.append(Pair(topic, source, np.zeros(len(br.FEATURES)), 1, False))
        print(f"  {len(jobs)} topics, {len(pairs)} (topic, article) pairs", flush=True)
    return pairs


def _unit(v: np.ndarray) -> np.ndarray:
    return v / max(float(np.linalg.norm(v)), 1e-9)


def relevance_part(pair: Pair) -> str:
    return part(pair.source) if pair.source else ("check" if hash_int(pair.topic) % 4 == 0 else "fit")


def hash_int(text: str) -> int:
    return hashlib.sha256(text.encode()).digest()[0]


def fit_relevance(pairs: list[Pair]) -> tuple[Logistic, float]:
    x = np.vstack([p.x for p in pairs])
    y = np.array([p.y for p in pairs], dtype=float)
    w = np.where(y == 1, 0.5 / max(1, y.sum()), 0.5 / max(1, (1 - y).sum())) * len(y)  # classes weigh the same
    model = fit_logistic(x, y, w)
    probs = model.prob(x)
    grid = np.linspace(0.05, 0.95, 91)
    best = max(grid, key=lambda t: metrics.balanced_accuracy(y.astype(bool), probs >= t))
    return model, float(best)


def relevance_report(model: Logistic, threshold: float, pairs: list[Pair]) -> dict[str, float]:
    """Pair-level figures, and per topic: does a stored article's topic keep its article, and does a topic
    whose source is not stored (and nothing of its story is) or a random string come back empty (a 404)?"""
    x = np.vstack([p.x for p in pairs])
    y = np.array([p.y for p in pairs], dtype=bool)
    keep = model.prob(x) >= threshold
    topics: dict[tuple[str, str], list[tuple[Pair, bool]]] = {}
    for p, k in zip(pairs, keep, strict=True):
        topics.setdefault((p.topic, p.source), []).append((p, k))
    kept_source, empty = [], []
    for rows in topics.values():
        if any(p.y == 1 for p, _ in rows):
            kept_source.append(any(k for p, k in rows if p.y == 1))
        elif all(p.y == 0 for p, _ in rows):
            empty.append(not any(k for _, k in rows))
    return {
        "n_pairs": len(pairs),
        "balanced_accuracy": round(metrics.balanced_accuracy(y, keep), 4),
        "roc_auc": round(metrics.roc_auc(y, model.prob(x)), 4),
        "stored_topics_keep_their_article": round(float(np.mean(kept_source)), 4) if kept_source else float("nan"),
        "n_stored_topics": len(kept_source),
        "unmatched_topics_get_404": round(float(np.mean(empty)), 4) if empty else float("nan"),
        "n_unmatched_topics": len(empty),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--haystack", type=Path, default=DEFAULT_HAYSTACK)
    parser.add_argument("--cache", type=Path, default=ROOT / "out" / "briefing_embeddings.pkl")
    parser.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    articles = load_articles(args.haystack)
    embedder = CachedEmbedder(args.cache)
    print(f"{len(articles)} articles; embedding their sentences", flush=True)
    docs = build_docs(articles, embedder)
    label_docs(docs)
    fit_docs = [d for d in docs if d.part == "fit"]
    check_docs = [d for d in docs if d.part == "check"]
    print(f"fitting part {len(fit_docs)} articles, checking part {len(check_docs)}")

    x, y, w = importance_rows(fit_docs)
    importance = fit_logistic(x, y, w)
    report: dict[str, Any] = {"importance": {}, "selection": {}, "relevance": {}}
    for name, group in (("fit", fit_docs), ("check", check_docs)):
        report["importance"][name] = importance_report(importance, group)
    print("importance:", json.dumps(report["importance"], indent=1))
    print("  weights:", {f: round(float(c), 3) for f, c in zip(bf.FEATURES, importance.coef, strict=True)})

    curve = {w: briefing_figures(importance, fit_docs, w) for w in WEIGHT_GRID}
    weight = max(WEIGHT_GRID, key=lambda w: balance(curve, w))
    print("importance weight (fit part):", {w: (c["fact_recall"], c["coverage"]) for w, c in curve.items()})
    for name, group in (("fit", fit_docs), ("check", check_docs)):
        report["selection"][name] = {
            "chosen_weight": briefing_figures(importance, group, weight),
            "coverage_only": briefing_figures(importance, group, 0.0),
            "importance_only": briefing_figures(importance, group, 1000.0),
            "first_sentences": briefing_figures(None, group, 0.0),
        }
    print(f"importance weight {weight}:", json.dumps(report["selection"], indent=1))

    pairs_cache = args.cache.with_name(f"briefing_relevance_pairs_{args.seed}.pkl")
    if pairs_cache.exists():
        pairs = pickle.loads(pairs_cache.read_bytes())
    else:
        pairs = relevance_pairs(articles, docs, embedder, args.seed)
        embedder.save()
        pairs_cache.write_bytes(pickle.dumps(pairs))
    fit_pairs = [p for p in pairs if relevance_part(p) == "fit"]
    relevance, threshold = fit_relevance(fit_pairs)
    for name in ("fit", "check"):
        group = [p for p in pairs if relevance_part(p) == name]
        report["relevance"][name] = relevance_report(relevance, threshold, group)
    print(f"relevance (cutoff {threshold:.2f}):", json.dumps(report["relevance"], indent=1))
    print("  weights:", {f: round(float(c), 3) for f, c in zip(br.FEATURES, relevance.coef, strict=True)})

    weights = {
        "importance": {"features": bf.FEATURES, "model": importance.to_dict()},
        "importance_weight": weight,
        "relevance": {"features": br.FEATURES, "model": relevance.to_dict(), "threshold": round(threshold, 4)},
        "fitted": {
            "by": "python -m eval.fit_briefing",
            "data": "RealTimeQA haystack articles as unlabelled text; labels generated (see eval/fit_briefing.py)",
            "label_parameters": {
                "FACT_COSINE": FACT_COSINE,
                "COPY_COSINE": COPY_COSINE,
                "STORY_COSINE": STORY_COSINE,
                "SAME_FACT": SAME_FACT,
            },
            "report": report,
        },
    }
    args.out.write_text(json.dumps(weights, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
