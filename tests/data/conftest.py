"""Fixtures for the data tests: an isolated cache folder, the real MNIST files, a local server."""

import http.server
import threading
import time
from pathlib import Path

import pytest

MNIST_FILES = Path(__file__).resolve().parents[1] / "fixtures" / "mnist"


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets an empty cache folder: nothing from the user's real cache leaks in."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MLPLAB_DATA", str(cache))
    return cache


@pytest.fixture
def mnist_files():
    """The folder of the real MNIST test set and training labels (tests/fixtures/mnist)."""
    return MNIST_FILES


class LocalServer:
    """An HTTP server on 127.0.0.1 serving ``routes``: path -> response.

    A response is bytes (served whole), an int (that HTTP status, empty body), a
    ``("drop", data, n)`` tuple (announce len(data) bytes, send n, close the connection), a
    ``("redirect", url)`` tuple, or ``("endless", announced)``: zeros with no end, after a
    Content-Length of ``announced`` (None for none), until the client hangs up -- or, so that a
    client that never stops cannot hang a test, until ENDLESS_LIMIT bytes or seconds have passed.
    ``hits`` counts requests per path, ``sent`` the body bytes sent per path.
    """

    ENDLESS_LIMIT = (64 << 20, 10.0)

    def __init__(self):
        self.routes = {}
        self.hits = {}
        self.sent = {}
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                response = server.routes.get(self.path, 404)
                if isinstance(response, int):
                    self.send_error(response)
                elif isinstance(response, bytes):
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(response)))
                    self.end_headers()
                    self.wfile.write(response)
                elif response[0] == "drop":
                    _, data, sent = response
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data[:sent])
                    self.wfile.flush()
                    self.close_connection = True
                elif response[0] == "endless":
                    self.send_response(200)
                    if response[1] is not None:
                        self.send_header("Content-Length", str(response[1]))
                    self.end_headers()
                    self._stream_zeros()
                else:
                    self.send_response(302)
                    self.send_header("Location", response[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def _stream_zeros(self):
                limit, seconds = server.ENDLESS_LIMIT
                deadline = time.monotonic() + seconds
                chunk = bytes(1 << 16)
                server.sent[self.path] = 0
                self.close_connection = True
                while server.sent[self.path] < limit and time.monotonic() < deadline:
                    try:
                        self.wfile.write(chunk)
                    except OSError:  # the client hung up: what a bounded download does
                        return
                    server.sent[self.path] += len(chunk)

            def log_message(self, *args):
                pass

        self._httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def url(self, path):
        """The full URL of ``path`` (no leading slash)."""
        return self.base + path

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def server():
    """A running :class:`LocalServer`, shut down after the test."""
    local = LocalServer()
    yield local
    local.close()
