"""Liveness and readiness: never behind auth, and never waiting behind the request thread pool."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request

from api.deps import NotReady, get_service, problems
from api.schemas import Health, Ready
from qa.errors import StoreUnavailable

router = APIRouter(tags=["health"])

PROBE_TIMEOUT_S = 5.0


@router.get("/healthz", response_model=Health, summary="Process is up")
async def healthz() -> Health:
    return Health()


@router.get("/readyz", response_model=Ready, summary="Store and models loaded", responses=problems(503))
async def readyz(request: Request) -> Ready:
    """Ready when the service is loaded and its article store (SQLite or PostgreSQL, with its schema version) and
    vector index (embedded Chroma or a Chroma server) answer; 503 naming the dependency that does not."""
    svc = get_service(request)
    # Probes get their own thread limiter so a pool busy with answers can't stall them (one per app: a
    # limiter belongs to the event loop that first used it).
    limiter = getattr(request.app.state, "probe_limiter", None)
    if limiter is None:
        limiter = request.app.state.probe_limiter = anyio.CapacityLimiter(2)
    try:
        with anyio.fail_after(PROBE_TIMEOUT_S):
            found = await anyio.to_thread.run_sync(svc.readiness, limiter=limiter, abandon_on_cancel=True)
    except TimeoutError:
        raise NotReady(f"the store or vector index did not answer within {PROBE_TIMEOUT_S:.0f} s") from None
    except StoreUnavailable as exc:
        # e.g. the Chroma server or PostgreSQL is down: the detail names which (by the cause's class, not its text).
        raise NotReady(exc.detail) from None
    return Ready(**found)
