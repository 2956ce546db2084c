"""How long the verifier takes: per claim, and for a whole LLM answer as the answer engine verifies it.

    python -m eval.grounding_latency [--repeats 3]

- **per claim**: ``verify_claims`` on the summary sentences of the SummEdits fitting part (eval/grounding_splits.py),
  with each source already indexed (the LLM path keeps the last 256 sources' indexes), so the figure is what one
  more claim costs: alignment, the lexical checks and the entailment model;
- **per answer**: the real SmolLM2 answers of tests/fixtures/llm_answers_pompeo.json cut to their first 5
  sentences and verified against the example article as ingested (its stored body), three ways:
  - *cold, stored vectors*: what the product does. The article was ingested first (into a throwaway data dir) and
    its sentence vectors computed (qa/sentence_worker.py); a fresh verifier reads them from the store and only
    splits and analyses the article's sentences; the timing includes the store read;
  - *cold, embedding*: a fresh verifier without stored vectors, which embeds every sentence of the article (an
    article asked about before the background worker has reached it);
  - *warm*: the article already indexed by this verifier;
- **indexing the article** alone by embedding (``GroundingVerifier.prepare`` on a fresh verifier, no stored
  vectors): what the cold, embedding figure pays on top of the warm one.

Timings on a shared 2-core machine are noisy: the script reports the median of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eval.fit_grounding import DATASETS, DEFAULT_DATA, EXAMPLE, FIXTURE
from eval.grounding import load_records
from eval.grounding_splits import FIT, split
from qa.config import Settings
from qa.embeddings import MiniLMOnnxEmbedder
from qa.grounding.claims import split_claims
from qa.grounding.verifier import GroundingVerifier, Weights
from qa.service import NewsQA

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


def ingest_example(service: NewsQA) -> str:
    """The example article's id once ingested as any article is, and its sentence vectors computed (by the service's
    background worker, as after any ingest)."""
    [item] = service.ingest_paths([EXAMPLE]).items
    if item.article_id is None:
        raise SystemExit(f"the example article was not ingested: {item.reason}")
    service.sentence_vectors.wait_idle()
    return item.article_id


def answers() -> list[list[str]]:
    out = []
    for case in json.loads(FIXTURE.read_text(encoding="utf-8")):
        spans = split_claims(case["answer"])
        if len(spans) >= ANSWER_SENTENCES:
            out.append([case["answer"][a:b] for a, b in spans[:ANSWER_SENTENCES]])
    return out


def per_answer(service: NewsQA, article_id: str, mode: str, weights: Weights | None) -> float:
    """Median ms to verify a 5-sentence answer against the ingested example article; ``mode`` is "stored", "cold"
    (embedding) or "warm" (see the module doc)."""
    article = service.get_article(article_id).body
    verifier = GroundingVerifier(weights=weights)
    verifier.verify_claims(["Warm-up claim here."], ["Warm-up source sentence."])  # models loaded, not a request
    if mode == "warm":
        verifier.verify_claims(["Warm-up."], [article])
    times = []
    for claims in answers():
        if mode != "warm":
            verifier = GroundingVerifier(verifier.encoder, weights=weights)
        started = time.perf_counter()
        known = None
        if mode == "stored":
            known = [service.store.sentence_vectors([article_id])[article_id].within(0, len(article))]
        verifier.verify_claims(claims, [article], known)
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def index_article(article: str, encoder: MiniLMOnnxEmbedder, weights: Weights | None) -> float:
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
    with (
        tempfile.TemporaryDirectory(prefix="qa-grounding-latency-") as tmp,
        NewsQA(Settings(data_dir=Path(tmp), sentence_vectors="always")) as svc,
    ):
        aid = ingest_example(svc)
        article = svc.get_article(aid).body

        def median(run: Callable[[], float]) -> float:
            return statistics.median(run() for _ in range(args.repeats))

        figures = {
            "uses_entailment_model": float(verifier.weights.uses_entailment),
            "ms_per_claim": median(lambda: per_claim(verifier, args.data_dir, args.limit)),
            "ms_per_5_sentence_answer_cold_stored_vectors": median(lambda: per_answer(svc, aid, "stored", weights)),
            "ms_per_5_sentence_answer_cold_embedding": median(lambda: per_answer(svc, aid, "cold", weights)),
            "ms_per_5_sentence_answer_warm": median(lambda: per_answer(svc, aid, "warm", weights)),
            "ms_index_article": median(lambda: index_article(article, verifier.encoder, weights)),
        }
    print(json.dumps({k: round(v, 1) for k, v in figures.items()}, indent=2))


if __name__ == "__main__":
    main()
