"""The default generator: answers with verbatim sentences of the retrieved articles (offline, no model).

(Briefings have their own extractive engine: :mod:`qa.briefing`.)

It picks the sentences that answer the question (question-aware lexical scoring, redundancy removed),
adds a short answer span for name/number/date/place questions, abstains when the evidence does not answer,
and for "why" questions whose articles state no reason it says so and quotes what they do say.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from qa.config import Settings
from qa.embeddings import Embedder
from qa.generators.base import Draft, DraftSentence, Source, Trace
from qa.generators.candidate import Candidate
from qa.generators.causal import find_reasons, restate
from qa.generators.describe import describe
from qa.generators.evidence import (
    Pool,
    Sentence,
    build_pool,
    rerank,
    select,
    with_antecedents,
)
from qa.generators.presentation import present
from qa.generators.questions import Question, analyse, terms
from qa.generators.relation import question_relation, reported_by, says
from qa.generators.spans import short_answer
from qa.reasons import Reason

MIN_COVERAGE = 0.2  # share of the question's (weighted) words the best evidence must contain
CANDIDATE_SENTENCES = 12  # short answers are looked for in this many of the best sentences
HARD_TYPES = ("person", "count", "quantity", "date", "place", "description")
MAX_NO_REASON = 7  # sentences quoted when the articles give no reason
_MIN_RELEVANCE: float = Settings.model_fields["answer_min_relevance"].default


def _draft(pool: Pool, sentences: list[Sentence], **kw: object) -> Draft:
    """The chosen sentences as shown (:mod:`qa.generators.presentation`): with the sentence an opening "it" needs,
    quotations whole, nothing twice."""
    out = [
        DraftSentence(text=p.text, spans=[(p.article_id, p.start, p.end)], score=round(min(p.score, 1.0), 4))
        for p in present(pool, sentences)
    ]
    return Draft(sentences=out, **kw)  # type: ignore[arg-type]


def _say(question: Question) -> str:
    """ "The articles don't say how old the bridge is." from the interrogative clause, made indirect."""
    clause = question.text.strip()
    parts = re.split(r"(?<=[.?!])\s+", clause)
    clause = next(
        (p for p in reversed(parts) if re.search(r"(?i)\b(who|what|which|when|where|why|how)\b", p)), parts[-1]
    )
    m = re.search(r"(?i)\b(who|what|which|when|where|why|how)\b", clause)
    if m is None:
        return "The articles don't answer this question."
    return f"The articles don't say {restate(clause[m.start() :])}."


class ExtractiveGenerator:
    name = "extractive"

    def __init__(
        self,
        embedder: Embedder | None = None,
        min_coverage: float = MIN_COVERAGE,
        max_sentences: int = 3,
        min_relevance: float = _MIN_RELEVANCE,
    ) -> None:
        self.embedder = embedder
        self.min_coverage = min_coverage
        self.max_sentences = max_sentences
        self.min_relevance = min_relevance

    # --- answers -----------------------------------------------------------------------------------
    def answer(self, question: str, sources: list[Source], today: dt.date | None) -> Draft:
        trace = Trace(analyse(question))
        draft = self._answer(trace, sources, today)
        draft.trace = trace
        return draft

    def _answer(self, trace: Trace, sources: list[Source], today: dt.date | None) -> Draft:
        q = trace.question
        if not sources:
            return Draft(sentences=[], answerable=False, preface=_say(q), reason=Reason.NO_EVIDENCE)
        pool = build_pool(q, sources, today)
        if not pool.sentences:
            return Draft(sentences=[], answerable=False, preface=_say(q), reason=Reason.NO_EVIDENCE)
        if self.embedder is not None:
            rerank(pool, self.embedder)
        trace.evidence = pool.sentences
        if q.is_why:
            return self._why(pool, q.text)
        coverage = max(s.coverage for s in pool.sentences[:5])
        if pool.missing_terms():
            return self._abstain(pool, Reason.NAME_NOT_FOUND)
        if coverage < self.min_coverage:
            return self._abstain(pool, Reason.BELOW_RELEVANCE)
        speaking = _speaker_passages(pool) if q.atype == "none" else None
        picked = select(pool, limit=self.max_sentences)
        if speaking == []:
            # "What did the survey reveal?" where the survey is still to come says more than "it says nothing"
            pending = _only_pending(pool, picked)
            return self._abstain(pool, Reason.EVENT_NOT_YET_HAPPENED if pending else Reason.RELATION_NOT_FOUND)
        if speaking:
            # "What did Ada Lune say ...?": her words lead, then the best passages
            lead = with_antecedents(pool, speaking[:1])
            picked = lead + [s for s in picked if s.key not in {x.key for x in lead}][: self.max_sentences - 1]
        if q.atype == "description":
            short = describe(pool, seen=trace.candidates)
        else:
            short = short_answer(pool, pool.sentences[:CANDIDATE_SENTENCES], self.min_coverage, seen=trace.candidates)
        trace.chosen = short
        if short is None and (q.atype in HARD_TYPES or q.named):
            relation = q.role_of or q.named
            return self._abstain(pool, Reason.RELATION_NOT_FOUND if relation else Reason.NO_CANDIDATE_OF_TYPE)
        if short is None and _only_pending(pool, picked):
            return self._abstain(pool, Reason.EVENT_NOT_YET_HAPPENED)
        if short is not None:
            # The sentence the short answer comes from leads the answer.
            picked = [s for s in picked if s.key != short.sentence.key]
            picked = with_antecedents(pool, [short.sentence]) + picked
            picked = picked[: self.max_sentences + 1]
        picked = self._relevant(pool, picked, short.sentence if short else picked[0])
        if short is not None:
            picked = _corroborating(pool, picked, short)
        return _draft(
            pool,
            picked,
            short_answer=short.text if short else None,
            short_answer_span=(short.sentence.article.id, short.start, short.end) if short else None,
        )

    def _relevant(self, pool: Pool, picked: list[Sentence], lead: Sentence) -> list[Sentence]:
        """Passages from the article the answer leads with, and from other articles only when they are relevant
        (at or above the cutoff): a passage from an unrelated article is not evidence."""
        return [s for s in picked if s.article.id == lead.article.id or pool.article_relevance(s) >= self.min_relevance]

    def _abstain(self, pool: Pool, reason: Reason) -> Draft:
        """Say that the articles don't answer, and show the closest evidence (clearly not as an answer)."""
        closest = select(pool, limit=2, ratio=0.0)
        preface = _say(pool.question) + " The closest passages:"
        return _draft(pool, closest[:2], answerable=False, preface=preface, reason=reason)

    def _why(self, pool: Pool, question: str) -> Draft:
        reasons = find_reasons(pool)
        if reasons.causal:
            top = select(pool, limit=self.max_sentences)
            chosen = with_antecedents(pool, reasons.causal[:2])
            keys = {s.key for s in chosen}
            chosen += [s for s in top if s.key not in keys][: max(0, self.max_sentences - len(chosen))]
            return _draft(pool, self._relevant(pool, chosen, reasons.causal[0]))
        if not reasons.events and not reasons.denials:
            return self._abstain(pool, Reason.BELOW_RELEVANCE)
        return _draft(
            pool,
            self._no_reason_evidence(pool, reasons.events, reasons.denials),
            answerable=False,
            reason=Reason.NO_REASON_STATED,
            preface=f"The articles don't say {restate(question)}: no official reason is given. What they do say:",
        )

    def _no_reason_evidence(self, pool: Pool, events: list[Sentence], denials: list[Sentence]) -> list[Sentence]:
        """What the articles do say about an event whose reason they don't give: the report of the event,
        the statement that came with it, any "no reason was given", the paragraph that follows (news puts
        the background there), then other passages that mention the event, with the sentence they lean on."""
        event_words = {t for t in pool.question.focus_terms if t not in pool.question.proper_terms}
        local = {s.key: pool.local(s) for s in events}
        ranked = sorted(events, key=lambda s: (-round(local[s.key], 2), s.index))
        out: list[Sentence] = []
        if ranked:
            main = ranked[0]
            out.append(main)
            text = pool.articles[main.article.id]
            nxt = _next_sentence(pool, main)
            if nxt is not None and re.search(r"[“\"]|\bstatement\b", nxt.text):
                out.append(nxt)
                after = _next_sentence(pool, nxt)
                if after is not None and after.terms & event_words:
                    out.extend(x for x in text.sentences if x.paragraph == after.paragraph)
        out.extend(denials[:2])
        if ranked:
            # Other mentions, nearest to the main report first: further away they are often another event.
            main = ranked[0]
            others = sorted(
                ranked[1:],
                key=lambda s: (-round(local[s.key], 1), s.article.id != main.article.id, abs(s.index - main.index)),
            )
            for s in others:
                if len(out) >= MAX_NO_REASON:
                    break
                if s.key not in {o.key for o in out}:
                    out.extend(with_antecedents(pool, [s]))
        seen: set[tuple[str, int]] = set()
        unique = []
        for s in out:
            if s.key not in seen:
                seen.add(s.key)
                unique.append(s)
        return unique

    def stream_answer(self, question: str, sources: list[Source], today: dt.date | None) -> Iterator[str]:
        draft = self.answer(question, sources, today)
        if draft.preface:
            yield draft.preface
        for s in draft.sentences:
            yield (" " if draft.preface or s is not draft.sentences[0] else "") + s.text


