"""Tests of ``mlplab serve``: its refusals, and a real server answering on the port asked for."""

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest
from cli_checks import assert_refused


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["serve", "--port", "0"], "--port 0 is not a port number"),
        (["serve", "--port", "70000"], "use 1-65535"),
        (["serve", "--max-sessions", "0"], "allow at least 1"),
        (["serve", "--port", "http"], "invalid int value"),
    ],
)
def test_bad_options_are_refused_in_one_line(argv, words, capsys):
    assert words in assert_refused(argv, capsys)


def test_serve_starts_the_playground_on_localhost(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mlplab", "serve", "--port", str(port), "--runs-dir", "runs"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )
    try:
        assert f"http://localhost:{port}/" in process.stdout.readline()
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/options", timeout=5)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and process.poll() is None, "no server"
                time.sleep(0.1)
        assert response.status_code == 200 and "spirals" in response.json()["datasets"]
        assert 'id="boundary"' in httpx.get(f"http://127.0.0.1:{port}/").text
    finally:
        process.terminate()
        process.wait(timeout=10)
