"""Downloading a file from a list of mirrors: https only, verified before it enters the cache.

Each mirror is tried in turn. The bytes stream into a temporary file beside the destination while
their md5 is computed; only a complete file with the expected checksum is renamed into place
(:func:`mlplab.utils.atomic.atomic_write`). Reading stops one byte past the file's known size, or
past a cap (:data:`MAX_DOWNLOAD_SIZE`, 1 GiB, by default) when the size is not known, so an
endless or oversized response is cut off instead of read forever; a response announcing another
length is refused before its body is read. A checksum or size mismatch, a dropped
connection or an HTTP error deletes the temporary file and moves on to the next mirror --
torchvision stops at a mismatch, we do not. When every mirror fails, one
:class:`~mlplab.data.errors.DownloadError` lists each URL with its failure.

Plain http is refused, redirects to http included: a checksum protects against corruption, https
against someone choosing what we download. Tests serve files from 127.0.0.1 and say so with
``allow_local_http=True``; nothing else is ever fetched without TLS.
"""

import hashlib
import urllib.parse
from pathlib import Path

from mlplab.data.errors import DownloadError, IntegrityError
from mlplab.utils.atomic import atomic_write

MAX_DOWNLOAD_SIZE = 1 << 30
"""The most bytes read from a response for a file of unknown size, unless ``max_size`` says
otherwise: 1 GiB."""

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
_CHUNK = 1 << 16


def check_url(url, allow_local_http=False):
    """Raise ValueError unless ``url`` is https (or http to this machine, when allowed)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and allow_local_http and parts.hostname in _LOCAL_HOSTS:
        return url
    raise ValueError(
        f"Refusing to download {url!r}: only https URLs are allowed (plain http is accepted "
        "only for 127.0.0.1/localhost with allow_local_http=True, for tests)"
    )


def _opener(allow_local_http):
    """A urllib opener that follows redirects only to URLs :func:`check_url` accepts.

    urllib is imported here, not at the top: it pulls in ssl and http, which ``import mlplab``
    should not pay for.
    """
    import urllib.request

    class NoInsecureRedirects(urllib.request.HTTPRedirectHandler):
        """Refuse a redirect to http (https -> http would defeat TLS)."""

        def redirect_request(self, req, fp, code, msg, headers, newurl):
            check_url(newurl, allow_local_http)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    return urllib.request.build_opener(NoInsecureRedirects())


def _progress_bar(total, name, enabled):
    """A tqdm bar counting bytes (tqdm is imported only when something is downloaded)."""
    from tqdm.auto import tqdm

    return tqdm(
        total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=name, disable=not enabled
    )


def _fetch_one(url, destination, md5, limit, *, exact, allow_local_http, progress, timeout):
    """Download ``url`` to ``destination`` if its md5 matches; else raise, leaving nothing.

    At most ``limit`` bytes are accepted: the file's size when ``exact``, else a cap.
    """
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "mlplab"})
    with _opener(allow_local_http).open(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length")
        announced = int(length) if length and length.isdigit() else None
        bound = f"the expected {limit} bytes" if exact else f"max_size={limit} bytes"
        if announced is not None and (announced > limit or (exact and announced != limit)):
            relation = "not" if exact else "more than"
            raise IntegrityError(f"the server announces {announced} bytes, {relation} {bound}")
        total = announced if announced is not None else limit if exact else None
        digest = hashlib.md5(usedforsecurity=False)
        received = 0
        with (
            atomic_write(destination) as handle,
            _progress_bar(total, destination.name, progress) as bar,
        ):
            # One byte past the limit tells a longer response from one of exactly that size.
            while chunk := response.read(min(_CHUNK, limit + 1 - received)):
                received += len(chunk)
                if received > limit:
                    raise IntegrityError(
                        f"the response is longer than {bound}; stopped reading after {received}"
                        + ("" if exact else " (pass a larger max_size if the file is that large)")
                    )
                handle.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
            if total is not None and received != total:
                raise ConnectionError(
                    f"connection dropped mid-file: got {received} of {total} bytes"
                )
            actual = digest.hexdigest()
            if md5 is not None and actual != md5:
                raise IntegrityError(
                    f"checksum mismatch for {url}: expected md5 {md5}, got {actual}"
                )


def _check_size(name, value):
    """Raise ValueError unless ``value`` is a positive number of bytes."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r}; use a positive number of bytes")


def _describe(error):
    """A short reason for one mirror's failure."""
    import http.client
    import urllib.error

    if isinstance(error, urllib.error.HTTPError):
        return f"HTTP {error.code} {error.reason}"
    if isinstance(error, urllib.error.URLError):
        return f"cannot connect ({error.reason})"
    if isinstance(error, http.client.IncompleteRead):
        return f"connection dropped mid-file ({error.expected} more bytes were expected)"
    return f"{type(error).__name__}: {error}"


def download_file(
    urls,
    destination,
    md5,
    *,
    size=None,
    max_size=MAX_DOWNLOAD_SIZE,
    allow_local_http=False,
    progress=True,
    timeout=30.0,
    hint="",
):
    """Download the first of ``urls`` that delivers the expected bytes to ``destination``.

    Parameters
    ----------
    urls : sequence of str
        Mirrors holding the same file, tried in order; each must be https.
    destination : str or os.PathLike
        Final path; its folder is created. Nothing appears there unless the file is verified.
    md5 : str or None
        Expected md5 of the downloaded bytes (None skips the check: use only for tests).
    size : int, optional
        The file's size in bytes, when known: a response of any other length fails, and reading
        stops one byte past it.
    max_size : int
        When ``size`` is not known, the most bytes accepted (default :data:`MAX_DOWNLOAD_SIZE`,
        1 GiB): reading stops one byte past it.
    allow_local_http : bool
        Accept plain http to 127.0.0.1/localhost (for tests against a local server).
    progress : bool
        Show a progress bar (tqdm).
    timeout : float
        Seconds to wait for each connection or read.
    hint : str
        Text appended to the error when every mirror fails (e.g. how to place the file by hand).

    Returns
    -------
    pathlib.Path
        ``destination``.

    Raises
    ------
    DownloadError
        Every mirror failed; the message lists each URL and its failure.
    ValueError
        A URL is not https (checked for all mirrors before anything is downloaded), or ``size``
        or ``max_size`` is not a positive integer.
    """
    urls = [check_url(url, allow_local_http) for url in urls]
    if not urls:
        raise ValueError("download needs at least one URL")
    if size is not None:
        _check_size("size", size)
    _check_size("max_size", max_size)
    from http.client import HTTPException

    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    failures = []
    for url in urls:
        try:
            _fetch_one(
                url,
                destination,
                md5,
                size if size is not None else max_size,
                exact=size is not None,
                allow_local_http=allow_local_http,
                progress=progress,
                timeout=timeout,
            )
        except (OSError, IntegrityError, HTTPException, ValueError) as error:
            failures.append((url, _describe(error)))
            continue
        return destination
    listing = "\n".join(f"  {url}: {reason}" for url, reason in failures)
    message = f"Could not download {destination.name} from any mirror:\n{listing}"
    raise DownloadError(f"{message}\n{hint}" if hint else message, failures)
