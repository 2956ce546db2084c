"""One process at a time on a data directory whose vectors are in embedded Chroma.

Embedded Chroma (``PersistentClient``) keeps its HNSW index in memory and is not process-safe: what a second
process writes to the same directory stays invisible to the first one's dense search until that one writes
itself, and two writers can overwrite each other's index files (Chroma's docs: use a single client at a time;
chroma-core/chroma issues #3769 and #3792). So the process that opens an embedded data dir takes an exclusive
lock on ``<data dir>/lock``, and another process is refused with a message that says who holds it and what to
do instead. With a Chroma server (``QA_CHROMA_MODE=server``) there is no such lock: the vectors live in that
server, which any number of processes share.

Within one process every opener shares the lock (reference-counted), so several :class:`qa.service.NewsQA`
objects on one directory are fine. The kernel drops the lock when the process ends, however it ends.
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from qa.errors import QAError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock: one process per data dir is then up to the user
    fcntl = None  # type: ignore[assignment]

LOCK_FILE = "lock"


class DataDirBusy(QAError):
    status = 503  # unavailable to this process for now (the CLI's exit code 6)
    title = "Data directory in use"


# Per process: resolved data dir -> [file descriptor holding the lock, number of openers].
_held: dict[Path, list[int]] = {}
_guard = threading.Lock()


def _describe_self() -> bytes:
    command = " ".join([Path(sys.argv[0]).name, *sys.argv[1:]]) if sys.argv and sys.argv[0] else "python"
    return f"process {os.getpid()} ({command[:200]})\n".encode()


def _busy(path: Path, fd: int) -> DataDirBusy:
    holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
    return DataDirBusy(
        f"the data directory {path} is in use by {holder}. Its vectors are in embedded Chroma, which only one "
        "process at a time may open: add articles through the running server (POST /v1/articles or "
        "/v1/articles:upload), stop it first, or run a Chroma server (QA_CHROMA_MODE=server) so that several "
        "processes can share the data"
    )


def _lock(path: Path) -> int:
    path.mkdir(parents=True, exist_ok=True)
    fd = os.open(path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    if fcntl is None:  # pragma: no cover
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        error = _busy(path, fd)
        os.close(fd)
        raise error from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, _describe_self(), 0)
    return fd


class DataDirLock:
    """This process's hold on one data directory; call :meth:`release` once when done with it."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir.resolve()
        self._released = False
        with _guard:
            held = _held.get(self.path)
            if held is None:
                held = _held[self.path] = [_lock(self.path), 0]
            held[1] += 1

    def release(self) -> None:
        with _guard:
            if self._released:
                return
            self._released = True
            held = _held[self.path]
            held[1] -= 1
            if held[1] == 0:
                del _held[self.path]
                os.close(held[0])  # closing the only descriptor drops the flock
