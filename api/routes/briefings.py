"""Briefings: cited bullet points over chosen articles or a topic (what `qa brief --json` prints)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import AppSettings, Service, check_limits, problems
from api.schemas import BriefingRequest
from qa.models import Briefing

router = APIRouter(prefix="/v1", tags=["briefings"])


@router.post(
    "/briefings",
    response_model=Briefing,
    summary="Brief articles",
    responses=problems(400, 404, 413, 422, 503),
)
def brief(body: BriefingRequest, svc: Service, settings: AppSettings) -> Briefing:
    """A short briefing: bullets, each with verbatim citations checked against the article text. Give
    `article_ids` (an unknown id → 404; they win over `topic`) or a `topic` (articles are retrieved for it),
    optionally with `since`/`until`. The JSON of `qa brief --json`, plus each bullet's `supported`/`score`
    verdict and the `generator`."""
    check_limits(settings, body)
    return svc.brief(
        article_ids=body.article_ids, topic=body.topic, since=body.since, until=body.until, generator=body.generator
    )
