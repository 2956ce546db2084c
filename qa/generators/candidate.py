"""A short-answer candidate: a span of an evidence sentence, with the named features it is scored over."""

from __future__ import annotations

from dataclasses import dataclass, field

from qa.generators.evidence import Sentence


@dataclass
class Candidate:
    text: str
    start: int  # into the article body
    end: int
    kind: str  # "name", "title", "date", "money", "percent", "number", "measure"
    sentence: Sentence
    score: float = 0.0
    partial: bool = False  # a name cut out of one the question already uses ("Calder Estuary" -> "Estuary")
    features: dict[str, float] = field(default_factory=dict)  # named parts of the score (shown by explain)
    dropped: str | None = None  # why the candidate was not considered
