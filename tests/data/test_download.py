"""Tests of mlplab.data.download against a local HTTP server on 127.0.0.1."""

import hashlib
import os
import time

import pytest

from mlplab.data import DownloadError, download_file
from mlplab.data.download import check_url

PAYLOAD = bytes(range(256)) * 400  # 100 KiB, several read chunks
MD5 = hashlib.md5(PAYLOAD).hexdigest()


def fetch(server, paths, destination, md5=MD5):
    return download_file(
        [server.url(path) for path in paths],
        destination,
        md5,
        allow_local_http=True,
        progress=False,
        timeout=5,
    )


def leftovers(folder):
    return sorted(os.listdir(folder)) if folder.exists() else []


def test_downloads_and_verifies(server, tmp_path):
    server.routes["/good"] = PAYLOAD
    target = tmp_path / "cache" / "file.gz"
    assert fetch(server, ["good"], target) == target
    assert target.read_bytes() == PAYLOAD
    assert leftovers(target.parent) == ["file.gz"]


def test_progress_bar_runs(server, tmp_path, capsys):
    server.routes["/good"] = PAYLOAD
    download_file([server.url("good")], tmp_path / "f", MD5, allow_local_http=True, progress=True)
    assert "f" in capsys.readouterr().err


def test_wrong_bytes_then_next_mirror(server, tmp_path):
    server.routes["/bad"] = PAYLOAD[:-1] + b"\x00"
    server.routes["/good"] = PAYLOAD
    target = tmp_path / "file.gz"
    fetch(server, ["bad", "good"], target)
    assert target.read_bytes() == PAYLOAD
    assert server.hits == {"/bad": 1, "/good": 1}
    assert leftovers(tmp_path) == ["file.gz"]


def test_404_on_first_mirror(server, tmp_path):
    server.routes["/good"] = PAYLOAD
    target = tmp_path / "file.gz"
    fetch(server, ["missing", "good"], target)
    assert target.read_bytes() == PAYLOAD
    assert server.hits["/missing"] == 1


def test_connection_dropped_mid_file_then_next_mirror(server, tmp_path):
    server.routes["/drop"] = ("drop", PAYLOAD, 5000)
    server.routes["/good"] = PAYLOAD
    target = tmp_path / "file.gz"
    fetch(server, ["drop", "good"], target)
    assert target.read_bytes() == PAYLOAD


def test_all_mirrors_failing_lists_each_url_and_leaves_nothing(server, tmp_path):
    server.routes["/bad"] = b"not the file"
    server.routes["/drop"] = ("drop", PAYLOAD, 5000)
    folder = tmp_path / "cache"
    target = folder / "file.gz"
    target_existed_before = target.exists()
    with pytest.raises(DownloadError) as caught:
        download_file(
            [server.url("bad"), server.url("missing"), server.url("drop")],
            target,
            MD5,
            allow_local_http=True,
            progress=False,
            timeout=5,
            hint="Put the file in place by hand.",
        )
    message = str(caught.value)
    bad_md5 = hashlib.md5(b"not the file").hexdigest()
    assert (
        f"checksum mismatch for {server.url('bad')}: expected md5 {MD5}, got {bad_md5}" in message
    )
    assert f"{server.url('missing')}: HTTP 404" in message
    assert server.url("drop") in message and "dropped" in message
    assert message.endswith("Put the file in place by hand.")
    assert [url for url, _ in caught.value.failures] == [
        server.url("bad"),
        server.url("missing"),
        server.url("drop"),
    ]
    assert not target_existed_before
    assert leftovers(folder) == []  # no temporary file, no partial file


def test_failed_download_keeps_an_existing_file(server, tmp_path):
    target = tmp_path / "file.gz"
    target.write_bytes(b"previous")
    server.routes["/bad"] = b"wrong"
    with pytest.raises(DownloadError):
        fetch(server, ["bad"], target)
    assert target.read_bytes() == b"previous"
    assert leftovers(tmp_path) == ["file.gz"]


def test_unreachable_mirror_is_reported(tmp_path):
    with pytest.raises(DownloadError, match="cannot connect"):
        download_file(
            ["http://127.0.0.1:9/x"],
            tmp_path / "x",
            MD5,
            allow_local_http=True,
            progress=False,
            timeout=2,
        )


def test_plain_http_is_refused_before_any_request(server, tmp_path):
    server.routes["/good"] = PAYLOAD
    with pytest.raises(ValueError, match="only https"):
        download_file([server.url("good")], tmp_path / "x", MD5, progress=False)
    assert server.hits == {}
    for url in ("http://example.com/f.gz", "ftp://127.0.0.1/f.gz", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="only https"):
            check_url(url, allow_local_http=True)
    assert check_url("https://example.com/f.gz") == "https://example.com/f.gz"


