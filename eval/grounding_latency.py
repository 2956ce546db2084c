"""How long the verifier takes: per claim, and for a whole LLM answer as the answer engine verifies it.

    python -m eval.grounding_latency [--repeats 3]

- **per claim**: ``verify_claims`` on the summary sentences of the SummEdits fitting part (eval/grounding_splits.py),
  with each source already indexed (the LLM path keeps the last 256 sources' indexes), so the figure is what one
  more claim costs: alignment, the lexical checks and the entailment model;
- **per answer**: the real SmolLM2 answers of tests/fixtures/llm_answers_pompeo.json cut to their first 5
  sentences and verified against the example article, cold (a fresh verifier that must index the article first)
  and warm;
- **indexing the article** alone (``GroundingVerifier.prepare`` on a fresh verifier): the answer engine runs it
  in the background while the model writes (qa/answer.py), so the LLM path's verification costs the warm figure
  unless the model writes its answer faster than this.

Timings on a shared 2-core machine are noisy: the script reports the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

from eval.fit_grounding import DATASETS, DEFAULT_DATA, EXAMPLE, FIXTURE
from eval.grounding import load_records
from eval.grounding_splits import FIT, split
from qa.embeddings import MiniLMOnnxEmbedder
from qa.grounding.claims import split_claims
from qa.grounding.verifier import GroundingVerifier, Weights

ANSWER_SENTENCES = 5


def per_claim(verifier: GroundingVerifier, data_dir: Path, limit: int) -> float:
    records = split(load_records(data_dir / DATASETS["summedits"]), "summedits")[FIT][:limit]
    jobs = [([r.response[a:b] for a, b in split_claims(r.response)], r.source_text) for r in records]
    for _, source in jobs:
        verifier.verify_claims(["Warm-up."], [source])  # index every source first
    started = time.perf_counter()
    n = 0
    for claims, source in jobs:
        verifier.verify_claims(claims, [source])
        n += len(claims)
    return 1000 * (time.perf_counter() - started) / n


def per_answer(cold: bool, weights: Weights | None) -> float:
    article = EXAMPLE.read_text(encoding="utf-8")
    answers = []
    for case in json.loads(FIXTURE.read_text(encoding="utf-8")):
        spans = split_claims(case["answer"])
        if len(spans) >= ANSWER_SENTENCES:
            answers.append([case["answer"][a:b] for a, b in spans[:ANSWER_SENTENCES]])
    verifier = GroundingVerifier(weights=weights)
    verifier.verify_claims(["Warm-up claim here."], ["Warm-up source sentence."])  # models loaded, not a request
    if not cold:
        verifier.verify_claims(["Warm-up."], [article])
    times = []
    for claims in answers:
        if cold:
            verifier = GroundingVerifier(verifier.encoder, weights=weights)
        started = time.perf_counter()
        verifier.verify_claims(claims, [article])
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def index_article(encoder: MiniLMOnnxEmbedder, weights: Weights | None) -> float:
    article = EXAMPLE.read_text(encoding="utf-8")
    times = []
    for _ in range(5):
        verifier = GroundingVerifier(encoder, weights=weights)
        started = time.perf_counter()
        verifier.prepare([article])
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--limit", type=int, default=60, help="summaries timed per repeat")
    parser.add_argument("--weights", type=Path, help="weights JSON to time instead of the shipped ones")
    args = parser.parse_args()
    weights = Weights.from_dict(json.loads(args.weights.read_text(encoding="utf-8"))) if args.weights else None
    verifier = GroundingVerifier(weights=weights)
    figures = {
        "uses_entailment_model": float(verifier.weights.uses_entailment),
        "ms_per_claim": statistics.median(per_claim(verifier, args.data_dir, args.limit) for _ in range(args.repeats)),
        "ms_per_5_sentence_answer_cold": statistics.median(per_answer(True, weights) for _ in range(args.repeats)),
        "ms_per_5_sentence_answer_warm": statistics.median(per_answer(False, weights) for _ in range(args.repeats)),
        "ms_index_article": statistics.median(index_article(verifier.encoder, weights) for _ in range(args.repeats)),
    }
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
