"""The data set registry: every data set mlplab knows, loaded by name.

Adding a data set means writing its loader (in images.py, bundled.py or synthetic.py, or a new
module) and adding one line to ``_REGISTRY``.
"""

import inspect
from dataclasses import dataclass
from functools import partial

from mlplab.data import bundled, images, synthetic, tables


@dataclass(frozen=True)
class _Entry:
    """A registered data set: its loader, whether it reads files, its task, one line about it."""

    loader: object
    from_files: bool
    task: str
    description: str


_REGISTRY = {
    "mnist": _Entry(
        partial(images.load_image_set, "mnist"), True, "classification", "handwritten digits, 28x28"
    ),
    "fashion-mnist": _Entry(
        partial(images.load_image_set, "fashion-mnist"),
        True,
        "classification",
        "clothing images, 28x28",
    ),
    "kmnist": _Entry(
        partial(images.load_image_set, "kmnist"),
        True,
        "classification",
        "cursive Japanese characters, 28x28",
    ),
    "digits": _Entry(
        bundled.load_digits, False, "classification", "scikit-learn's 8x8 digits (offline)"
    ),
    "linnerud": _Entry(
        bundled.load_linnerud, False, "regression", "scikit-learn's 3-target regression"
    ),
    "linear": _Entry(
        synthetic.load_linear, False, "regression", "y = a·x1 + b·x2 + c·x3 + d + noise"
    ),
    "xor": _Entry(synthetic.load_xor, False, "classification", "2-D XOR quadrants"),
    "spirals": _Entry(synthetic.load_spirals, False, "classification", "2-D interleaved spirals"),
    "moons": _Entry(synthetic.load_moons, False, "classification", "2-D interleaving half circles"),
    "circles": _Entry(synthetic.load_circles, False, "classification", "2-D concentric circles"),
    "blobs": _Entry(synthetic.load_blobs, False, "classification", "2-D Gaussian clusters"),
    "sine": _Entry(synthetic.load_sine, False, "regression", "1-D curve y = sin(2·x1) + noise"),
    "ripple": _Entry(
        synthetic.load_ripple, False, "regression", "2-D surface y = sin(π·x1)·cos(π·x2) + noise"
    ),
    "csv": _Entry(tables.load_csv_classes, False, "classification", "your CSV: inputs, then class"),
    "csv-regression": _Entry(
        tables.load_csv_values, False, "regression", "your CSV: inputs, then target"
    ),
}


def available_datasets():
    """The registered data set names mapped to one-line descriptions.

    Returns
    -------
    dict of str to str
    """
    return {name: entry.description for name, entry in _REGISTRY.items()}


def _entry(name):
    """The registry entry of ``name``; ValueError listing the known names if there is none."""
    entry = _REGISTRY.get(name)
    if entry is None:
        raise ValueError(f"Unknown data set {name!r}; available: {', '.join(available_datasets())}")
    return entry


def dataset_task(name):
    """The task of data set ``name`` ("classification" or "regression"), without loading it."""
    return _entry(name).task


def dataset_options(name):
    """The keyword options data set ``name`` accepts in :func:`load_dataset`, e.g. ``seed``."""
    return _options_of(_entry(name).loader)


def _options_of(loader):
    """The keyword options a loader accepts (besides data_dir and download)."""
    parameters = inspect.signature(loader).parameters
    return [name for name in parameters if name not in ("data_dir", "download")]


def load_dataset(name, data_dir=None, download=True, **options):
    """Load a data set by name; the same arguments give the same arrays in every call and run.

    Parameters
    ----------
    name : str
        One of :func:`available_datasets` (``mnist``, ``fashion-mnist``, ``kmnist``, ``digits``,
        ``linnerud``, ``linear``, ``xor``, ``spirals``, ``moons``, ``circles``, ``blobs``,
        ``sine``, ``ripple``, ``csv``, ``csv-regression``).
    data_dir : str or os.PathLike, optional
        For file-based sets (the MNIST family): a folder searched before the cache
        (``$MLPLAB_DATA`` or the user cache folder) and Debian's ``/usr/share/datasets``.
        Ignored by the others.
    download : bool
        Download missing files from the official mirrors (file-based sets only).
    **options
        Options of that data set, e.g. ``n_samples``, ``noise``, ``test_fraction``,
        ``splits=("test",)``; an unknown one is an error listing the valid ones. The sets
        without an official test split (all but the MNIST family) take ``seed`` (a non-negative
        int, default 0): it alone fixes their samples and their train/test split, so neither
        depends on a run's seed or on ``mlplab.random.default_generator``. Split a run's
        validation part off ``x_train`` with :func:`mlplab.data.train_val_split` and the run's
        generator.

    Returns
    -------
    Dataset
        Fresh arrays: changing them does not change what the next call returns.
        ``meta["seed"]`` holds the seed of a set that takes one.
    """
    entry = _entry(name)
    accepted = _options_of(entry.loader)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {', '.join(unknown)} for data set {name!r}; "
            f"it accepts: {', '.join(accepted) or 'none'}"
        )
    if entry.from_files:
        return entry.loader(data_dir=data_dir, download=download, **options)
    return entry.loader(**options)
