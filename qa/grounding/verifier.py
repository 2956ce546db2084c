"""The offline grounding verifier: per-claim support from sentence alignment plus lexical fact checks."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa.embeddings import MiniLMOnnxEmbedder, minilm
from qa.grounding.claims import split_claims
from qa.grounding.facts import analyse, checkable
from qa.grounding.features import (
    ENTAILMENT,
    FEATURES,
    ClaimCheck,
    SourceIndex,
    build_index,
    cap_contradictions,
    check_claim,
    merge,
)
from qa.grounding.model import Logistic, Trees, model_from_dict
from qa.grounding.nli import EntailmentModel, entailment_model, window_text
from qa.injection import overlaps_injection
from qa.sentence_vectors import SentenceVectors

WEIGHTS_PATH = Path(__file__).resolve().parents[1] / "grounding_weights.json"
SOURCE_CACHE_SIZE = 256
Known = Sequence[SentenceVectors | None] | None  # per source: its stored sentence vectors, if any
NO_MATCH_SIMILARITY = 0.45  # below this the best source passage is not about the claim at all


@dataclass
class EvidenceSpan:
    source: int  # index into the sources list
    start: int
    end: int
    text: str  # == sources[source][start:end]
    similarity: float


@dataclass
class ClaimVerdict:
    text: str
    start: int  # offsets into the response (verify) or into the claim itself (verify_claims)
    end: int
    supported: bool
    score: float  # calibrated probability that the claim is supported by the sources
    evidence: list[EvidenceSpan]
    reason: str | None


@dataclass(frozen=True)
class Weights:
    """The fitted model over ``FEATURES`` and its threshold (see ``eval/fit_grounding.py``)."""

    model: Logistic | Trees
    threshold: float
    contradiction_cap: bool = True  # cap claims showing a concrete contradiction (features.cap_contradictions)

    @property
    def uses_entailment(self) -> bool:
        """Whether the entailment model's logit weighs at all (if not, the verifier does not run the model)."""
        return not isinstance(self.model, Logistic) or bool(self.model.coef[ENTAILMENT] != 0)

    def score(self, x: np.ndarray) -> np.ndarray:
        x = x.astype(np.float64)
        prob = self.model.prob(x)
        return cap_contradictions(x, prob) if self.contradiction_cap else prob

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Weights:
        if list(d["features"]) != list(FEATURES):
            raise ValueError("grounding weights were fitted on other features: rerun eval/fit_grounding.py")
        return cls(model_from_dict(d["model"]), float(d["threshold"]), bool(d.get("contradiction_cap", True)))


@lru_cache(maxsize=1)
def shipped_weights() -> Weights:
    return Weights.from_dict(json.loads(WEIGHTS_PATH.read_text(encoding="utf-8")))


def verbatim_span(claim: str, sources: list[str], min_words: int = 4) -> tuple[int, int, int] | None:
    """``(source, start, end)`` where the claim (without citation markers and final punctuation) stands word for
    word in a source, whitespace aside; None if it does not, or if it is too short to mean anything alone."""
    words = checkable(claim).strip().rstrip(".!?;:").split()
    if len(words) < min_words:
        return None
    pattern = re.compile(r"\s+".join(map(re.escape, words)))
    for i, source in enumerate(sources):
        for m in pattern.finditer(source):
            if not overlaps_injection(source, m.start(), m.end()):  # never evidence, even word for word
                return i, m.start(), m.end()
    return None


class ClaimChecker:
    """What the offline verifier and the LLM judge share: split a response into claims, score it by them."""

    def verify_claims(self, claims: list[str], sources: list[str], known: Known = None) -> list[ClaimVerdict]:
        """A verdict per claim. ``known``: the sources' sentence vectors where the store has them (``known[i]`` for
        ``sources[i]``, qa/sentence_vectors.py), which a checker that embeds sentences uses instead of embedding."""
        raise NotImplementedError

    def verify(self, response: str, sources: list[str]) -> list[ClaimVerdict]:
        spans = split_claims(response)
        verdicts = self.verify_claims([response[a:b] for a, b in spans], sources)
        for v, (a, b) in zip(verdicts, spans, strict=True):
            v.start, v.end = a, b
        return verdicts

    def response_score(self, verdicts: list[ClaimVerdict]) -> float:
        """The weakest claim's score: one unsupported claim makes the whole response unsupported."""
        return min((v.score for v in verdicts), default=1.0)


