"""Is an article about a topic? A calibrated probability from named features, so a topic that nothing in the
store is about gets no briefing (a 404) instead of bullets from whatever retrieval ranked first.

Retrieval's fused scores are min-max normalised per query: they rank, but a top score of 1.0 says nothing
about whether anything matched. These features are absolute: the cosine of the topic to the article's best
chunk (the embedder's own scale) and how many of the topic's words the article uses. Their weights and the
cutoff are fitted by ``eval/fit_briefing.py`` on topics made from stored and unstored articles' own titles
and leads, and on strings that match nothing; they live in ``qa/briefing/weights.json``.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np

from qa.briefing.params import TOPIC_CANDIDATES, params
from qa.generators.questions import terms
from qa.models import Article, Filters
from qa.retrieval import HybridRetriever

FEATURES = [
    "dense",  # cosine of the topic to the article's closest chunk
    "lexical",  # share of the topic's content words the article uses
    "title_lexical",  # share of them in the article's title
    "log_topic_words",  # how much the topic says (a one-word topic is weak evidence either way)
]


@dataclass
class Candidate:
    article: Article
    features: np.ndarray
    relevance: float = 0.0


def features(topic: str, article: Article, dense: float) -> np.ndarray:
    want = set(terms(topic))
    body = set(terms(article.body))
    title = set(terms(article.title))
    share = len(want & (body | title)) / len(want) if want else 0.0
    in_title = len(want & title) / len(want) if want else 0.0
    return np.array([dense, share, in_title, math.log1p(len(want))], dtype=np.float64)


def candidates(retriever: HybridRetriever, topic: str, since: dt.date | None, until: dt.date | None) -> list[Candidate]:
    """The articles retrieval finds for ``topic`` (hybrid, date window applied), with their features."""
    filters = Filters(since=since, until=until)
    hits = retriever.search(topic, k=TOPIC_CANDIDATES, filters=filters)
    if not hits:
        return []
    vector = retriever.embedder.embed([topic])[0]
    dense: dict[str, float] = {}
    for aid, _, cosine in retriever.index.query(vector, TOPIC_CANDIDATES, filters):
        dense[aid] = max(dense.get(aid, -1.0), cosine)
    floor = min(dense.values(), default=0.0)  # found by BM25 only: at most as close as the farthest dense hit
    ids = list(dict.fromkeys(h.article_id for h in hits))
    found = retriever.store.bodies(ids)
    ready = [a for a in ids if a in found and found[a].state == "ready"]  # not one deleted or replaced meanwhile
    return [Candidate(found[a], features(topic, found[a], dense.get(a, floor))) for a in ready]


def relevant(candidates: list[Candidate]) -> list[Candidate]:
    """The candidates at or above the fitted cutoff, most relevant first."""
    p = params()
    if p.relevance_features != FEATURES:
        raise ValueError("qa/briefing/weights.json was fitted on other features: run python -m eval.fit_briefing")
    if not candidates:
        return []
    probs = p.relevance.prob(np.vstack([c.features for c in candidates]))
    for c, prob in zip(candidates, probs, strict=True):
        c.relevance = float(prob)
    kept = [c for c in candidates if c.relevance >= p.relevance_threshold]
    return sorted(kept, key=lambda c: -c.relevance)
