"""Request and response bodies of the OpenAI-compatible routes (``/v1/models``, ``/v1/chat/completions``).

The shapes follow OpenAI's Chat Completions API so its SDKs and chat front ends work unchanged. Fields the
service understands are typed (a wrong type is a 400 in OpenAI's error shape); any other field a client sends
(``temperature``, ``top_p``, ``user``, ``seed`` ...) is accepted and ignored, as OpenAI-compatible servers do.
The grounding survives in extra fields that the SDKs pass through: ``message.citations``, ``citations``,
``answerable`` (see ``api/README.md``, "OpenAI-compatible chat").
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas import Day, FiltersIn, Passages
from qa.models import Citation

MODEL_DEFAULT = "newsqa"
MODEL_LLM = "newsqa-llm"


class ContentPart(BaseModel):
    """One part of a multi-part message; only ``text`` parts carry a question (others are ignored)."""

    model_config = ConfigDict(extra="allow")

    type: str
    text: str | None = None


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool | None = Field(None, strict=True)


class ChatRequest(BaseModel):
    """A chat completion request. The last message must be the user's question; earlier turns resolve
    follow-ups ("why?", "who was he meeting?"); a system message may narrow sources or dates (its
    ``key: value`` lines, see the route's description) and is never an instruction to the answerer."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_DEFAULT,
                    "messages": [
                        {"role": "user", "content": "Which company will build the Port Calder tidal barrier?"}
                    ],
                }
            ]
        },
    )

    model: str = Field(..., min_length=1, max_length=200, examples=[MODEL_DEFAULT])
    messages: list[ChatMessageIn] = Field(..., min_length=1, max_length=200)
    stream: bool | None = Field(None, strict=True)
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=1, strict=True)] | None = Field(None, description="Only 1 is supported.")
    today: Day | None = Field(None, description="The question's date (YYYY-MM-DD): later articles are not used.")
    filters: FiltersIn | None = None
    k: Passages | None = Field(None, description="Passages to retrieve (default QA_K).")


# --- responses ---------------------------------------------------------------------------------------------------
class Grounding(BaseModel):
    """What the service adds to OpenAI's message: the structured citations and the answer's verdicts."""

    citations: list[Citation] = Field(
        default_factory=list,
        description="The quotes behind the answer, in marker order: citations[i] is marker [i+1] in content.",
    )
    answerable: bool = Field(..., description="False when the articles don't answer (content says so).")
    short_answer: str | None = None
    question: str = Field(..., description="The standalone question that was answered (after follow-up rewriting).")


class ChatMessageOut(Grounding):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class Choice(BaseModel):
    index: int = 0
    message: ChatMessageOut
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(Grounding):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: Usage
    system_fingerprint: str | None = None


class Delta(BaseModel):
    role: Literal["assistant"] | None = None
    content: str | None = None
    citations: list[Citation] | None = Field(
        None, description="Citations of the sentence this piece completes (all of them again in the last chunk)."
    )


class ChunkChoice(BaseModel):
    index: int = 0
    delta: Delta
    finish_reason: Literal["stop"] | None = None
    logprobs: None = None


class ChatCompletionChunk(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    usage: Usage | None = None
    citations: list[Citation] | None = None
    answerable: bool | None = None
    short_answer: str | None = None
    question: str | None = None
    system_fingerprint: str | None = None


class ModelCard(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "newsqa"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelCard]


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str = Field(..., examples=["invalid_request_error"])
    param: str | None = None
    code: str | None = Field(None, examples=["invalid_api_key"])


class OpenAIError(BaseModel):
    """OpenAI's error shape, used on the OpenAI-compatible routes (clients parse it)."""

    error: OpenAIErrorDetail


def openai_error_body(
    status: int, message: str, *, code: str | None = None, param: str | None = None, **extra: Any
) -> dict[str, Any]:
    kind = {401: "authentication_error", 403: "permission_error", 404: "invalid_request_error", 429: "rate_limit_error"}
    error_type = kind.get(status, "invalid_request_error" if status < 500 else "server_error")
    return {"error": {"message": message, "type": error_type, "param": param, "code": code, **extra}}
