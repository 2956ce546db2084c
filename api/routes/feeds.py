"""Feeds: follow, list, show and stop following RSS/Atom feeds, and poll one now (what `qa feeds ... --json` prints)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import Service, problems
from api.schemas import FEED_ID, Deleted, FeedCreate, FeedList
from qa.errors import Conflict
from qa.models import Feed, FeedPollReport

router = APIRouter(prefix="/v1", tags=["feeds"])

FeedId = Annotated[str, Path(pattern=FEED_ID, description="The feed's id (from POST /v1/feeds).")]


@router.post(
    "/feeds", status_code=201, response_model=Feed, summary="Follow a feed", responses=problems(400, 409, 422, 503)
)
def add_feed(body: FeedCreate, svc: Service) -> Feed:
    """Follow an RSS or Atom feed. It is polled in the background when the server runs with QA_FEEDS_POLL=true
    (every `interval`), or now with `POST /v1/feeds/{feed_id}:poll`. A URL already followed is a 409."""
    return svc.feeds.add(body.url, name=body.name, interval=body.interval)


@router.get("/feeds", response_model=FeedList, summary="List feeds", responses=problems(503))
def list_feeds(svc: Service) -> FeedList:
    """Every followed feed with its validators, its last success and its last error."""
    return FeedList(items=svc.feeds.list())


@router.get("/feeds/{feed_id}", response_model=Feed, summary="Get one feed", responses=problems(404, 422, 503))
def get_feed(feed_id: FeedId, svc: Service) -> Feed:
    return svc.feeds.get(feed_id)


@router.delete(
    "/feeds/{feed_id}", response_model=Deleted, summary="Stop following a feed", responses=problems(404, 422, 503)
)
def delete_feed(feed_id: FeedId, svc: Service) -> Deleted:
    """Forget the feed and its seen entries; the articles it brought stay."""
    svc.feeds.remove(feed_id)
    return Deleted(deleted=feed_id)


@router.post(
    "/feeds/{feed_id}:poll",
    response_model=FeedPollReport,
    summary="Poll a feed now",
    responses=problems(404, 409, 422, 503),
)
def poll_feed(feed_id: FeedId, svc: Service) -> FeedPollReport:
    """Fetch the feed and the pages of its new entries, and ingest them; returns what happened to each entry. A
    poll of this feed already running (here or in another process) makes this one a 409. A feed that can't be
    fetched or read is not an HTTP error: the report says `"status": "error"` and why."""
    report = svc.feeds.poll(feed_id)
    if report.status == "busy":
        raise Conflict(report.error or "a poll of this feed is already running")
    return report