def test_redirect_to_plain_http_elsewhere_is_refused(server, tmp_path):
    server.routes["/moved"] = ("redirect", "http://example.com/file.gz")
    with pytest.raises(DownloadError, match="only https"):
        fetch(server, ["moved"], tmp_path / "x")
    assert leftovers(tmp_path) == []


def test_redirect_within_allowed_urls_is_followed(server, tmp_path):
    server.routes["/moved"] = ("redirect", server.url("good"))
    server.routes["/good"] = PAYLOAD
    fetch(server, ["moved"], tmp_path / "x")
    assert (tmp_path / "x").read_bytes() == PAYLOAD


def test_no_mirrors_is_an_error(tmp_path):
    with pytest.raises(ValueError, match="at least one URL"):
        download_file([], tmp_path / "x", MD5)


# ------------------------------------------------ endless and oversized responses
def test_endless_response_stops_at_the_known_size_then_next_mirror(server, tmp_path):
    server.routes["/endless"] = ("endless", None)  # no Content-Length: the body never ends
    server.routes["/good"] = PAYLOAD
    target = tmp_path / "file.gz"
    start = time.monotonic()
    download_file(
        [server.url("endless"), server.url("good")],
        target,
        MD5,
        size=len(PAYLOAD),
        allow_local_http=True,
        progress=False,
        timeout=5,
    )
    assert time.monotonic() - start < server.ENDLESS_LIMIT[1]
    assert target.read_bytes() == PAYLOAD
    assert leftovers(tmp_path) == ["file.gz"]
    # The client hung up long before the server's own limit (what it sent beyond the size sat
    # in the sockets' buffers).
    assert server.sent["/endless"] < server.ENDLESS_LIMIT[0]


def test_endless_response_of_unknown_size_stops_at_max_size(server, tmp_path):
    server.routes["/endless"] = ("endless", None)
    folder = tmp_path / "cache"
    start = time.monotonic()
    with pytest.raises(DownloadError) as caught:
        download_file(
            [server.url("endless")],
            folder / "file.gz",
            MD5,
            max_size=1 << 20,
            allow_local_http=True,
            progress=False,
            timeout=5,
        )
    assert time.monotonic() - start < server.ENDLESS_LIMIT[1]
    (url, reason), *_ = caught.value.failures
    assert url == server.url("endless")
    assert "longer than max_size=1048576 bytes; stopped reading after 1048577" in reason
    assert "pass a larger max_size" in reason
    assert leftovers(folder) == []
    assert server.sent["/endless"] < server.ENDLESS_LIMIT[0]


def test_all_mirrors_endless_or_wrong_list_each_failure(server, tmp_path):
    server.routes["/endless"] = ("endless", None)
    server.routes["/short"] = PAYLOAD[:-1]
    server.routes["/huge"] = ("endless", 10**12)  # announces a terabyte
    urls = [server.url(path) for path in ("endless", "short", "huge")]
    with pytest.raises(DownloadError) as caught:
        download_file(
            urls, tmp_path / "f", MD5, size=len(PAYLOAD), allow_local_http=True, progress=False
        )
    message = str(caught.value)
    size = len(PAYLOAD)
    assert f"{urls[0]}: IntegrityError: the response is longer than the expected {size}" in message
    assert f"{urls[1]}: IntegrityError: the server announces {size - 1} bytes, not the " in message
    assert f"{urls[2]}: IntegrityError: the server announces {10**12} bytes, not the " in message
    assert [url for url, _ in caught.value.failures] == urls
    assert leftovers(tmp_path) == []


def test_announced_length_over_max_size_is_refused_before_the_body(server, tmp_path):
    server.routes["/huge"] = ("endless", 10**12)
    with pytest.raises(DownloadError, match="announces 1000000000000 bytes, more than max_size="):
        download_file(
            [server.url("huge")], tmp_path / "f", None, allow_local_http=True, progress=False
        )
    assert leftovers(tmp_path) == []


def test_response_of_exactly_the_known_size_is_accepted(server, tmp_path):
    server.routes["/good"] = PAYLOAD
    target = download_file(
        [server.url("good")],
        tmp_path / "b",
        MD5,
        size=len(PAYLOAD),
        max_size=10,
        allow_local_http=True,
        progress=False,
    )
    assert target.read_bytes() == PAYLOAD  # a known size overrides max_size


@pytest.mark.parametrize("name", ["size", "max_size"])
@pytest.mark.parametrize("value", [0, -5, 1.5, True, "100"])
def test_invalid_sizes_are_refused_before_any_request(server, tmp_path, name, value):
    server.routes["/good"] = PAYLOAD
    with pytest.raises(ValueError, match=f"Invalid {name}: {value!r}"):
        download_file(
            [server.url("good")], tmp_path / "x", MD5, allow_local_http=True, **{name: value}
        )
    assert server.hits == {}
