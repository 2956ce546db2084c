"""OpenAI-compatible chat: ``GET /v1/models`` and ``POST /v1/chat/completions`` over the grounded answerer.

Any OpenAI SDK or chat front end can point its base URL here. The answer is the same as ``/v1/ask`` gives for
the conversation's (standalone) question; its citations travel as ``[n]`` markers plus a Sources list in the
content, and structured in ``message.citations`` / ``citations``. Errors use OpenAI's ``{"error": {...}}`` shape.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from api.chat import Completion, answer_text_of, count_tokens
from api.deps import AppSettings, Service, llm_enabled
from api.openai_schemas import (
    MODEL_DEFAULT,
    MODEL_LLM,
    ChatCompletion,
    ChatCompletionChunk,
    ChatRequest,
    ModelCard,
    ModelList,
    OpenAIError,
    openai_error_body,
)
from api.routes.ask import END, next_event
from qa.config import Settings
from qa.conversation import ChatTurn, Scope, narrow
from qa.errors import InvalidInput, NotFound, QAError
from qa.service import NewsQA

router = APIRouter(prefix="/v1", tags=["chat"])

# Fixed, so /v1/models answers the same on every call and every process.
MODELS_CREATED = 1_735_689_600  # 2025-01-01


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    text = {
        400: "Invalid request (OpenAI error shape)",
        401: "Missing or invalid API key",
        404: "Unknown model",
        413: "Request body over QA_MAX_UPLOAD_BYTES",
        503: "Store, models or LLM not available",
    }
    return {s: {"model": OpenAIError, "description": text[s]} for s in statuses}


class UnknownModel(NotFound):
    code = "model_not_found"  # what OpenAI's API answers, and clients look for


def models(settings: Settings) -> list[str]:
    return [MODEL_DEFAULT, MODEL_LLM] if llm_enabled(settings) else [MODEL_DEFAULT]


@router.get("/models", response_model=ModelList, summary="List models", responses=_errors(401))
def list_models(settings: AppSettings) -> ModelList:
    """`newsqa` answers with the default generator; `newsqa-llm` (when an LLM endpoint is configured) with it."""
    return ModelList(data=[ModelCard(id=m, created=MODELS_CREATED) for m in models(settings)])


@router.get("/models/{model}", response_model=ModelCard, summary="Retrieve a model", responses=_errors(401, 404))
def get_model(model: str, settings: AppSettings) -> ModelCard:
    if model not in models(settings):
        raise UnknownModel(f"the model {model!r} does not exist; use one of {models(settings)}")
    return ModelCard(id=model, created=MODELS_CREATED)


def _turns(body: ChatRequest) -> tuple[list[ChatTurn], list[str]]:
    """User and assistant turns (our own earlier answers without markers and Sources), and the system texts."""
    turns: list[ChatTurn] = []
    system: list[str] = []
    for m in body.messages:
        if m.role in ("system", "developer"):
            system.append(m.text())
        elif m.role == "user":
            turns.append(ChatTurn("user", m.text()))
        elif m.role == "assistant":
            turns.append(ChatTurn("assistant", answer_text_of(m.text())))
    if not turns or turns[-1].role != "user" or not turns[-1].text.strip():
        raise InvalidInput("the last message must be the user's question, as text")
    return turns, system


def _start(body: ChatRequest, svc: NewsQA, settings: Settings) -> tuple[Completion, Iterator[dict[str, Any]]]:
    """Resolve the question and scope, and start the core's answer stream (checks run before any output)."""
    if body.model not in models(settings):
        raise UnknownModel(f"the model {body.model!r} does not exist; use one of {models(settings)}")
    turns, system = _turns(body)
    scope = narrow(Scope(filters=body.filters, today=body.today), system)
    rewrite = svc.standalone_question(turns)
    generator = "llm" if body.model == MODEL_LLM else None
    events = svc.ask_stream(rewrite.question, today=scope.today, k=body.k, filters=scope.filters, generator=generator)
    events = _primed(events)
    prompt_tokens = sum(count_tokens(m.text()) for m in body.messages)
    return Completion(model=body.model, question=rewrite.question, prompt_tokens=prompt_tokens), events


def _primed(events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The same events, the first already pulled: retrieval (and any error it raises) happens before a stream
    answers 200, as on /v1/ask."""
    first = next(events, END)
    if first is END:
        return iter(())
    return _resume(first, events)


def _resume(first: dict[str, Any], events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield first
    yield from events  # closing this generator closes the core's too


def _sse(chunk: ChatCompletionChunk) -> str:
    """One chunk as OpenAI sends it: absent fields left out of the chunk and its deltas (not out of citations,
    which keep the same shape as everywhere else)."""
    data = {k: v for k, v in chunk.model_dump(mode="json").items() if v is not None}
    for choice in data["choices"]:
        choice["delta"] = {k: v for k, v in choice["delta"].items() if v is not None}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


async def _relay(chunks: Iterator[ChatCompletionChunk]) -> AsyncIterator[str]:
    """Chunks as OpenAI's stream sends them, ending with ``data: [DONE]``; a failure after the stream started can
    only be reported in-band, as an error object (what OpenAI's SDKs raise on)."""
    try:
        while (chunk := await run_in_threadpool(next_event, chunks)) is not END:
            yield _sse(chunk)
    except QAError as exc:
        yield f"data: {json.dumps(openai_error_body(exc.status, exc.detail, code=exc.title.lower().replace(' ', '_')))}\n\n"
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()
    yield "data: [DONE]\n\n"


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    response_model_exclude_none=False,
    summary="Chat completion (OpenAI-compatible)",
    responses={
        **_errors(400, 401, 404, 413, 503),
        200: {
            "description": "A `chat.completion`, or with `stream: true` `chat.completion.chunk`s as Server-Sent "
            "Events (`data: {...}` lines) ending with `data: [DONE]`.",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        },
    },
)
async def chat_completions(body: ChatRequest, svc: Service, settings: AppSettings) -> Any:
    """The grounded answer to the conversation's last user message, with OpenAI's request and response shapes.

    - **Follow-ups** ("why?", "who was he meeting?", "and in 2023?") are rewritten into a standalone question
      from the earlier turns (returned as `question`).
    - **Citations**: `content` has `[n]` markers and a "Sources:" list; `message.citations` and `citations` hold
      the same citation objects as `/v1/ask` (`citations[i]` is marker `[i+1]`). `answerable: false` marks an
      abstention ("The articles don't say ...").
    - **Optional fields**: `today` (YYYY-MM-DD), `filters` (as `/v1/ask`), `k`. Other OpenAI fields
      (`temperature`, `top_p`, `user`, ...) are accepted and ignored; only `n: 1` is supported.
    - **System messages** are never instructions to the answerer; their lines `source: NAME`,
      `since: YYYY-MM-DD`, `until: YYYY-MM-DD`, `today: YYYY-MM-DD` narrow what is searched, other lines are ignored.
    """
    completion, events = await run_in_threadpool(_start, body, svc, settings)
    if not body.stream:
        return await run_in_threadpool(completion.complete, events)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    return StreamingResponse(_relay(completion.stream(events, include_usage)), media_type="text/event-stream")
