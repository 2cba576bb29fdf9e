"""Reading the files mlplab parses: regular files only, sized before they are read.

A path that names a FIFO, a device (``/dev/zero``, ``/dev/stdin``), a socket or a folder is
refused before it is opened, so reading can neither hang on a FIFO without a writer nor fill
memory from an endless device. The file is then opened without blocking (``O_NONBLOCK``: a path
swapped for a FIFO in the meantime cannot hang the open either), checked again on the open
descriptor, and read up to the size it had, never further.
"""

import os
import stat

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotARegularFileError(OSError):
    """A path that names a FIFO, device, socket or folder where a regular file is needed."""

    def __init__(self, path, kind):
        super().__init__(
            f"{os.fsdecode(path)} is {kind}, not a regular file: mlplab reads only regular files"
        )
        self.filename = os.fsdecode(path)
        self.kind = kind
        self.strerror = f"it is {kind}, not a regular file"

    def __str__(self):
        # OSError would print "[Errno None] ..." once strerror and filename are set.
        return self.args[0]

    def __reduce__(self):
        # Errors cross process boundaries (worker pools): rebuild from both arguments.
        return type(self), (self.filename, self.kind)


def _kind(mode):
    """What a non-regular file of ``st_mode`` ``mode`` is, in words."""
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


def read_regular_file(path):
    """The bytes of the regular file at ``path``, read up to the size it has when opened.

    Parameters
    ----------
    path : str or os.PathLike
        The file; a symbolic link is followed, and what it points to must be a regular file.

    Returns
    -------
    bytes
        At most the file's size as ``fstat`` reports it on the open descriptor.

    Raises
    ------
    NotARegularFileError
        The path names a FIFO, device, socket or folder (it is not opened, or not read).
    OSError
        The file cannot be opened or read (e.g. FileNotFoundError, PermissionError).
    """
    before = os.stat(path)
    if not stat.S_ISREG(before.st_mode):
        raise NotARegularFileError(path, _kind(before.st_mode))
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
    with open(descriptor, "rb") as handle:
        now = os.fstat(descriptor)
        # The path may have been replaced between stat and open: judge what was opened.
        if not stat.S_ISREG(now.st_mode):
            raise NotARegularFileError(path, _kind(now.st_mode))
        # A buffered read of n bytes returns n unless the file ends first (it loops over short
        # reads), so the result never exceeds the size the file had when it was opened.
        return handle.read(now.st_size)
