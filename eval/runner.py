"""Run eval sets through the :class:`qa.service.NewsQA` façade (no CLI parsing here).

Every figure is computed from what the service returns, exactly as a user would get it: the retrieval eval
calls ``search``, the QA eval calls ``ask`` and ``brief``; scores are computed by ``eval.metrics``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eval import metrics as m
from eval import scoring
from eval.datasets import BriefingCase, Corpus, QAItem
from qa.config import Settings
from qa.service import NewsQA

Progress = Callable[[int], None]
MODES = ("dense", "bm25", "hybrid")
HIT_KS = (1, 5, 10)


@contextmanager
def service(settings: Settings | None = None, data_dir: Path | None = None) -> Iterator[NewsQA]:
    """A service on ``data_dir`` (reused across runs: unchanged articles are not re-embedded) or on a fresh
    temporary store that is removed afterwards."""
    base = settings or Settings()
    if data_dir is not None:
        yield NewsQA(base.model_copy(update={"data_dir": data_dir}))
        return
    with tempfile.TemporaryDirectory(prefix="qa-eval-") as tmp:
        yield NewsQA(base.model_copy(update={"data_dir": Path(tmp)}))


def ingest(svc: NewsQA, corpus: Corpus, progress: Progress | None = None) -> dict[str, int]:
    prepared = [svc.prepare(rec) for rec in corpus.records]
    return svc.ingest_articles(prepared, progress).summary


def check_gold(svc: NewsQA, items: list[QAItem]) -> list[str]:
    """Gold article ids that are not in the store: a wrong --articles file, not a retrieval miss."""
    wanted = sorted({a for it in items for a in it.article_ids})
    found = svc.store.hashes(wanted)
    return [a for a in wanted if a not in found]


def retrieval_item(svc: NewsQA, item: QAItem, mode: str, k: int) -> dict[str, Any]:
    # Ask for more chunks than k so the ranking still holds k distinct articles after collapsing chunks.
    hits = svc.search(item.question, k=5 * k, today=item.today, mode=mode)  # type: ignore[arg-type]
    ranked = [h.article_id for h in hits]
    rank = m.first_relevant_rank(ranked, item.article_ids)
    return {
        "rank": rank,
        "articles": m.distinct(ranked)[:k],
        "article_recall": m.recall_at_k(ranked, item.article_ids, k),
        "evidence_recall": m.evidence_recall(item.evidence, [h.text for h in hits[:k]]),
    }


def summarize_retrieval(rows: list[dict[str, Any]], k: int) -> dict[str, float]:
    ranks = [r["rank"] for r in rows]
    out: dict[str, float] = {"n": len(rows)}
    for cut in sorted({*HIT_KS, k}):
        out[f"hit_at_{cut}"] = m.mean([m.hit_at_k(r, cut) for r in ranks])
    out["mrr"] = m.mean([m.reciprocal_rank(r, k) for r in ranks])
    out[f"article_recall_at_{k}"] = m.mean([r["article_recall"] for r in rows])
    out[f"evidence_recall_at_{k}"] = m.mean([r["evidence_recall"] for r in rows])
    return out


def run_retrieval(
    svc: NewsQA, items: list[QAItem], k: int = 10, modes: tuple[str, ...] = MODES, progress: Progress | None = None
) -> dict[str, Any]:
    """Article-level hit@k / MRR@k per retrieval mode over the answerable items with gold articles."""
    scored = [it for it in items if it.answerable and it.article_ids]
    per_item: dict[str, dict[str, Any]] = {it.id: {"question": it.question} for it in scored}
    overall: dict[str, dict[str, float]] = {}
    for mode in modes:
        rows = []
        for it in scored:
            row = retrieval_item(svc, it, mode, k)
            per_item[it.id][mode] = {"rank": row["rank"], "top": row["articles"][:5]}
            rows.append(row)
            if progress:
                progress(1)
        overall[mode] = summarize_retrieval(rows, k)
    return {"k": k, "modes": overall, "items": [{"id": i, **v} for i, v in per_item.items()]}


def run_qa(
    svc: NewsQA,
    items: list[QAItem],
    briefings: list[BriefingCase] | None = None,
    k: int | None = None,
    generator: str = "extractive",
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Ask every question (and brief every briefing case); overall, per-type and per-item figures."""
    k = k or svc.settings.k
    # The engine's own verifier instance: it caches the analysed sources, which the eval checks again.
    verifier = svc.engine.verifier
    checker = scoring.CitationChecker(svc)
    rows = []
    for item in items:
        rows.append(scoring.qa_item_row(svc, verifier, checker, item, k, generator))
        if progress:
            progress(1)
    brief_rows = []
    for case in briefings or []:
        brief_rows.append(scoring.briefing_row(svc, verifier, checker, case))
        if progress:
            progress(1)
    overall = scoring.summarize_qa(rows)
    if brief_rows:
        # Briefing quotes are citations too: the 100% validity requirement covers them.
        valid = [v for r in rows + brief_rows for v in r["citations_valid"]]
        overall["citation_validity"] = sum(valid) / len(valid) if valid else float("nan")
        overall["n_citations"] = len(valid)
    result: dict[str, Any] = {
        "settings": {"k": k, "generator": generator},
        "overall": overall,
        "by_type": scoring.group_by_type(rows),
        "items": rows,
    }
    if brief_rows:
        result["briefings"] = {"overall": scoring.summarize_briefings(brief_rows), "items": brief_rows}
    return result
