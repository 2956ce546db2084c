"""The LLM path: prompts, citation parsing, verification and fallback.

Unit tests drive the engine with a scripted chat model and the real verifier (deterministic); the ``llm`` tests
drive it through a real local llama.cpp server (SmolLM2-135M). That model's answers are often invented, so the
tests assert what the engine guarantees: only verified sentences are kept, and every citation is verbatim.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langchain_core.outputs import ChatGenerationChunk

from qa.config import Settings
from qa.embeddings import minilm
from qa.generators.llm import LLMGenerator, chat_model, split_cited
from qa.grounding import GroundingVerifier
from qa.models import Answer
from qa.prompts import load_prompt, render
from qa.service import NewsQA
from tests.conftest import assert_verbatim


def llm_copy(service: NewsQA, **settings: Any) -> NewsQA:
    """The same store and index with LLM settings (a shallow copy: nothing is re-opened or re-embedded)."""
    svc = copy.copy(service)
    svc.settings = Settings(**{**service.settings.model_dump(), **settings})
    svc._engine = None
    return svc


def scripted(service: NewsQA, replies: list[str]) -> NewsQA:
    svc = llm_copy(service, llm_base_url="http://127.0.0.1:9/v1")
    svc.engine._llm = LLMGenerator(svc.settings, model=FakeListChatModel(responses=replies))
    return svc


def test_unsupported_sentences_are_dropped(answer_service: NewsQA) -> None:
    svc = scripted(
        answer_service,
        [
            "The city council voted 7 to 4 on Monday night to approve construction of a movable tidal barrier [1]. "
            "The mayor resigned after the vote [2].\nSHORT: 7 to 4"
        ],
    )
    answer = svc.ask("How did the Port Calder city council vote on the tidal barrier?", generator="llm")
    assert answer.generator == "llm" and not answer.fallback
    assert "7 to 4" in answer.answer and "resigned" not in answer.answer
    kept = [s for s in answer.sentences if s.supported]
    dropped = [s for s in answer.sentences if not s.supported]
    assert len(kept) == 1 and len(dropped) == 1 and not dropped[0].citations and dropped[0].reason
    assert answer.short_answer == "7 to 4"
    assert_verbatim(svc, answer.citations)
    assert "The city council voted 7 to 4" in kept[0].citations[0].quote


def test_nothing_supported_falls_back_to_extractive(answer_service: NewsQA) -> None:
    svc = scripted(answer_service, ["Kestrel Marine was founded on the Moon in 1802 [1].\nSHORT: the Moon"])
    answer = svc.ask("Which company will build the Port Calder tidal barrier?", generator="llm")
    assert answer.fallback and answer.short_answer == "Kestrel Marine Engineering"
    assert "Moon" not in answer.answer
    assert all(s.supported for s in answer.sentences)
    assert_verbatim(svc, answer.citations)


def test_stream_releases_only_verified_sentences(answer_service: NewsQA) -> None:
    svc = scripted(
        answer_service,
        [
            "Crews from Kestrel Marine Engineering drove the first steel pile into the seabed at Gullhaven Point "
            "on Tuesday morning [1]. It was a sunny day [1].\nSHORT: Gullhaven Point"
        ],
    )
    events = list(svc.ask_stream("Where was the first steel pile of the Port Calder barrier driven?", generator="llm"))
    final = Answer.model_validate(events[-1]["data"])
    deltas = "".join(e["data"]["text"] for e in events[:-1])
    assert deltas == final.answer and "sunny" not in deltas and "Gullhaven Point" in deltas
    assert_verbatim(svc, final.citations)


class _Probed(FakeListChatModel):
    """A scripted model that runs ``probe`` each time it is asked, before it answers."""

    probe: Any = None

    def _call(self, *args: Any, **kwargs: Any) -> str:
        self.probe()
        return super()._call(*args, **kwargs)

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        self.probe()
        yield from super()._stream(*args, **kwargs)


@pytest.mark.parametrize("stream", [False, True])
def test_passages_are_not_embedded_to_verify_an_answer(answer_service: NewsQA, stream: bool) -> None:
    """The passages' sentence vectors come from the store (qa/sentence_worker.py computed them after ingest), and
    their indexes are built while the model writes: verifying its answer embeds only the answer's sentences."""
    assert answer_service.sentence_vectors.wait_idle(300), "the articles' sentence vectors were not computed"
    svc = llm_copy(answer_service, llm_base_url="http://127.0.0.1:9/v1")
    encoded: list[str] = []
    encoder = minilm()

    class Recording:
        id, dim = encoder.id, encoder.dim

        def embed(self, texts: list[str]) -> Any:
            encoded.extend(texts)
            return encoder.embed(texts)

    svc.engine._verifier = GroundingVerifier(Recording())  # type: ignore[arg-type]
    before: list[str] = []

    def probe() -> None:
        svc.engine._indexer.submit(lambda: None).result()  # the background job started before the model is done
        before.extend(encoded)

    reply = "Kestrel Marine Engineering is the firm building the Port Calder tidal barrier [1].\nSHORT: Kestrel"
    svc.engine._llm = LLMGenerator(svc.settings, model=_Probed(responses=[reply], probe=probe))
    question = "Which company will build the Port Calder tidal barrier?"
    if stream:
        list(svc.ask_stream(question, generator="llm"))
    else:
        svc.ask(question, generator="llm")
    assert before == [], "a passage was embedded while the model wrote"
    assert len(encoded) == 1 and "is the firm building" in encoded[0], encoded  # the answer's one sentence


