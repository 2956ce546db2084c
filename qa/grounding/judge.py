"""Optional LLM-judge grounding (RAGAS faithfulness / TruLens groundedness style) for OpenAI-compatible APIs.

Same interface as ``GroundingVerifier`` so the eval suite can compare both on the same data.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from qa.grounding.verifier import ClaimChecker, ClaimVerdict, EvidenceSpan, Known
from qa.prompts import load_prompt, render

if TYPE_CHECKING:
    from qa.config import Settings

_CHARS_PER_TOKEN = 4  # rough, for the source budget only; the reply is capped by max_tokens


def parse_reply(reply: str, n_claims: int) -> list[dict[str, Any]]:
    """The judge's JSON array, tolerating prose or code fences around it; one dict per claim (maybe empty)."""
    start, end = reply.find("["), reply.rfind("]")
    items: list[Any] = []
    if start != -1 and end > start:
        try:
            parsed = json.loads(reply[start : end + 1])
            items = parsed if isinstance(parsed, list) else []
        except json.JSONDecodeError:
            items = []
    by_claim: dict[int, dict[str, Any]] = {}
    for pos, item in enumerate(items):
        if isinstance(item, dict):
            number = item.get("claim")
            digits = isinstance(number, int) or (isinstance(number, str) and number.isdigit())
            by_claim[int(number) if digits else pos + 1] = item  # type: ignore[arg-type]
    return [by_claim.get(i + 1, {}) for i in range(n_claims)]


def _score(item: dict[str, Any]) -> float | None:
    raw = item.get("score")
    if isinstance(raw, int | float):
        return min(max(float(raw) / 10.0, 0.0), 1.0)
    supported = item.get("supported")
    if isinstance(supported, bool):
        return 1.0 if supported else 0.0
    return None


def locate(quote: str, sources: list[str]) -> EvidenceSpan | None:
    """Where the judge's quote stands in the sources (whitespace-insensitive), so evidence is verbatim."""
    quote = quote.strip().strip('"“”')
    if len(quote) < 8:
        return None
    pattern = re.compile(r"\s+".join(re.escape(w) for w in quote.split()), re.IGNORECASE)
    for i, text in enumerate(sources):
        m = pattern.search(text)
        if m:
            return EvidenceSpan(i, m.start(), m.end(), text[m.start() : m.end()], 1.0)
    return None


class LLMJudge(ClaimChecker):
    """Asks an OpenAI-compatible chat model for a verdict per claim; scores are the judge's 0–10 / 10."""

    def __init__(self, settings: Settings | None = None, threshold: float | None = None, chat_model: Any = None):
        from qa.config import Settings

        self.settings = settings or Settings()
        self.threshold = self.settings.grounding_threshold if threshold is None else threshold
        if chat_model is None:
            # The LLM path's own factory: same endpoint, key, model, temperature and max_tokens.
            from qa.generators.llm import chat_model as make_chat_model

            chat_model = make_chat_model(self.settings)
        self.chat_model = chat_model
        self.template = load_prompt("judge")

    def verify_claims(self, claims: list[str], sources: list[str], known: Known = None) -> list[ClaimVerdict]:
        # ``known`` (stored sentence vectors) is of no use to a model that reads the sources as text.
        if not claims:
            return []
        budget = self.settings.llm_context_tokens * _CHARS_PER_TOKEN // max(len(sources), 1)
        prompt = render(
            self.template,
            sources="\n\n".join(f"[S{i + 1}]\n{s[:budget]}" for i, s in enumerate(sources)),
            claims="\n".join(f"{i + 1}. {c.strip()}" for i, c in enumerate(claims)),
            n_claims=str(len(claims)),
        )
        reply = self.chat_model.invoke(prompt)
        text = reply.content if isinstance(reply.content, str) else str(reply.content)
        verdicts: list[ClaimVerdict] = []
        for claim, item in zip(claims, parse_reply(text, len(claims)), strict=True):
            score = _score(item)
            if score is None:
                verdicts.append(ClaimVerdict(claim, 0, len(claim), False, 0.0, [], "judge gave no verdict"))
                continue
            span = locate(str(item.get("quote") or ""), sources)
            supported = score >= self.threshold
            reason = None if supported else str(item.get("reason") or "judged unsupported")
            verdicts.append(ClaimVerdict(claim, 0, len(claim), supported, score, [span] if span else [], reason))
        return verdicts
