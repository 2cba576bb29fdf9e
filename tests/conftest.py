"""Rules for the whole test suite: tests that need a data set from a Debian package.

Such a test is marked ``@pytest.mark.debian_data("dataset-fashion-mnist")`` (the marker is
registered in pyproject.toml). Without the package, a plain run skips it and says what to
install; in CI (``CI=true``; .ci/run installs the packages) a missing package fails the test
instead, so that a broken CI set-up cannot pass by skipping what it should have run.
"""

import os
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]  # tests/data/test_debian_data.py runs these rules in a sandbox

DEBIAN_DATA = {"dataset-fashion-mnist": "/usr/share/datasets/fashion-mnist"}
"""Debian data package -> the folder it installs (its presence means the package is there)."""

_VERDICT = pytest.StashKey()


def in_ci(environ):
    """Whether ``environ`` marks a CI run: ``CI`` set to true (or 1, yes), as CI services do."""
    return environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def debian_data_verdict(packages, environ, installed):
    """What to do with a test that needs the Debian ``packages``.

    Parameters
    ----------
    packages : sequence of str
        The packages the test's ``debian_data`` markers name.
    environ : mapping of str to str
        The environment (``os.environ``): ``CI`` decides between skipping and failing.
    installed : callable
        ``installed(package) -> bool``.

    Returns
    -------
    tuple of (str, str) or None
        None to run the test, else ``("skip", reason)`` or ``("fail", reason)``.
    """
    if not packages:
        return "fail", "the debian_data marker needs a package name, e.g. 'dataset-fashion-mnist'"
    unknown = [package for package in packages if package not in DEBIAN_DATA]
    if unknown:
        return "fail", (
            f"unknown Debian data package {', '.join(unknown)}: add it to DEBIAN_DATA in "
            "tests/conftest.py"
        )
    missing = [package for package in packages if not installed(package)]
    if not missing:
        return None
    names = ", ".join(missing)
    command = f"apt-get install {' '.join(missing)}"
    if in_ci(environ):
        return "fail", f"CI=true, but Debian's {names} is not installed: .ci/run runs `{command}`"
    return "skip", f"needs Debian's {names}: `{command}` to run it"


def _installed(package):
    """Whether the Debian data package's folder exists."""
    return Path(DEBIAN_DATA[package]).is_dir()


def pytest_runtest_setup(item):
    """Skip a test whose Debian data is missing outside CI (before its fixtures run)."""
    marks = list(item.iter_markers("debian_data"))
    if not marks:
        return
    packages = [package for mark in marks for package in mark.args]
    verdict = debian_data_verdict(packages, os.environ, _installed)
    item.stash[_VERDICT] = verdict
    if verdict is not None and verdict[0] == "skip":
        pytest.skip(verdict[1])


def pytest_runtest_call(item):
    """Fail, as the test itself, a test whose Debian data is missing in CI."""
    verdict = item.stash.get(_VERDICT, None)
    if verdict is not None and verdict[0] == "fail":
        pytest.fail(verdict[1], pytrace=False)
