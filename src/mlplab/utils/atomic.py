"""Atomic file writes: a reader sees the old file or the complete new one, never a partial one.

The data go to a temporary file in the destination's own folder (so the final rename never crosses
file systems), are flushed and fsynced, and only then renamed over the destination with
``os.replace``. If anything fails before the rename -- an exception from the writer, a full disk --
the temporary file is removed and the destination is untouched. A process killed outright
(``kill -9``) can leave a stray ``.NAME.*.tmp`` file beside the destination, but never a truncated
file under the final name.

Inside :func:`without_fsync` the writes stay atomic but skip the fsyncs: for scratch files whose
durable copy is written elsewhere.
"""

import contextlib
import contextvars
import os
import secrets
from pathlib import Path

# Whether atomic writes wait for the disk; False inside without_fsync() (in that thread only).
_DURABLE = contextvars.ContextVar("mlplab_durable_writes", default=True)


@contextlib.contextmanager
def without_fsync():
    """Atomic writes inside the block skip fsync: still all or nothing, no longer crash-safe.

    For scratch files of which a durable copy is made elsewhere, such as a sweep worker's run
    folder, sent to the driver as bytes: waiting for the disk there cost a tenth of a short trial.
    """
    token = _DURABLE.set(False)
    try:
        yield
    finally:
        _DURABLE.reset(token)


def _fsync_directory(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems refuse fsync on folders; the rename has still happened
    finally:
        os.close(descriptor)


def _create_temporary(folder, name):
    """Create a fresh ``.NAME.<random>.tmp`` in ``folder``; returns (descriptor, path).

    Unlike ``tempfile.mkstemp`` (mode 0600) the file gets the permissions of any new file
    (0666 less the umask), so the replaced file ends up as readable as a normally written one.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temporary = folder / f".{name}.{secrets.token_hex(6)}.tmp"
        try:
            return os.open(temporary, flags, 0o666), temporary
        except FileExistsError:
            continue


@contextlib.contextmanager
def atomic_write(path, mode="wb", encoding=None):
    """Open a temporary file that replaces ``path`` atomically when the ``with`` block succeeds.

    Parameters
    ----------
    path : str or os.PathLike
        The destination. Its folder must exist.
    mode : {"wb", "w"}
        Binary (default) or text.
    encoding : str, optional
        Text encoding for ``mode="w"`` (default UTF-8).

    Yields
    ------
    file
        An open file object; write the complete new contents to it.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_write supports mode 'wb' or 'w', not {mode!r}")
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise FileNotFoundError(f"Cannot write {path}: folder {folder} does not exist")
    descriptor, temporary = _create_temporary(folder, path.name)
    try:
        text = mode == "w"
        with os.fdopen(
            descriptor, mode, encoding=(encoding or "utf-8") if text else None
        ) as handle:
            yield handle
            handle.flush()
            if _DURABLE.get():
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError as error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        if error.errno is None:
            raise
        # A full disk or a quota names the temporary file, or nothing: name the destination.
        raise type(error)(error.errno, error.strerror, str(path)) from error
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    if _DURABLE.get():
        _fsync_directory(folder)


def atomic_write_bytes(path, data):
    """Write ``data`` (bytes-like) to ``path`` atomically; returns ``path`` as a Path."""
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return Path(path)