def test_llm_briefing_keeps_verified_bullets_or_falls_back(answer_service: NewsQA) -> None:
    article = next(a for a in answer_service.list_articles()[0] if "Recalls 38,000" in a.title)
    body = answer_service.get_article(article.id).body
    first, second, third = (s.strip() for s in body.split("\n\n")[:3])
    svc = scripted(
        answer_service,
        [
            f"TITLE: Voltmere recall\n- {first.split('. ')[0]} [1]\n- {second.split('. ')[0]} [1]\n"
            f"- {third.split('. ')[0]} [1]\n- Voltmere will give every owner a free car [1]"
        ],
    )
    briefing = svc.brief(article_ids=[article.id], generator="llm")
    assert briefing.generator == "llm" and briefing.title == "Voltmere recall"
    assert len(briefing.bullets) == 3 and not any("free car" in b.text for b in briefing.bullets)
    for b in briefing.bullets:
        assert_verbatim(svc, b.citations)
    svc = scripted(answer_service, ["TITLE: Nonsense\n- Pigs can fly [1]"])
    fallback = svc.brief(article_ids=[article.id], generator="llm")
    assert fallback.generator == "extractive" and 3 <= len(fallback.bullets) <= 8


def test_prompt_and_parsing() -> None:
    text = render(load_prompt("answer"), question="Q?", today="2025-01-01", sources="[1] T\nbody")
    assert "{{" not in text and "<!--" not in text and "[1] T" in text
    with pytest.raises(KeyError):
        render(load_prompt("briefing"), topic="x")
    parts = split_cited("Voltmere recalled units [1][2]. It apologised [3, 9].\n[1]", 3)
    assert [p.text for p in parts] == ["Voltmere recalled units.", "It apologised."]
    assert parts[0].source_numbers == [1, 2] and parts[1].source_numbers == [3, 1]


def test_max_tokens_is_always_sent() -> None:
    model = chat_model(Settings(llm_base_url="http://127.0.0.1:9/v1", llm_model="smollm2", llm_max_tokens=77))
    payload = model._get_request_payload("hello")
    assert payload["max_tokens"] == 77 and "max_completion_tokens" not in payload


# --- a real local OpenAI-compatible server ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_llm(answer_service: NewsQA, llm_server: str) -> NewsQA:
    from tests.llm_server import MODEL_ALIAS

    svc = llm_copy(
        answer_service,
        llm_base_url=llm_server,
        llm_model=MODEL_ALIAS,
        llm_max_tokens=80,
        llm_context_tokens=600,
        llm_timeout_s=180,
        k=4,
    )
    try:
        svc.engine.verifier.verify_claims(["The council voted."], ["The council voted on Monday."])
    except (FileNotFoundError, ValueError) as exc:  # weights missing or fitted on other features
        pytest.skip(f"the grounding verifier is not usable here yet: {exc}")
    return svc


def assert_llm_answer(svc: NewsQA, answer: Answer) -> None:
    assert_verbatim(svc, answer.citations)
    for s in answer.sentences:
        assert_verbatim(svc, s.citations)
        if s.supported:
            assert s.citations and s.text in answer.answer
        else:
            assert not s.citations and s.text not in answer.answer
    if answer.fallback:
        assert all(s.supported for s in answer.sentences)


@pytest.mark.llm
def test_real_llm_answer_keeps_only_verified_sentences(real_llm: NewsQA) -> None:
    answer = real_llm.ask("Who is the general secretary of the Rail Transit Workers Union?", generator="llm")
    assert answer.generator == "llm"
    assert_llm_answer(real_llm, answer)


@pytest.mark.llm
def test_real_llm_stream(real_llm: NewsQA) -> None:
    events = list(real_llm.ask_stream("How much did Voltmere's Bramford plant cost to build?", generator="llm"))
    final = Answer.model_validate(events[-1]["data"])
    assert "".join(e["data"]["text"] for e in events[:-1]) == final.answer
    assert_llm_answer(real_llm, final)


@pytest.mark.llm
def test_real_llm_briefing(real_llm: NewsQA) -> None:
    article = next(a for a in real_llm.list_articles()[0] if "Rail Workers Accept Deal" in a.title)
    briefing = real_llm.brief(article_ids=[article.id], generator="llm")
    assert 3 <= len(briefing.bullets) <= 8
    for b in briefing.bullets:
        assert b.citations and b.supported
        assert_verbatim(real_llm, b.citations)
