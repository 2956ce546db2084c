"""Multiple-choice answering: pick the option the retrieved evidence supports best.

A choice is supported by a sentence that is about the question (embedding similarity to the question) and
that names the choice (share of the choice's distinctive words found in it). Words the question already
uses, and words every option shares ("A few days" / "A few weeks"), are left out: they tell the options
nothing apart.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.embeddings import Embedder
from qa.text import sentence_spans, stem, words

# Weight of the whole-option similarity, a tie-breaker for options the sentences never name verbatim.
SIMILARITY_WEIGHT = 0.1
MAX_SENTENCES = 200
# Words that never tell options apart (unlike qa.text.STOPWORDS, which also holds "week", "two", "new").
_FUNCTION_WORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "by",
        "with",
        "from",
        "and",
        "or",
        "as",
        "is",
        "are",
        "was",
        "were",
        "be",
        "it",
        "its",
        "this",
        "that",
        "than",
    ]
)


@dataclass
class ChoiceRanking:
    index: int  # the picked option
    scores: list[float]  # one per option, higher is better supported
    evidence: list[str | None]  # the best supporting sentence per option


def _stems(text: str) -> set[str]:
    """Stems of every word, with hyphenated words also split ("17-year-old" names 17). Stopwords stay:
    in an option, "week" or "two" is the whole difference between the options."""
    out: set[str] = set()
    for w in words(text):
        parts = [w, *w.split("-")] if "-" in w else [w]
        out.update(stem(p) for p in parts if p and p not in _FUNCTION_WORDS)
    return out


def _distinctive(choices: Sequence[str], question: set[str]) -> list[set[str]]:
    own = [_stems(c) for c in choices]
    shared = set.intersection(*own) if len(own) > 1 else set()
    return [(o - question - shared) or (o - shared) or o for o in own]


def pick_choice(question: str, choices: Sequence[str], passages: Sequence[str], embedder: Embedder) -> ChoiceRanking:
    """Score every option against the sentences of ``passages`` (retrieved chunks, best first)."""
    if not choices:
        raise ValueError("no choices to pick from")
    sentences = [p[a:b] for p in passages for a, b in sentence_spans(p)][:MAX_SENTENCES]
    q_stems = _stems(question)
    wants = _distinctive(choices, q_stems)
    sentence_stems = [_stems(s) for s in sentences]
    # Only sentences naming some option can support one: embedding just those keeps the pick cheap.
    keep = [i for i, have in enumerate(sentence_stems) if any(w & have for w in wants)] or list(range(len(sentences)))
    if not keep:
        return ChoiceRanking(index=0, scores=[0.0] * len(choices), evidence=[None] * len(choices))
    sentences = [sentences[i] for i in keep]
    sentence_stems = [sentence_stems[i] for i in keep]
    vectors = embedder.embed([question, *sentences, *(f"{question} {c}" for c in choices)])
    q_vec, s_vecs, c_vecs = vectors[0], vectors[1 : 1 + len(sentences)], vectors[1 + len(sentences) :]
    relevance = np.clip(s_vecs @ q_vec, 0.0, None)
    scores: list[float] = []
    evidence: list[str | None] = []
    for want, c_vec in zip(wants, c_vecs, strict=True):
        named = np.array([len(want & have) / len(want) if want else 0.0 for have in sentence_stems])
        support = relevance * named
        best = int(np.argmax(support))
        scores.append(float(support[best]) + SIMILARITY_WEIGHT * float(np.max(s_vecs @ c_vec)))
        evidence.append(sentences[best] if support[best] > 0 else None)
    return ChoiceRanking(index=int(np.argmax(scores)), scores=scores, evidence=evidence)
