"""The data set registry: every data set mlplab knows, loaded by name.

Adding a data set means writing its loader (in images.py, bundled.py or synthetic.py, or a new
module) and adding one line to ``_REGISTRY``.
"""

import inspect
from dataclasses import dataclass
from functools import partial

from mlplab.data import bundled, images, synthetic


@dataclass(frozen=True)
class _Entry:
    """A registered data set: its loader, whether it reads files, and a one-line description."""

    loader: object
    from_files: bool
    description: str


_REGISTRY = {
    "mnist": _Entry(partial(images.load_image_set, "mnist"), True, "handwritten digits, 28x28"),
    "fashion-mnist": _Entry(
        partial(images.load_image_set, "fashion-mnist"), True, "clothing images, 28x28"
    ),
    "kmnist": _Entry(
        partial(images.load_image_set, "kmnist"), True, "cursive Japanese characters, 28x28"
    ),
    "digits": _Entry(bundled.load_digits, False, "scikit-learn's 8x8 digits (offline)"),
    "linnerud": _Entry(bundled.load_linnerud, False, "scikit-learn's 3-target regression"),
    "linear": _Entry(synthetic.load_linear, False, "y = a·x1 + b·x2 + c·x3 + d + noise"),
    "xor": _Entry(synthetic.load_xor, False, "2-D XOR quadrants"),
    "spirals": _Entry(synthetic.load_spirals, False, "2-D interleaved spirals"),
    "moons": _Entry(synthetic.load_moons, False, "2-D interleaving half circles"),
    "circles": _Entry(synthetic.load_circles, False, "2-D concentric circles"),
}


def available_datasets():
    """The registered data set names mapped to one-line descriptions.

    Returns
    -------
    dict of str to str
    """
    return {name: entry.description for name, entry in _REGISTRY.items()}


def _options_of(loader):
    """The keyword options a loader accepts (besides data_dir, download and generator)."""
    parameters = inspect.signature(loader).parameters
    return [name for name in parameters if name not in ("data_dir", "download", "generator")]


def load_dataset(name, data_dir=None, download=True, generator=None, **options):
    """Load a data set by name.

    Parameters
    ----------
    name : str
        One of :func:`available_datasets` (``mnist``, ``fashion-mnist``, ``kmnist``, ``digits``,
        ``linnerud``, ``linear``, ``xor``, ``spirals``, ``moons``, ``circles``).
    data_dir : str or os.PathLike, optional
        For file-based sets (the MNIST family): a folder searched before the cache
        (``$MLPLAB_DATA`` or the user cache folder) and Debian's ``/usr/share/datasets``.
        Ignored by the others.
    download : bool
        Download missing files from the official mirrors (file-based sets only).
    generator : mlplab.random.Generator, optional
        Draws generated sets and the seeded train/test split of sets without one (default:
        ``mlplab.random.default_generator``). Ignored by the MNIST family (fixed split).
    **options
        Options of that data set, e.g. ``n_samples``, ``noise``, ``test_fraction``,
        ``splits=("test",)``; an unknown one is an error listing the valid ones.

    Returns
    -------
    Dataset
    """
    entry = _REGISTRY.get(name)
    if entry is None:
        raise ValueError(f"Unknown data set {name!r}; available: {', '.join(available_datasets())}")
    accepted = _options_of(entry.loader)
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"Unknown option(s) {', '.join(unknown)} for data set {name!r}; "
            f"it accepts: {', '.join(accepted) or 'none'}"
        )
    if entry.from_files:
        return entry.loader(data_dir=data_dir, download=download, **options)
    return entry.loader(generator=generator, **options)
