"""MNIST-style image sets (MNIST, Fashion-MNIST, Kuzushiji-MNIST): finding, fetching, checking.

Each set is four IDX files. Every file is looked for, as ``NAME.gz`` or uncompressed ``NAME``, in
turn: the folder the caller names (and its subfolder named after the set), the cache folder
(:func:`mlplab.data.cache.cache_dir` / set name), and the folders of Debian's dataset packages.
A file found nowhere is downloaded from the set's official mirrors into the cache.

Integrity: a file is accepted when its gzip bytes have the md5 the authors published, or when
its *decompressed* bytes have the known md5 of the original content -- the second survives
re-compression by a distributor (Debian's package, the copies in ``tests/fixtures``). A file that
matches neither is an error naming the file and both checksums, never loaded. Then every
images/labels pair is checked: magic 2051 images (N, 28, 28) uint8, magic 2049 labels (N,) with
values below the number of classes, the same N.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy

from mlplab.data.cache import ENVIRONMENT_VARIABLE, cache_dir
from mlplab.data.dataset import Dataset
from mlplab.data.download import download_file
from mlplab.data.errors import DatasetNotFoundError, IDXError, IntegrityError
from mlplab.data.idx import read_idx_record

SPLITS = ("train", "test")


@dataclass(frozen=True)
class IDXFile:
    """One file of a set: its name (without .gz), its checksums and its size as published.

    ``content_md5`` is the md5 of the decompressed bytes and ``gzip_size`` the size in bytes of
    the official .gz file, each None where it is not known.
    """

    name: str
    gzip_md5: str
    content_md5: str | None
    gzip_size: int | None


@dataclass(frozen=True)
class ImageSet:
    """Where an MNIST-style set comes from and what it holds."""

    name: str
    title: str
    homepage: str
    mirrors: tuple
    files: dict  # split -> (images IDXFile, labels IDXFile)
    class_names: tuple
    system_dirs: tuple = ()


def _files(gzip_md5s, content_md5s, gzip_sizes):
    """The four files of a set, from their checksums and sizes in the order train-images,
    train-labels, t10k-images, t10k-labels."""
    names = (
        "train-images-idx3-ubyte",
        "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte",
        "t10k-labels-idx1-ubyte",
    )
    entries = zip(names, gzip_md5s, content_md5s, gzip_sizes, strict=True)
    files = [IDXFile(*entry) for entry in entries]
    return {"train": (files[0], files[1]), "test": (files[2], files[3])}


# Official gzip md5s: published with each set (also in torchvision's mnist.py). Decompressed
# md5s: MNIST's and Fashion-MNIST's from shared/data/README.md, checked against the real files
# here -- except MNIST's training images (6bbc9ace...), which no local copy could confirm; that
# value is the one public scripts list beside the three confirmed ones. Kuzushiji-MNIST's
# decompressed md5s are not known to us: its files are verified by their gzip md5 only.
# Official gzip sizes: MNIST's from shared/data/README.md; Fashion-MNIST's are those of Debian's
# re-compressed files plus the file name the originals store in their gzip header (23 or 24
# bytes). A download of unknown size (Kuzushiji-MNIST's) stops at _MAX_GZIP_SIZE.
_MAX_GZIP_SIZE = 64 << 20  # the largest content, 60,000 28x28 images, is 47 MB: gzip adds little
IMAGE_SETS = {
    "mnist": ImageSet(
        name="mnist",
        title="MNIST handwritten digits",
        homepage="http://yann.lecun.com/exdb/mnist/",
        mirrors=(
            "https://ossci-datasets.s3.amazonaws.com/mnist/",
            "https://storage.googleapis.com/cvdf-datasets/mnist/",
        ),
        files=_files(
            (
                "f68b3c2dcbeaaa9fbdd348bbdeb94873",
                "d53e105ee54ea40749a09fcbcd1e9432",
                "9fb629c4189551a2d022fa330f9573f3",
                "ec29112dd5afa0611ce80d1b7f02629c",
            ),
            (
                "6bbc9ace898e44ae57da46a324031adb",
                "a25bea736e30d166cdddb491f175f624",
                "2646ac647ad5339dbf082846283269ea",
                "27ae3e4e09519cfbb04c329615203637",
            ),
            (9_912_422, 28_881, 1_648_877, 4_542),
        ),
        class_names=tuple(str(digit) for digit in range(10)),
        system_dirs=("/usr/share/datasets/mnist",),
    ),
    "fashion-mnist": ImageSet(
        name="fashion-mnist",
        title="Fashion-MNIST (Zalando article images)",
        homepage="https://github.com/zalandoresearch/fashion-mnist",
        mirrors=(
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/",
            "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
        ),
        files=_files(
            (
                "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                "25c81989df183df01b3e8a0aad5dffbe",
                "bef4ecab320f06d8554ea6380940ec79",
                "bb300cfdad3c16e7a12a480ee83cd310",
            ),
            (
                "f4a8712d7a061bf5bd6d2ca38dc4d50a",
                "9018921c3c673c538a1fc5bad174d6f9",
                "8181f5470baa50b63fa0f6fddb340f0a",
                "15d484375f8d13e6eb1aabb0c3f46965",
            ),
            (26_421_880, 29_515, 4_422_102, 5_148),
        ),
        class_names=(
            "T-shirt/top",
            "Trouser",
            "Pullover",
            "Dress",
            "Coat",
            "Sandal",
            "Shirt",
            "Sneaker",
            "Bag",
            "Ankle boot",
        ),
        system_dirs=("/usr/share/datasets/fashion-mnist",),
    ),
    "kmnist": ImageSet(
        name="kmnist",
        title="Kuzushiji-MNIST (cursive Japanese characters)",
        homepage="https://github.com/rois-codh/kmnist",
        mirrors=("https://codh.rois.ac.jp/kmnist/dataset/kmnist/",),
        files=_files(
            (
                "bdb82020997e1d708af4cf47b453dcf7",
                "e144d726b3acfaa3e44228e80efcd344",
                "5c965bf0a639b31b8f53240b1b52f4d7",
                "7320c461ea6c1c855c0b718fb2a4b134",
            ),
            (None, None, None, None),
            (None, None, None, None),
        ),
        class_names=("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"),
    ),
}


def search_dirs(image_set, data_dir=None):
    """The folders searched for ``image_set``'s files, in order.

    Parameters
    ----------
    image_set : ImageSet
    data_dir : str or os.PathLike, optional
        A folder named by the user: searched first, itself and its subfolder ``<set name>``.

    Returns
    -------
    list of pathlib.Path
    """
    dirs = []
    if data_dir is not None:
        dirs += [Path(data_dir), Path(data_dir) / image_set.name]
    dirs.append(cache_dir() / image_set.name)
    dirs += [Path(folder) for folder in image_set.system_dirs]
    return dirs


def _find(idx_file, dirs):
    """The first existing ``NAME.gz`` or ``NAME`` in ``dirs``, or None."""
    for folder in dirs:
        for candidate in (folder / f"{idx_file.name}.gz", folder / idx_file.name):
            if candidate.is_file():
                return candidate
    return None


def _placement_help(image_set, dirs, missing):
    """How to put files in place by hand: where we looked, what is missing, where it comes from."""
    looked = "\n".join(f"  {folder}" for folder in dirs)
    names = ", ".join(f"{f.name}.gz" for f in missing)
    return (
        f"Looked in:\n{looked}\n"
        f"To install by hand, download {names} from {image_set.mirrors[0]} (or see "
        f"{image_set.homepage}) and put them, gzipped or not, in {cache_dir() / image_set.name} "
        f"(set {ENVIRONMENT_VARIABLE} to choose another folder) or in a folder passed as data_dir."
    )


def _verify(record, idx_file, path):
    """Raise IntegrityError unless the file's gzip md5 or its content md5 is the known one."""
    if record.compressed and record.file_md5 == idx_file.gzip_md5:
        return
    if idx_file.content_md5 is not None and record.content_md5 == idx_file.content_md5:
        return
    if idx_file.content_md5 is None:
        raise IntegrityError(
            f"{path}: cannot verify this file: its gzip md5 is {record.file_md5} (published: "
            f"{idx_file.gzip_md5}) and no checksum of its decompressed content is known. Delete "
            "it to download the original, or pass verify=False to load it unchecked."
        )
    raise IntegrityError(
        f"{path} is corrupt or not the original file: md5 of its decompressed content is "
        f"{record.content_md5}, expected {idx_file.content_md5}"
        + (
            f" (gzip md5 {record.file_md5}, expected {idx_file.gzip_md5})"
            if record.compressed
            else ""
        )
        + ". Delete it to download it again."
    )


