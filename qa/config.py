"""All settings in one pydantic-settings object (env vars ``QA_*``); CLI flags and the API only override it."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _split_csv(value: object) -> object:
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QA_", env_file=None, extra="ignore")

    # --- storage -----------------------------------------------------------------------------
    data_dir: Path = Field(Path("./data"), description="Article store (SQLite) and embedded Chroma live here.")
    database_url: SecretStr | None = Field(
        None, description="Article store URL (e.g. postgresql://user:pass@host/db); unset = SQLite in data_dir."
    )
    database_pool_size: int = Field(
        10, ge=2, le=1000, description="PostgreSQL connections per process (an ingest holds two at once)."
    )
    # Below /readyz's 5 s probe timeout, so a probe of a database that is down names it instead of timing out.
    database_timeout_s: float = Field(
        3.0, gt=0, le=600, description="Wait this long for a PostgreSQL connection before answering 503."
    )
    chroma_mode: Literal["embedded", "server"] = "embedded"
    chroma_host: str = "127.0.0.1"
    chroma_port: int = 8001
    collection: str = "chunks"

    # --- embeddings and chunking ---------------------------------------------------------------
    embedder: Literal["minilm-onnx", "openai"] = "minilm-onnx"
    openai_embedding_model: str = "text-embedding-3-small"
    embed_batch_size: int = Field(64, ge=1, le=1024)
    chunk_tokens: int = Field(180, ge=32, le=2000, description="Chunk size in cl100k tokens.")
    chunk_overlap_tokens: int = Field(40, ge=0, le=500)

    # --- retrieval -------------------------------------------------------------------------------
    k: int = Field(8, ge=1, le=100)
    candidates: int = Field(60, ge=5, le=1000, description="Per-retriever candidates before fusion.")
    fusion: Literal["convex", "rrf"] = "convex"
    dense_weight: float = Field(0.5, ge=0.0, le=1.0, description="Weight of dense vs BM25 in convex fusion.")
    rrf_k: int = 60
    recency_weight: float = Field(0.1, ge=0.0, le=1.0, description="Prior for recent articles when `today` is given.")
    recency_half_life_days: float = 7.0

    # --- generation (LLM path is opt-in) ---------------------------------------------------------
    generator: Literal["extractive", "llm"] = "extractive"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_model: str = "gpt-4o-mini"
    llm_max_tokens: int = Field(400, ge=16, le=8192)
    llm_temperature: float = 0.0
    llm_timeout_s: float = 120.0
    llm_context_tokens: int = Field(3000, ge=256, description="Token budget for sources in the prompt.")

    # --- extractive answers ----------------------------------------------------------------------------
    answer_min_relevance: float = Field(
        0.3,
        ge=0.0,
        le=1.0,
        description="A passage from another article than the one an answer leads with is shown only when its "
        "article's best sentence covers at least this (weighted) share of the question's words; calibrated by "
        "`python -m eval.calibrate_relevance` on the RealTimeQA tuning half.",
    )

    # --- grounding ---------------------------------------------------------------------------------
    grounding_threshold: float = Field(0.33, ge=0.0, le=1.0)  # fitted with qa/grounding_weights.json
    sentence_vectors: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Keep the grounding verifier's sentence vectors with each article (computed in the background "
        "after ingest, qa/sentence_worker.py): auto = when an LLM endpoint is set, the only path that verifies.",
    )

    # --- service limits and security ---------------------------------------------------------------
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(default_factory=list)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    max_question_chars: int = 2000
    max_article_chars: int = 400_000
    max_upload_bytes: int = 10_000_000
    max_batch_articles: int = 500
    # Connections (``qa serve``): beyond max_connections open connections or requests in flight, a request gets a
    # 503 at once. A request must keep arriving (some bytes every request_read_timeout_s) and be complete within
    # request_deadline_s, or it gets a 408 and its connection is closed (time spent answering is not counted).
    max_connections: int = Field(200, ge=1, le=100_000)
    keep_alive_timeout_s: int = Field(5, ge=1, le=3600, description="Idle keep-alive connections are closed after.")
    request_read_timeout_s: float = Field(15.0, gt=0, le=3600)
    request_deadline_s: float = Field(120.0, gt=0, le=86_400)
    log_json: bool = False
    log_level: str = "INFO"

    # --- news feeds (qa/feeds) ----------------------------------------------------------------------
    feeds_poll: bool = Field(False, description="`qa serve` polls due feeds in the background.")
    feeds_poll_tick_s: float = Field(30.0, gt=0, le=86_400, description="How often the background poller looks.")
    feeds_parallel: int = Field(2, ge=1, le=16, description="Feeds polled at once by one process.")
    feed_interval_s: int = Field(900, ge=60, le=7 * 86_400, description="Default time between polls of a feed.")
    feed_lease_s: float = Field(
        120.0, ge=5, le=3600, description="A poll's claim on its feed; renewed while it runs, taken over once expired."
    )
    feed_max_entries: int = Field(200, ge=1, le=10_000, description="Entries read from one fetch of a feed.")
    # Outbound fetching (qa/feeds/fetch.py and guard.py): what a polite, safe fetcher may do.
    fetch_allow_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts or CIDRs fetched even though they are loopback/private (e.g. 127.0.0.1 in tests).",
    )
    fetch_user_agent: str = "newsqa-feeds/0.1 (news feed reader; honours robots.txt)"
    fetch_connect_timeout_s: float = Field(5.0, gt=0, le=120)
    fetch_read_timeout_s: float = Field(15.0, gt=0, le=600, description="Longest wait for the next bytes.")
    fetch_deadline_s: float = Field(60.0, gt=0, le=3600, description="Longest one response may take in all.")
    fetch_max_bytes: int = Field(5_000_000, ge=1024, le=200_000_000, description="A page or feed larger is refused.")
    fetch_max_redirects: int = Field(5, ge=0, le=20)
    fetch_host_delay_s: float = Field(1.0, ge=0, le=600, description="Least time between requests to one host.")
    fetch_host_concurrency: int = Field(2, ge=1, le=32, description="Requests in flight to one host.")
    fetch_workers: int = Field(8, ge=1, le=64, description="Pages fetched at once by one poll.")
    fetch_retries: int = Field(3, ge=0, le=10, description="Retries on 429/5xx and network errors.")
    fetch_backoff_s: float = Field(1.0, ge=0, le=600, description="First retry delay (doubles each retry).")
    fetch_max_retry_after_s: float = Field(120.0, ge=0, le=86_400, description="A longer Retry-After gives up.")
    robots_ttl_s: float = Field(3600.0, ge=0, le=7 * 86_400, description="How long a host's robots.txt is kept.")

    # Comma-separated env values (QA_API_KEYS=a,b) rather than JSON lists.
    _csv = field_validator("api_keys", "cors_origins", "fetch_allow_hosts", mode="before")(_split_csv)

    @property
    def resolved_data_dir(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def keeps_sentence_vectors(self) -> bool:
        return self.sentence_vectors == "always" or (self.sentence_vectors == "auto" and bool(self.llm_base_url))

    @property
    def sqlite_path(self) -> Path:
        return self.resolved_data_dir / "articles.sqlite3"

    @property
    def chroma_path(self) -> Path:
        return self.resolved_data_dir / "chroma"

    def llm_key(self) -> str | None:
        """``QA_LLM_API_KEY`` first, then the conventional ``OPENAI_API_KEY``."""
        import os

        if self.llm_api_key is not None:
            return self.llm_api_key.get_secret_value()
        return os.environ.get("OPENAI_API_KEY")
