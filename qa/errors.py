"""Typed errors of the core library; the API maps them once to problem+json, the CLI to messages."""

from __future__ import annotations


class QAError(Exception):
    """Base class. ``status`` is the HTTP status the API maps this error to."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class InvalidInput(QAError):
    status = 422
    title = "Invalid input"


class NotArticleText(InvalidInput):
    """A page that is not an article (navigation, paywall, consent wall...): skipped with this reason."""

    title = "Not article text"


class TooLarge(QAError):
    status = 413
    title = "Too large"


class UnsupportedType(QAError):
    status = 415
    title = "Unsupported type"


class NotFound(QAError):
    status = 404
    title = "Not found"


class Conflict(QAError):
    """The request conflicts with the state: a feed already followed, a poll of it already running."""

    status = 409
    title = "Conflict"


class EmbedderMismatch(QAError):
    status = 409
    title = "Embedder mismatch"


class ModelUnavailable(QAError):
    status = 503
    title = "Model unavailable"


class StoreUnavailable(QAError):
    """The article database (or the Chroma server) is down or unreachable: retry later; nothing was half-written."""

    status = 503
    title = "Store unavailable"


class LLMUnavailable(QAError):
    status = 503
    title = "LLM unavailable"


class ConfigError(QAError):
    """A setting that can't work (e.g. an unknown ``QA_DATABASE_URL`` scheme): found at start-up."""

    status = 500
    title = "Configuration error"
