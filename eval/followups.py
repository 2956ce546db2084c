"""Follow-up resolution, measured: does a chat follow-up get the answer its standalone question gets?

``eval/data/followups.jsonl`` (the design set) and ``eval/data/followups_check.jsonl`` (the check set, written
before the rules were refined and only ever read as a whole) hold conversations over the demo corpus: earlier
user turns (each standalone), a follow-up that leans on them ("why?", "what did she say …", "and in 2026?") and
the standalone question a careful reader would ask instead. For each item the earlier turns are really asked
(their answers become the assistant turns, as a chat client would send them back), the follow-up is resolved
by :meth:`qa.service.NewsQA.standalone_question`, and three things are counted:

- ``same_answer``: asking the resolved question gives the answer the standalone question gets (same
  ``answerable`` and the same first cited sentence, or the same short answer);
- ``exact``: the resolved question equals the standalone one (case, punctuation and articles aside);
- ``raw_same_answer``: the same check for the follow-up asked as it is (what a client without resolution gets).

    python -m eval.followups [--set design|check] [--data-dir DIR] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.conversation import ChatTurn
from qa.models import Answer
from qa.service import NewsQA

SETS = {
    "design": Path(__file__).resolve().parent / "data" / "followups.jsonl",
    "check": Path(__file__).resolve().parent / "data" / "followups_check.jsonl",
}
DEMO = Path(__file__).resolve().parents[1] / "demo" / "articles"


def load_items(path: Path = SETS["design"]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _norm(question: str) -> str:
    words = re.findall(r"[a-z0-9]+", question.lower())
    return " ".join(w for w in words if w not in ("the", "a", "an"))


def _signature(answer: Answer) -> tuple[bool, tuple[str, int] | None, str | None]:
    first = next((s for s in answer.sentences if s.supported and s.citations), None)
    cite = (first.citations[0].article_id, first.citations[0].start) if first else None
    return answer.answerable, cite, answer.short_answer


def same_answer(a: Answer, b: Answer) -> bool:
    (ok_a, cite_a, short_a), (ok_b, cite_b, short_b) = _signature(a), _signature(b)
    if ok_a != ok_b:
        return False
    return cite_a == cite_b or (short_a is not None and short_a == short_b)


def evaluate(svc: NewsQA, items: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for item in items:
        turns: list[ChatTurn] = []
        for q in item["turns"]:
            turns += [ChatTurn("user", q), ChatTurn("assistant", svc.ask(q).answer)]
        turns.append(ChatTurn("user", item["followup"]))
        rewrite = svc.standalone_question(turns)
        reference = svc.ask(item["standalone"])
        rows.append(
            {
                "id": item["id"],
                "followup": item["followup"],
                "resolved": rewrite.question,
                "rule": rewrite.rule,
                "standalone": item["standalone"],
                "exact": _norm(rewrite.question) == _norm(item["standalone"]),
                "same_answer": same_answer(svc.ask(rewrite.question), reference),
                "raw_same_answer": same_answer(svc.ask(item["followup"]), reference),
            }
        )
    n = len(rows) or 1
    overall = {key: round(sum(r[key] for r in rows) / n, 3) for key in ("same_answer", "exact", "raw_same_answer")}
    return {"n": len(rows), "overall": overall, "items": rows}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--set", choices=sorted(SETS), default="design", help="Which conversations (default design).")
    ap.add_argument("--data-dir", type=Path, help="Store to use (the demo corpus is ingested into it).")
    ap.add_argument("--json", type=Path, help="Write the per-item results here.")
    args = ap.parse_args(argv)
    import tempfile

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="followups-"))
    svc = NewsQA(Settings(data_dir=data_dir))
    svc.ingest_paths([DEMO])
    result = evaluate(svc, load_items(SETS[args.set]))
    for r in result["items"] if args.set == "design" else ():  # the check set is only read as a whole
        mark = "ok " if r["same_answer"] else "MISS"
        print(f"{mark} {r['followup']!r:55} -> {r['resolved']!r} [{r['rule']}]")
    print(json.dumps({"set": args.set, "n": result["n"], **result["overall"]}))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
