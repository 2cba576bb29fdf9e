"""mlplab.utils.files: regular files are read whole; FIFOs, devices and folders are refused at
once, without hanging or reading."""

import os
import pickle
import threading
from pathlib import Path

import pytest

from mlplab.utils import files
from mlplab.utils.files import NotARegularFileError, read_regular_file


def _finishes(function, seconds=5.0):
    """Run ``function()`` in a thread; its result or exception, or fail if it hangs."""
    outcome = {}

    def target():
        try:
            outcome["value"] = function()
        except BaseException as error:  # handed back to the test below
            outcome["error"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{function} still runs after {seconds} s"
    return outcome


def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "data.bin"
    path.write_bytes(bytes(range(256)) * 1000)
    assert read_regular_file(path) == bytes(range(256)) * 1000
    assert read_regular_file(str(path)) == bytes(range(256)) * 1000
    (tmp_path / "empty").write_bytes(b"")
    assert read_regular_file(tmp_path / "empty") == b""


def test_a_symbolic_link_to_a_regular_file_is_followed(tmp_path):
    (tmp_path / "target").write_bytes(b"abc")
    (tmp_path / "link").symlink_to(tmp_path / "target")
    assert read_regular_file(tmp_path / "link") == b"abc"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_is_refused_at_once_without_hanging(tmp_path):
    fifo = tmp_path / "model.safetensors"
    os.mkfifo(fifo)
    outcome = _finishes(lambda: read_regular_file(fifo), seconds=2.0)
    error = outcome["error"]
    assert isinstance(error, NotARegularFileError) and isinstance(error, OSError)
    assert str(fifo) in str(error) and "a FIFO (named pipe), not a regular file" in str(error)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_refused_without_reading(tmp_path):
    with pytest.raises(NotARegularFileError, match=r"/dev/zero is a character device"):
        read_regular_file("/dev/zero")
    (tmp_path / "zeros").symlink_to("/dev/zero")
    with pytest.raises(NotARegularFileError, match="a character device"):
        read_regular_file(tmp_path / "zeros")


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(NotARegularFileError, match="is a folder, not a regular file"):
        read_regular_file(tmp_path)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        read_regular_file(tmp_path / "missing")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs os.mkfifo")
def test_a_fifo_swapped_in_after_the_stat_is_refused_on_the_open_descriptor(tmp_path, monkeypatch):
    """The path passes the first check as a regular file, then turns out to be a FIFO: the
    non-blocking open returns at once and the descriptor's own fstat refuses it."""
    regular = tmp_path / "regular"
    regular.write_bytes(b"x")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    real_stat = os.stat
    monkeypatch.setattr(files.os, "stat", lambda path: real_stat(regular))
    outcome = _finishes(lambda: read_regular_file(fifo), seconds=2.0)
    monkeypatch.undo()
    assert isinstance(outcome["error"], NotARegularFileError)
    assert "a FIFO" in str(outcome["error"])


def test_the_error_survives_pickling_for_worker_processes(tmp_path):
    error = NotARegularFileError(tmp_path / "f", "a FIFO (named pipe)")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is NotARegularFileError and str(again) == str(error)
    assert again.filename == str(tmp_path / "f") and again.strerror == error.strerror
