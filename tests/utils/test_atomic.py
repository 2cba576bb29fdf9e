"""Tests of mlplab.utils.atomic: a failed or killed write never damages the destination."""

import errno
import os
import subprocess
import sys
import textwrap

import pytest

from mlplab.utils import atomic, atomic_write, atomic_write_bytes


class CrashError(Exception):
    pass


def crashing_write(path, data, after):
    """Write ``data`` through atomic_write but raise after ``after`` bytes."""
    with atomic_write(path) as handle:
        handle.write(data[:after])
        handle.flush()
        raise CrashError


def test_writes_content_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "file.bin"
    assert atomic_write_bytes(target, b"hello") == target
    assert target.read_bytes() == b"hello"
    atomic_write_bytes(target, b"second version")
    assert target.read_bytes() == b"second version"
    assert os.listdir(tmp_path) == ["file.bin"]


@pytest.mark.parametrize("after", [0, 1, 7, 4096])
def test_crash_after_n_bytes_keeps_previous_file(tmp_path, after):
    target = tmp_path / "model.bin"
    target.write_bytes(b"previous contents")
    with pytest.raises(CrashError):
        crashing_write(target, b"x" * 10_000, after)
    assert target.read_bytes() == b"previous contents"
    assert os.listdir(tmp_path) == ["model.bin"]


@pytest.mark.parametrize("after", [0, 5])
def test_crash_without_previous_file_leaves_nothing(tmp_path, after):
    target = tmp_path / "new.bin"
    with pytest.raises(CrashError):
        crashing_write(target, b"y" * 100, after)
    assert os.listdir(tmp_path) == []


def test_keyboard_interrupt_also_cleans_up(tmp_path):
    target = tmp_path / "a.txt"
    with pytest.raises(KeyboardInterrupt), atomic_write(target, "w") as handle:
        handle.write("partial")
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_kill_9_mid_write_keeps_previous_file(tmp_path):
    target = tmp_path / "state.bin"
    target.write_bytes(b"good old state")
    script = textwrap.dedent(
        f"""
        import os, signal
        from mlplab.utils import atomic_write
        with atomic_write({str(target)!r}) as handle:
            handle.write(b"half of the new st")
            handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == -9
    assert target.read_bytes() == b"good old state"
    # A killed writer may leave its temporary file behind, but only under a hidden .tmp name.
    strays = [name for name in os.listdir(tmp_path) if name != "state.bin"]
    assert all(name.startswith(".state.bin.") and name.endswith(".tmp") for name in strays)


def test_text_mode_writes_utf8(tmp_path):
    target = tmp_path / "note.txt"
    with atomic_write(target, "w") as handle:
        handle.write("größe ≥ 1\n")
    assert target.read_text(encoding="utf-8") == "größe ≥ 1\n"


def test_permissions_follow_the_umask_not_0600(tmp_path):
    target = tmp_path / "shared.bin"
    reference = tmp_path / "reference.bin"
    reference.write_bytes(b"")  # created the ordinary way, under the same umask
    atomic_write_bytes(target, b"data")
    assert target.stat().st_mode & 0o777 == reference.stat().st_mode & 0o777


def test_bad_mode_and_missing_folder_are_errors(tmp_path):
    with pytest.raises(ValueError, match="mode"), atomic_write(tmp_path / "x", "ab"):
        pass
    with pytest.raises(FileNotFoundError, match="does not exist"):
        atomic_write_bytes(tmp_path / "no" / "such" / "x.bin", b"")


def test_a_full_disk_names_the_destination_and_keeps_the_old_file(tmp_path, monkeypatch):
    target = tmp_path / "model.bin"
    atomic_write_bytes(target, b"old")

    def full(descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "fsync", full)
    with pytest.raises(OSError) as caught:
        atomic_write_bytes(target, b"new contents")
    assert caught.value.errno == errno.ENOSPC and caught.value.filename == str(target)
    assert target.read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["model.bin"]


def _count_fsyncs(monkeypatch):
    """Replace os.fsync by a counter of its calls (a list of descriptors)."""
    calls = []
    monkeypatch.setattr(atomic.os, "fsync", calls.append)
    return calls


def test_a_write_fsyncs_the_file_and_its_folder(tmp_path, monkeypatch):
    calls = _count_fsyncs(monkeypatch)
    atomic_write_bytes(tmp_path / "a.bin", b"data")
    assert len(calls) == 2


def test_without_fsync_writes_atomically_but_does_not_wait_for_the_disk(tmp_path, monkeypatch):
    calls = _count_fsyncs(monkeypatch)
    with atomic.without_fsync():
        atomic_write_bytes(tmp_path / "a.bin", b"scratch")
        with pytest.raises(CrashError):
            crashing_write(tmp_path / "a.bin", b"x" * 100, 10)
    assert calls == []
    assert (tmp_path / "a.bin").read_bytes() == b"scratch"
    assert os.listdir(tmp_path) == ["a.bin"]
    atomic_write_bytes(tmp_path / "b.bin", b"durable again")  # after the block, as before it
    assert len(calls) == 2


def test_without_fsync_ends_with_its_block_when_the_block_raises(tmp_path, monkeypatch):
    calls = _count_fsyncs(monkeypatch)
    with pytest.raises(CrashError), atomic.without_fsync():
        raise CrashError
    atomic_write_bytes(tmp_path / "a.bin", b"data")
    assert len(calls) == 2
