"""Calibrate the answer relevance cutoff (``QA_ANSWER_MIN_RELEVANCE``) on the tuning half of a dated QA set.

The relevance of an article to a question is the best (weighted) share of the question's words that one of its
retrieved sentences covers. For every tuning question the extractive reader answers with the cutoff off; the passages
of the answer from other articles than the one it leads with are listed with their article's relevance and whether
they hold a gold answer. Printed per candidate cutoff: the passages it would drop, and the answers that would lose
their only gold answer (a cutoff only removes text, so answer-in-response is all it can cost). The cutoff to use is
the highest that costs no answer its gold answer. The checking half is never read here.

    python -m eval.calibrate_relevance --questions ../shared/data/realtimeqa/qa.jsonl \\
        --articles ../shared/data/realtimeqa/articles.jsonl --articles ../shared/data/realtimeqa/haystack_articles.jsonl \\
        --data-dir /tmp/rtqa-store
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from eval import metrics as m
from eval import runner
from eval.datasets import QAItem, load_corpus, load_questions, split_by_date
from qa.answer import Turn
from qa.config import Settings
from qa.generators.extractive import ExtractiveGenerator
from qa.service import NewsQA

CUTOFFS = [round(0.05 * i, 2) for i in range(0, 21)]


@dataclass
class Passage:
    relevance: float  # best coverage of the question by a sentence of its article
    ratio: float  # ... relative to that of the article the answer leads with
    gold: bool  # holds a gold answer


@dataclass
class Row:
    lead_gold: bool  # the passages the answer keeps whatever the cutoff hold a gold answer
    others: list[Passage]  # supporting passages from other articles than the lead's


def answer_row(svc: NewsQA, generator: ExtractiveGenerator, item: QAItem) -> Row | None:
    turn = Turn(question=item.question, today=item.today)
    svc.engine.retrieve(turn)
    draft = generator.answer(turn.question, turn.sources, turn.today)
    if not draft.answerable or draft.trace is None or not draft.sentences:
        return None
    best: dict[str, float] = {}
    for s in draft.trace.evidence:
        best[s.article.id] = max(best.get(s.article.id, 0.0), s.coverage)
    chosen = draft.trace.chosen
    lead = chosen.sentence.article.id if chosen else draft.sentences[0].spans[0][0]
    kept, others = False, []
    for d in draft.sentences:
        gold = m.answer_in_response(d.text, item.answers) > 0
        aid = d.spans[0][0]
        if aid == lead:
            kept = kept or gold
        else:
            others.append(Passage(best.get(aid, 0.0), best.get(aid, 0.0) / (best.get(lead) or 1.0), gold))
    return Row(kept, others)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--questions", type=Path, required=True)
    ap.add_argument("--articles", type=Path, action="append", required=True)
    ap.add_argument("--data-dir", type=Path, required=True)
    args = ap.parse_args()
    corpus = load_corpus(args.articles)
    items = [it for it in split_by_date(load_questions(args.questions, corpus), "tune") if it.answerable]
    with runner.service(Settings(), args.data_dir) as svc:
        runner.ingest(svc, corpus)
        generator = ExtractiveGenerator(svc.embedder, min_relevance=0.0)
        rows = [r for it in items if (r := answer_row(svc, generator, it)) is not None]
    n_other = sum(len(r.others) for r in rows)
    print(
        f"{len(items)} tuning questions, {len(rows)} answered, {n_other} passages from other articles than the lead's"
    )
    for measure in ("relevance", "ratio"):
        print(f"{measure}: cutoff  answers_losing_gold  passages_dropped  of_them_gold")
        best = 0.0
        for c in CUTOFFS:
            lost = sum(
                1
                for r in rows
                if not r.lead_gold
                and any(p.gold for p in r.others)
                and not any(p.gold and getattr(p, measure) >= c for p in r.others)
            )
            dropped = [p for r in rows for p in r.others if getattr(p, measure) < c]
            print(f"{c:6.2f}  {lost:19d}  {len(dropped):16d}  {sum(p.gold for p in dropped):12d}")
            if lost == 0:
                best = c
            else:
                break
        print(f"{measure}: highest cutoff that costs no answer its gold answer: {best:.2f}")


if __name__ == "__main__":
    main()
