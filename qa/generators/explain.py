"""``explain``: the reader's trace (question analysis, ranked evidence, scored candidates) as an Explanation."""

from __future__ import annotations

from qa.generators.base import Trace
from qa.generators.questions import Question, analyse
from qa.models import CandidateScore, EvidenceScore, Explanation, QuestionAnalysis
from qa.reasons import DESCRIPTIONS, Reason

MAX_EVIDENCE = 8
MAX_CANDIDATES = 30


def question_analysis(q: Question) -> QuestionAnalysis:
    return QuestionAnalysis(
        answer_type=q.atype,
        wh_word=q.wh or None,
        head_noun=q.head_word,
        focus_terms=list(dict.fromkeys(q.focus_terms)),
        names=sorted(q.proper_terms),
        role_of=q.role_of,
        named=q.named,
    )


def explanation(question: str, trace: Trace | None, reason: Reason) -> Explanation:
    """The trace of the draft that produced the answer; a generator that keeps none (the LLM) gets the analysis."""
    if trace is None:
        trace = Trace(question=analyse(question))
    evidence = [
        EvidenceScore(
            article_id=s.article.id,
            start=s.start,
            end=s.end,
            text=s.text,
            score=round(s.score, 4),
            coverage=round(s.coverage, 4),
            retrieval=round(s.retrieval, 4),
        )
        for s in trace.evidence[:MAX_EVIDENCE]
    ]
    # Considered candidates best first, then the dropped ones (each with why).
    ordered = sorted(trace.candidates, key=lambda c: (c.dropped is not None, -c.score))
    candidates = [
        CandidateScore(
            text=c.text,
            kind=c.kind,
            article_id=c.sentence.article.id,
            start=c.start,
            end=c.end,
            features={k: round(v, 4) for k, v in c.features.items()},
            score=round(c.score, 4),
            chosen=c is trace.chosen,
            dropped=c.dropped,
        )
        for c in ordered[:MAX_CANDIDATES]
    ]
    return Explanation(
        question=question_analysis(trace.question),
        evidence=evidence,
        candidates=candidates,
        reason=reason,
        reason_text=DESCRIPTIONS[reason],
    )
