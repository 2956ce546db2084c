"""Real server processes for tests, always on 127.0.0.1: a Chroma server (``chroma run``)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with code {proc.returncode} before answering {url}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code < 500:
                return
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def chroma_binary() -> str:
    found = shutil.which("chroma", path=str(Path(sys.executable).parent)) or shutil.which("chroma")
    if not found:
        raise RuntimeError("the `chroma` CLI (from the chromadb package) is not on PATH")
    return found


@contextlib.contextmanager
def chroma_server(path: Path) -> Iterator[int]:
    """A real ``chroma run`` on a free loopback port; yields the port."""
    port = free_port()
    log = open(path.parent / f"chroma-{port}.log", "wb")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [chroma_binary(), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=60, proc=proc)
        yield port
    finally:
        stop(proc)
        log.close()


def qa_command() -> list[str]:
    """The installed ``qa`` console script next to this interpreter (``python -m qa.cli`` without it)."""
    script = Path(sys.executable).parent / "qa"
    return [str(script)] if script.exists() else [sys.executable, "-m", "qa.cli"]


@contextlib.contextmanager
def qa_server(
    data_dir: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: float = 240,
    command: list[str] | None = None,
) -> Iterator[str]:
    """A real ``qa serve`` (uvicorn) on a free loopback port; yields its base URL. ``command`` replaces ``qa``
    (e.g. the CLI under tests.netguard).

    QA_* variables of the calling shell are dropped so the server sees only ``env`` (no stray API keys)."""
    port = free_port()
    log_path = data_dir.parent / f"qa-serve-{port}.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed below
    clean = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
    cmd = [
        *(command or qa_command()),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        *args,
    ]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env={**clean, **(env or {})}, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            wait_http(f"{base}/healthz", timeout=timeout, proc=proc)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n--- qa serve log ---\n{log_path.read_text(errors='replace')[-4000:]}") from exc
        yield base
    finally:
        stop(proc)
        log.close()
