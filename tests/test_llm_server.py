"""The real local OpenAI-compatible server (llama-cpp-python + SmolLM2-135M) works with the clients we use.

These pin down facts the LLM path relies on, measured against the real server rather than a mock:
- any ``model`` name is served (the single loaded model) and echoed back;
- ``max_tokens`` is honoured, but ``max_completion_tokens`` -- what plain ``langchain_openai.ChatOpenAI(max_tokens=..)``
  sends since langchain-openai 1.x -- is silently IGNORED by llama-cpp-python 0.3.36: the reply then runs until the
  context is full (4074 tokens, ~5 minutes here). ``qa.generators.llm.chat_model`` rewrites it; keep it that way.
"""

from __future__ import annotations

import time

import pytest
from openai import OpenAI

from qa.config import Settings
from tests.llm_server import MODEL_ALIAS

pytestmark = pytest.mark.llm


def test_openai_client_chat_completion(llm_server: str) -> None:
    client = OpenAI(base_url=llm_server, api_key="sk-local", timeout=120)
    assert MODEL_ALIAS in [m.id for m in client.models.list().data]
    started = time.monotonic()
    reply = client.chat.completions.create(
        model=MODEL_ALIAS,
        messages=[{"role": "user", "content": "What is the capital of France? Answer in one sentence."}],
        max_tokens=30,
        temperature=0,
    )
    elapsed = time.monotonic() - started
    assert reply.model == MODEL_ALIAS
    assert reply.usage is not None and 0 < reply.usage.completion_tokens <= 30
    assert "Paris" in (reply.choices[0].message.content or "")
    assert elapsed < 60, f"one short answer took {elapsed:.1f}s"


def test_any_model_name_is_served(llm_server: str) -> None:
    # Settings.llm_model defaults to "gpt-4o-mini": against this server that still works (same model answers).
    client = OpenAI(base_url=llm_server, api_key="sk-local", timeout=120)
    reply = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "Say hi."}], max_tokens=5, temperature=0
    )
    assert reply.model == "gpt-4o-mini"
    assert reply.usage is not None and reply.usage.completion_tokens <= 5


def test_project_chat_model_sends_max_tokens_that_the_server_honours(llm_server: str) -> None:
    from qa.generators.llm import chat_model

    settings = Settings(llm_base_url=llm_server, llm_model=MODEL_ALIAS, llm_max_tokens=16, llm_timeout_s=120)
    model = chat_model(settings)
    payload = model._get_request_payload("hi")
    assert payload.get("max_tokens") == 16 and "max_completion_tokens" not in payload
    started = time.monotonic()
    reply = model.invoke("Write a long story about a dragon.")
    elapsed = time.monotonic() - started
    usage = reply.response_metadata["token_usage"]
    assert usage["completion_tokens"] <= 16, usage
    assert reply.response_metadata["finish_reason"] == "length"
    assert elapsed < 60, f"a 16-token answer took {elapsed:.1f}s: is max_tokens being ignored?"


def test_project_chat_model_streams(llm_server: str) -> None:
    from qa.generators.llm import chat_model

    model = chat_model(Settings(llm_base_url=llm_server, llm_model=MODEL_ALIAS, llm_max_tokens=20, llm_timeout_s=120))
    pieces = [chunk.content for chunk in model.stream("Name three colours.")]
    text = "".join(p for p in pieces if isinstance(p, str))
    assert len(pieces) > 2 and text.strip()
