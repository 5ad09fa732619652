"""Warm starts: a job's command line runs in a fork of a process that has already imported
the heavy libraries (torch, scikit-learn, pandas, SciPy, MNE).

Every job is a ``python -m emgrepro <command> ...`` process; importing torch and
scikit-learn alone costs seconds, more than many jobs' own work. On a workstation the
Snakefile starts one warm server for the run (``onstart``) and sets ``EMGREPRO_WARM`` to its
socket. The command line then hands its arguments, working directory, environment, umask
and its own stdin/stdout/stderr to the server, which forks a child that runs the command
exactly as a fresh process would, and reports the exit code back. Without the variable, or
when the server cannot be reached (a SLURM node, a job rerun by hand), the command runs in
its own process as always: results are the same either way (the tests compare them).

A child dies with its client: if the client is killed (Snakemake cancelling a job), the
socket closes and the child ends at once. The server ends when the process that started it
ends, or on ``stop``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from pathlib import Path

ENV = "EMGREPRO_WARM"
PRELOAD = (
    "numpy",
    "pandas",
    "scipy.signal",
    "scipy.io",
    "scipy.stats",
    "sklearn.discriminant_analysis",
    "sklearn.ensemble",
    "sklearn.metrics",
    "sklearn.pipeline",
    "sklearn.svm",
    "torch",
    "torch._inductor.config",  # what torch.use_deterministic_algorithms imports (1.4 s)
    "mne.filter",
    "jsonschema",
    "yaml",
)
_HEADER = struct.Struct("!I")
_CODE = struct.Struct("!i")


# ----------------------------------------------------------------------------- client


def run_remote(argv: list[str], path: str | None = None) -> int | None:
    """Run ``python -m emgrepro <argv>`` in the warm server; its exit code, or None when
    no server is reachable (the caller then runs the command itself)."""
    path = path or os.environ.get(ENV)
    if not path or not os.path.exists(path):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
    except OSError:
        sock.close()
        return None
    with sock:
        umask = os.umask(0)
        os.umask(umask)
        request = json.dumps(
            {"argv": argv, "cwd": os.getcwd(), "env": dict(os.environ), "umask": umask}
        ).encode()
        sys.stdout.flush()
        sys.stderr.flush()
        socket.send_fds(sock, [_HEADER.pack(len(request)) + request], [0, 1, 2])
        reply = _recv_exactly(sock, _CODE.size)
    if reply is None:
        print("emgrepro: the warm server ended the job without an exit code", file=sys.stderr)
        return 1
    return _CODE.unpack(reply)[0]


def _recv_exactly(sock: socket.socket, n: int) -> bytes | None:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return data


# ----------------------------------------------------------------------------- server


def serve(path: str, parent: int | None = None, idle_seconds: float = 3600.0) -> None:
    """Import the heavy libraries, then fork one child per request on the UNIX socket
    ``path``, until ``parent`` (default: the starting process) ends or nothing arrives for
    ``idle_seconds``."""
    import importlib

    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    parent = parent or os.getppid()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    Path(path).unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o077)  # the socket is this user's only
    try:
        server.bind(path)
    finally:
        os.umask(old)
    server.listen(64)
    server.settimeout(1.0)
    last = time.monotonic()
    try:
        while _alive(parent) and time.monotonic() - last < idle_seconds:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            last = time.monotonic()
            with conn:
                conn.settimeout(None)
                try:
                    request, fds = _receive(conn)
                except (OSError, ValueError):
                    continue
                pid = os.fork()
                if pid == 0:
                    server.close()
                    _child(conn, request, fds)  # never returns
                for fd in fds:
                    os.close(fd)
    finally:
        server.close()
        Path(path).unlink(missing_ok=True)


def _alive(parent: int) -> bool:
    """The starting process is still this server's parent (else it ended)."""
    return os.getppid() == parent


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    if len(msg) < _HEADER.size:
        raise ValueError("short request")
    (size,) = _HEADER.unpack(msg[: _HEADER.size])
    body = msg[_HEADER.size :]
    while len(body) < size:
        more = conn.recv(size - len(body))
        if not more:
            raise ValueError("truncated request")
        body += more
    if len(fds) != 3:
        raise ValueError("a request passes stdin, stdout and stderr")
    return json.loads(body), list(fds)


def _child(conn: socket.socket, request: dict, fds: list[int]) -> None:
    """Become the job: its streams, directory, environment and umask, then run the CLI."""
    code = 1
    try:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.environ.pop(ENV, None)  # commands the job starts run on their own
        os.umask(int(request["umask"]))
        threading.Thread(target=_die_with_client, args=(conn,), daemon=True).start()
        sys.argv = ["emgrepro", *request["argv"]]
        from emgrepro.benchmark import run_measured
        from emgrepro.cli import main

        code = run_measured(main, list(request["argv"]))
    except SystemExit as e:
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    except BaseException:  # noqa: BLE001 - report any failure as a fresh process would
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
            conn.sendall(_CODE.pack(int(code)))
        os._exit(int(code) & 0xFF)


def _die_with_client(conn: socket.socket) -> None:
    """The client never sends after its request: a read returns only when it is gone."""
    with contextlib.suppress(OSError):
        conn.recv(1)
    os._exit(143)


PREFIX = "emgrepro-warm-"


def start(log: Path | None = None) -> tuple[int, str]:
    """Start a server for this process in the background: (its pid, its socket path).

    The socket lives in a private folder of the system's temporary directory (socket
    paths must be short); folders left by servers whose process has gone are removed.
    """
    import shutil
    import subprocess
    import tempfile

    tmp = Path(tempfile.gettempdir())
    for stale in tmp.glob(f"{PREFIX}*"):
        owner = stale.name[len(PREFIX) :].split("-", 1)[0]
        if owner.isdigit() and not _exists(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    folder = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-")
    path = str(Path(folder) / "socket")
    out = open(log, "ab") if log else subprocess.DEVNULL  # noqa: SIM115 - the child owns it
    proc = subprocess.Popen(
        [sys.executable, "-m", "emgrepro.warm", path, str(os.getpid())],
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=out,
    )
    return proc.pid, path


def stop(pid: int, path: str) -> None:
    """End the server and remove its socket folder."""
    import shutil

    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    shutil.rmtree(Path(path).parent, ignore_errors=True)


def _exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


if __name__ == "__main__":
    serve(sys.argv[1], parent=int(sys.argv[2]))
