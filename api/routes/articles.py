"""Articles: add (JSON or file upload), list, show, delete."""

from __future__ import annotations

import re
from pathlib import PurePath
from typing import Annotated

from fastapi import APIRouter, File, Query, UploadFile
from starlette.concurrency import run_in_threadpool

from api.deps import AppSettings, Service, problems
from api.schemas import (
    ArticleBatch,
    ArticleCreate,
    ArticlePage,
    ArticlesPayload,
    ArticleSummary,
    Day,
    Deleted,
    IngestReportOut,
)
from qa.articles import parse_bytes
from qa.errors import NotArticleText, QAError, TooLarge, UnsupportedType
from qa.models import Article, ArticleIn, Filters, IngestItem, IngestReport
from qa.service import NewsQA

router = APIRouter(prefix="/v1", tags=["articles"])

UPLOAD_CHUNK = 64 * 1024


def report_out(report: IngestReport) -> IngestReportOut:
    return IngestReportOut(**report.summary, items=report.items)


@router.post(
    "/articles",
    status_code=201,
    response_model=IngestReportOut,
    summary="Add one article or a batch",
    responses=problems(400, 413, 422, 503),
)
def add_articles(payload: ArticlesPayload, svc: Service) -> IngestReportOut:
    """Add or update articles given as JSON: one article object, or `{"articles": [...]}`.

    All-or-nothing: if any article is invalid (a blank body, a field over its bound, over QA_MAX_ARTICLE_CHARS)
    or the batch has more than QA_MAX_BATCH_ARTICLES articles, nothing is stored. An article whose text is not
    article text (a navigation, paywall or consent page) is not an error: it is listed as `skipped` with the reason
    and the others are stored. Without an `id`, an article with the same canonical URL (or source, title and date)
    as a stored one updates it. Re-sending an unchanged article is a no-op (`"unchanged"`)."""
    records: list[ArticleCreate] = payload.articles if isinstance(payload, ArticleBatch) else [payload]
    return report_out(svc.ingest_records(records))


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    """The file's bytes, read in chunks so an oversized file is refused without holding all of it."""
    parts: list[bytes] = []
    size = 0
    while chunk := await upload.read(UPLOAD_CHUNK):
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"{upload.filename}: file is larger than the limit of {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


def _parse_and_ingest(svc: NewsQA, files: list[tuple[str, bytes]]) -> IngestReport:
    """Parse every file first, then ingest the whole set in one all-or-nothing call."""
    records: list[ArticleIn] = []
    origin: list[str] = []  # file name of each record, to name the file in a validation error
    not_articles: list[IngestItem] = []  # pages with no article text: skipped, not an error
    for name, data in files:
        try:
            parsed = parse_bytes(data, name)
        except NotArticleText as exc:
            not_articles.append(IngestItem(article_id=None, status="skipped", reason=exc.detail, path=name))
            continue
        except QAError as exc:
            raise type(exc)(exc.detail if exc.detail.startswith(name) else f"{name}: {exc.detail}") from exc
        records.extend(parsed)
        origin.extend([name] * len(parsed))
    try:
        report = svc.ingest_records(records, names=origin)
        report.items[:0] = not_articles
        return report
    except QAError as exc:
        # The core numbers records across the whole set ("article 7: ..."); say which file that was.
        m = re.match(r"article (\d+): (.*)", exc.detail, re.DOTALL)
        if m and int(m.group(1)) < len(origin):
            raise type(exc)(f"{origin[int(m.group(1))]}: {m.group(2)}") from exc
        raise


@router.post(
    "/articles:upload",
    status_code=201,
    response_model=IngestReportOut,
    summary="Upload article files",
    responses=problems(400, 413, 415, 422, 503),
)
async def upload_articles(
    svc: Service,
    settings: AppSettings,
    files: Annotated[
        list[UploadFile], File(description="Files: .txt .md .html .htm .json .jsonl (UTF-8, or another encoding)")
    ],
) -> IngestReportOut:
    """Add articles from files (multipart form field `files`, repeatable). The type comes from the file name's
    extension; text that is not UTF-8 is decoded in the encoding detected, named in the item's `encoding`. Every
    file is parsed before anything is stored, so one bad file (unsupported type → 415, text in no encoding or
    invalid fields → 422, over QA_MAX_UPLOAD_BYTES → 413) stores nothing. A page that is not article text
    (navigation, paywall, consent or error page) is not an error: it is listed as `skipped` with the reason."""
    loaded: list[tuple[str, bytes]] = []
    for upload in files:
        name = PurePath(upload.filename or "").name
        if not name:
            raise UnsupportedType("uploaded file has no name; its extension tells its type")
        loaded.append((name, await read_limited(upload, settings.max_upload_bytes)))
    report = await run_in_threadpool(_parse_and_ingest, svc, loaded)
    return report_out(report)


@router.get("/articles", response_model=ArticlePage, summary="List articles", responses=problems(422, 503))
def list_articles(
    svc: Service,
    source: Annotated[str | None, Query(description="Only this source.", max_length=500)] = None,
    since: Annotated[Day | None, Query(description="Published on or after (YYYY-MM-DD).")] = None,
    until: Annotated[Day | None, Query(description="Published on or before (YYYY-MM-DD).")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> ArticlePage:
    """Stored articles, newest first, without their bodies."""
    items, total = svc.list_articles(Filters(source=source, since=since, until=until), limit=limit, offset=offset)
    summaries = [ArticleSummary(**a.model_dump(exclude={"body"})) for a in items]
    return ArticlePage(items=summaries, total=total, limit=limit, offset=offset)


@router.get("/articles/{article_id}", response_model=Article, summary="Get one article", responses=problems(404, 503))
def get_article(article_id: str, svc: Service) -> Article:
    """The article with its stored cleaned body: every citation's `start`/`end` index into this `body`."""
    return svc.get_article(article_id)


@router.delete(
    "/articles/{article_id}", response_model=Deleted, summary="Delete an article", responses=problems(404, 503)
)
def delete_article(article_id: str, svc: Service) -> Deleted:
    """Remove the article, its chunks and its vectors."""
    svc.delete_article(article_id)
    return Deleted(deleted=article_id)
