"""Tests of mlplab.backend: the one place the engine takes its array module from."""

import numpy as np
import pytest

from mlplab import backend


def test_numpy_is_the_default_array_module():
    assert backend.xp is np


def test_an_array_module_that_cannot_be_imported_is_named():
    with pytest.raises(ImportError, match="MLPLAB_ARRAY_MODULE='no_such_array_module'"):
        backend._load_array_module("no_such_array_module")


def test_a_module_without_numpy_functions_is_rejected_listing_what_it_lacks():
    with pytest.raises(ImportError, match=r"not a NumPy-compatible.*asarray"):
        backend._load_array_module("json")


def test_to_numpy_returns_numpy_arrays_without_copying():
    array = np.arange(3.0)
    assert backend.to_numpy(array) is array
    np.testing.assert_array_equal(backend.to_numpy([1, 2]), [1, 2])


def test_a_module_without_errstate_gets_numpys(monkeypatch, tmp_path):
    # CuPy has no errstate: the engine's error settings fall back to NumPy's no-op for it.
    (tmp_path / "fake_array_module.py").write_text(
        "from numpy import asarray, exp, log, matmul, zeros, where, maximum, ndarray\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = backend._load_array_module("fake_array_module")
    assert not hasattr(module, "errstate")
    assert backend._errstate_of(module) is np.errstate
    assert backend.errstate is np.errstate  # NumPy's own
