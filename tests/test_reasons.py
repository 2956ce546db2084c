"""Reason codes on every answer and ``explain``: on the extractive generator alone (articles in our own words),
then through the service, the HTTP API and the CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from qa.generators.explain import explanation
from qa.generators.extractive import ExtractiveGenerator
from qa.reasons import DESCRIPTIONS, Reason
from qa.service import NewsQA
from tests.test_answer import _sources

KILN = (
    "The Orrin Vale pottery works reopened its main kiln on Tuesday after a three-month repair, its owner "
    "Maren Tull said.\n\n"
    "The kiln repair cost the pottery works $40,000. Tull said the works would hire four more potters in the autumn."
)
CLAY = "The Orrin Vale pottery works makes bowls and jugs from local clay, its owner Maren Tull said."
DAM = (
    "The Sedge River weir at Lowmarsh was closed to boats on Monday, the waterways office said.\n\n"
    "The office gave no reason for the closure. Boats will use the old canal cut until further notice."
)
SURVEY = (
    "The Brackley parish council has asked the firm Holt & Vey to survey the old mill bridge. "
    "The survey will start in June and its findings are due in August."
)

# (question, articles, expected reason)
CASES = [
    ("Who owns the Orrin Vale pottery works?", (KILN,), Reason.ANSWERED),
    ("How much did the kiln repair at the Orrin Vale pottery works cost?", (KILN,), Reason.ANSWERED),
    ("Who owns the Orrin Vale pottery works?", (), Reason.NO_EVIDENCE),
    ("How many potters does the Dunmore glassworks employ?", (KILN,), Reason.NAME_NOT_FOUND),
    ("When was the Orrin Vale pottery works founded?", (CLAY,), Reason.NO_CANDIDATE_OF_TYPE),
    ("Why was the Sedge River weir at Lowmarsh closed to boats?", (DAM,), Reason.NO_REASON_STATED),
    ("What did the survey of the old mill bridge by Holt & Vey reveal?", (SURVEY,), Reason.EVENT_NOT_YET_HAPPENED),
]


@pytest.mark.parametrize(("question", "bodies", "reason"), CASES)
def test_every_exit_records_its_reason(question: str, bodies: tuple[str, ...], reason: Reason) -> None:
    draft = ExtractiveGenerator().answer(question, _sources(*bodies), None)
    assert draft.reason == reason, (draft.preface, [s.text for s in draft.sentences])
    assert draft.answerable == (reason == Reason.ANSWERED)


def test_every_reason_is_described() -> None:
    assert set(DESCRIPTIONS) == set(Reason)


def test_explanation_names_features_and_the_chosen_candidate() -> None:
    question = "How much did the kiln repair at the Orrin Vale pottery works cost?"
    draft = ExtractiveGenerator().answer(question, _sources(KILN), None)
    x = explanation(question, draft.trace, draft.reason)
    assert (x.question.answer_type, x.question.wh_word) == ("quantity", "how")
    assert x.evidence and x.evidence[0].score >= x.evidence[-1].score
    chosen = [c for c in x.candidates if c.chosen]
    assert [c.text for c in chosen] == ["$40,000"] == [draft.short_answer]
    assert {"type_fit", "sentence", "near", "align"} <= set(chosen[0].features)
    # A candidate of another kind is listed as dropped, with why.
    assert any(c.dropped == "type_mismatch" for c in x.candidates)
    assert x.reason == Reason.ANSWERED and x.reason_text == DESCRIPTIONS[Reason.ANSWERED]


def test_explanation_of_a_which_question_has_its_head_noun() -> None:
    question = "Which firm will survey the old mill bridge?"
    draft = ExtractiveGenerator().answer(question, _sources(SURVEY), None)
    x = explanation(question, draft.trace, draft.reason)
    assert (x.question.wh_word, x.question.head_noun, x.question.answer_type) == ("which", "firm", "entity")


# --- through the service, the API and the CLI (demo corpus) ------------------------------------------------------
def test_service_answers_carry_a_reason_and_explain_only_when_asked(demo_service: NewsQA) -> None:
    plain = demo_service.ask("Which company will build the Port Calder tidal barrier?")
    assert plain.reason == Reason.ANSWERED and plain.answerable and plain.explain is None
    why = demo_service.ask("Why was the public hearing on the barrier postponed?", explain=True)
    assert why.reason == Reason.NO_REASON_STATED and not why.answerable
    assert why.explain is not None and why.explain.reason == why.reason
    assert why.explain.question.answer_type == "reason"


def test_api_reason_and_explain(api_client: Any) -> None:
    client = api_client()
    body = {"question": "Which company will build the Port Calder tidal barrier?"}
    plain = client.post("/v1/ask", json=body).json()
    assert plain["reason"] == "answered" and plain["explain"] is None
    data = client.post("/v1/ask", json={**body, "explain": True}).json()
    x = data["explain"]
    assert x["question"]["answer_type"] == "entity" and x["question"]["head_noun"] == "company"
    assert any(c["chosen"] and c["text"] == data["short_answer"] for c in x["candidates"])
    assert all(isinstance(v, float | int) for c in x["candidates"] for v in c["features"].values())
    assert x["reason"] == "answered"
    r = client.post("/v1/ask", json={**body, "explain": "yes"})
    assert r.status_code == 422
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    assert "explain" in schema["AskRequest"]["properties"]
    assert set(schema["Reason"]["enum"]) == {r.value for r in Reason}


def test_streamed_answer_carries_reason_and_explain(api_client: Any) -> None:
    from tests.test_api import sse_events

    client = api_client()
    body = {"question": "Why was the public hearing on the barrier postponed?", "explain": True, "stream": True}
    events = sse_events(client.post("/v1/ask", json=body).text)
    name, final = events[-1]
    assert name == "answer" and final["reason"] == "no_reason_stated"
    assert final["explain"]["reason"] == "no_reason_stated" and final["explain"]["question"]["wh_word"] == "why"


def test_cli_explain_and_reason(demo_service: NewsQA) -> None:
    from qa.cli import app

    base = ["ask", "Why was the public hearing on the barrier postponed?"]
    args = ["--data-dir", str(demo_service.settings.data_dir)]
    result = CliRunner().invoke(app, [*base, "--explain", *args])
    assert result.exit_code == 0, result.output
    assert "Reason: no_reason_stated" in result.stdout
    assert "answer type reason, wh-word why" in result.stdout
    data = json.loads(CliRunner().invoke(app, [*base, "--explain", "--json", *args]).stdout)
    assert data["reason"] == "no_reason_stated" and data["explain"]["reason"] == "no_reason_stated"
