"""Tests of mlplab.data.images: real MNIST and Fashion-MNIST, integrity checks, cache downloads."""

import gzip
import hashlib
import shutil
from dataclasses import replace

import numpy
import pytest

from mlplab.data import (
    DatasetNotFoundError,
    DownloadError,
    IntegrityError,
    encode_idx,
    images,
    read_idx_record,
)
from mlplab.data.images import IMAGE_SETS, check_pair, load_image_set

MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_real_mnist_test_set_loads(mnist_files):
    data = load_image_set("mnist", data_dir=mnist_files, download=False, splits=("test",))
    assert data.x_test.shape == (10000, 28, 28) and data.x_test.dtype == numpy.uint8
    assert data.y_test.shape == (10000,) and data.y_test.dtype == numpy.int64
    assert numpy.bincount(data.y_test).tolist() == MNIST_TEST_COUNTS
    assert data.x_train is None and data.y_train is None
    assert data.num_classes == 10 and data.feature_shape == (28, 28)
    assert data.meta["verified"] is True


def test_real_mnist_checksums_match_the_readme(mnist_files):
    expected = {
        "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
        "train-labels-idx1-ubyte.gz": "a25bea736e30d166cdddb491f175f624",
    }
    for name, md5 in expected.items():
        assert read_idx_record(mnist_files / name).content_md5 == md5
    # ... and they are the content checksums mlplab verifies against
    files = {f.name: f for split in IMAGE_SETS["mnist"].files.values() for f in split}
    for name, md5 in expected.items():
        assert files[name.removesuffix(".gz")].content_md5 == md5


def test_real_mnist_train_labels(mnist_files):
    labels = read_idx_record(mnist_files / "train-labels-idx1-ubyte.gz").array
    assert labels.shape == (60000,) and labels.max() == 9


@pytest.mark.debian_data("dataset-fashion-mnist")
def test_fashion_mnist_from_debian_package():
    data = load_image_set("fashion-mnist", download=False)
    assert data.x_train.shape == (60000, 28, 28) and data.x_test.shape == (10000, 28, 28)
    assert data.x_train.dtype == numpy.uint8
    # Fashion-MNIST is balanced: 6000 training and 1000 test images per class.
    assert numpy.bincount(data.y_train).tolist() == [6000] * 10
    assert numpy.bincount(data.y_test).tolist() == [1000] * 10
    assert data.class_names[9] == "Ankle boot"
    assert all(
        path.startswith("/usr/share/datasets/fashion-mnist/")
        for pair in data.meta["files"].values()
        for path in pair
    )


def copy_mnist_test_set(mnist_files, folder):
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(mnist_files / name, folder / name)
    return folder


def test_cache_folder_is_searched(mnist_files, isolated_cache):
    copy_mnist_test_set(mnist_files, isolated_cache / "mnist")
    data = load_image_set("mnist", download=False, splits=("test",))
    assert data.meta["files"]["test"][0].startswith(str(isolated_cache))


