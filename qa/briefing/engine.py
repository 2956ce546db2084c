"""Briefings: a title and 3–8 cited bullets over chosen articles or a topic (with a date window).

Two steps, kept apart so a new way of choosing articles is one small function:
1. which articles: by id (:meth:`BriefingEngine.by_ids`) or by topic (:meth:`BriefingEngine.by_topic`, with
   the calibrated relevance cutoff of :mod:`qa.briefing.relevance`: nothing relevant is a 404);
2. which sentences (:meth:`BriefingEngine.compose`): extractive by default (:mod:`qa.briefing.selection`,
   bullets in the order of events, :mod:`qa.briefing.timeline`); with an LLM, its bullets are verified
   sentence by sentence and, if fewer than three survive, the extractive briefing is used instead.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from qa.briefing import relevance
from qa.briefing.params import MAX_BULLETS, MIN_BULLETS, TOPIC_ARTICLES
from qa.briefing.selection import Pick, choose, score
from qa.briefing.sentences import ArticleSentences
from qa.briefing.timeline import event_order, when
from qa.citations import check_citations, cite, dedupe, quotes_injection
from qa.errors import InvalidInput, NotFound
from qa.generators.base import Draft, Source
from qa.injection import is_injection
from qa.models import Article, Briefing, Bullet, Hit
from qa.store.feeds import FeedStore
from qa.stories import fold_citations, outlets

if TYPE_CHECKING:
    from qa.answer import AnswerEngine

__all__ = ["MAX_BULLETS", "MIN_BULLETS", "BriefingEngine", "bullet_budget"]


def bullet_budget(n_articles: int) -> int:
    return min(MAX_BULLETS, 3 + 2 * n_articles)


def _whole(article: Article, number: int) -> Source:
    """An article as one numbered source (briefings summarise whole articles, not retrieved chunks)."""
    hit = Hit(
        article_id=article.id,
        title=article.title,
        chunk_index=0,
        start=0,
        end=len(article.body),
        text=article.body,
        score=1.0,
        published_at=article.published_at,
        source=article.source,
        url=article.url,
    )
    return Source(number=number, hit=hit, article=article)


class BriefingEngine:
    def __init__(self, engine: AnswerEngine) -> None:
        self.engine = engine

    # --- which articles ----------------------------------------------------------------------------
    def by_ids(self, article_ids: list[str], since: dt.date | None, until: dt.date | None) -> list[Article]:
        ids = list(dict.fromkeys(article_ids))
        found = self.engine.store.bodies(ids)
        missing = [a for a in ids if a not in found or found[a].state != "ready"]
        if missing:
            raise NotFound(f"no article with id {', '.join(repr(m) for m in missing)}")
        return [found[a] for a in ids if _in_window(found[a], since, until)]

    def by_news(
        self, new_since: dt.datetime | None, feed_id: str | None, since: dt.date | None, until: dt.date | None
    ) -> list[Article]:
        """What's new: the articles first seen at or after ``new_since`` (of one feed when given), one per story,
        the stories ordered by importance: how many outlets carried them, then how recently they were seen."""
        store = self.engine.store
        if not isinstance(store, FeedStore):
            raise InvalidInput(f"the {store.backend} store does not keep feeds or stories")
        start = new_since or dt.datetime.min.replace(tzinfo=dt.UTC)
        fresh = store.new_since(start, feed_id)
        members = store.story_members(list(dict.fromkeys(m.story_id for m in fresh)))
        ranked = sorted(
            members.items(), key=lambda kv: (-outlets(kv[1]), -max(m.first_seen_at.timestamp() for m in kv[1]))
        )
        new_ids = {m.article_id for m in fresh}
        reps = [next(m.article_id for m in group if m.article_id in new_ids) for _, group in ranked if group]
        found = store.bodies(reps)
        arts = [found[a] for a in reps if a in found and _in_window(found[a], since, until)]
        return arts[:TOPIC_ARTICLES]

    def by_topic(self, topic: str, since: dt.date | None, until: dt.date | None) -> list[Article]:
        """The articles about ``topic`` (calibrated relevance at or above the cutoff), most relevant first."""
        kept = relevance.relevant(relevance.candidates(self.engine.retriever, topic, since, until))
        return [c.article for c in kept[:TOPIC_ARTICLES]]

    # --- briefing ----------------------------------------------------------------------------------
    def brief(
        self,
        article_ids: list[str] | None = None,
        topic: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        generator: str | None = None,
        new_since: dt.datetime | None = None,
        feed_id: str | None = None,
    ) -> Briefing:
        name = self.engine.resolve(generator)
        if article_ids:
            arts = self.by_ids(article_ids, since, until)
        elif new_since is not None or feed_id is not None:
            arts = self.by_news(new_since, feed_id, since, until)
            if not arts:
                raise NotFound("no new articles" + (f" since {new_since:%Y-%m-%d %H:%M} UTC" if new_since else ""))
            title = "What's new" + (f" since {new_since:%Y-%m-%d %H:%M} UTC" if new_since else "")
            return self.compose(arts, title, None, name)
        elif topic and topic.strip():
            arts = self.by_topic(topic.strip(), since, until)
        else:
            raise InvalidInput("a briefing needs article ids or a topic")
        if not arts:
            raise NotFound("no articles match this briefing request" + (f" (topic {topic!r})" if topic else ""))
        subject = topic.strip() if topic and not article_ids else None
        title = subject or (arts[0].title if len(arts) == 1 else f"Briefing on {len(arts)} articles")
        return self.compose(arts, title, subject, name)

    def compose(self, arts: list[Article], title: str, subject: str | None, generator: str = "extractive") -> Briefing:
        """The briefing of ``arts`` (most relevant first). ``subject`` (a topic) steers which sentences count
        as key; without one each article is read against its own title."""
        budget = bullet_budget(len(arts))
        bullets: list[Bullet] = []
        used = "extractive"
        if generator == "llm":
            sources = [_whole(a, n) for n, a in enumerate(sorted(arts, key=_chronological), 1)]
            self.engine.prepare_verification(sources)
            draft = self.engine.generator("llm").brief(title, sources, budget)
            bullets = self._verified(draft, sources)
            if len(bullets) >= MIN_BULLETS:
                # The model's title is its own words: one that addresses a model (an obeyed injection) is not shown.
                used = "llm"
                if draft.preface and not is_injection(draft.preface):
                    title = draft.preface
        if used == "extractive":
            texts = [ArticleSentences(a) for a in arts]
            picks = choose(score(texts, subject, self.engine.embedder), budget)
            bullets = [_bullet(p) for p in in_event_order(picks)]
        by_id = {a.id: a for a in arts}
        check_citations([c for b in bullets for c in b.citations], by_id)
        # The last guard of "never a bullet": a bullet quoting text addressed to a model is dropped.
        bullets = [b for b in bullets if not any(quotes_injection(c, by_id[c.article_id]) for c in b.citations)]
        # One citation per story (near-duplicates from several outlets), saying how many outlets carried it.
        store = self.engine.store
        bullets = [b.model_copy(update={"citations": fold_citations(store, b.citations)}) for b in bullets]
        return Briefing(title=title, bullets=bullets, article_ids=[a.id for a in arts], generator=used)

    def _verified(self, draft: Draft, sources: list[Source]) -> list[Bullet]:
        cited = [self.engine.cite_sentence(d, sources) for d in draft.sentences]
        checked = self.engine.verify_sentences(cited, sources)
        return [
            Bullet(text=s.text, citations=s.citations, supported=True, score=s.score) for s in checked if s.supported
        ]


def in_event_order(picks: list[Pick]) -> list[Pick]:
    """Across articles by date (events unfold); within an article in the order of its events: its narrative
    order, overridden where time expressions or tense are decisive (:func:`qa.briefing.timeline.event_order`)."""
    groups: dict[str, list[Pick]] = {}
    for p in picks:
        groups.setdefault(p.sentence.article.id, []).append(p)
    out: list[Pick] = []
    for group in sorted(groups.values(), key=lambda g: _chronological(g[0].sentence.article)):
        ref = group[0].sentence.article.published_at
        items = [(p.quoted[0].index, when(" ".join(s.text for s in p.quoted), ref)) for p in group]
        out += [group[i] for i in event_order(items)]
    return out


def _bullet(pick: Pick) -> Bullet:
    """The quoted passage verbatim; one citation per sentence, then the same fact in other articles."""
    spans = [(s.article, s.start, s.end) for s in [*pick.quoted, *pick.duplicates]]
    return Bullet(
        text=" ".join(s.text for s in pick.quoted),
        citations=dedupe(cite(a, x, y) for a, x, y in spans),
        supported=True,
        score=pick.score,
    )


def _chronological(article: Article) -> tuple[dt.date, str]:
    return (article.published_at or dt.date.min, article.id)


def _in_window(article: Article, since: dt.date | None, until: dt.date | None) -> bool:
    day = article.published_at
    if day is None:
        return since is None and until is None
    return (since is None or day >= since) and (until is None or day <= until)
