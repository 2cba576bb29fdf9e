"""Fixtures for the data tests: an isolated cache folder, the shared MNIST files, a local server."""

import http.server
import threading
from pathlib import Path

import pytest

SHARED_MNIST = Path(__file__).resolve().parents[3] / "shared" / "data" / "mnist"
FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path, monkeypatch):
    """Every test gets an empty cache folder: nothing from the user's real cache leaks in."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("MLPLAB_DATA", str(cache))
    return cache


@pytest.fixture
def shared_mnist():
    """The folder holding the real MNIST test set (read-only; see shared/data/README.md)."""
    return SHARED_MNIST


class LocalServer:
    """An HTTP server on 127.0.0.1 serving ``routes``: path -> response.

    A response is bytes (served whole), an int (that HTTP status, empty body), a
    ``("drop", data, n)`` tuple (announce len(data) bytes, send n, close the connection) or a
    ``("redirect", url)`` tuple. ``hits`` counts requests per path.
    """

    def __init__(self):
        self.routes = {}
        self.hits = {}
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
                else:
                    self.send_response(302)
                    self.send_header("Location", response[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()

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