def test_uncompressed_and_recompressed_copies_verify(mnist_files, tmp_path):
    folder = tmp_path / "own"
    folder.mkdir()
    images_raw = gzip.decompress((mnist_files / "t10k-images-idx3-ubyte.gz").read_bytes())
    labels_raw = gzip.decompress((mnist_files / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (folder / "t10k-images-idx3-ubyte").write_bytes(images_raw)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(labels_raw, 1, mtime=123))
    data = load_image_set("mnist", data_dir=folder, download=False, splits=("test",))
    assert numpy.bincount(data.y_test).tolist() == MNIST_TEST_COUNTS


def test_one_flipped_byte_in_cached_gzip_is_detected(mnist_files, isolated_cache):
    folder = copy_mnist_test_set(mnist_files, isolated_cache / "mnist")
    path = folder / "t10k-images-idx3-ubyte.gz"
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(IntegrityError) as caught:
        load_image_set("mnist", download=False, splits=("test",))
    assert str(path) in str(caught.value) and "Delete" in str(caught.value)


def test_one_flipped_byte_in_uncompressed_file_is_detected(mnist_files, isolated_cache):
    folder = isolated_cache / "mnist"
    folder.mkdir(parents=True)
    raw = bytearray(gzip.decompress((mnist_files / "t10k-images-idx3-ubyte.gz").read_bytes()))
    raw[5000] ^= 0x80  # a pixel: the file still parses, only the checksum can tell
    actual = hashlib.md5(raw).hexdigest()
    (folder / "t10k-images-idx3-ubyte").write_bytes(bytes(raw))
    shutil.copy(mnist_files / "t10k-labels-idx1-ubyte.gz", folder)
    with pytest.raises(IntegrityError) as caught:
        load_image_set("mnist", download=False, splits=("test",))
    message = str(caught.value)
    assert str(folder / "t10k-images-idx3-ubyte") in message
    assert "2646ac647ad5339dbf082846283269ea" in message and actual in message


def test_unverifiable_file_needs_explicit_consent(tmp_path, isolated_cache):
    # Kuzushiji-MNIST's decompressed checksums are unknown: a re-compressed copy cannot be
    # verified, so it is refused unless verify=False.
    folder = tmp_path / "k"
    folder.mkdir()
    write = {
        "t10k-images-idx3-ubyte.gz": numpy.zeros((3, 28, 28), numpy.uint8),
        "t10k-labels-idx1-ubyte.gz": numpy.array([0, 5, 9], numpy.uint8),
    }
    for name, array in write.items():
        (folder / name).write_bytes(gzip.compress(encode_idx(array)))
    with pytest.raises(IntegrityError, match="cannot verify"):
        load_image_set("kmnist", data_dir=folder, download=False, splits=("test",))
    data = load_image_set("kmnist", data_dir=folder, download=False, splits=("test",), verify=False)
    assert data.y_test.tolist() == [0, 5, 9] and data.meta["verified"] is False


@pytest.mark.parametrize(
    ("images_array", "labels_array", "message"),
    [
        (numpy.zeros((3, 28, 28), numpy.uint8), numpy.zeros(4, numpy.uint8), "3 images but 4"),
        (numpy.zeros((3, 28, 28), numpy.uint8), numpy.array([0, 10, 1], numpy.uint8), "0..9"),
        (numpy.zeros((3, 27, 28), numpy.uint8), numpy.zeros(3, numpy.uint8), "(N, 28, 28)"),
        (numpy.zeros((3, 28, 28), numpy.float32), numpy.zeros(3, numpy.uint8), "uint8"),
        (numpy.zeros((3, 28, 28), numpy.uint8), numpy.zeros((3, 1), numpy.uint8), "labels"),
    ],
)
def test_invalid_pairs_name_both_files(images_array, labels_array, message):
    with pytest.raises(IntegrityError, match=message.replace("(", r"\(").replace(")", r"\)")) as e:
        check_pair(images_array, labels_array, "/x/images.gz", "/x/labels.gz", 10)
    assert "/x/images.gz" in str(e.value) and "/x/labels.gz" in str(e.value)


def test_mismatched_pair_on_disk_is_refused(tmp_path):
    for name, array in {
        "t10k-images-idx3-ubyte": numpy.zeros((2, 28, 28), numpy.uint8),
        "t10k-labels-idx1-ubyte": numpy.zeros(3, numpy.uint8),
    }.items():
        (tmp_path / name).write_bytes(encode_idx(array))
    with pytest.raises(IntegrityError, match="2 images but 3 labels"):
        load_image_set("kmnist", data_dir=tmp_path, download=False, splits=("test",), verify=False)


def test_offline_error_lists_places_and_how_to_fix(tmp_path, isolated_cache):
    with pytest.raises(DatasetNotFoundError) as caught:
        load_image_set("kmnist", data_dir=tmp_path, download=False)
    message = str(caught.value)
    for folder in (tmp_path, tmp_path / "kmnist", isolated_cache / "kmnist"):
        assert f"  {folder}\n" in message
    assert "train-images-idx3-ubyte.gz" in message and "https://codh.rois.ac.jp" in message
    assert "MLPLAB_DATA" in message and "data_dir" in message


def test_invalid_splits():
    with pytest.raises(ValueError, match="Invalid splits"):
        load_image_set("mnist", splits=("validation",))


# ------------------------------------------------------- downloads into the cache
@pytest.fixture
def served_mnist(mnist_files, server, monkeypatch):
    """Serve the MNIST fixture files; the set's gzip md5s become theirs (re-compressed)."""
    spec = IMAGE_SETS["mnist"]
    test_images, test_labels = spec.files["test"]
    blobs = {}
    for idx_file in (test_images, test_labels):
        blob = (mnist_files / f"{idx_file.name}.gz").read_bytes()
        blobs[idx_file.name] = blob
        server.routes[f"/good/{idx_file.name}.gz"] = blob
        server.routes[f"/bad/{idx_file.name}.gz"] = blob[:-10] + bytes(10)
    files = dict(spec.files)
    files["test"] = tuple(
        replace(f, gzip_md5=hashlib.md5(blobs[f.name]).hexdigest(), gzip_size=len(blobs[f.name]))
        for f in files["test"]
    )
    monkeypatch.setitem(images.IMAGE_SETS, "mnist", replace(spec, files=files))
    return server


def test_download_into_cache_then_reuse(served_mnist, isolated_cache):
    mirrors = [served_mnist.url("bad/"), served_mnist.url("good/")]
    data = load_image_set(
        "mnist", splits=("test",), mirrors=mirrors, allow_local_http=True, progress=False
    )
    assert numpy.bincount(data.y_test).tolist() == MNIST_TEST_COUNTS
    assert sorted(p.name for p in (isolated_cache / "mnist").iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]
    hits = dict(served_mnist.hits)
    load_image_set("mnist", splits=("test",), mirrors=mirrors, allow_local_http=True)
    assert served_mnist.hits == hits  # second load comes from the cache


def test_all_mirrors_failing_leaves_cache_empty(served_mnist, isolated_cache):
    mirrors = [served_mnist.url("bad/"), served_mnist.url("absent/")]
    with pytest.raises(DownloadError) as caught:
        load_image_set(
            "mnist", splits=("test",), mirrors=mirrors, allow_local_http=True, progress=False
        )
    message = str(caught.value)
    assert served_mnist.url("bad/t10k-images-idx3-ubyte.gz") in message
    assert "checksum mismatch" in message and "HTTP 404" in message
    assert "Looked in:" in message  # and how to place the files by hand
    cache = isolated_cache / "mnist"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_official_checksum_rejects_a_recompressed_download(mnist_files, server, isolated_cache):
    # The fixture copies are re-compressed: their gzip md5 is not the published one.
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        server.routes[f"/{name}"] = (mnist_files / name).read_bytes()
    with pytest.raises(DownloadError) as caught:
        load_image_set(
            "mnist", splits=("test",), mirrors=[server.base], allow_local_http=True, progress=False
        )
    assert "expected md5 9fb629c4189551a2d022fa330f9573f3" in str(caught.value)
    cache = isolated_cache / "mnist"
    assert not cache.exists() or list(cache.iterdir()) == []


def test_endless_mirror_is_cut_at_the_known_size(served_mnist, isolated_cache):
    served_mnist.routes["/endless/t10k-images-idx3-ubyte.gz"] = ("endless", None)
    served_mnist.routes["/endless/t10k-labels-idx1-ubyte.gz"] = ("endless", None)
    mirrors = [served_mnist.url("endless/"), served_mnist.url("good/")]
    data = load_image_set(
        "mnist", splits=("test",), mirrors=mirrors, allow_local_http=True, progress=False
    )
    assert numpy.bincount(data.y_test).tolist() == MNIST_TEST_COUNTS
    assert all(sent < served_mnist.ENDLESS_LIMIT[0] for sent in served_mnist.sent.values())


def test_downloads_of_unknown_size_are_capped(server, isolated_cache, monkeypatch):
    # Kuzushiji-MNIST's sizes are not known: an endless mirror stops at the cap, not never.
    monkeypatch.setattr(images, "_MAX_GZIP_SIZE", 1 << 20)  # under the test server's own limit
    server.routes["/t10k-images-idx3-ubyte.gz"] = ("endless", None)
    with pytest.raises(DownloadError, match="longer than max_size=1048576 bytes"):
        load_image_set(
            "kmnist", splits=("test",), mirrors=[server.base], allow_local_http=True, progress=False
        )
    assert server.sent["/t10k-images-idx3-ubyte.gz"] < server.ENDLESS_LIMIT[0]


def test_known_sizes_are_the_official_ones():
    sizes = {
        name: [f.gzip_size for split in ("train", "test") for f in spec.files[split]]
        for name, spec in IMAGE_SETS.items()
    }
    assert sizes == {
        "mnist": [9_912_422, 28_881, 1_648_877, 4_542],
        "fashion-mnist": [26_421_880, 29_515, 4_422_102, 5_148],
        "kmnist": [None, None, None, None],
    }


def test_official_mirrors_are_https():
    for spec in IMAGE_SETS.values():
        assert spec.mirrors and all(url.startswith("https://") for url in spec.mirrors)
        assert all(url.endswith("/") for url in spec.mirrors)
