"""A real local HTTP server whose misbehaviour per path is configurable, for download tests.

Kept out of conftest.py so it can be imported where needed::

    with serve() as srv:
        srv.add("/a.bin", b"data")                 # 200 with Content-Length
        srv.add("/t.bin", b"data", mode="truncate")  # Content-Length too big, then close
        srv.add("/d.bin", b"data", mode="drop")      # chunked, connection reset mid-body
        srv.add("/x.bin", status=404)                # error status every time
        srv.add("/f.bin", b"data", status=500, fail_times=2)  # 500 twice, then 200
        srv.add("/s.bin", b"data", mode="slow", delay=5)      # sleeps before answering
        srv.add("/p.bin", b"data", mode="stall", delay=5)     # sends half, then sleeps
        srv.url("/a.bin"); srv.hits["/a.bin"]
"""

from __future__ import annotations

import socket
import struct
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Route:
    body: bytes = b""
    mode: str = "ok"  # ok | truncate | drop | slow | stall
    status: int = 200
    fail_times: int | None = None  # with status != 200: fail this many times, then serve body
    delay: float = 0.0
    content_type: str = "application/octet-stream"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    hits: Counter[str]
    stop: threading.Event
    lock: threading.Lock


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        try:
            self._serve()
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _send_headers(self, status: int, route: Route, length: int | None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", route.content_type)
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def _serve(self) -> None:
        path = urllib.parse.unquote(urllib.parse.urlsplit(self.path).path)
        with self.server.lock:
            self.server.hits[path] += 1
            count = self.server.hits[path]
            route = self.server.routes.get(path)
        if route is None:
            route = Route(body=b"not found", status=404, content_type="text/plain")
        if route.status != 200 and (route.fail_times is None or count <= route.fail_times):
            body = f"error {route.status}".encode()
            self._send_headers(route.status, Route(content_type="text/plain"), len(body))
            self.wfile.write(body)
            return
        body = route.body
        if route.mode == "ok":
            self._send_headers(200, route, len(body))
            self.wfile.write(body)
        elif route.mode == "truncate":
            self._send_headers(200, route, len(body) + 1000)
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
        elif route.mode == "drop":
            self._send_headers(200, route, None)
            half = body[: max(1, len(body) // 2)]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(half), half))
            self.wfile.flush()
            # Reset instead of a clean close: the client sees the connection die.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
        elif route.mode == "slow":
            if self.server.stop.wait(route.delay):
                return
            self._send_headers(200, route, len(body))
            self.wfile.write(body)
        elif route.mode == "stall":
            self._send_headers(200, route, len(body))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if self.server.stop.wait(route.delay):
                return
            self.wfile.write(body[len(body) // 2 :])
        else:
            raise ValueError(f"unknown route mode {route.mode!r}")


class TestServer:
    """Handle on a running server: add routes, build URLs, count requests per path."""

    __test__ = False  # not a pytest test class

    def __init__(self, server: _Server) -> None:
        self._server = server
        host, port = server.server_address[:2]
        self.base = f"http://{host}:{port}"

    @property
    def hits(self) -> Counter[str]:
        return self._server.hits

    def add(self, path: str, body: bytes = b"", **options: object) -> str:
        """Configure ``path`` (see Route) and return its full URL."""
        with self._server.lock:
            self._server.routes[path] = Route(body=body, **options)  # type: ignore[arg-type]
        return self.url(path)

    def url(self, path: str) -> str:
        return self.base + path


@contextmanager
def serve() -> Iterator[TestServer]:
    """Run a ThreadingHTTPServer on 127.0.0.1, an ephemeral port, in a daemon thread."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.routes = {}
    server.hits = Counter()
    server.stop = threading.Event()
    server.lock = threading.Lock()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield TestServer(server)
    finally:
        server.stop.set()  # wake sleeping handlers
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
