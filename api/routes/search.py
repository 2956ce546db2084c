"""Hybrid search over the stored chunks (what `qa search --json` prints)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AppSettings, Service, check_limits, problems
from api.schemas import SearchHit, SearchRequest

router = APIRouter(prefix="/v1", tags=["search"])


@router.post(
    "/search",
    response_model=list[SearchHit],
    summary="Search passages",
    responses=problems(400, 404, 413, 422, 503),
)
def search(body: SearchRequest, svc: Service, settings: AppSettings) -> list[SearchHit]:
    """Ranked passages for a question: dense + BM25 fused (`mode` picks one alone). `start`/`end` are character
    offsets of the passage in the article's stored body. `score` is on the same 0–1 scale in every mode: each
    retriever's scores are min-max normalised within the query (its best passage 1, its weakest candidate 0) and
    weighted to sum to 1 (hybrid: `QA_DENSE_WEIGHT` dense, the rest BM25), plus a recency prior of up to
    `QA_RECENCY_WEIGHT` when `today` is given. Scores rank the passages of one response; they are not
    comparable across questions."""
    check_limits(settings, body)
    hits = svc.search(body.question, k=body.k, filters=body.filters, today=body.today, mode=body.mode)
    return [SearchHit(**h.model_dump(include=set(SearchHit.model_fields))) for h in hits]
