"""Grounding: is each claim of an answer or summary supported by the source texts?

``GroundingVerifier`` runs offline (sentence alignment with our embedder plus lexical fact checks, combined
by a small fitted logistic regression); ``LLMJudge`` asks an OpenAI-compatible model instead.
"""

from qa.grounding.judge import LLMJudge
from qa.grounding.verifier import ClaimVerdict, EvidenceSpan, GroundingVerifier

__all__ = ["ClaimVerdict", "EvidenceSpan", "GroundingVerifier", "LLMJudge"]
