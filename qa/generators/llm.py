"""The LLM generator: any OpenAI-compatible chat endpoint through ``langchain-openai``.

Prompts come from ``prompts/answer.md`` and ``prompts/briefing.md``; sources are numbered in the prompt and
the model's ``[n]`` citations are parsed back. What the model writes is only a proposal: the answer engine
maps citations to verbatim quotes and verifies every sentence before anything is returned.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from langchain_openai import ChatOpenAI

from qa.chunking import encoding
from qa.config import Settings
from qa.errors import LLMUnavailable
from qa.generators.base import Draft, DraftSentence, Source
from qa.injection import without_injections
from qa.prompts import load_prompt, render
from qa.reasons import Reason
from qa.text import sentence_spans

_CITE = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_SHORT = re.compile(r"^\s*SHORT\s*:\s*(.*)$", re.IGNORECASE | re.MULTILINE)
_TITLE = re.compile(r"^\s*\**TITLE\**\s*:\s*(.+)$", re.IGNORECASE | re.MULTILINE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d{1,2}[.)])\s+(.+)$", re.MULTILINE)
_NEW_API = re.compile(r"^(?:o\d|gpt-5)")


class _ChatModel(ChatOpenAI):
    """ChatOpenAI that sends ``max_tokens``: langchain-openai renames it to ``max_completion_tokens``, which
    only OpenAI's newest models require and which llama.cpp, vLLM and others ignore (no length limit)."""

    def _get_request_payload(self, input_: Any, *, stop: list[str] | None = None, **kwargs: Any) -> dict[str, Any]:
        payload = super()._get_request_payload(input_, stop=stop, **kwargs)
        if "max_completion_tokens" in payload and not _NEW_API.match(self.model_name or ""):
            payload["max_tokens"] = payload.pop("max_completion_tokens")
        return payload


def chat_model(settings: Settings) -> ChatOpenAI:
    return _ChatModel(
        base_url=settings.llm_base_url,
        api_key=settings.llm_key() or "not-needed",  # local servers take any key
        model=settings.llm_model,
        max_tokens=settings.llm_max_tokens,
        temperature=settings.llm_temperature,
        timeout=settings.llm_timeout_s,
        max_retries=1,
    )


def endpoint_failure(exc: BaseException, settings: Settings) -> LLMUnavailable:
    """The error a user sees when the endpoint fails: where, what happened in plain words, and the error that says so.

    The clients wrap the transport error (langchain's OpenAIConnectionError around openai's APIConnectionError around
    an httpx/httpx2 ConnectError), so the chain is searched, by class name since the OpenAI client vendors its own
    httpx."""
    timeout = f"did not answer within {settings.llm_timeout_s:g} s (QA_LLM_TIMEOUT_S)"
    reasons = (
        (
            "ConnectError",
            "is not answering: nothing is listening there (if an LLM server ran there, it may have crashed)",
        ),
        ("RemoteProtocolError", "closed the connection without answering (did the server crash mid-request?)"),
        ("TimeoutException", timeout),
        ("APITimeoutError", timeout),
        ("AuthenticationError", "refused the API key (QA_LLM_API_KEY or OPENAI_API_KEY)"),
        ("NotFoundError", f"has no model {settings.llm_model!r}, or no OpenAI-compatible API at that URL"),
        ("APIStatusError", "answered with an error"),
    )
    chain: list[BaseException] = [exc]
    while len(chain) < 10 and (chain[-1].__cause__ or chain[-1].__context__) is not None:
        chain.append(chain[-1].__cause__ or chain[-1].__context__)  # type: ignore[arg-type]
    where = f"the LLM endpoint at {settings.llm_base_url}"
    for name, reason in reasons:
        for error in chain:
            if any(kind.__name__ == name for kind in type(error).__mro__):
                return LLMUnavailable(f"{where} {reason} ({type(error).__name__}: {error})")
    return LLMUnavailable(f"{where} failed: {type(exc).__name__}: {exc}")


