"""Is this article text? The decision that keeps navigation pages, paywalls and consent walls out of the store.

A page's cleaned body is described by a few measurable properties (:data:`FEATURES`): how much of it is prose
(sentences of several words with a function word and a full stop), how long its lines are, how much of it speaks of
subscribing, signing in, cookies or consent, and how much addresses the reader. A logistic regression over them,
fitted by ``eval/fit_article_text.py`` on pages we wrote (and checked on other pages we wrote, never fitted on),
turns them into a probability; below :data:`THRESHOLD` the page is skipped with the reason that weighed most.

The vocabularies below are categories of words (access control, consent, page furniture), not phrases of any page.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from qa.grounding.model import Logistic, model_from_dict
from qa.text import STOPWORDS, sentence_spans

WEIGHTS_PATH = Path(__file__).with_name("article_text_weights.json")
# Below this the page is skipped. Under 0.5 on purpose: losing an article costs more than storing a doubtful
# page (on the design pages, 0.3 instead of 0.5 lets 2 of 300 non-articles in instead of none).
THRESHOLD = 0.3

# Access control and consent: what a paywall, a login or registration gate or a cookie banner talks about.
_WALL_WORDS = (
    r"subscrib\w*|subscriptions?|paywall|premium|membership|members?|sign[- ]?(?:in|up)|log[- ]?(?:in|out)|login|"
    r"register(?:ed|ing)?|registration|accounts?|passwords?|e-?mail address|unlimited|trial|cancel anytime|"
    r"renews?|billed|paid|unlock|access|cookies?|consent|privacy|preferences|gdpr|tracking|personali[sz]ed|"
    r"advertis\w*|ad[- ]?blocker|partners|javascript|browser|captcha|robot|verify"
)
_WALL = re.compile(rf"\b(?:{_WALL_WORDS})\b", re.IGNORECASE)
# An amount of money per period ("$1 a week", "£4.99/month"): offers, not news figures.
_PRICE_PER_PERIOD = re.compile(
    r"(?:[$€£¥]\s?\d[\d.,]*|\d[\d.,]*\s?(?:dollars?|euros?|pounds?|cents?))\s*(?:/|a|an|per|each|every)\s*"
    r"(?:day|week|month|year|yr|mo)\b",
    re.IGNORECASE,
)
_YOU = re.compile(r"\b(?:you|your|yours|you'(?:re|ve|ll|d))\b", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_ENDS_SENTENCE = re.compile(r"[.!?…][\"'”’)\]]*$")

FEATURES = (
    "log_words",  # log(1 + words in the body)
    "prose_share",  # share of words in prose sentences (>= 4 words, a function word, a full stop)
    "log_prose_sentences",  # log(1 + number of prose sentences)
    "short_line_share",  # share of lines of at most 4 words (menus, link lists, buttons)
    "log_words_per_line",  # log(1 + mean words per line)
    "wall_share",  # share of sentences about subscribing, signing in, cookies, consent
    "price_share",  # share of sentences offering a price per period
    "you_share",  # share of sentences addressing the reader
)

# What to tell the user when a feature pushed the score down most.
_REASONS = {
    "log_words": "too little text",
    "prose_share": "no prose sentences (a navigation page, link list or error page?)",
    "log_prose_sentences": "no prose sentences (a navigation page, link list or error page?)",
    "short_line_share": "mostly short link- or menu-like lines",
    "log_words_per_line": "mostly short link- or menu-like lines",
    "wall_share": "mostly subscription, sign-in or cookie-consent text (a paywall or consent page?)",
    "price_share": "mostly subscription offers (a paywall?)",
    "you_share": "text addressed to the reader, not a report (a paywall, consent or sign-up page?)",
}


@dataclass(frozen=True)
class Verdict:
    is_article: bool
    probability: float
    reason: str | None  # why not, when not


def _is_prose(sentence: str, n_words: int) -> bool:
    """A sentence as reports are written: four words or more, a function word, a full stop. (Menu items, buttons
    and headlines lack one or the other; "Page not found." is too short.)"""
    if n_words < 4 or not _ENDS_SENTENCE.search(sentence):
        return False
    return any(w in STOPWORDS for w in _WORD.findall(sentence.lower()))


def features(body: str) -> np.ndarray:
    """The :data:`FEATURES` of a cleaned body, in order."""
    lines = [line.strip() for line in body.split("\n") if line.strip()]
    sentences = [body[a:b].strip() for a, b in sentence_spans(body)]
    sentences = [s for s in sentences if s]
    counts = [len(_WORD.findall(s)) for s in sentences]
    n_words = sum(len(_WORD.findall(line)) for line in lines)
    prose = [c for s, c in zip(sentences, counts, strict=True) if _is_prose(s, c)]
    n_sent = max(1, len(sentences))
    line_words = [len(_WORD.findall(line)) for line in lines]
    return np.array(
        [
            math.log1p(n_words),
            sum(prose) / n_words if n_words else 0.0,
            math.log1p(len(prose)),
            sum(1 for c in line_words if c <= 4) / len(lines) if lines else 1.0,
            math.log1p(sum(line_words) / len(lines)) if lines else 0.0,
            sum(1 for s in sentences if _WALL.search(s)) / n_sent,
            sum(1 for s in sentences if _PRICE_PER_PERIOD.search(s)) / n_sent,
            sum(1 for s in sentences if _YOU.search(s)) / n_sent,
        ],
        dtype=np.float64,
    )


@lru_cache(maxsize=1)
def model() -> Logistic:
    fitted = model_from_dict(json.loads(WEIGHTS_PATH.read_text(encoding="utf-8"))["model"])
    assert isinstance(fitted, Logistic)
    return fitted


def assess(body: str) -> Verdict:
    """Whether a cleaned body reads as an article, with the main reason when it does not."""
    m = model()
    x = features(body)
    p = float(m.prob(x[None, :])[0])
    if p >= THRESHOLD:
        return Verdict(True, p, None)
    contributions = (x - m.mean) / m.scale * m.coef
    worst = FEATURES[int(np.argmin(contributions))]
    return Verdict(False, p, f"not article text: {_REASONS[worst]} (article score {p:.2f})")
