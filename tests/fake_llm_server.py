"""A stand-in OpenAI-compatible server process that dies the way llama.cpp did on AMX CPUs: it lists its model, then
kills itself with a signal on a completion request, leaving the client's connection without an answer.

``python -m tests.fake_llm_server PORT [--answer N] [--signal SIGSEGV]``: the first N completion requests get a short
canned answer, the next one kills the process. Standard library only; the real crash is not needed to test that a
crash is reported (and cannot be reproduced on a CPU without AMX).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL = "fake-crashing-model"


def reply_for(path: str) -> dict[str, object]:
    if path.endswith("/chat/completions"):
        kind, choice = "chat.completion", {"message": {"role": "assistant", "content": "It works."}}
    else:
        kind, choice = "text_completion", {"text": " works", "logprobs": None}
    return {
        "id": "c1",
        "object": kind,
        "created": int(time.time()),
        "model": MODEL,
        "choices": [{"index": 0, "finish_reason": "stop", **choice}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    }


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("--answer", type=int, default=0, help="completion requests answered before the crash")
    parser.add_argument("--signal", default="SIGSEGV")
    args = parser.parse_args(argv)
    answered = 0

    class Handler(BaseHTTPRequestHandler):
        def _send(self, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._send({"object": "list", "data": [{"id": MODEL, "object": "model", "owned_by": "me"}]})

        def do_POST(self) -> None:
            nonlocal answered
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if answered >= args.answer:
                print("ggml_compute_forward: imitating a crash in the batched matrix code", file=sys.stderr, flush=True)
                # To this thread (a process-directed kill may land after this thread has answered), and wait for it.
                signal.pthread_kill(threading.get_ident(), signal.Signals[args.signal])
                time.sleep(60)
            answered += 1  # before answering: the client's next request may arrive before this thread goes on
            self._send(reply_for(self.path))

        def log_message(self, format: str, *items: object) -> None:
            print(format % items, file=sys.stderr, flush=True)

    print(f"fake LLM server on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
    ThreadingHTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main(sys.argv[1:])
