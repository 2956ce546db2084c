"""QA eval sets: one record shape for every dataset, and adapters for the formats we evaluate on.

Native format (JSON Lines, documented in ``eval/data/README.md``)::

    {id, question, today?, answer?, answerable?, evidence?[], article_ids?[], article_files?[], type?,
     choices?[], choice_index?[]}

Adapters (picked per line by the fields present):

* RealTimeQA ``qa.jsonl``: ``question_date`` → ``today``; ``answer`` and ``answer_plain`` are both gold
  strings; ``answer_choices``/``answer_index`` → ``choices``/``choice_index``; the verbatim
  ``evidence_in_article_auto`` sentences are the evidence (``evidence`` there is a quiz paraphrase).
* MultiHop-RAG reader ``qa.jsonl``: ``question_type`` → ``type``; the ``null_query`` type (answer
  "Insufficient information.") is unanswerable.

Articles are files or folders the ingester reads (``.txt .md .html .json .jsonl``). MultiHop-RAG
``article_stubs.jsonl`` records have no body: their verbatim ``known_facts`` become the body, so the gold
evidence sentences are the corpus.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa.articles import article_id_for, iter_files, parse_bytes, record_from_mapping
from qa.errors import QAError
from qa.models import ArticleIn

EVAL_DIR = Path(__file__).resolve().parent
DEMO_QUESTIONS = EVAL_DIR / "data" / "demo_qa.jsonl"
DEMO_BRIEFINGS = EVAL_DIR / "data" / "demo_briefings.jsonl"
DEMO_ARTICLES = EVAL_DIR.parent / "demo" / "articles"

# MultiHop-RAG's gold answer for questions the corpus cannot answer.
_MULTIHOP_NULL = "null_query"


@dataclass
class QAItem:
    id: str
    question: str
    today: dt.date | None = None
    answers: list[str] = field(default_factory=list)  # gold strings (aliases); empty when unanswerable
    answerable: bool = True
    evidence: list[str] = field(default_factory=list)  # verbatim article sentences
    article_ids: list[str] = field(default_factory=list)  # gold articles (resolved ids)
    type: str | None = None
    choices: list[str] = field(default_factory=list)
    choice_index: list[int] = field(default_factory=list)  # indices of the correct choices


@dataclass
class BriefingCase:
    id: str
    topic: str | None
    article_ids: list[str] = field(default_factory=list)
    since: dt.date | None = None
    until: dt.date | None = None
    key_sentences: list[str] = field(default_factory=list)


@dataclass
class Corpus:
    records: list[ArticleIn]
    by_file: dict[str, list[str]]  # file stem -> ids of the articles read from it
    skipped: list[tuple[str, str]]  # (path, reason)


def _day(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v not in (None, "")]


def _native(obj: dict[str, Any], by_file: dict[str, list[str]]) -> QAItem:
    answers = _strings(obj.get("answer")) + _strings(obj.get("answers"))
    ids = _strings(obj.get("article_ids"))
    for stem in _strings(obj.get("article_files")):
        if stem not in by_file:
            raise ValueError(f"item {obj.get('id')}: no ingested article file named {stem!r}")
        ids.extend(by_file[stem])
    return QAItem(
        id=str(obj["id"]),
        question=obj["question"],
        today=_day(obj.get("today")),
        answers=answers,
        answerable=bool(obj.get("answerable", bool(answers))),
        evidence=_strings(obj.get("evidence")),
        article_ids=list(dict.fromkeys(ids)),
        type=obj.get("type"),
        choices=_strings(obj.get("choices")),
        choice_index=[int(i) for i in obj.get("choice_index") or []],
    )


def _realtimeqa(obj: dict[str, Any]) -> QAItem:
    answers = list(dict.fromkeys(_strings(obj.get("answer_plain")) + _strings(obj.get("answer"))))
    evidence = [e["sentence"] for e in obj.get("evidence_in_article_auto") or [] if e.get("sentence")]
    n = obj.get("n_articles") or len(obj.get("article_ids") or [])
    return QAItem(
        id=str(obj["id"]),
        question=obj["question"],
        today=_day(obj.get("question_date")),
        answers=answers,
        answerable=True,
        evidence=evidence,
        article_ids=_strings(obj.get("article_ids")),
        type="multi-article" if n > 1 else "single-article",
        choices=_strings(obj.get("answer_choices")),
        choice_index=[int(i) for i in obj.get("answer_index") or []],
    )


def _multihop(obj: dict[str, Any]) -> QAItem:
    unanswerable = obj.get("question_type") == _MULTIHOP_NULL
    return QAItem(
        id=str(obj["id"]),
        question=obj["question"],
        answers=[] if unanswerable else _strings(obj.get("answer")),
        answerable=not unanswerable,
        evidence=_strings(obj.get("evidence")),
        article_ids=_strings(obj.get("article_ids")),
        type=obj.get("question_type"),
    )


def qa_item(obj: dict[str, Any], by_file: dict[str, list[str]] | None = None) -> QAItem:
    """One question line in any supported format → :class:`QAItem`."""
    if "question_date" in obj or "answer_choices" in obj:
        return _realtimeqa(obj)
    if "question_type" in obj and "evidence_detail" in obj:
        return _multihop(obj)
    return _native(obj, by_file or {})


def _jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: invalid JSON ({exc.msg})") from exc
    return rows


def load_questions(path: Path, corpus: Corpus | None = None) -> list[QAItem]:
    return [qa_item(obj, corpus.by_file if corpus else None) for obj in _jsonl(path)]


SPLITS = ("tune", "check")


def split_by_date(items: list[QAItem], part: str) -> list[QAItem]:
    """The earlier (``tune``) or later (``check``) half of a dated QA set.

    The cut is the date of the middle question (in date order): questions asked before that date are the
    tuning half, the rest (that date included) the checking half. A whole quiz date falls on one side, so
    the two halves share no week's news. The checking half is for aggregate figures only: it tells whether a
    change generalises, and nobody designs from its questions.
    """
    if part not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {part!r}")
    dated = sorted((it for it in items if it.today is not None), key=lambda it: it.today or dt.date.min)
    if len(dated) != len(items) or not dated:
        raise ValueError("a split by date needs a date (today / question_date) on every question")
    cut = dated[len(dated) // 2].today
    assert cut is not None
    return [it for it in items if (it.today < cut) == (part == "tune")]  # type: ignore[operator]


def load_briefings(path: Path, corpus: Corpus | None = None) -> list[BriefingCase]:
    by_file = corpus.by_file if corpus else {}
    cases = []
    for obj in _jsonl(path):
        ids = _strings(obj.get("article_ids"))
        ids += [i for stem in _strings(obj.get("article_files")) for i in by_file.get(stem, [])]
        cases.append(
            BriefingCase(
                id=str(obj["id"]),
                topic=obj.get("topic"),
                article_ids=list(dict.fromkeys(ids)),
                since=_day(obj.get("since")),
                until=_day(obj.get("until")),
                key_sentences=_strings(obj.get("key_sentences")),
            )
        )
    return cases


def _stub_to_mapping(obj: dict[str, Any]) -> dict[str, Any]:
    """A MultiHop-RAG stub has no body: its verbatim facts, one paragraph each, stand in for it."""
    if not obj.get("body") and obj.get("known_facts"):
        return {**obj, "body": "\n\n".join(obj["known_facts"])}
    return obj


def load_corpus(paths: list[Path]) -> Corpus:
    """Read every article under ``paths``; unreadable files are listed in ``skipped``, not fatal."""
    records: list[ArticleIn] = []
    by_file: dict[str, list[str]] = {}
    skipped: list[tuple[str, str]] = []
    for path in iter_files(paths):
        try:
            if path.suffix.lower() == ".jsonl":
                recs = [record_from_mapping(_stub_to_mapping(o)) for o in _jsonl(path)]
            else:
                recs = parse_bytes(path.read_bytes(), path.name)
        except (QAError, ValueError, OSError) as exc:
            skipped.append((str(path), exc.detail if isinstance(exc, QAError) else str(exc)))
            continue
        # Ids are fixed here (as the ingester would compute them) so file stems can be mapped to ids.
        for rec in recs:
            rec.id = article_id_for(rec)
        records.extend(recs)
        by_file.setdefault(path.stem, []).extend(r.id for r in recs if r.id)
    return Corpus(records=records, by_file=by_file, skipped=skipped)
