"""The façade over the core: the CLI, the API and the eval suite all go through :class:`NewsQA`."""

from __future__ import annotations

import datetime as dt
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

from qa import stories
from qa.article_text import assess
from qa.articles import article_id_for, canonical_url, content_hash, iter_files, normalize_record, parse_bytes
from qa.chunking import chunk_text
from qa.config import Settings
from qa.conversation import ChatTurn, Rewrite
from qa.datadir import DataDirLock
from qa.embeddings import BackgroundMiniLM, Embedder, get_embedder
from qa.errors import InvalidInput, LLMUnavailable, NotArticleText, NotFound, QAError, StoreUnavailable, TooLarge
from qa.injection import stored_spans
from qa.models import Answer, Article, ArticleIn, ArticleState, Briefing, Chunk, Filters, Hit, IngestItem, IngestReport
from qa.nlp import parse
from qa.retrieval import HybridRetriever, Mode
from qa.sentence_worker import SentenceVectorWorker
from qa.store import ArticleStore, open_store
from qa.store.feeds import FeedStore
from qa.vectors import ChromaIndex, VectorIndex

Progress = Callable[[int], None]  # called with the number of items just finished

# Articles per indexing batch: large enough to fill embedder batches, small enough that a crash loses little.
INDEX_BATCH = 32


def _release(
    worker: SentenceVectorWorker, store: ArticleStore[Any], index: VectorIndex, lock: DataDirLock | None
) -> None:
    worker.close()  # first: it reads and writes the store
    index.close()
    store.close()
    if lock is not None:
        lock.release()


# Title words put before each chunk for the embedder: a headline's worth. MiniLM reads 256 tokens, so a longer title
# (titles may have up to MAX_TITLE_CHARS) would push the chunk's own words out of what is embedded.
EMBEDDED_TITLE_WORDS = 30


def embedding_text(title: str, chunk_text: str) -> str:
    """What the dense index sees: the title gives every chunk its article's topic."""
    words = title.split()
    if len(words) > EMBEDDED_TITLE_WORDS:
        title = " ".join(words[:EMBEDDED_TITLE_WORDS])
    return f"{title}\n\n{chunk_text}"


