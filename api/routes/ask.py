"""Questions: a grounded answer as JSON, or streamed as Server-Sent Events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter, Request
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.concurrency import run_in_threadpool

from api.deps import AppSettings, Service, check_limits, problems
from api.errors import problem_body
from api.schemas import ASK_EVENT_SCHEMA, AskRequest
from qa.errors import QAError
from qa.models import Answer

router = APIRouter(prefix="/v1", tags=["questions"])

END = object()  # the end of a core event stream, as seen from the thread pool

SSE_EXAMPLE = (
    'event: delta\ndata: {"text": "At midnight on Wednesday, the State Department announced "}\n\n'
    'event: delta\ndata: {"text": "that it had been canceled."}\n\n'
    'event: answer\ndata: {"question": "Why was the Pompeo meeting cancelled?", "answer": "...", '
    '"answerable": true, "citations": [...], "sentences": [...]}\n\n'
)


def wants_stream(request: Request, body: AskRequest) -> bool:
    return body.stream or "text/event-stream" in request.headers.get("accept", "")


def next_event(events: Iterator[Any]) -> Any:
    # StopIteration can't cross the thread-pool boundary, so the end of the stream is a sentinel.
    return next(events, END)


def _sse(event: dict[str, Any]) -> ServerSentEvent:
    return ServerSentEvent(event=event["event"], data=json.dumps(event["data"], ensure_ascii=False, default=str))


async def _event_stream(first: Any, events: Iterator[dict[str, Any]], path: str) -> Any:
    """Relay the core's events; an error after the stream started can only be reported as an `error` event."""
    item = first
    try:
        while item is not END:
            yield _sse(item)
            item = await run_in_threadpool(next_event, events)
    except QAError as exc:
        body = problem_body(exc.status, exc.title, exc.detail, instance=path)
        yield ServerSentEvent(event="error", data=json.dumps(body))
    finally:
        close = getattr(events, "close", None)
        if close is not None:  # a client that hung up leaves the core's generator half-way: release it
            close()


@router.post(
    "/ask",
    response_model=Answer,
    summary="Ask a question",
    responses={
        **problems(400, 404, 413, 422, 503),
        200: {
            "description": "The answer (JSON), or with `Accept: text/event-stream` or `stream: true` an SSE stream: "
            "`delta` events `{text}` as the answer is produced, then one `answer` event with the full answer "
            "(citations and grounding verdicts). A failure after the stream started is an `error` event "
            "carrying a problem object.",
            "content": {"text/event-stream": {"schema": ASK_EVENT_SCHEMA, "example": SSE_EXAMPLE}},
        },
    },
)
async def ask(body: AskRequest, request: Request, svc: Service, settings: AppSettings) -> Any:
    """Answer from the stored articles. Every sentence is checked against the cited article text:
    `sentences[].supported` is the verdict, `citations[].quote == article.body[start:end]`. When the articles
    don't contain the answer, `answerable` is false. The JSON of `qa ask --json`, plus `question`."""
    check_limits(settings, body)
    args = {
        "today": body.today,
        "k": body.k,
        "filters": body.filters,
        "generator": body.generator,
        "explain": body.explain,
    }
    if not wants_stream(request, body):
        return await run_in_threadpool(svc.ask, body.question, **args)
    # The core validates when the stream is made, and the first event is pulled before answering 200, so a
    # request that fails early still gets its problem+json status instead of a stream.
    events = await run_in_threadpool(svc.ask_stream, body.question, **args)
    first = await run_in_threadpool(next_event, events)
    return EventSourceResponse(_event_stream(first, events, request.url.path), ping=15)
