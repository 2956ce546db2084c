"""The chat endpoint as clients use it: the official ``openai`` SDK and LangChain's ``ChatOpenAI`` pointed at a
real ``qa serve`` (uvicorn on 127.0.0.1) over the demo corpus, with auth on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.servers import qa_server

pytestmark = pytest.mark.server

KEY = "chat-key"
QUESTION = "How many HX-9 batteries did Voltmere recall?"


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with qa_server(tmp_path_factory.mktemp("chat") / "data", "--load-demo", env={"QA_API_KEYS": KEY}) as base:
        yield f"{base}/v1"


@pytest.fixture
def client(base_url: str) -> Any:
    from openai import OpenAI

    return OpenAI(base_url=base_url, api_key=KEY, max_retries=0, timeout=120)


def verbatim(base_url: str, citations: list[dict[str, Any]]) -> None:
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {KEY}"}, timeout=60) as http:
        for c in citations:
            body = http.get(f"/articles/{c['article_id']}").json()["body"]
            assert body[c["start"] : c["end"]] == c["quote"]


def test_openai_sdk_completion_keeps_citations(client: Any, base_url: str) -> None:
    models = [m.id for m in client.models.list()]
    assert models == ["newsqa"]
    completion = client.chat.completions.create(
        model="newsqa", messages=[{"role": "user", "content": QUESTION}], temperature=0, user="tester"
    )
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "stop"
    assert "Sources:" in message.content and "[1]" in message.content
    # The structured fields come through the SDK's objects (pydantic extras).
    citations = message.model_extra["citations"]
    assert citations and citations == completion.model_extra["citations"]
    assert message.model_extra["answerable"] is True
    verbatim(base_url, citations)
    assert completion.usage.total_tokens == completion.usage.prompt_tokens + completion.usage.completion_tokens


def test_openai_sdk_stream_equals_completion(client: Any) -> None:
    messages = [{"role": "user", "content": QUESTION}]
    whole = client.chat.completions.create(model="newsqa", messages=messages)
    text, citations, usage = "", None, None
    stream = client.chat.completions.create(
        model="newsqa", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        if not chunk.choices:
            continue
        text += chunk.choices[0].delta.content or ""
        if chunk.choices[0].finish_reason == "stop":
            citations = chunk.model_extra["citations"]
    assert text == whole.choices[0].message.content
    assert citations == whole.model_extra["citations"]
    assert usage is not None and usage.completion_tokens == whole.usage.completion_tokens


def test_openai_sdk_follow_up(client: Any) -> None:
    first = client.chat.completions.create(
        model="newsqa", messages=[{"role": "user", "content": "Who is the chief executive of Voltmere Energy Systems?"}]
    )
    standalone = client.chat.completions.create(
        model="newsqa", messages=[{"role": "user", "content": "What did Ingrid Solberg-Tate say about safety?"}]
    )
    follow = client.chat.completions.create(
        model="newsqa",
        messages=[
            {"role": "user", "content": "Who is the chief executive of Voltmere Energy Systems?"},
            {"role": "assistant", "content": first.choices[0].message.content},
            {"role": "user", "content": "what did she say about safety?"},
        ],
    )
    assert follow.model_extra["question"] == "What did Ingrid Solberg-Tate say about safety?"
    assert follow.choices[0].message.content == standalone.choices[0].message.content


def test_openai_sdk_errors(base_url: str, client: Any) -> None:
    import openai

    with pytest.raises(openai.AuthenticationError) as no_key:
        openai.OpenAI(base_url=base_url, api_key="wrong", max_retries=0).models.list()
    assert no_key.value.body["code"] == "invalid_api_key"
    with pytest.raises(openai.NotFoundError) as no_model:
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": QUESTION}])
    assert no_model.value.body["code"] == "model_not_found"
    with pytest.raises(openai.BadRequestError) as bad:
        client.chat.completions.create(model="newsqa", messages=[{"role": "user", "content": QUESTION}], n=3)
    assert bad.value.body["param"] == "n"


def test_langchain_chat_openai(base_url: str) -> None:
    from langchain_openai import ChatOpenAI

    chat = ChatOpenAI(base_url=base_url, api_key=KEY, model="newsqa", max_retries=0, timeout=120)
    reply = chat.invoke(QUESTION)
    assert "Sources:" in reply.content and "[1]" in reply.content
    streamed = "".join(str(part.content) for part in chat.stream(QUESTION))
    assert streamed == reply.content


@pytest.mark.llm
def test_the_llm_model_answers_verified(tmp_path: Any, llm_server: str) -> None:
    """``newsqa-llm`` (a real local SmolLM2 server): only verified sentences or the extractive fallback come back,
    every citation verbatim."""
    from openai import OpenAI

    from tests.llm_server import MODEL_ALIAS

    env = {"QA_LLM_BASE_URL": llm_server, "QA_LLM_MODEL": MODEL_ALIAS, "QA_LLM_MAX_TOKENS": "120"}
    with qa_server(tmp_path / "data", "--load-demo", env=env) as base:
        client = OpenAI(base_url=f"{base}/v1", api_key="none", max_retries=0, timeout=300)
        assert [m.id for m in client.models.list()] == ["newsqa", "newsqa-llm"]
        completion = client.chat.completions.create(
            model="newsqa-llm", messages=[{"role": "user", "content": QUESTION}]
        )
        citations = completion.model_extra["citations"]
        assert completion.choices[0].finish_reason == "stop" and citations
        with httpx.Client(base_url=f"{base}/v1", timeout=60) as http:
            for c in citations:
                body = http.get(f"/articles/{c['article_id']}").json()["body"]
                assert body[c["start"] : c["end"]] == c["quote"]
