"""The exceptions mlplab.data raises for bad files, failed checks and failed downloads.

Besides these, reading a file that does not exist or cannot be opened raises the usual
``OSError`` (``FileNotFoundError``, ``PermissionError``).
"""


class IDXError(ValueError):
    """A file is not valid IDX (bad header, wrong size, a shape numpy refuses) or over max_size."""


class IntegrityError(ValueError):
    """A data file's checksum or size, or its pairing with another file, is not what it must be."""


class DownloadError(OSError):
    """Every mirror failed to deliver a verified file; ``failures`` lists ``(url, reason)``."""

    def __init__(self, message, failures=()):
        super().__init__(message)
        self.failures = list(failures)


class DatasetNotFoundError(FileNotFoundError):
    """A data set's files are nowhere to be found and downloading is off or impossible."""
