"""Uploads: a learner's own CSV file, kept on the server under an id the page can name.

The file is stored under the SHA-256 of its bytes (the same file is stored once), written
atomically, and read back as the data set ``csv`` or ``csv-regression`` to check it before the
page is told its id: a file that does not make a data set the playground can draw is refused
with the reason, and not kept.
"""

import hashlib
from pathlib import Path

from mlplab.data import dataset_task, load_dataset
from mlplab.serve.page import PageError, playground_datasets, takes_file
from mlplab.utils import atomic_write_bytes


def store_upload(folder, data, dataset, limits):
    """Keep the CSV ``data`` (bytes) for data set ``dataset``; returns what the page needs.

    Returns
    -------
    dict
        ``upload`` (the id), ``dataset``, ``rows``, ``inputs`` (1 or 2) and ``classes`` (the
        class names, or None for regression).

    Raises
    ------
    PageError
        For a file too large, not a CSV the data set reads, or with more than two inputs.
    """
    files = [name for name in playground_datasets() if takes_file(name)]
    if dataset not in files:
        raise PageError("upload", f"upload as one of {', '.join(files)}, not {dataset!r}")
    if len(data) > limits.max_upload_bytes:
        raise PageError(
            "upload", f"the file has {len(data):,} bytes; this server takes up to "
            f"{limits.max_upload_bytes:,}"
        )  # fmt: skip
    digest = hashlib.sha256(data).hexdigest()[:32]
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}.csv"
    atomic_write_bytes(path, data)
    try:
        table = load_dataset(dataset, path=str(path))
        rows = len(table.x_train) + len(table.x_test)
        if table.num_features > 2:
            raise ValueError(
                f"it has {table.num_features} input columns; the playground draws 1 or 2 (train "
                "on more with mlplab train --dataset csv)"
            )
        if rows > limits.max_samples:
            raise ValueError(f"{rows:,} rows; this server allows up to {limits.max_samples:,}")
    except ValueError as error:
        path.unlink(missing_ok=True)
        # The server's own path means nothing to the page: the message names "the CSV".
        raise PageError("upload", str(error).replace(f" {path}", "")) from None
    return {
        "upload": digest,
        "dataset": dataset,
        "task": dataset_task(dataset),
        "rows": rows,
        "inputs": table.num_features,
        "classes": list(table.class_names) if table.class_names else None,
    }