def numbered_sources(sources: list[Source], budget: int, unit: str = "chunk") -> str:
    """``[n] title (date)`` blocks in order, cut to ``budget`` tokens in all (cl100k counts)."""
    enc = encoding()
    per = max(64, budget // max(1, len(sources)))
    blocks, used = [], 0
    for src in sources:
        head = f"[{src.number}] {src.article.title}"
        if src.article.published_at:
            head += f" ({src.article.published_at.isoformat()})"
        passage = without_injections(src.article.body, src.hit.start, src.hit.end)
        tokens = enc.encode_ordinary(passage)
        room = min(per, budget - used)
        if room <= 16:
            break
        text = enc.decode(tokens[:room]) if len(tokens) > room else passage
        used += min(len(tokens), room)
        blocks.append(f"{head}\n{text}")
    return "\n\n".join(blocks)


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    text = re.sub(r"\s+([.,;:!?])", r"\1", text)
    return text.strip(" *")


def split_cited(text: str, n_sources: int) -> list[DraftSentence]:
    """Sentences with their ``[n]`` citations removed and recorded (numbers outside 1..n ignored)."""
    out = []
    for a, b in sentence_spans(text):
        raw = text[a:b]
        numbers: list[int] = []
        for m in _CITE.finditer(raw):
            numbers += [int(x) for x in re.split(r"\s*[,;]\s*", m.group(1)) if 1 <= int(x) <= n_sources]
        clean = _clean(_CITE.sub("", raw))
        if re.search(r"\w", clean):
            out.append(DraftSentence(text=clean, source_numbers=list(dict.fromkeys(numbers))))
        elif numbers and out:  # a citation that ended up alone after the period: it belongs to the sentence before
            out[-1].source_numbers = list(dict.fromkeys(out[-1].source_numbers + numbers))
    return out


class LLMGenerator:
    name = "llm"

    def __init__(self, settings: Settings, model: Any = None) -> None:
        self.settings = settings
        self.model = model if model is not None else chat_model(settings)

    def _prompt(self, question: str, sources: list[Source], today: dt.date | None) -> str:
        return render(
            load_prompt("answer"),
            question=question.strip(),
            today=today.isoformat() if today else "not given",
            sources=numbered_sources(sources, self.settings.llm_context_tokens),
        )

    def _call(self, prompt: str) -> str:
        try:
            reply = self.model.invoke(prompt)
        except Exception as exc:  # the client raises many types; to the caller they all mean "no LLM"
            raise endpoint_failure(exc, self.settings) from exc
        return reply.content if isinstance(reply.content, str) else str(reply.content)

    def answer(self, question: str, sources: list[Source], today: dt.date | None) -> Draft:
        if not sources:
            return Draft(sentences=[], answerable=False, reason=Reason.NO_EVIDENCE)
        return self.parse(self._call(self._prompt(question, sources, today)), len(sources))

    def stream_answer(self, question: str, sources: list[Source], today: dt.date | None) -> Iterator[str]:
        if not sources:
            return
        try:
            for chunk in self.model.stream(self._prompt(question, sources, today)):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        except Exception as exc:
            raise endpoint_failure(exc, self.settings) from exc

    def parse(self, reply: str, n_sources: int) -> Draft:
        m = _SHORT.search(reply)
        short = _clean(m.group(1)).strip(".\"'“”") if m else None
        body = reply[: m.start()] if m else reply
        body = re.sub(r"^\s*\**answer\**\s*:\s*", "", body, flags=re.IGNORECASE)
        if short and (short.lower() in ("none", "n/a", "insufficient", "unknown") or len(short.split()) > 12):
            short = None
        sentences = [d for d in split_cited(body, n_sources) if "INSUFFICIENT" not in d.text.upper()]
        reason = Reason.ANSWERED if sentences else Reason.NOT_SUPPORTED  # the model said the sources don't answer
        return Draft(sentences=sentences, short_answer=short, answerable=bool(sentences), reason=reason)

    def brief(self, title: str, sources: list[Source], max_bullets: int) -> Draft:
        prompt = render(
            load_prompt("briefing"),
            topic=title,
            max_bullets=str(max_bullets),
            sources=numbered_sources(sources, self.settings.llm_context_tokens),
        )
        return self.parse_briefing(self._call(prompt), len(sources), max_bullets)

    def parse_briefing(self, reply: str, n_sources: int, max_bullets: int) -> Draft:
        m = _TITLE.search(reply)
        bullets: list[DraftSentence] = []
        for b in _BULLET.finditer(reply):
            parts = split_cited(b.group(1), n_sources)
            if parts:
                numbers = list(dict.fromkeys(n for p in parts for n in p.source_numbers))
                bullets.append(DraftSentence(text=" ".join(p.text for p in parts), source_numbers=numbers))
        return Draft(sentences=bullets[:max_bullets], preface=_clean(m.group(1)) if m else None)

    def condense(self, conversation: str, follow_up: str) -> str | None:
        """The follow-up rewritten by the model as a standalone question, or None when its reply is not one
        line of question (the caller then falls back to the rules). Raises LLMUnavailable if the call fails."""
        reply = self._call(render(load_prompt("condense"), conversation=conversation, follow_up=follow_up))
        lines = [line.strip().strip('"“”') for line in reply.strip().splitlines() if line.strip()]
        if len(lines) != 1:
            return None
        question = re.sub(r"^(?:standalone\s+question|question)\s*:\s*", "", lines[0], flags=re.IGNORECASE)
        return question if 3 <= len(question) <= 4 * max(len(follow_up), 60) else None
