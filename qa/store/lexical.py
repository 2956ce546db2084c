"""Query terms for lexical search, shared by every store backend (each builds its own query syntax from them)."""

from __future__ import annotations

import re

from qa.text import POSSESSIVE, STOPWORDS, words

# Query terms in more than this share of chunks are dropped (the rarest few are always kept): they barely move
# BM25 (low IDF) but make the index score every chunk they occur in — 74 ms vs 9 ms for one question at 100k chunks
# in SQLite FTS5.
COMMON_TERM_SHARE = 0.02
KEEP_RAREST = 3
# Below this many chunks BM25 is cheap anyway and keeps every term: on RealTimeQA (3k chunks) pruning cost 4 points
# of answer-in-response for no needed speed.
PRUNE_FROM_CHUNKS = 20_000
MAX_TERMS = 64
# BM25's term-frequency saturation and length normalisation: FTS5's built-in values, which the PostgreSQL store's
# BM25 in SQL uses too, so both backends rank alike.
BM25_K1 = 1.2
BM25_B = 0.75
# A title match counts this much of a body match (titles repeat on every chunk of their article).
TITLE_WEIGHT = 0.5


_INNER = re.compile(r"[^\w'\-.]")  # what may stay inside a word: apostrophes, hyphens, dots ("Jean-Luc", "U.S")


def query_terms(text: str) -> list[str]:
    """The question's content words, deduplicated, possessives dropped ("Tarvia's" -> "tarvia"). A word with inner
    punctuation stays whole ("vell-aran", "u.s"): each backend's tokenizer splits it as it split the stored text (a
    phrase in FTS5, lexemes in PostgreSQL); squeezed to "vellaran" it matched nothing. Only word characters,
    apostrophes, hyphens and dots remain, none of which a quoted FTS5 string or a bound parameter interprets."""
    terms: list[str] = []
    for w in words(text):
        w = _INNER.sub("", POSSESSIVE.sub("", w)).strip("'-.")
        if w and w not in STOPWORDS and w not in terms:
            terms.append(w)
    return terms[:MAX_TERMS]
