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


# The process behind each running qa_server's base URL (crash tests kill one).
SERVER_PROCESSES: dict[str, subprocess.Popen[bytes]] = {}


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
    SERVER_PROCESSES[base] = proc
    try:
        try:
            wait_http(f"{base}/healthz", timeout=timeout, proc=proc)
        except (RuntimeError, TimeoutError) as exc:
            raise RuntimeError(f"{exc}\n--- qa serve log ---\n{log_path.read_text(errors='replace')[-4000:]}") from exc
        yield base
    finally:
        SERVER_PROCESSES.pop(base, None)
        stop(proc)
        log.close()


# --- PostgreSQL -----------------------------------------------------------------------------------------------------
POSTGRES_BINARIES = ("initdb", "pg_ctl")
POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
POSTGRES_USER = "postgres"  # initdb refuses root: the server runs as this system user (runuser -u postgres)


def postgres_bin_dir() -> Path | None:
    """The newest PostgreSQL ``bin`` folder holding initdb and pg_ctl (Debian's layout), or None."""
    candidates = sorted(Path("/").glob(POSTGRES_BIN_GLOB.lstrip("/")), key=lambda p: int(p.parent.name), reverse=True)
    for folder in candidates:
        if all((folder / name).exists() for name in POSTGRES_BINARIES):
            return folder
    return None


def postgres_missing() -> str | None:
    """Why a throwaway PostgreSQL can't be started here, or None when it can."""
    if postgres_bin_dir() is None:
        return f"PostgreSQL binaries {', '.join(POSTGRES_BINARIES)} not found under {POSTGRES_BIN_GLOB}"
    if shutil.which("runuser") is None:
        return "runuser (util-linux) not found: initdb must run as an unprivileged user"
    try:
        import pwd

        pwd.getpwnam(POSTGRES_USER)
    except KeyError:
        return f"no {POSTGRES_USER!r} system user to run initdb/pg_ctl as"
    try:
        import psycopg  # noqa: F401
        import psycopg_pool  # noqa: F401
    except ImportError:
        return "psycopg / psycopg_pool are not installed (the postgres extra)"
    return None


class PostgresServer:
    """A throwaway PostgreSQL cluster in a temp dir, on a free loopback port, run as the postgres user.

    ``stop()``/``start()`` take the server down and bring it back on the same port and data (outage tests)."""

    def __init__(self) -> None:
        import pwd
        import tempfile

        bin_dir = postgres_bin_dir()
        assert bin_dir is not None, postgres_missing()
        self.bin = bin_dir
        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="qa-pg-"))
        user = pwd.getpwnam(POSTGRES_USER)
        os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.data = self.dir / "data"
        self.log = self.dir / "server.log"
        self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", POSTGRES_USER, "--auth=trust",
            "--encoding=UTF8", "--locale=C", "--no-sync",
        )  # fmt: skip
        self.start()

    def _as_postgres(self, *cmd: str) -> None:
        done = subprocess.run(
            ["runuser", "-u", POSTGRES_USER, "--", *cmd], capture_output=True, text=True, timeout=120, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd[:2])} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=200"
        self._as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{POSTGRES_USER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def close(self) -> None:
        with contextlib.suppress(RuntimeError):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
