"""Logging for ``qa serve``: plain or JSON lines (``QA_LOG_JSON``), every line tagged with the request id.

Only request metadata is logged (method, path, status, duration): never article text, questions or keys.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from typing import Any

from api.context import request_id
from qa.config import Settings

# Attributes every LogRecord has; anything else was passed through ``extra=`` and goes into the JSON line.
# (uvicorn's color_message is its message again with terminal colour codes.)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}


# C0 and C1 control characters, DEL, and the Unicode line and paragraph separators: a request path with %0a or
# %1b in it must not start a forged log line or send escape codes to a terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_control(text: str) -> str:
    """Control characters as visible escapes (``\\n``, ``\\x1b``): one log record stays one line."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _escape_traceback(text: str) -> str:
    # A traceback is many lines by design; only its own line breaks stay, each continuation indented so that
    # no text inside it (an exception message, say) can pass for a log line of its own.
    return "\n".join("    " + escape_control(line) for line in text.split("\n"))


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get() or "-"
        return True


class TextFormatter(logging.Formatter):
    """One line per record, control characters escaped (tracebacks follow, indented)."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return escape_control(super().formatMessage(record))

    def formatException(self, ei: Any) -> str:
        return _escape_traceback(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:
        return _escape_traceback(super().formatStack(stack_info))


def _escaped(value: Any) -> Any:
    return escape_control(value) if isinstance(value, str) else value


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Its strings hold no control characters either, so that a viewer that decodes them
    (``jq -r .message``) can't be made to print a forged line."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        data.update({k: v for k, v in vars(record).items() if k not in _STANDARD})
        data = {k: _escaped(v) for k, v in data.items()}
        if record.exc_info:
            data["exc_info"] = _escape_traceback(self.formatException(record.exc_info))
        return json.dumps(data, default=lambda v: escape_control(str(v)))


def configure_logging(settings: Settings) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    if settings.log_json:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level.upper())
    # uvicorn's own access log would duplicate ours without the request id.
    logging.getLogger("uvicorn.access").disabled = True
