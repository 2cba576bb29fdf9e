"""Fixtures of the command-line tests: a run of the default ``mlplab train``, made once."""

import pytest

from mlplab.cli import main


@pytest.fixture(scope="session")
def default_run(tmp_path_factory):
    """The folder of ``mlplab train`` run with no arguments (in a fresh working directory)."""
    work = tmp_path_factory.mktemp("default")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(work)
        assert main(["train"]) == 0
    (folder,) = (work / "runs").iterdir()
    return folder
