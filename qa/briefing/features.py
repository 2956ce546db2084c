"""Named features of a sentence as a briefing bullet. Their weights are fitted (``eval/fit_briefing.py``) and
live with the other briefing parameters in ``qa/briefing/weights.json``.

Every feature is computed from the article alone (its sentences' embeddings, positions and closed-class cues),
so the same function serves the fit and the run.
"""

from __future__ import annotations

import re

import numpy as np

from qa.briefing.sentences import ArticleSentences, leaning
from qa.briefing.timeline import when

FEATURES = [
    "first_paragraph",  # in the article's first paragraph (news puts the main facts there)
    "position",  # relative position in the article, 0 (start) to 1 (end)
    "centrality",  # length-weighted mean similarity to the article's other sentences: what it spends words on
    "subject_similarity",  # similarity to the briefing's subject (the topic, or the article's title)
    "figures",  # numbers in the sentence (capped)
    "names",  # capitalised words after the first (capped): people, places, organisations
    "log_words",
    "quoted_share",  # share of the sentence inside quotation marks
    "question",  # ends with a question mark
    "leans",  # needs the sentence before it for its subject
    "dated",  # carries an explicit time expression
]

_NUMBER = re.compile(r"\d")
_NAME = re.compile(r"(?<=[\w,;:] )[A-Z][\w'’\-]*")
_QUOTED = re.compile(r"[“\"][^”\"]*[”\"]")
FIGURES_CAP, NAMES_CAP = 4, 6


def sentence_features(text: ArticleSentences, vectors: np.ndarray, subject: np.ndarray) -> np.ndarray:
    """One row of :data:`FEATURES` per sentence of ``text``; ``vectors`` are the sentences' unit embeddings and
    ``subject`` the unit embedding of what the briefing is about."""
    n = len(text)
    if n == 0:
        return np.zeros((0, len(FEATURES)))
    sims = vectors @ vectors.T
    sizes = np.array([max(1, len(s.words)) for s in text.sentences], dtype=np.float64)
    # Leave-one-out: a sentence's own length must not count as "the article talks about this".
    others = sizes.sum() - sizes
    centrality = (sims @ sizes - np.diag(sims) * sizes) / np.where(others > 0, others, 1.0)
    first_para = text.sentences[0].paragraph
    reference = text.article.published_at
    rows = []
    for i, s in enumerate(text.sentences):
        body = s.text
        quoted = sum(len(m.group()) for m in _QUOTED.finditer(body))
        rows.append(
            [
                float(s.paragraph == first_para),
                i / (n - 1) if n > 1 else 0.0,
                float(centrality[i]),
                float(vectors[i] @ subject),
                min(FIGURES_CAP, len(_NUMBER.findall(body))) / FIGURES_CAP,
                min(NAMES_CAP, len(_NAME.findall(body))) / NAMES_CAP,
                float(np.log(sizes[i])),
                quoted / max(1, len(body)),
                float(body.rstrip(" \"”'’").endswith("?")),
                float(leaning(body) is not None),
                float(when(body, reference).date is not None),
            ]
        )
    return np.asarray(rows, dtype=np.float64)
