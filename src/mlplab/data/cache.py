"""Where data sets live on this machine: the cache folder and the system-wide package folders."""

import os
from pathlib import Path

ENVIRONMENT_VARIABLE = "MLPLAB_DATA"


def cache_dir():
    """The folder downloads go to: ``$MLPLAB_DATA``, else the platform's user cache + ``/data``.

    Returns
    -------
    pathlib.Path
        Not created here; the downloader creates it when it first writes.
    """
    configured = os.environ.get(ENVIRONMENT_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser()
    import platformdirs  # imported here so that `import mlplab` stays fast

    return Path(platformdirs.user_cache_dir("mlplab")) / "data"
