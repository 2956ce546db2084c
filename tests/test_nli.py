"""The verifier's entailment model (qa/grounding/nli.py): integrity, windows, and what it tells apart.

Every sentence here is our own, written for these tests (no dataset text): one short news passage, faithful
restatements of it, and one edit of each kind the model was trained to catch.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

import numpy as np
import pytest

from qa.errors import ModelUnavailable
from qa.grounding import GroundingVerifier
from qa.grounding.nli import MODEL_DIR, MODEL_FILE, MODEL_SHA256, EntailmentModel, entailment_model, window_text
from qa.grounding.verifier import shipped_weights
from tests.paths import ROOT

WINDOW = (
    "The regional transport authority said on Thursday that it had ordered 14 new electric buses from Harlan "
    "Motors for the Eastfield depot. The buses will replace diesel vehicles that are more than 15 years old, "
    "and the first of them should arrive in September. The authority's chair, Priya Nandakumar, said the order "
    "would cut the depot's fuel bill by about a third."
)
SUPPORTED = [
    "The transport authority ordered 14 electric buses from Harlan Motors.",
    "The new buses will replace old diesel vehicles at the Eastfield depot.",
    "Priya Nandakumar said the order would cut the fuel bill.",
    "The first buses should arrive in September.",
]
UNSUPPORTED = [
    "The transport authority ordered 40 electric buses from Harlan Motors.",  # number
    "The transport authority ordered 14 electric buses from Eastfield Motors.",  # entity from the same text
    "The new buses will not replace old diesel vehicles at the Eastfield depot.",  # negation
    "The first buses should arrive in December.",  # date
    "Priya Nandakumar said the order would raise the fuel bill.",  # antonym
    "Harlan Motors ordered 14 electric buses from the transport authority.",  # roles swapped
    "The transport authority cancelled 14 electric buses from Harlan Motors.",  # predicate
    "The buses were ordered after a fire destroyed part of the depot.",  # added content
]


@pytest.fixture(scope="module")
def model() -> EntailmentModel:
    return entailment_model()


class _NoModel:
    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        raise AssertionError("the entailment model was run although the shipped weights give it no weight")


def test_shipped_weights_use_the_entailment_model_only_when_it_ships() -> None:
    weights = shipped_weights()
    if weights.uses_entailment:
        assert MODEL_FILE.is_file(), "the weights use the entailment model: ship qa/grounding/nli_model/model.int8.onnx"
        assert hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest() == MODEL_SHA256
    else:
        verifier = GroundingVerifier(entailment=_NoModel())  # type: ignore[arg-type]
        (verdict,) = verifier.verify_claims(["Work on the barrier is due to begin in March."], [WINDOW])
        assert verdict.reason is not None  # scored by the other features, without the model


def test_the_model_file_is_checked_by_sha256(tmp_path: Path) -> None:
    assert hashlib.sha256(MODEL_FILE.read_bytes()).hexdigest() == MODEL_SHA256
    tampered = tmp_path / "model.int8.onnx"
    tampered.write_bytes(MODEL_FILE.read_bytes()[:-1] + b"\0")
    with pytest.raises(ModelUnavailable, match="sha256"):
        EntailmentModel(tampered)


def test_the_model_ships_as_package_data_with_its_card() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["qa"]
    qa = ROOT / "qa"
    shipped = {p for pattern in patterns for p in qa.glob(pattern)}
    assert MODEL_FILE in shipped
    card = (MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert MODEL_SHA256 in card and "Apache-2.0" in card


def test_window_takes_the_best_passages_that_fit_in_document_order() -> None:
    text = "First sentence here. Second one follows. Third sentence ends it."
    a, b, c = (0, 20), (21, 40), (41, len(text))
    passages = [(0, *c, text[c[0] : c[1]]), (0, *a, text[a[0] : a[1]]), (0, a[0], b[1], text[a[0] : b[1]])]
    # the best passage first, then the others, merged where they overlap and put back in document order
    assert window_text(passages) == text
    assert window_text(passages, budget=4) == "Third sentence ends it."
    # a second source never merges with the first
    two = [(1, 0, 10, "Other text"), (0, *a, text[a[0] : a[1]])]
    assert window_text(two) == "First sentence here. Other text"


def test_faithful_restatements_score_above_every_kind_of_edit(model: EntailmentModel) -> None:
    good = model.logits([(c, WINDOW) for c in SUPPORTED])
    bad = model.logits([(c, WINDOW) for c in UNSUPPORTED])
    # as a ranking (what the verifier's threshold cuts): most edits fall below the weakest faithful claim
    below = [c for c, s in zip(UNSUPPORTED, bad, strict=True) if s < good.min()]
    assert len(below) >= len(UNSUPPORTED) - 2, dict(zip(UNSUPPORTED, bad.round(2), strict=True))
    assert float(np.mean(good)) > 0 > float(np.mean(bad))


def test_batches_and_order_do_not_change_scores(model: EntailmentModel) -> None:
    pairs = [(c, WINDOW) for c in SUPPORTED + UNSUPPORTED]
    together = model.logits(pairs)
    alone = np.array([model.logits([p])[0] for p in pairs])
    # one pair per run: int8 activations are quantised per run, so a batch would move a logit with its company
    assert np.allclose(together, alone, atol=1e-5)
    # a claim or window longer than the model reads is cut, not an error
    assert model.logits([(" ".join(["word"] * 300), WINDOW * 5)]).shape == (1,)
