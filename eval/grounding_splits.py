"""The fixed fitting / check split of the grounding data, decided before any design (issue 16).

- **SummEdits-news** is split *by source document*: a document whose sha256 (of ``source_text``) read as an
  integer is divisible by 3 goes to the check part, every other one to the fitting part. All summaries of one
  document fall on the same side, so no article is fitted on and checked at once.
- **QAGS** (CNN/DM and XSum) is check data as a whole: nothing is fitted or calibrated on it.

The threshold and the few combination weights of the verifier are fitted on the SummEdits fitting part only;
every figure is reported on the fitting part and on both checks. Check items are scored in bulk, never read one
by one. The rule depends only on the document text, so it is stable under reordering and new records.
"""

from __future__ import annotations

import hashlib

from eval.grounding import GroundingRecord

FIT, CHECK = "fit", "check"
CHECK_MODULUS = 3  # about a third of the SummEdits documents are held back


def document_key(source_text: str) -> str:
    return hashlib.sha256(source_text.encode("utf-8")).hexdigest()


def summedits_part(record: GroundingRecord) -> str:
    return CHECK if int(document_key(record.source_text), 16) % CHECK_MODULUS == 0 else FIT


def split(records: list[GroundingRecord], dataset: str) -> dict[str, list[GroundingRecord]]:
    """``{"fit": [...], "check": [...]}`` for ``dataset`` in ("summedits", "qags")."""
    if dataset == "qags":
        return {FIT: [], CHECK: list(records)}
    if dataset != "summedits":
        raise ValueError(f"no split defined for {dataset!r}")
    parts: dict[str, list[GroundingRecord]] = {FIT: [], CHECK: []}
    for r in records:
        parts[summedits_part(r)].append(r)
    return parts
