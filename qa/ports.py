"""Is a TCP port free to listen on, and if not, who holds it? Standard library only: ``make serve`` runs
``python3 -m qa.ports HOST PORT`` before anything is installed, so a busy port fails in a second, not after
minutes of set-up and model loading.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import sys
from pathlib import Path

from qa.exit_codes import ExitCode


class PortUnavailable(OSError):
    """The port can't be listened on; the message says why and what to do."""


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening socket on ``host:port`` (SO_REUSEADDR, as uvicorn binds). Raises PortUnavailable with a
    message naming the port and, where Linux tells us, the process that holds it."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise PortUnavailable(f"cannot listen on {host}:{port}: unknown host {host!r} ({exc.strerror})") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise PortUnavailable(_explain(host, port, exc)) from None
    return sock


def _explain(host: str, port: int, exc: OSError) -> str:
    if exc.errno == errno.EADDRINUSE:
        holder = port_holder(port)
        by = f" by {holder}" if holder else ""
        return (
            f"port {port} on {host} is already in use{by}. Stop that process, or choose another port: "
            f"`qa serve --port {port + 1}` (or `make serve PORT={port + 1}`)"
        )
    if exc.errno == errno.EACCES:
        return f"no permission to listen on {host}:{port} (ports below 1024 need root); use a port above 1024"
    if exc.errno == errno.EADDRNOTAVAIL:
        return f"cannot listen on {host}:{port}: {host} is not an address of this machine"
    return f"cannot listen on {host}:{port}: {exc.strerror or exc}"


def port_holder(port: int) -> str | None:
    """``pid 1234 (python3 -m http.server)`` for the process listening on ``port``, from /proc (Linux, and only
    processes we may inspect); None where that can't be told."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            for fd in (proc / "fd").iterdir():
                with contextlib.suppress(OSError):
                    target = os.readlink(fd)
                    if target.startswith("socket:[") and target[8:-1] in inodes:
                        cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
                        return f"pid {proc.name} ({cmd[:120]})" if cmd else f"pid {proc.name}"
    return None


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                # local_address is HEXIP:HEXPORT; state 0A is LISTEN; field 9 is the socket inode.
                if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                    inodes.add(fields[9])
    return inodes


def main(argv: list[str]) -> int:
    """``python -m qa.ports HOST PORT``: exit 0 when the port is free, else UNAVAILABLE with the reason."""
    host, port = argv[0], int(argv[1])
    try:
        listening_socket(host, port).close()
    except PortUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return ExitCode.UNAVAILABLE
    return ExitCode.OK


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
