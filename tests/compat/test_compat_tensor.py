"""Gradients and data as tensors, dtypes, devices and promotion, beside PyTorch in the same test."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import nn


# ----------------------------------------------------------------------------- .grad and .data
def test_grad_is_a_tensor_that_changes_the_real_gradient_in_place():
    for lib in (mlplab, torch):
        w = lib.tensor([1.0, -2.0, 3.0], dtype=lib.float64, requires_grad=True)
        (w * w).sum().backward()
        g = w.grad
        assert g is w.grad  # the same object while the gradient is the same
        assert isinstance(g, lib.Tensor) and not g.requires_grad
        assert g.norm().item() == pytest.approx(2 * 14**0.5)
        np.testing.assert_array_equal(np.asarray(g.data), [2.0, -4.0, 6.0])
        (w * 3).sum().backward()  # accumulates into the same tensor, as PyTorch does
        np.testing.assert_array_equal(np.asarray(g), [5.0, -1.0, 9.0])
        w.grad.zero_()
        np.testing.assert_array_equal(np.asarray(w.grad), [0.0, 0.0, 0.0])


def test_grad_and_data_accept_arrays_and_tensors():
    w = mlplab.zeros(3, dtype=mlplab.float64, requires_grad=True)
    w.grad = np.ones(3)
    assert isinstance(w.grad, mlplab.Tensor)
    w.grad = mlplab.tensor([1.0, 2.0, 3.0], dtype=mlplab.float64)
    np.testing.assert_array_equal(np.asarray(w.grad), [1.0, 2.0, 3.0])
    w.grad = None
    assert w.grad is None
    w.data = np.full(3, 4.0)
    w.data = mlplab.tensor([4.0, 5.0, 6.0], dtype=mlplab.float64)
    np.testing.assert_array_equal(w.numpy(), [4.0, 5.0, 6.0])
    with pytest.raises(RuntimeError, match="different size"):
        w.grad = np.ones(4)
    with pytest.raises(RuntimeError, match="different type"):
        w.grad = np.ones(3, dtype=np.float32)


def test_data_shares_memory_and_is_outside_the_graph():
    for lib in (mlplab, torch):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        d = w.data
        assert not d.requires_grad and d.grad_fn is None
        d.mul_(3)  # through .data: no leaf error, and w sees it
        np.testing.assert_array_equal(w.detach().numpy(), [3.0, 6.0])


def test_the_tutorial_update_on_param_data_and_grad_trains():
    # "param.data -= lr * param.grad.data": the 2017-era tutorial spelling
    model = nn.Linear(2, 1)
    x = mlplab.tensor([[1.0, 2.0], [3.0, 4.0]])
    y = mlplab.tensor([[1.0], [2.0]])
    losses = []
    for _ in range(50):
        model.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        for param in model.parameters():
            param.data -= 0.02 * param.grad.data
    assert losses[-1] < losses[0] / 10


# ----------------------------------------------------------------------------- dtypes
def test_dtype_names_are_torchs():
    pairs = {
        "float32": "float",
        "float64": "double",
        "int64": "long",
        "int32": "int",
        "float16": "half",
        "int16": "short",
    }
    for name, alias in pairs.items():
        assert getattr(mlplab, name) is getattr(mlplab, alias)
        assert (
            np.dtype(getattr(mlplab, name))
            == torch.empty(0, dtype=getattr(torch, alias)).numpy().dtype
        )
    assert mlplab.bool == np.bool_


CREATORS = [
    lambda lib, **k: lib.zeros(2, 3, **k),
    lambda lib, **k: lib.ones((2, 3), **k),
    lambda lib, **k: lib.full((2,), 7.0, **k),
    lambda lib, **k: lib.empty(4, **k),
    lambda lib, **k: lib.arange(0, 5, **k),
    lambda lib, **k: lib.linspace(0, 1, 5, **k),
    lambda lib, **k: lib.eye(3, **k),
    lambda lib, **k: lib.tensor([1, 2], **k),
    lambda lib, **k: lib.zeros_like(lib.ones(2), **k),
    lambda lib, **k: lib.ones_like(lib.ones(2), **k),
    lambda lib, **k: lib.full_like(lib.ones(2), 3, **k),
    lambda lib, **k: lib.randn(3, **k),
    lambda lib, **k: lib.rand(3, **k),
]


@pytest.mark.parametrize(
    ("make", "dtype"),
    [
        (make, dtype)
        for make in CREATORS
        for dtype in ["float32", "float64", "int64", None]
        if not (dtype == "int64" and make in CREATORS[11:])  # randn/rand: floats only in both
    ],
)
def test_every_creation_function_takes_dtype_and_device_as_torch(make, dtype):
    ours = make(mlplab, dtype=None if dtype is None else getattr(mlplab, dtype), device="cpu")
    theirs = make(torch, dtype=None if dtype is None else getattr(torch, dtype), device="cpu")
    assert ours.dtype == theirs.numpy().dtype
    assert tuple(ours.shape) == tuple(theirs.shape)
    if make not in (CREATORS[3], CREATORS[11], CREATORS[12]):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_set_default_dtype_changes_python_floats_and_creation():
    try:
        mlplab.set_default_dtype(mlplab.float64)
        torch.set_default_dtype(torch.float64)
        for lib in (mlplab, torch):
            assert np.dtype(lib.tensor([1.5]).numpy().dtype) == np.float64
            assert np.dtype(lib.zeros(2).numpy().dtype) == np.float64
            assert lib.get_default_dtype() == lib.float64
    finally:
        mlplab.set_default_dtype(mlplab.float32)
        torch.set_default_dtype(torch.float32)
    with pytest.raises(TypeError, match="floating-point"):
        mlplab.set_default_dtype(mlplab.int64)


@pytest.mark.parametrize(
    "expression",
    [
        lambda lib, f, i: f**i,
        lambda lib, f, i: i * 2.5,
        lambda lib, f, i: i / i,
        lambda lib, f, i: i + f,
        lambda lib, f, i: f * lib.tensor(2.0, dtype=lib.float64),
        lambda lib, f, i: i + True,
        lambda lib, f, i: lib.tensor([True, False]) + i[:2],
        lambda lib, f, i: lib.exp(i),
        lambda lib, f, i: lib.sqrt(i),
        lambda lib, f, i: i.sin(),
        lambda lib, f, i: i.float() ** 2,
        lambda lib, f, i: f.double() + f,
        lambda lib, f, i: lib.where(i > 1, f, 0),
    ],
)
def test_type_promotion_is_torchs(expression):
    results = []
    for lib in (mlplab, torch):
        f = lib.tensor([1.5, 2.0, 3.0])
        i = lib.tensor([1, 2, 3])
        results.append(np.asarray(expression(lib, f, i).numpy()))
    assert results[0].dtype == results[1].dtype
    np.testing.assert_allclose(results[0], results[1], rtol=1e-6)


# ----------------------------------------------------------------------------- devices
def test_the_cpu_device_works_everywhere_and_cuda_is_refused_clearly():
    assert not mlplab.cuda.is_available() and not mlplab.backends.mps.is_available()
    assert mlplab.cuda.device_count() == 0
    device = mlplab.device("cuda" if mlplab.cuda.is_available() else "cpu")
    assert device == "cpu" and str(device) == "cpu" and repr(device) == "device(type='cpu')"
    x = mlplab.ones(2, device=device)
    assert x.device == device and not x.is_cuda
    assert x.to(device) is x and x.cpu() is x
    assert x.to(device, mlplab.float64).dtype == mlplab.float64
    assert x.to(mlplab.float64).dtype == mlplab.float64
    assert x.to(mlplab.zeros(1, dtype=mlplab.float64)).dtype == mlplab.float64
    assert x.to("cpu", copy=True) is not x
    assert x.type() == torch.ones(2).type() == "torch.FloatTensor"
    assert x.type(mlplab.float64).dtype == mlplab.float64
    with pytest.raises(RuntimeError, match="MLPLAB_ARRAY_MODULE=cupy"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="MLPLAB_ARRAY_MODULE=cupy"):
        mlplab.zeros(2, device="cuda:0")
    with pytest.raises(RuntimeError, match="not available"):
        x.to("mps")
    with pytest.raises(RuntimeError, match="device type"):
        mlplab.device("tpu")


def test_set_default_device_accepts_cpu_and_refuses_cuda():
    mlplab.set_default_device("cpu")
    try:
        assert mlplab.get_default_device() == "cpu"
        with pytest.raises(RuntimeError, match="not available"):
            mlplab.set_default_device("cuda")
    finally:
        mlplab.set_default_device(None)


def test_module_to_converts_parameters_and_float_buffers_as_torch():
    ours = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2)
    )
    with torch.no_grad():
        for a, b in zip(ours.state_dict().values(), theirs.state_dict().values(), strict=True):
            b.copy_(torch.from_numpy(a.numpy()))
    assert ours.to(mlplab.float64) is ours
    theirs.to(torch.float64)
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values(), strict=True):
        assert a.dtype == b.numpy().dtype, name  # num_batches_tracked stays int64 in both
    x = np.linspace(-1, 1, 15).reshape(5, 3)
    np.testing.assert_allclose(
        ours(mlplab.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6
    )
    assert ours.float().to("cpu") is ours and ours[0].weight.dtype == mlplab.float32
    with pytest.raises(RuntimeError, match="MLPLAB_ARRAY_MODULE=cupy"):
        ours.cuda()
