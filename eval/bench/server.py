"""A real ``qa serve`` on 127.0.0.1 for the HTTP benchmarks (bounded start-up, always stopped)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from eval.bench.common import ROOT, proc_memory_mb
from tests.servers import free_port, stop, wait_http

START_TIMEOUT_S = 180  # loading a 100k-chunk HNSW index on a busy 2-core machine


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]

    def memory_mb(self) -> dict[str, float]:
        return proc_memory_mb(self.proc.pid)


@contextlib.contextmanager
def qa_serve(data_dir: Path) -> Iterator[Server]:
    """``qa serve --data-dir data_dir`` on a free loopback port; its log goes to a temp file shown on failure."""
    port = free_port()
    qa = Path(sys.executable).with_name("qa")
    cmd = [str(qa)] if qa.exists() else [sys.executable, "-m", "qa.cli"]
    env = {**os.environ, "QA_LOG_LEVEL": "WARNING", "ANONYMIZED_TELEMETRY": "False"}
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(
            [*cmd, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", str(data_dir)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=ROOT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_http(f"{url}/readyz", timeout=START_TIMEOUT_S, proc=proc)
            yield Server(url, proc)
        except BaseException:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:].decode(errors="replace"))
            raise
        finally:
            stop(proc)
