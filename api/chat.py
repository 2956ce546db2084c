"""The grounded answer as an OpenAI chat completion: content with ``[n]`` markers and a Sources list, plus the
structured citations, built once from the core's answer stream so streamed and non-streamed text are equal.

The core (:meth:`qa.service.NewsQA.ask_stream`) yields text deltas, the ones that complete a sentence carrying
that sentence with its citations, then the whole :class:`qa.models.Answer`. :class:`CitedText` numbers each
distinct quote on first use; the Sources block lists them in that order, so ``citations[i]`` is marker ``[i+1]``.
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from api.openai_schemas import (
    ChatCompletion,
    ChatCompletionChunk,
    ChatMessageOut,
    Choice,
    ChunkChoice,
    Delta,
    Usage,
)
from qa.chunking import encoding
from qa.models import Answer, AnswerSentence, Citation

SOURCES_HEADING = "Sources:"
# What an earlier assistant turn of ours looks like to the follow-up resolver: markers and the Sources block go.
_MARKERS = re.compile(r"\s*\[\d+\]")


def answer_text_of(content: str) -> str:
    """An assistant message's answer sentences without our ``[n]`` markers and Sources list."""
    body = content.split("\n\n" + SOURCES_HEADING, 1)[0]
    return _MARKERS.sub("", body).strip()


def count_tokens(text: str) -> int:
    return len(encoding().encode(text, disallowed_special=()))


@dataclass
class CitedText:
    """Content built piece by piece: each sentence gets the markers of its citations."""

    citations: list[Citation] = field(default_factory=list)
    _numbers: dict[tuple[str, int, int], int] = field(default_factory=dict)
    text: str = ""

    def add(self, piece: str, sentence: AnswerSentence | None) -> tuple[str, list[Citation]]:
        """The piece as shown (with markers) and the citations it completes."""
        cited: list[Citation] = []
        if sentence is not None:
            for c in sentence.citations:
                key = (c.article_id, c.start, c.end)
                if key not in self._numbers:
                    self._numbers[key] = len(self.citations) + 1
                    self.citations.append(c)
                if c not in cited:
                    cited.append(c)
            markers = "".join(f"[{self._numbers[(c.article_id, c.start, c.end)]}]" for c in cited)
            piece = f"{piece} {markers}" if markers else piece
        self.text += piece
        return piece, cited

    def sources_block(self) -> str:
        """The Sources list a plain chat UI shows: number, title, date, URL and the quote."""
        if not self.citations:
            return ""
        lines = [f"\n\n{SOURCES_HEADING}"]
        for n, c in enumerate(self.citations, 1):
            head = ", ".join(x for x in (c.title, c.published_at.isoformat() if c.published_at else None, c.url) if x)
            lines.append(f"[{n}] {head}: “{c.quote}”")
        block = "\n".join(lines)
        self.text += block
        return block


@dataclass
class Completion:
    """One chat completion being produced: identifiers, the question that was answered and the usage count."""

    model: str
    question: str
    prompt_tokens: int
    id: str = field(default_factory=lambda: f"chatcmpl-{uuid.uuid4().hex}")
    created: int = field(default_factory=lambda: int(time.time()))

    def usage(self, content: str) -> Usage:
        completion = count_tokens(content)
        return Usage(
            prompt_tokens=self.prompt_tokens, completion_tokens=completion, total_tokens=self.prompt_tokens + completion
        )

    def chunk(self, delta: Delta, **fields: Any) -> ChatCompletionChunk:
        finish = fields.pop("finish_reason", None)
        return ChatCompletionChunk(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[ChunkChoice(delta=delta, finish_reason=finish)],
            **fields,
        )

    def stream(self, events: Iterator[dict[str, Any]], include_usage: bool) -> Iterator[ChatCompletionChunk]:
        """``chat.completion.chunk``s: the role, a piece per sentence with its citations, the Sources list, a
        last chunk with ``finish_reason`` and all citations, and the usage chunk when asked for."""
        yield self.chunk(Delta(role="assistant", content=""))
        content = CitedText()
        answer: Answer | None = None
        for event in events:
            if event["event"] == "delta":
                piece, cited = content.add(event["data"]["text"], event.get("sentence"))
                yield self.chunk(Delta(content=piece, citations=cited or None))
            elif event["event"] == "answer":
                answer = event["data"] if isinstance(event["data"], Answer) else Answer(**event["data"])
        assert answer is not None, "the answer stream ended without its answer"
        block = content.sources_block()
        if block:
            yield self.chunk(Delta(content=block))
        yield self.chunk(
            Delta(),
            finish_reason="stop",
            citations=content.citations,
            answerable=answer.answerable,
            short_answer=answer.short_answer,
            question=self.question,
        )
        if include_usage:
            last = self.chunk(Delta())
            last.choices = []
            last.usage = self.usage(content.text)
            yield last

    def complete(self, events: Iterator[dict[str, Any]]) -> ChatCompletion:
        """The non-streamed completion: the same chunks, joined."""
        text, citations, last = "", [], None
        for chunk in self.stream(events, include_usage=False):
            if chunk.choices:
                text += chunk.choices[0].delta.content or ""
            last = chunk
        assert last is not None and last.answerable is not None
        citations = last.citations or []
        grounding = {
            "citations": citations,
            "answerable": last.answerable,
            "short_answer": last.short_answer,
            "question": self.question,
        }
        return ChatCompletion(
            id=self.id,
            created=self.created,
            model=self.model,
            choices=[Choice(message=ChatMessageOut(content=text, **grounding))],
            usage=self.usage(text),
            **grounding,
        )
