"""Every briefing parameter in one place: the fitted ones (``weights.json``, written by
``eval/fit_briefing.py``) and the few structural limits, which are not tuned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from qa.grounding.model import Logistic, model_from_dict

WEIGHTS_PATH = Path(__file__).with_name("weights.json")

# Structural limits (not fitted).
MIN_BULLETS, MAX_BULLETS = 3, 8
MIN_WORDS = 6  # a shorter line is a fragment, a caption or a heading, not a bullet
TITLE_REPEAT = 0.92  # a sentence this similar to the title is the headline printed again, not content
DUPLICATE_JACCARD = 0.45  # word overlap at which two articles' sentences report the same fact (one bullet)
TOPIC_CANDIDATES = 40  # chunks retrieved to find a topic's articles
TOPIC_ARTICLES = 5  # a topic briefing draws on at most this many articles


@dataclass(frozen=True)
class BriefingParams:
    importance_features: list[str]
    importance: Logistic  # P(a sentence states a key fact) from :data:`qa.briefing.features.FEATURES`
    importance_weight: float  # weight of importance against coverage when choosing bullets
    relevance_features: list[str]
    relevance: Logistic  # P(an article is about a topic) from :data:`qa.briefing.relevance.FEATURES`
    relevance_threshold: float  # below it an article is not used for the topic (none left: 404)


@lru_cache(maxsize=1)
def params(path: Path = WEIGHTS_PATH) -> BriefingParams:
    d = json.loads(path.read_text(encoding="utf-8"))
    importance = model_from_dict(d["importance"]["model"])
    relevance = model_from_dict(d["relevance"]["model"])
    assert isinstance(importance, Logistic) and isinstance(relevance, Logistic)
    return BriefingParams(
        importance_features=list(d["importance"]["features"]),
        importance=importance,
        importance_weight=float(d["importance_weight"]),
        relevance_features=list(d["relevance"]["features"]),
        relevance=relevance,
        relevance_threshold=float(d["relevance"]["threshold"]),
    )
