"""Per-item scoring of answers and briefings, and their summaries (the metrics come from eval.metrics)."""

from __future__ import annotations

import time
from typing import Any

from eval import metrics as m
from eval.datasets import BriefingCase, QAItem
from qa.choices import pick_choice
from qa.service import NewsQA


class CitationChecker:
    """Checks quotes against the stored bodies, independently of the answer engine's own check."""

    def __init__(self, svc: NewsQA) -> None:
        self.svc = svc
        self.bodies: dict[str, str | None] = {}

    def valid(self, citation: Any) -> bool:
        if citation.article_id not in self.bodies:
            art = self.svc.store.get(citation.article_id)
            self.bodies[citation.article_id] = art.body if art is not None else None
        body = self.bodies[citation.article_id]
        return body is not None and bool(citation.quote) and body[citation.start : citation.end] == citation.quote


def all_citations(answer: Any) -> list[Any]:
    cites = list(answer.citations) + [c for s in answer.sentences for c in s.citations]
    return list({(c.article_id, c.start, c.end, c.quote): c for c in cites}.values())


def _squash(text: str) -> str:
    return " ".join(text.split())


def faithfulness(
    verifier: Any, claims: list[str], sources: list[str], quotes: list[str] | None = None
) -> tuple[float, list[bool]]:
    """RAGAS-style: the share of answer sentences the verifier finds supported by the retrieved sources.

    A sentence inside a quote already checked verbatim against the article is supported by definition (the
    extractive generator's sentences are such quotes), so only the other sentences go to the verifier."""
    claims = [c for c in claims if c.strip()]
    if not claims or not sources:
        return float("nan"), []
    pool = [_squash(q) for q in quotes or []]
    verbatim = [any(_squash(c) in q for q in pool) for c in claims]
    todo = [c for c, v in zip(claims, verbatim, strict=True) if not v]
    verdicts = iter(verifier.verify_claims(todo, sources) if todo else [])
    flags = [True if v else next(verdicts).supported for v in verbatim]
    return sum(flags) / len(flags), flags


def qa_item_row(
    svc: NewsQA, verifier: Any, checker: CitationChecker, item: QAItem, k: int, generator: str
) -> dict[str, Any]:
    started = time.perf_counter()
    answer = svc.ask(item.question, today=item.today, k=k, generator=generator)  # type: ignore[arg-type]
    latency_ms = (time.perf_counter() - started) * 1000
    # Retrieval is scored outside the timed answer: the same k chunks the engine saw (the sources for
    # faithfulness and the multiple-choice pick), and a longer list to rank articles in.
    sources = [h.text for h in svc.search(item.question, k=k, today=item.today)]
    ranked = [h.article_id for h in svc.search(item.question, k=5 * max(k, 10), today=item.today)]
    cites = all_citations(answer)
    valid = [checker.valid(c) for c in cites]
    abstained = not answer.answerable
    # What the user is shown: the kept sentences, also after an abstention's "what they do say" preface.
    claims = [s.text for s in answer.sentences if s.supported]
    quotes = [c.quote for c, ok in zip(cites, valid, strict=True) if ok]
    faith, flags = faithfulness(verifier, claims, sources + quotes, quotes)
    row: dict[str, Any] = {
        "id": item.id,
        "type": item.type or "all",
        "question": item.question,
        "today": item.today,
        "gold": item.answers,
        "answerable": item.answerable,
        "abstained": abstained,
        "reason": answer.reason.value,
        "answer": answer.answer,
        "short_answer": answer.short_answer,
        "latency_ms": latency_ms,
        # Unanswerable items may name the article they are "closest to": that is no retrieval target.
        "retrieval_scored": item.answerable and bool(item.article_ids),
        "rank": m.first_relevant_rank(ranked, item.article_ids) if item.answerable else None,
        "evidence_recall": m.evidence_recall(item.evidence, sources),
        "citations_valid": valid,
        "faithfulness": faith,
        "sentence_supported": flags,
    }
    if item.answerable:
        predicted = answer.short_answer or answer.answer
        row |= {
            "exact_match": m.exact_match(predicted, item.answers),
            "f1": m.token_f1(predicted, item.answers),
            "answer_in_response": m.answer_in_response(answer.answer, item.answers),
        }
    if item.choices:
        pick = pick_choice(item.question, item.choices, sources, svc.embedder)
        row |= {
            "mc_pick": pick.index,
            "mc_correct": float(pick.index in item.choice_index),
            "mc_scores": [round(x, 4) for x in pick.scores],
        }
    row["accuracy"] = float(abstained) if not item.answerable else row["answer_in_response"]
    row["failed"] = failures(row, item)
    if row["failed"]:
        row["citations"] = [c.model_dump(mode="json") for c in cites]
    return row