def _read(path, idx_file, verify):
    """Read one file, turning format errors into integrity errors that say what to do."""
    try:
        record = read_idx_record(path)
    except IDXError as error:
        raise IntegrityError(f"{error}. Delete {path} to download it again.") from error
    if verify:
        _verify(record, idx_file, path)
    return record


def check_pair(images, labels, images_path, labels_path, num_classes):
    """Check an images/labels pair as MNIST-style files: raise IntegrityError naming both files.

    Parameters
    ----------
    images : numpy.ndarray
        Expected uint8 of shape (N, 28, 28) (IDX magic 2051).
    labels : numpy.ndarray
        Expected uint8 of shape (N,) (IDX magic 2049) with values below ``num_classes``.
    images_path, labels_path : str or os.PathLike
        The files they came from (for the message).
    num_classes : int
    """
    problems = []
    if images.dtype != numpy.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28):
        problems.append(
            f"images should be uint8 (N, 28, 28) (magic 2051), found {images.dtype} {images.shape}"
        )
    if labels.dtype != numpy.uint8 or labels.ndim != 1:
        problems.append(
            f"labels should be uint8 (N,) (magic 2049), found {labels.dtype} {labels.shape}"
        )
    elif labels.size and labels.max() >= num_classes:
        problems.append(f"labels should lie in 0..{num_classes - 1}, found {labels.max()}")
    if len(images) != len(labels):
        problems.append(f"{len(images)} images but {len(labels)} labels")
    if problems:
        raise IntegrityError(
            f"{images_path} and {labels_path} are not a valid MNIST-style pair: "
            + "; ".join(problems)
        )


