"""Tests of mlplab.data.cache: $MLPLAB_DATA wins, else the platform's user cache folder."""

from pathlib import Path

import platformdirs

from mlplab.data import cache_dir


def test_environment_variable_wins(monkeypatch, tmp_path):
    monkeypatch.setenv("MLPLAB_DATA", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_default_is_the_user_cache_folder(monkeypatch):
    monkeypatch.delenv("MLPLAB_DATA")
    assert cache_dir() == Path(platformdirs.user_cache_dir("mlplab")) / "data"
    monkeypatch.setenv("MLPLAB_DATA", "  ")
    assert cache_dir() == Path(platformdirs.user_cache_dir("mlplab")) / "data"
