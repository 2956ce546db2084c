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
    optionally with `since`/`until`; or what is new: `new_since` (a time) and/or `feed_id`, one article per story
    (near-duplicates from several outlets are one story; each citation says how many `outlets` carried it), the
    stories carried by most outlets first. The JSON of `qa brief --json`, plus each bullet's `supported`/`score`
    verdict and the `generator`."""
    check_limits(settings, body)
    return svc.brief(
        article_ids=body.article_ids,
        topic=body.topic,
        since=body.since,
        until=body.until,
        generator=body.generator,
        new_since=body.new_since,
        feed_id=body.feed_id,
    )