def failures(row: dict[str, Any], item: QAItem) -> list[str]:
    """Why an item counts as failing (listed with its answer and citations in the JSON and the report)."""
    why = []
    if row["retrieval_scored"] and (row["rank"] is None or row["rank"] > 5):
        why.append("gold article not in top 5")
    if item.answerable and row["abstained"]:
        why.append("abstained")
    elif item.answerable and not row.get("answer_in_response"):
        why.append("answer not in response")
    if not item.answerable and not row["abstained"]:
        why.append("answered an unanswerable question")
    if not all(row["citations_valid"]):
        why.append("invalid citation")
    if row["faithfulness"] == row["faithfulness"] and row["faithfulness"] < 1.0:
        why.append("unsupported sentence")
    if row.get("mc_correct") == 0.0:
        why.append("wrong choice")
    return why


def summarize_qa(rows: list[dict[str, Any]]) -> dict[str, Any]:
    ranked = [r["rank"] for r in rows if r["retrieval_scored"]]
    unans = [not r["answerable"] for r in rows]
    abst = [r["abstained"] for r in rows]
    precision, recall = m.abstention(unans, abst) if any(abst) or any(unans) else (float("nan"), float("nan"))
    valid = [v for r in rows for v in r["citations_valid"]]
    latencies = [r["latency_ms"] for r in rows]
    return {
        "n": len(rows),
        "hit_at_1": m.mean([m.hit_at_k(x, 1) for x in ranked]),
        "hit_at_5": m.mean([m.hit_at_k(x, 5) for x in ranked]),
        "mrr": m.mean([m.reciprocal_rank(x, 10) for x in ranked]),
        "exact_match": m.mean([r.get("exact_match", float("nan")) for r in rows]),
        "f1": m.mean([r.get("f1", float("nan")) for r in rows]),
        "answer_in_response": m.mean([r.get("answer_in_response", float("nan")) for r in rows]),
        "mc_accuracy": m.mean([r.get("mc_correct", float("nan")) for r in rows]),
        "abstention_precision": precision,
        "abstention_recall": recall,
        "citation_validity": sum(valid) / len(valid) if valid else float("nan"),
        "faithfulness": m.mean([r["faithfulness"] for r in rows]),
        "p50_latency_ms": m.percentile(latencies, 50),
        "accuracy": m.mean([r["accuracy"] for r in rows]),
        "evidence_recall": m.mean([r["evidence_recall"] for r in rows]),
        "p95_latency_ms": m.percentile(latencies, 95),
        "n_answerable": sum(1 for r in rows if r["answerable"]),
        "n_abstained": sum(abst),
        "n_citations": len(valid),
    }


def group_by_type(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(r["type"], []).append(r)
    return {t: summarize_qa(g) for t, g in sorted(groups.items())} if len(groups) > 1 else {}


def briefing_row(svc: NewsQA, verifier: Any, checker: CitationChecker, case: BriefingCase) -> dict[str, Any]:
    started = time.perf_counter()
    if case.article_ids:
        briefing = svc.brief(article_ids=case.article_ids, since=case.since, until=case.until)
    else:
        briefing = svc.brief(topic=case.topic, since=case.since, until=case.until)
    latency_ms = (time.perf_counter() - started) * 1000
    cites = [c for b in briefing.bullets for c in b.citations]
    valid = [checker.valid(c) for c in cites]
    quotes = [c.quote for c, ok in zip(cites, valid, strict=True) if ok]
    bodies = [a.body for a in svc.store.bodies(briefing.article_ids or case.article_ids).values()]
    supported, flags = faithfulness(verifier, [b.text for b in briefing.bullets], bodies, quotes)
    texts = [b.text for b in briefing.bullets] + quotes
    return {
        "id": case.id,
        "topic": case.topic,
        "n_bullets": len(briefing.bullets),
        "latency_ms": latency_ms,
        "supported_rate": supported,
        "bullet_supported": flags,
        "coverage": m.key_sentence_coverage(case.key_sentences, texts),
        "citations_valid": valid,
        "bullets": [b.text for b in briefing.bullets],
    }


def summarize_briefings(rows: list[dict[str, Any]]) -> dict[str, Any]:
    valid = [v for r in rows for v in r["citations_valid"]]
    return {
        "n": len(rows),
        "supported_rate": m.mean([r["supported_rate"] for r in rows]),
        "coverage": m.mean([r["coverage"] for r in rows]),
        "citation_validity": sum(valid) / len(valid) if valid else float("nan"),
    }


def qa_metric_names() -> frozenset[str]:
    """Every figure ``qa eval qa`` reports (what ``--fail-under`` can gate), from the summaries of an empty run:
    a new metric in :func:`summarize_qa` or :func:`summarize_briefings` is gateable without a list to update."""
    from eval.report import qa_overall

    return frozenset(qa_overall({"overall": summarize_qa([]), "briefings": {"overall": summarize_briefings([])}}))