def load_image_set(
    name,
    data_dir=None,
    download=True,
    *,
    splits=SPLITS,
    verify=True,
    mirrors=None,
    allow_local_http=False,
    progress=True,
):
    """Load an MNIST-style set, downloading missing files into the cache.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "kmnist"}
    data_dir : str or os.PathLike, optional
        A folder searched before the cache and the system folders.
    download : bool
        Download files found nowhere (otherwise raise DatasetNotFoundError).
    splits : sequence of {"train", "test"}
        Which parts to load; the others are None in the result.
    verify : bool
        Check checksums (always on unless a file cannot be verified and you accept that).
    mirrors : sequence of str, optional
        Base URLs to download from instead of the official ones.
    allow_local_http : bool
        Let ``mirrors`` be plain http on 127.0.0.1/localhost (tests only).
    progress : bool
        Show a progress bar while downloading.

    Returns
    -------
    Dataset
        uint8 images (N, 28, 28) and int64 labels (N,).
    """
    image_set = IMAGE_SETS[name]
    splits = tuple(splits)
    unknown = [split for split in splits if split not in SPLITS]
    if unknown or not splits:
        raise ValueError(f"Invalid splits {splits!r}: choose from {SPLITS}")
    dirs = search_dirs(image_set, data_dir)
    wanted = [idx_file for split in splits for idx_file in image_set.files[split]]
    paths = {f.name: _find(f, dirs) for f in wanted}
    missing = [f for f in wanted if paths[f.name] is None]
    if missing and not download:
        raise DatasetNotFoundError(
            f"{image_set.title}: {', '.join(f.name for f in missing)} not found and "
            f"download=False.\n{_placement_help(image_set, dirs, missing)}"
        )
    bases = tuple(mirrors) if mirrors is not None else image_set.mirrors
    for idx_file in missing:
        paths[idx_file.name] = download_file(
            [f"{base}{idx_file.name}.gz" for base in bases],
            cache_dir() / name / f"{idx_file.name}.gz",
            idx_file.gzip_md5,
            size=idx_file.gzip_size,
            max_size=_MAX_GZIP_SIZE,
            allow_local_http=allow_local_http,
            progress=progress,
            hint=_placement_help(image_set, dirs, missing),
        )
    arrays, sources = {}, {}
    for split in splits:
        images_file, labels_file = image_set.files[split]
        images_path, labels_path = paths[images_file.name], paths[labels_file.name]
        images = _read(images_path, images_file, verify).array
        labels = _read(labels_path, labels_file, verify).array
        check_pair(images, labels, images_path, labels_path, len(image_set.class_names))
        arrays[split] = (images, labels.astype(numpy.int64))
        sources[split] = (str(images_path), str(labels_path))
    train, test = arrays.get("train", (None, None)), arrays.get("test", (None, None))
    return Dataset(
        name=name,
        x_train=train[0],
        y_train=train[1],
        x_test=test[0],
        y_test=test[1],
        task="classification",
        num_classes=len(image_set.class_names),
        feature_shape=(28, 28),
        class_names=image_set.class_names,
        meta={
            "title": image_set.title,
            "homepage": image_set.homepage,
            "files": sources,
            "verified": bool(verify),
        },
    )