SPEAKER_PASSAGES = 8  # passages naming the speaker read for a "What did X say?" question


def _speaker_passages(pool: Pool) -> list[Sentence] | None:
    """For "What did Ada Lune say about the dam?", the passages naming her in which she says something, best first
    (empty: the articles don't report her words, and passages about the dam in which others speak are no answer);
    ``None`` for any other question, or when she is named nowhere (the missing-name exit speaks for that)."""
    rel = question_relation(pool.question.text)
    if rel is None or not reported_by(rel):
        return None
    passages = [s for s in pool.sentences if rel.subject & s.terms][:SPEAKER_PASSAGES]
    if not passages:
        return None
    from qa.nlp import parse_many

    said = [s for s, doc in zip(passages, parse_many([s.text for s in passages]), strict=True) if says(doc, rel)]
    return sorted(said, key=lambda s: -pool.article_relevance(s))  # the most relevant article's words first


def _corroborating(pool: Pool, picked: list[Sentence], short: Candidate) -> list[Sentence]:
    """With a short answer found, a passage of another article is shown only if that article is at least as relevant
    to the question as the answer's, or the passage names the answer too, or everything the question names (the
    same story told again, perhaps with a later figure): a passage of a less relevant article that only shares some
    of the question's words is about something else (a first name shared with a video caption, another country's
    minister), while one of a more relevant article may hold the answer the short one missed."""
    lead, said = short.sentence.article.id, set(terms(short.text))
    names = pool.question.pinned_terms
    floor = pool.article_relevance(short.sentence)
    return [
        s
        for s in picked
        if s.article.id == lead
        or pool.article_relevance(s) >= floor
        or said <= s.terms
        or (names and names <= pool.context(s))
    ]


_PENDING = re.compile(
    r"\b(?:will|(?:is|are) (?:due|expected|scheduled|set) to|(?:is|are) due (?:in|on|by|next)"
    r"|(?:has|have) yet to|not yet)\b",
    re.IGNORECASE,
)


def _only_pending(pool: Pool, picked: list[Sentence]) -> bool:
    """Asked what happened ("What did the review conclude?") with a word no retrieved passage uses, and the
    best passage only says it is still to come ("will be carried out ... findings are due in June")."""
    q = pool.question
    if not picked or not q.asks_past:
        return False
    seen: set[str] = set()
    for s in pool.sentences:
        seen |= s.terms
    for text in pool.articles.values():
        seen |= text.title_terms
    if not q.attribute_terms - seen:
        return False
    lead = picked[0]
    following = pool.articles[lead.article.id].following(lead)
    return any(_PENDING.search(s.text) for s in (lead, following) if s is not None)


def _next_sentence(pool: Pool, s: Sentence) -> Sentence | None:
    text = pool.articles[s.article.id]
    if s.index + 1 >= len(text.sentences):
        return None
    nxt = text.sentences[s.index + 1]
    text.tokenize(nxt)
    return nxt
