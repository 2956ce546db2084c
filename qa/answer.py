"""The answer engine: a LangChain runnable chain ``retrieve | compose | cite | verify`` producing an Answer.

- retrieve: hybrid search (time-aware with ``today``), each hit numbered as a source with its article;
- compose: a generator (extractive by default, or the LLM) proposes sentences;
- cite: each sentence gets verbatim quotes (extractive: its own span; LLM: the best matching sentence of
  the sources it cited);
- verify: extractive sentences are quotes, so supported by construction; LLM sentences are checked by the
  grounding verifier, unsupported ones are kept out of the answer text (and marked in ``sentences``), and
  when nothing supported remains the extractive answer is returned instead (``fallback``).
Every citation is checked verbatim against the stored bodies right before the Answer is built.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from qa.citations import check_citations, cite, dedupe, locate, quotes_injection
from qa.config import Settings
from qa.embeddings import Embedder
from qa.errors import LLMUnavailable
from qa.generators.base import Draft, DraftSentence, Generator, Source
from qa.generators.explain import explanation
from qa.generators.extractive import ExtractiveGenerator
from qa.generators.questions import terms
from qa.injection import overlaps_injection
from qa.models import Answer, AnswerSentence, Article, Citation, Filters
from qa.reasons import Reason
from qa.retrieval import HybridRetriever
from qa.sentence_vectors import SentenceVectors
from qa.store import ArticleStore
from qa.stories import citation_folder, fold_citations
from qa.text import sentence_spans

if TYPE_CHECKING:
    from qa.grounding import GroundingVerifier

GeneratorName = Literal["extractive", "llm"]


@dataclass
class Turn:
    """What flows through the chain: the request, then what each step adds."""

    question: str
    today: dt.date | None = None
    k: int | None = None
    filters: Filters | None = None
    generator: GeneratorName = "extractive"
    explain: bool = False
    sources: list[Source] = field(default_factory=list)
    draft: Draft | None = None
    sentences: list[AnswerSentence] = field(default_factory=list)
    fallback: bool = False


class AnswerEngine:
    def __init__(
        self,
        store: ArticleStore[Any],
        retriever: HybridRetriever,
        embedder: Embedder,
        settings: Settings,
        on_missing: Callable[[], None] | None = None,
    ) -> None:
        """``on_missing``: called when a source's article has no sentence vectors yet (see :meth:`known_vectors`)."""
        self.store = store
        self.on_missing = on_missing
        self.retriever = retriever
        self.embedder = embedder
        self.settings = settings
        self.extractive = ExtractiveGenerator(embedder, min_relevance=settings.answer_min_relevance)
        self._llm: Generator | None = None
        self._verifier: GroundingVerifier | None = None
        self._lock = threading.Lock()
        self._chain: Any = None
        # One background job at a time: indexing uses every core, so two at once would only take turns.
        self._indexer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verifier-index")

    # --- parts -----------------------------------------------------------------------------------------
    def resolve(self, generator: str | None) -> GeneratorName:
        name = generator or self.settings.generator
        if name not in ("extractive", "llm"):
            from qa.errors import InvalidInput

            raise InvalidInput(f"generator must be 'extractive' or 'llm', got {name!r}")
        if name == "llm" and not self.settings.llm_base_url:
            raise LLMUnavailable(
                "the LLM generator needs an OpenAI-compatible endpoint: set QA_LLM_BASE_URL "
                "(and QA_LLM_API_KEY or OPENAI_API_KEY, QA_LLM_MODEL)"
            )
        return name  # type: ignore[return-value]

    def generator(self, name: GeneratorName) -> Generator:
        if name == "extractive":
            return self.extractive
        with self._lock:
            if self._llm is None:
                from qa.generators.llm import LLMGenerator

                self._llm = LLMGenerator(self.settings)
            return self._llm

    @property
    def verifier(self) -> GroundingVerifier:
        with self._lock:
            if self._verifier is None:
                from qa.embeddings import minilm
                from qa.grounding import GroundingVerifier

                encoder = minilm(self.settings.embed_batch_size)  # the store's own instance when it embeds with MiniLM
                self._verifier = GroundingVerifier(encoder, threshold=self.settings.grounding_threshold)
            return self._verifier

    def chain(self) -> Any:
        """``retrieve | compose | cite | verify`` as a LangChain runnable over a :class:`Turn`."""
        if self._chain is None:
            from langchain_core.runnables import RunnableLambda

            self._chain = (
                RunnableLambda(self.retrieve, name="retrieve")
                | RunnableLambda(self.compose, name="compose")
                | RunnableLambda(self.cite, name="cite")
                | RunnableLambda(self.verify, name="verify")
            )
        return self._chain

    # --- steps -----------------------------------------------------------------------------------------
    def retrieve(self, turn: Turn) -> Turn:
        hits = self.retriever.search(turn.question, k=turn.k, filters=turn.filters, today=turn.today)
        bodies = self.store.bodies(sorted({h.article_id for h in hits}))
        # A hit whose article changed or is going since the search is dropped: its offsets belong to the old text.
        current = [
            h
            for h in hits
            if h.article_id in bodies
            and bodies[h.article_id].state == "ready"
            and bodies[h.article_id].body[h.start : h.end] == h.text
        ]
        turn.sources = [Source(number=n, hit=h, article=bodies[h.article_id]) for n, h in enumerate(current, 1)]
        return turn

    def compose(self, turn: Turn) -> Turn:
        if turn.generator == "llm":
            self.prepare_verification(turn.sources)
        turn.draft = self.generator(turn.generator).answer(turn.question, turn.sources, turn.today)
        return turn

    def cite(self, turn: Turn) -> Turn:
        assert turn.draft is not None
        turn.sentences = [self.cite_sentence(d, turn.sources) for d in turn.draft.sentences]
        return turn

    def verify(self, turn: Turn) -> Answer:
        assert turn.draft is not None
        if turn.generator == "llm":
            turn.sentences = self.verify_sentences(turn.sentences, turn.sources)
            if not any(s.supported for s in turn.sentences):
                # Nothing grounded survived (or the model declined): the extractive answer is grounded by construction.
                turn.draft = self.extractive.answer(turn.question, turn.sources, turn.today)
                turn.sentences = [self.cite_sentence(d, turn.sources) for d in turn.draft.sentences]
                turn.fallback = True
        return self.build(turn)

    # --- helpers shared with streaming ---------------------------------------------------------------------
    def prepare_verification(self, sources: list[Source]) -> None:
        """Index the passages an LLM answer will be verified against in the background, while the model writes.
        Their sentence vectors come from the store; a passage of an article without them yet has its sentences
        embedded here instead."""
        texts = _passages(sources)
        self._indexer.submit(lambda: self.verifier.prepare(texts, self.known_vectors(sources)))

    def known_vectors(self, sources: list[Source]) -> list[SentenceVectors | None]:
        """Each passage's sentence vectors (offsets into the passage), where the store has them for the version of
        the article the passage was read from. For an article without them yet, the verifier embeds its sentences
        and ``on_missing`` is told (the service's background worker computes them)."""
        stored = self.store.sentence_vectors(sorted({s.article.id for s in sources}))
        known: list[SentenceVectors | None] = []
        for s in sources:
            found = stored.get(s.article.id)
            current = found is not None and found.version == s.article.content_hash
            known.append(found.within(s.hit.start, s.hit.end) if found is not None and current else None)
        if self.on_missing is not None and not all(s.article.id in stored for s in sources):
            self.on_missing()
        return known

    def cite_sentence(self, d: DraftSentence, sources: list[Source]) -> AnswerSentence:
        articles = {s.article.id: s.article for s in sources}
        if d.spans:  # extractive: the sentence is its own quote
            cites = [cite(articles[aid], a, b) for aid, a, b in d.spans]
            return AnswerSentence(text=d.text, supported=True, score=1.0, citations=cites)
        cites = []
        for n in d.source_numbers:
            src = next((s for s in sources if s.number == n), None)
            if src is not None:
                quote = best_quote(d.text, src.article, src.hit.start, src.hit.end)
                if quote is not None:
                    cites.append(quote)
        return AnswerSentence(text=d.text, supported=False, score=0.0, citations=dedupe(cites))

    def verify_sentences(self, sentences: list[AnswerSentence], sources: list[Source]) -> list[AnswerSentence]:
        """Check LLM sentences against the retrieved passages; evidence found by the verifier becomes the
        citation when the model cited nothing usable."""
        if not sentences:
            return []
        verdicts = self.verifier.verify_claims(
            [s.text for s in sentences], _passages(sources), self.known_vectors(sources)
        )
        articles = {src.article.id: src.article for src in sources}
        out = []
        for s, v in zip(sentences, verdicts, strict=True):
            cites = list(s.citations)
            if v.supported and not cites:
                for e in v.evidence[:1]:
                    src = sources[e.source]
                    cites.append(cite(src.article, src.hit.start + e.start, src.hit.start + e.end))
            out.append(
                _without_injected_quotes(
                    AnswerSentence(
                        text=s.text,
                        supported=v.supported and bool(cites),
                        score=round(float(v.score), 4),
                        citations=cites if v.supported else [],
                        reason=None if v.supported and cites else (v.reason or "no verbatim evidence"),
                    ),
                    articles,
                )
            )
        return out

    def build(self, turn: Turn) -> Answer:
        assert turn.draft is not None
        articles = {s.article.id: s.article for s in turn.sources}
        turn.sentences = [_without_injected_quotes(s, articles) for s in turn.sentences]
        draft, kept = turn.draft, [s for s in turn.sentences if s.supported]
        text = " ".join(([draft.preface] if draft.preface else []) + [s.text for s in kept])
        check_citations([c for s in turn.sentences for c in s.citations], articles)
        # Near-duplicates (one wire story from several outlets) are cited once, with how many outlets carried it.
        fold = citation_folder(self.store, (c.article_id for s in turn.sentences for c in s.citations))
        turn.sentences = [s.model_copy(update={"citations": fold(s.citations)}) for s in turn.sentences]
        kept = [s for s in turn.sentences if s.supported]
        citations = fold(dedupe(c for s in kept for c in s.citations))
        short = draft.short_answer
        if draft.short_answer_span is not None:
            aid, a, b = draft.short_answer_span
            if articles[aid].body[a:b] != short or overlaps_injection(articles[aid].body, a, b):
                short = None  # never show a short answer that is not verbatim evidence
        answerable = draft.answerable and bool(kept)
        # An answerable draft whose sentences were all dropped (unverified, or quoting text addressed to a model).
        reason = (
            Reason.ANSWERED if answerable else draft.reason if draft.reason != Reason.ANSWERED else Reason.NOT_SUPPORTED
        )
        return Answer(
            question=turn.question,
            answer=text or "The articles don't say.",
            short_answer=short,
            answerable=answerable,
            reason=reason,
            explain=explanation(turn.question, draft.trace, reason) if turn.explain else None,
            citations=citations,
            sentences=turn.sentences,
            generator=turn.generator,
            fallback=turn.fallback,
        )

    # --- entry points ------------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        today: dt.date | None = None,
        k: int | None = None,
        filters: Filters | None = None,
        generator: str | None = None,
        explain: bool = False,
    ) -> Answer:
        turn = Turn(
            question=question, today=today, k=k, filters=filters, generator=self.resolve(generator), explain=explain
        )
        return self.chain().invoke(turn)

    def stream(
        self,
        question: str,
        today: dt.date | None = None,
        k: int | None = None,
        filters: Filters | None = None,
        generator: str | None = None,
        explain: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """``delta`` events with answer text as it is produced, then one ``answer`` event with the Answer.

        LLM text is released a sentence at a time, only after that sentence is verified, so a client
        never shows an unsupported sentence that the final answer then drops."""
        turn = Turn(
            question=question, today=today, k=k, filters=filters, generator=self.resolve(generator), explain=explain
        )
        self.retrieve(turn)
        if turn.generator == "extractive":
            answer = self.verify(self.cite(self.compose(turn)))
            yield from _deltas(answer, turn)
            yield {"event": "answer", "data": answer.model_dump(mode="json")}
            return
        from qa.generators.llm import LLMGenerator

        gen = self.generator("llm")
        assert isinstance(gen, LLMGenerator)
        verified: list[AnswerSentence] = []
        self.prepare_verification(turn.sources)

        def release(d: DraftSentence) -> Iterator[dict[str, Any]]:
            s = self.verify_sentences([self.cite_sentence(d, turn.sources)], turn.sources)[0]
            s = s.model_copy(update={"citations": fold_citations(self.store, s.citations)})
            if s.supported:
                gap = " " if any(v.supported for v in verified) else ""
                yield {"event": "delta", "data": {"text": gap + s.text}, "sentence": s}
            verified.append(s)

        buffer, done = "", 0
        for piece in gen.stream_answer(turn.question, turn.sources, turn.today):
            buffer += piece
            drafts = gen.parse(buffer, len(turn.sources)).sentences
            for d in drafts[done : len(drafts) - 1]:  # every sentence but the last is complete
                yield from release(d)
            done = max(done, len(drafts) - 1)
        turn.draft = gen.parse(buffer, len(turn.sources))
        for d in turn.draft.sentences[done:]:
            yield from release(d)
        turn.sentences = verified
        if not any(s.supported for s in verified):
            turn.draft = self.extractive.answer(turn.question, turn.sources, turn.today)
            turn.sentences = [self.cite_sentence(d, turn.sources) for d in turn.draft.sentences]
            turn.fallback = True
            answer = self.build(turn)
            yield from _deltas(answer, turn)
        else:
            answer = self.build(turn)
        yield {"event": "answer", "data": answer.model_dump(mode="json")}


def _passages(sources: list[Source]) -> list[str]:
    """What LLM sentences are verified against: the retrieved passages, not whole articles."""
    return [s.hit.text for s in sources]


def _without_injected_quotes(s: AnswerSentence, articles: dict[str, Article]) -> AnswerSentence:
    """The last guard of "never a quote": a sentence citing text addressed to a model is not supported."""
    if not any(quotes_injection(c, articles[c.article_id]) for c in s.citations if c.article_id in articles):
        return s
    return s.model_copy(update={"supported": False, "citations": [], "reason": "cites text addressed to a model"})


def _deltas(answer: Answer, turn: Turn) -> Iterator[dict[str, Any]]:
    """An already complete answer as deltas that join to ``answer.answer``: the preface, then one per kept
    sentence, each carrying its :class:`AnswerSentence` under ``"sentence"`` (not part of the wire ``data``) so
    a client layer can attach that sentence's citations to the piece that completes it."""
    preface = turn.draft.preface if turn.draft is not None else None
    kept = [s for s in answer.sentences if s.supported]
    if not kept:
        yield {"event": "delta", "data": {"text": answer.answer}}
        return
    if preface:
        yield {"event": "delta", "data": {"text": preface}}
    for i, s in enumerate(kept):
        yield {"event": "delta", "data": {"text": (" " if i or preface else "") + s.text}, "sentence": s}


def best_quote(text: str, article: Article, start: int, end: int) -> Citation | None:
    """The sentence of ``article.body[start:end]`` that shares most words with ``text`` (an LLM sentence),
    or the model's own words when they stand verbatim in the source."""
    span = locate(article.body, re.sub(r"\s*\[\d+\]", "", text), start, end)
    if span is not None and not overlaps_injection(article.body, *span):
        return cite(article, *span)
    want = set(terms(text))
    best, best_overlap = None, 0.0
    for a, b in sentence_spans(article.body, start, end):
        if overlaps_injection(article.body, a, b):
            continue  # a sentence addressed to a model is never a quote
        have = set(terms(article.body[a:b]))
        overlap = len(want & have) / (len(want) or 1)
        if overlap > best_overlap:
            best, best_overlap = (a, b), overlap
    if best is None or best_overlap < 0.2:
        return None
    return cite(article, *best)