class GroundingVerifier(ClaimChecker):
    """Checks each claim of a response against source texts; no network, no labels, CPU only."""

    def __init__(
        self,
        encoder: MiniLMOnnxEmbedder | None = None,
        threshold: float | None = None,
        weights: Weights | None = None,
        entailment: EntailmentModel | None = None,
    ) -> None:
        if threshold is None:
            from qa.config import Settings

            threshold = Settings().grounding_threshold
        # Always the bundled model, whatever embedder the store uses: the weights were fitted on its features.
        self.encoder = encoder or minilm()
        self.threshold = threshold
        self._weights = weights
        self._entailment = entailment
        self._lock = threading.Lock()
        self._sources: OrderedDict[str, Future[SourceIndex]] = OrderedDict()  # built or being built

    @property
    def weights(self) -> Weights:
        return self._weights or shipped_weights()

    @property
    def entailment(self) -> EntailmentModel:
        return self._entailment or entailment_model()

    # --- public API ------------------------------------------------------------------------------

    def verify_claims(self, claims: list[str], sources: list[str], known: Known = None) -> list[ClaimVerdict]:
        # A claim that stands word for word in a source is supported by definition: no model is asked.
        quoted = {i: span for i, c in enumerate(claims) if (span := verbatim_span(c, sources)) is not None}
        rest = [c for i, c in enumerate(claims) if i not in quoted]
        checks = self.check(rest, sources, known=known)
        rows = [c.values for c in checks if c is not None]
        probs = iter(self.weights.score(np.stack(rows)) if rows else [])
        index = self._merged(sources, known) if rows else None
        scored = iter(
            self._verdict(claim, check, float(next(probs)) if check is not None else 1.0, sources, index)
            for claim, check in zip(rest, checks, strict=True)
        )
        verdicts = []
        for i, claim in enumerate(claims):
            if i in quoted:
                src, a, b = quoted[i]
                evidence = [EvidenceSpan(src, a, b, sources[src][a:b], 1.0)]
                verdicts.append(ClaimVerdict(claim, 0, len(claim), True, 1.0, evidence, None))
            else:
                verdicts.append(next(scored))
        return verdicts

    # --- features (also used by eval/fit_grounding.py) -----------------------------------------------

    def check(
        self, claims: list[str], sources: list[str], entailment: bool | None = None, known: Known = None
    ) -> list[ClaimCheck | None]:
        """Feature vector and findings per claim; ``None`` for a claim with nothing to check. The entailment logit is
        computed when ``entailment`` says so (by default: when the weights use it), else left at 0. ``known`` as in
        :meth:`verify_claims`."""
        if entailment is None:
            entailment = self.weights.uses_entailment
        texts = [checkable(c) for c in claims]
        facts = [analyse(t) for t in texts]
        index = self._merged(sources, known) if sources else None
        if index is None or not index.units:
            return [None for _ in claims]
        vectors = self.encoder.embed(texts)
        out: list[ClaimCheck | None] = []
        for f, vec in zip(facts, vectors, strict=True):
            if not f.content and not f.numbers:
                out.append(None)
                continue
            out.append(check_claim(f, vec, index))
        # The entailment model reads each claim against the window of its aligned passages, all in one batch.
        scored = [(i, c) for i, c in enumerate(out) if c is not None and entailment]
        pairs = [(texts[i], window_text(self._passages(c, index))) for i, c in scored]
        for (_, c), logit in zip(scored, self.entailment.logits(pairs) if pairs else [], strict=True):
            c.values[ENTAILMENT] = logit
        return out

    @staticmethod
    def _passages(check: ClaimCheck, index: SourceIndex) -> list[tuple[int, int, int, str]]:
        """The claim's aligned passages, best first: ``(source, start, end, text)``."""
        return [
            (index.sources[i], index.units[i].start, index.units[i].end, index.texts[i]) for i in check.alignment.local
        ]

    # --- internals ----------------------------------------------------------------------------------

    def _verdict(
        self, claim: str, check: ClaimCheck | None, prob: float, sources: list[str], index: SourceIndex | None
    ) -> ClaimVerdict:
        if check is None or index is None:
            # Nothing checkable in the claim ("Yes."), or nothing to check it against.
            reason = "no source text" if not any(s.strip() for s in sources) else None
            return ClaimVerdict(claim, 0, len(claim), reason is None, 1.0 if reason is None else 0.0, [], reason)
        evidence = self._evidence(check, index, sources)
        supported = prob >= self.threshold
        reason = None
        if not supported:
            specific = [p for p in check.problems if not p.startswith("words not in source")]
            if check.alignment.similarity < NO_MATCH_SIMILARITY and not specific:
                reason = "no similar sentence in the sources"
            else:
                reason = check.problems[0] if check.problems else "low support score"
        return ClaimVerdict(claim, 0, len(claim), supported, prob, evidence, reason)

    def _evidence(self, check: ClaimCheck, index: SourceIndex, sources: list[str]) -> list[EvidenceSpan]:
        spans: list[EvidenceSpan] = []
        for i, sim in list(zip(check.alignment.local, check.alignment.local_similarity, strict=True))[:2]:
            unit, src = index.units[i], index.sources[i]
            if any(e.source == src and e.start < unit.end and unit.start < e.end for e in spans):
                continue  # a window overlapping the passage already cited adds nothing
            spans.append(EvidenceSpan(src, unit.start, unit.end, sources[src][unit.start : unit.end], sim))
        return spans

    def prepare(self, sources: list[str], known: Known = None) -> None:
        """Index sources before their claims arrive (the answer engine calls this while the LLM writes), so that
        verifying the answer does not wait for the sources' sentences to be embedded."""
        self._merged(sources, known)

    def _merged(self, sources: list[str], known: Known) -> SourceIndex:
        stored = list(known) if known is not None else [None] * len(sources)
        return merge([self._index(s, k) for s, k in zip(sources, stored, strict=True)])

    def _index(self, text: str, known: SentenceVectors | None = None) -> SourceIndex:
        # One build per source however many threads ask: a verification that arrives while ``prepare`` is still
        # indexing the same source waits for that build instead of embedding every sentence a second time.
        key = hashlib.sha256(f"{self.encoder.id}\0{text}".encode()).hexdigest()
        with self._lock:
            pending = self._sources.get(key)
            owner = pending is None
            if pending is None:
                pending = self._sources[key] = Future()
                while len(self._sources) > SOURCE_CACHE_SIZE:
                    self._sources.popitem(last=False)
            else:
                self._sources.move_to_end(key)
        if owner:
            self._build(key, text, known, pending)
        return pending.result()

    def _build(self, key: str, text: str, known: SentenceVectors | None, pending: Future[SourceIndex]) -> None:
        try:
            index = build_index(text)
            index.embeddings = self._unit_vectors(index, known)
            pending.set_result(index)
        except BaseException as exc:
            with self._lock:
                if self._sources.get(key) is pending:
                    del self._sources[key]  # the next call tries again
            pending.set_exception(exc)
            raise

    def _unit_vectors(self, index: SourceIndex, known: SentenceVectors | None) -> np.ndarray:
        """Sentences take their vectors from ``known`` (the store's) where it has them, else are embedded; a window is
        the normalised mean of its two sentences (half the cost)."""
        vecs = np.zeros((len(index.units), self.encoder.dim), dtype=np.float32)
        sentences = [i for i, u in enumerate(index.units) if u.pair is None]
        stored = known.lookup() if known is not None and known.encoder == self.encoder.id else {}
        for i in sentences:
            row = stored.get((index.units[i].start, index.units[i].end))
            if row is not None:
                vecs[i] = known.vectors[row]  # type: ignore[union-attr]
        todo = [i for i in sentences if (index.units[i].start, index.units[i].end) not in stored]
        if todo:
            vecs[todo] = self.encoder.embed([index.texts[i] for i in todo])
        for i, u in enumerate(index.units):
            if u.pair is not None:
                v = vecs[u.pair[0]] + vecs[u.pair[1]]
                vecs[i] = v / max(float(np.linalg.norm(v)), 1e-12)
        return vecs