class NewsQA:
    def __init__(self, settings: Settings | None = None, embedder: Embedder | None = None) -> None:
        self.settings = settings or Settings()
        self.embedder = embedder or get_embedder(self.settings)
        # Embedded Chroma is one process's: refuse to open a data dir another process has open (see qa.datadir).
        lock = DataDirLock(self.settings.resolved_data_dir) if self.settings.chroma_mode == "embedded" else None
        try:
            self.store = open_store(self.settings)
            self.index: VectorIndex = ChromaIndex(self.settings, self.embedder)
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        # Indexing writes go through one lock so two ingests never interleave their Chroma and SQLite steps.
        self._index_lock = threading.Lock()
        # The grounding verifier's sentence vectors, filled in when no ingest is running: after each ingest, and from
        # start-up (repair) for what a store from before them (or from before an LLM endpoint was set) lacks.
        encoder = BackgroundMiniLM(self.settings.embed_batch_size)
        enabled = self.settings.keeps_sentence_vectors
        self.sentence_vectors = SentenceVectorWorker(self.store, encoder, self._index_lock, enabled)
        # Released by close(), or when the service is garbage-collected without it.
        self._finalizer = weakref.finalize(self, _release, self.sentence_vectors, self.store, self.index, lock)
        self.retriever = HybridRetriever(self.store, self.index, self.embedder, self.settings)
        self._engine: Any = None
        self._feeds: Any = None
        self.repair()

    def close(self) -> None:
        """Let go of the vector index and the data dir (another process may open it afterwards)."""
        if self._feeds is not None:
            self._feeds.close()
        self._finalizer()

    @property
    def feeds(self) -> Any:
        """The followed news feeds (:class:`qa.feeds.Feeds`), made on first use."""
        if self._feeds is None:
            from qa.feeds import Feeds

            self._feeds = Feeds(self)
        return self._feeds

    def __enter__(self) -> NewsQA:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- ingest -----------------------------------------------------------------------------------------
    def prepare(self, record: ArticleIn) -> Article:
        """Validate and clean one record into the article that would be stored (nothing is written).

        Raises :class:`NotArticleText` for a page that is not an article (navigation, paywall, consent wall).
        Without an id the article is found by its canonical URL, so a new version of a stored page updates it
        (see :func:`qa.articles.article_identity`)."""
        if len(record.body) > self.settings.max_article_chars:
            raise TooLarge(
                f"article body has {len(record.body)} characters; the limit is {self.settings.max_article_chars}"
            )
        if not record.body.strip():
            raise InvalidInput("article body is empty")
        title, body = normalize_record(record)
        if not body.strip():
            raise NotArticleText("not article text: nothing is left after removing page furniture")
        verdict = assess(body)
        if not verdict.is_article:
            raise NotArticleText(verdict.reason or "not article text")
        url = canonical_url(record.url)
        record = record.model_copy(update={"url": url})
        article_id = record.id or (url and self.store.id_for_url(url)) or article_id_for(record, title)
        article = Article(
            id=article_id,
            title=title,
            body=body,
            published_at=record.published_at,
            source=record.source,
            url=url,
            authors=record.authors,
            content_hash=content_hash(title, body, record),
            state="indexing",
        )
        article._encoding = record._encoding
        return article

    def ingest_articles(self, articles: Sequence[Article], progress: Progress | None = None) -> IngestReport:
        """Store and index prepared articles; unchanged ones are skipped, changed ones replaced."""
        report = IngestReport()
        # The last version wins when one batch holds the same id twice.
        unique = list({a.id: a for a in articles}.values())
        # Other processes sharing the store keep off these ids until they are done (a no-op for SQLite); the
        # hashes are read under the locks, so an article another process just stored is "unchanged" here.
        with self._index_lock, self.store.article_locks([a.id for a in unique]):
            existing = self.store.hashes([a.id for a in unique])
            todo: list[tuple[Article, str]] = []
            for art in unique:
                old = existing.get(art.id)
                if old is not None and old[0] == art.content_hash and old[1] == "ready":
                    report.items.append(
                        IngestItem(
                            article_id=art.id, title=art.title, status="unchanged", chunks=0, encoding=art._encoding
                        )
                    )
                    if progress:
                        progress(1)
                else:
                    todo.append((art, "added" if old is None else "updated"))
            for b in range(0, len(todo), INDEX_BATCH):
                batch = todo[b : b + INDEX_BATCH]
                chunks = self._index([a for a, _ in batch])
                for art, status in batch:
                    report.items.append(
                        IngestItem(
                            article_id=art.id,
                            title=art.title,
                            status=status,  # type: ignore[arg-type]
                            chunks=len(chunks[art.id]),
                            encoding=art._encoding,
                        )
                    )
                if progress:
                    progress(len(batch))
        return report

    def _index(self, articles: Sequence[Article]) -> dict[str, list[Chunk]]:
        """Write rows as ``indexing``, replace their vectors, then mark ``ready`` (crash-safe: see repair)."""
        s = self.settings
        chunks = {a.id: chunk_text(a.id, a.body, s.chunk_tokens, s.chunk_overlap_tokens) for a in articles}
        now = dt.datetime.now(dt.UTC)
        with self.store.transaction() as con:
            for art in articles:
                art.ingested_at = now
                art._injected = stored_spans(art)  # what questions will read instead of classifying again
                self.store.put(con, art, chunks[art.id])
                if isinstance(self.store, FeedStore):  # its story, in the same transaction as the article
                    stories.assign(self.store, con, art, now)
        self._embed_and_upsert(articles, chunks)
        with self.store.transaction() as con:
            self.store.set_state(con, [a.id for a in articles], "ready")
        self.sentence_vectors.wake()  # runs once this ingest lets go of the index lock
        return chunks

    def _embed_and_upsert(self, articles: Sequence[Article], chunks: dict[str, list[Chunk]]) -> None:
        by_id = {a.id: a for a in articles}
        flat = [c for a in articles for c in chunks[a.id]]
        self.index.delete_articles([a.id for a in articles])
        if flat:
            vectors = self.embedder.embed([embedding_text(by_id[c.article_id].title, c.text) for c in flat])
            self.index.upsert(flat, by_id, vectors)

    def ingest_records(
        self, records: Iterable[ArticleIn], progress: Progress | None = None, names: Sequence[str] | None = None
    ) -> IngestReport:
        """All-or-nothing validation: if any record is invalid, nothing is stored (the API's batch contract).
        A record that is not article text is not an error: it is reported as skipped (with ``names[n]``, its
        file, as the item's path) and the others go in."""
        prepared: list[Article] = []
        skipped: list[IngestItem] = []
        for n, rec in enumerate(records):
            try:
                prepared.append(self.prepare(rec))
            except NotArticleText as exc:
                path = names[n] if names is not None and n < len(names) else None
                item = IngestItem(article_id=rec.id, title=rec.title, status="skipped", reason=exc.detail, path=path)
                skipped.append(item)
            except QAError as exc:
                raise type(exc)(f"article {n}: {exc.detail}") from exc
        total = len(prepared) + len(skipped)
        if total > self.settings.max_batch_articles:
            raise TooLarge(f"{total} articles in one batch; the limit is {self.settings.max_batch_articles}")
        report = self.ingest_articles(prepared, progress)
        report.items = skipped + report.items
        return report

    def read_paths(self, paths: Iterable[Path]) -> tuple[list[Article], IngestReport]:
        """Parse and validate files and folders, writing nothing: the articles to ingest, and a report listing
        each file that can't be used, or record that is not article text, with its reason (so a caller knows the
        total before indexing starts)."""
        report = IngestReport()
        prepared: list[Article] = []
        for path in iter_files(paths):
            try:
                if path.stat().st_size > self.settings.max_upload_bytes:
                    raise TooLarge(
                        f"file is {path.stat().st_size} bytes; the limit is {self.settings.max_upload_bytes}"
                    )
                records = parse_bytes(path.read_bytes(), path.name)
                for rec in records:
                    try:
                        prepared.append(self.prepare(rec))
                    except NotArticleText as exc:  # one page of a file: the file's other records still go in
                        item = IngestItem(article_id=rec.id, title=rec.title, status="skipped", reason=exc.detail)
                        report.items.append(item.model_copy(update={"path": str(path)}))
            except (QAError, OSError) as exc:
                reason = exc.detail if isinstance(exc, QAError) else str(exc)
                reason = reason.removeprefix(f"{path.name}: ")  # the item names its path already
                report.items.append(IngestItem(article_id=None, status="skipped", reason=reason, path=str(path)))
        return prepared, report

    def ingest_paths(self, paths: Iterable[Path], progress: Progress | None = None) -> IngestReport:
        """Ingest files and folders; a file that can't be used is skipped with its reason, the rest go in."""
        prepared, report = self.read_paths(paths)
        report.items.extend(self.ingest_articles(prepared, progress).items)
        return report

    # --- articles -----------------------------------------------------------------------------------
    def get_article(self, article_id: str) -> Article:
        art = self.store.get(article_id)
        if art is None or art.state != "ready":
            raise NotFound(f"no article with id {article_id!r}")
        return art

    def list_articles(
        self, filters: Filters | None = None, limit: int | None = None, offset: int = 0
    ) -> tuple[list[Article], int]:
        return self.store.list(filters, limit, offset), self.store.count(filters)

    def delete_article(self, article_id: str) -> None:
        with self._index_lock, self.store.article_locks([article_id]):
            if self.store.get(article_id, with_body=False) is None:
                raise NotFound(f"no article with id {article_id!r}")
            # Mark first so a crash mid-delete is finished on restart instead of leaving orphan vectors.
            with self.store.transaction() as con:
                self.store.set_state(con, [article_id], "deleting")
            self.index.delete_articles([article_id])
            with self.store.transaction() as con:
                self.store.delete(con, article_id)

    # --- consistency -------------------------------------------------------------------------------
    def repair(self) -> dict[str, int]:
        """Finish what a crash interrupted: re-index ``indexing`` articles, complete ``deleting`` ones."""
        deleted = reindexed = 0
        with self._index_lock:
            for part in self._batches_in_state("deleting"):
                with self.store.article_locks(part):
                    deleted += self._finish_deleting(self._still_in_state(part, "deleting"))
            for part in self._batches_in_state("indexing"):
                with self.store.article_locks(part):
                    reindexed += self._finish_indexing(self._still_in_state(part, "indexing"))
        self.sentence_vectors.wake()
        return {"reindexed": reindexed, "deleted": deleted}

    def _batches_in_state(self, state: ArticleState) -> Iterator[list[str]]:
        ids = self.store.ids_in_state(state)
        for b in range(0, len(ids), INDEX_BATCH):
            yield ids[b : b + INDEX_BATCH]

    def _still_in_state(self, ids: list[str], state: ArticleState) -> list[str]:
        """Those of ``ids`` still in ``state`` now that their locks are held: another process sharing the store
        may have finished them meanwhile (it was mid-ingest, or repairing too)."""
        hashes = self.store.hashes(ids)
        return [i for i in ids if i in hashes and hashes[i][1] == state]

    def _finish_deleting(self, part: list[str]) -> int:
        if part:
            self.index.delete_articles(part)
            with self.store.transaction() as con:
                for aid in part:
                    self.store.delete(con, aid)
        return len(part)

    def _finish_indexing(self, part: list[str]) -> int:
        """Re-embed articles left ``indexing`` from their stored chunks, then mark them ``ready``."""
        if part:
            arts = self.store.bodies(part)
            chunks: dict[str, list[Chunk]] = {aid: [] for aid in part}
            for c, _ in self.store.chunks_of(part):
                chunks[c.article_id].append(c)
            self._embed_and_upsert(list(arts.values()), chunks)
            with self.store.transaction() as con:
                self.store.set_state(con, part, "ready")
        return len(part)

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild chunks, BM25 rows and vectors from the stored articles (new chunking or embedder)."""
        with self._index_lock:
            self.index.reset()
            ids = [a.id for a in self.store.list(states=("ready", "indexing"))]
            for b in range(0, len(ids), INDEX_BATCH):
                arts = list(self.store.bodies(ids[b : b + INDEX_BATCH]).values())
                self._index(arts)
                if progress:
                    progress(len(arts))
        return len(ids)

    # --- retrieval ------------------------------------------------------------------------------------
    def search(
        self,
        question: str,
        k: int | None = None,
        filters: Filters | None = None,
        today: dt.date | None = None,
        mode: Mode = "hybrid",
    ) -> list[Hit]:
        self.check_question(question, filters)
        return self.retriever.search(question, k=k, filters=filters, today=today, mode=mode)

    def check_question(self, question: str, filters: Filters | None = None) -> None:
        if not question or not question.strip():
            raise InvalidInput("question is empty")
        if len(question) > self.settings.max_question_chars:
            raise TooLarge(f"question has {len(question)} characters; the limit is {self.settings.max_question_chars}")
        if filters is not None and filters.article_ids is not None:
            # As for a briefing's article_ids: a mistyped id is an error, not a silent "the articles don't say".
            if not filters.article_ids:
                raise InvalidInput("filters.article_ids is empty: give at least one article id, or leave it out")
            found = self.store.meta(filters.article_ids)
            missing = [a for a in dict.fromkeys(filters.article_ids) if a not in found or found[a].state != "ready"]
            if missing:
                raise NotFound(f"no article with id {', '.join(repr(m) for m in missing)}")

    def stats(self) -> dict[str, int]:
        return {"articles": self.store.count(), "chunks": self.store.chunk_count(), "vectors": self.index.count()}

    def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` reports: each dependency checked on its own (the article database with its schema
        version, then the vector index). Raises :class:`StoreUnavailable` naming each one that does not answer."""
        out: dict[str, Any] = {"database": self.store.backend, "vector_index": f"chroma-{self.settings.chroma_mode}"}
        down: list[str] = []
        try:
            out.update(schema_version=self.store.schema_version(), articles=self.store.count())
            out["chunks"] = self.store.chunk_count()
        except Exception as exc:  # a probe: any failure means "not ready", named by its cause's class
            down.append(f"the {self.store.backend} article store ({type(exc.__cause__ or exc).__name__})")
        try:
            out["vectors"] = self.index.count()
        except Exception as exc:
            down.append(f"the Chroma {self.settings.chroma_mode} vector index ({type(exc.__cause__ or exc).__name__})")
        if down:
            raise StoreUnavailable(f"{' and '.join(down)} not answering")
        return out

    # --- answers and briefings ------------------------------------------------------------------------
    @property
    def engine(self) -> Any:
        """The answer engine (:class:`qa.answer.AnswerEngine`), built on first use."""
        if self._engine is None:
            from qa.answer import AnswerEngine

            self._engine = AnswerEngine(
                self.store, self.retriever, self.embedder, self.settings, self.sentence_vectors.wake
            )
        return self._engine

    def ask(
        self,
        question: str,
        today: dt.date | None = None,
        k: int | None = None,
        filters: Filters | None = None,
        generator: Literal["extractive", "llm"] | None = None,
        explain: bool = False,
    ) -> Answer:
        """A grounded answer: every quote verbatim, LLM sentences verified; abstains when the articles
        don't answer (``reason`` says why). ``explain`` adds the question analysis, candidates and scores.
        ``generator="llm"`` without ``QA_LLM_BASE_URL`` raises LLMUnavailable."""
        self.check_question(question, filters)
        return self.engine.ask(question, today=today, k=k, filters=filters, generator=generator, explain=explain)

    def ask_stream(
        self,
        question: str,
        today: dt.date | None = None,
        k: int | None = None,
        filters: Filters | None = None,
        generator: Literal["extractive", "llm"] | None = None,
        explain: bool = False,
    ) -> Iterator[dict[str, Any]]:
        """``{"event": "delta", "data": {"text"}}`` events, then ``{"event": "answer", "data": Answer}``.

        A delta that completes an answer sentence also carries it (``"sentence"``: :class:`AnswerSentence`,
        with its citations) beside ``data``; the deltas' texts join to ``Answer.answer``. Checks run before the first event, so a bad request fails instead of starting a stream."""
        self.check_question(question, filters)
        self.engine.resolve(generator)
        return self.engine.stream(question, today=today, k=k, filters=filters, generator=generator, explain=explain)

    def standalone_question(self, turns: Sequence[ChatTurn]) -> Rewrite:
        """The question the last user turn of a conversation asks, follow-ups ("why?", "who was he meeting?",
        "and in 2023?") resolved against the earlier turns: by the LLM when one is configured, else (or when
        its reply is unusable or the endpoint fails) by the rules over the parse."""
        from qa.conversation import Rewriter

        rewriter = Rewriter(parse)
        if sum(1 for t in turns if t.role == "user") < 2 or not self.settings.llm_base_url:
            return rewriter.standalone(turns)
        from qa.generators.llm import LLMGenerator

        last = turns[-1].text.strip()
        llm = self.engine.generator("llm")
        assert isinstance(llm, LLMGenerator)
        history = "\n".join(f"{t.role.capitalize()}: {t.text.strip()}" for t in turns[:-1] if t.role != "system")
        try:
            question = llm.condense(history, last)
        except LLMUnavailable:
            question = None
        if question is None:
            return rewriter.standalone(turns)
        self.check_question(question)
        return Rewrite(question=question, original=last, rule="llm" if question != last else None)

    def brief(
        self,
        article_ids: list[str] | None = None,
        topic: str | None = None,
        since: dt.date | None = None,
        until: dt.date | None = None,
        generator: Literal["extractive", "llm"] | None = None,
        new_since: dt.datetime | None = None,
        feed_id: str | None = None,
    ) -> Briefing:
        """A title and 3–8 cited bullets over the given articles, the articles on ``topic`` in the window, or what
        is new: articles first seen since ``new_since`` (of feed ``feed_id``), one per story, biggest first."""
        from qa.briefing import BriefingEngine

        if feed_id is not None:
            self.feeds.get(feed_id)  # an unknown feed is a 404, not "nothing new"
        return BriefingEngine(self.engine).brief(article_ids, topic, since, until, generator, new_since, feed_id)
