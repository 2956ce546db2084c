"""The short-answer candidate score over named features, and the constants it uses, in one place.

Each candidate that passes the hard gates (its shape fits the answer type; see :mod:`qa.generators.spans`) is
described by the features below (``qa ask --explain`` shows them). Its score is the reader's formula: the type fit
times the relevance to the question, less a little per rank, times a factor per penalty feature (``PENALTIES``,
raised to the feature's count). The same candidate found in several passages keeps its best occurrence plus a
diminishing share of the others (``AGREEMENT``); the best candidate answers when that reaches ``THRESHOLD``.

These values were set by hand. ``python -m eval.fit_reader`` fits a logistic score over the same features on
cloze questions generated from unlabelled articles (``eval/reader_data.py``) and reports it next to this formula;
the fitted score is not used yet (see the README's reader section for why).
"""

from __future__ import annotations

import math

# name -> what it measures
FEATURES: dict[str, str] = {
    "type_fit": "how well the candidate's shape fits the asked answer type (0 < fit <= 1; 0 is a hard gate)",
    "sentence": "score of the evidence sentence holding it (question-aware lexical and embedding relevance)",
    "near": "weighted share of the question's words close around the candidate, discounted by distance",
    "head_noun_near": "the question's head noun next to the candidate (1 within 2 words, 0.5 within 5)",
    "align": "question words before/after the wh-phrase stand before/after the candidate",
    "rank": "rank of its sentence among the candidate sentences (0 = best)",
    "partial_name": "a name cut out of a longer one the question already uses",
    "apart_from_head_noun": "its sentence names the asked-about thing, but not next to the candidate",
    "superseded": "a figure the sources call an earlier value",
    "modal": "stated as a possibility (can, may, would, if, up to)",
    "question_names_missing": "names of the question missing around the passage (at most 2)",
    "role_names_missing": "... when the name is what the asked role belongs to ('the mayor of X'; at most 2)",
    "question_figures_missing": "figures or years of the question missing around the passage (at most 2)",
    "agreement": "log(1 + the question's words around the other passages naming the same candidate)",
    "fills_relation": "it stands in the role the question asks about of the question's verb (dependency parse)",
    "other_role": "its passage has the question's verb, but the candidate fills another role or none",
    "entity": "for a person question, the parser's entity reading (1 person, 2 organisation or place, 3 other); "
    "read by the type fit, not weighed here",
}

# relevance: weight of each feature in the sum the type fit multiplies
RELEVANCE = {"sentence": 1.0, "near": 0.5, "head_noun_near": 0.2, "align": 0.5, "fills_relation": 0.5}
RANK_COST = 0.02
# factor per count of each penalty feature
PENALTIES = {
    "partial_name": 0.4,
    "apart_from_head_noun": 0.5,
    "superseded": 0.5,
    "modal": 0.6,
    "question_names_missing": 0.4,
    "role_names_missing": 0.3,
    "question_figures_missing": 0.7,
    "other_role": 0.4,
}
AGREEMENT = 0.25  # how much each further passage naming the same candidate adds (diminishing)
THRESHOLD = 0.25


def score(features: dict[str, float]) -> float:
    """One occurrence's score."""
    relevance = sum(w * features.get(name, 0.0) for name, w in RELEVANCE.items())
    value = features["type_fit"] * relevance - RANK_COST * features.get("rank", 0.0)
    for name, factor in PENALTIES.items():
        value *= factor ** features.get(name, 0.0)
    return value


def total(scores: list[float]) -> float:
    """A candidate's score over its occurrences: the best plus a diminishing share of the others."""
    ordered = sorted(scores, reverse=True)
    return ordered[0] + AGREEMENT * sum(s / i for i, s in enumerate(ordered[1:], 1))


def agreement(others: list[dict[str, float]]) -> float:
    """Other passages agreeing on a candidate count by how much of the question surrounds them there: a bare
    mention elsewhere (a place named again in another sentence) is not a second answer to the question."""
    return math.log1p(sum(o.get("near", 0.0) for o in others))
