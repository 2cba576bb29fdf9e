"""BatchNorm1d and LayerNorm: values, gradients and running statistics against PyTorch (float64),
gradcheck, train/eval, buffers in the state dict, model files, and their refusals."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import io, nn

RNG = np.random.default_rng(0)


def _pair_batchnorm(**settings):
    """An mlplab and a torch BatchNorm1d(4) in float64 with the same (non-trivial) affine part."""
    ours = nn.BatchNorm1d(4, dtype="float64", **settings)
    theirs = torch.nn.BatchNorm1d(4, dtype=torch.float64, **settings)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        value = RNG.normal(size=4)
        p._data[...] = value
        with torch.no_grad():
            q.copy_(torch.tensor(value))
    return ours, theirs


def _compare(ours, theirs, x, upstream):
    """Forward and backward through both; outputs, input gradients and parameter gradients."""
    a = mlplab.tensor(x, requires_grad=True)
    out = ours(a)
    out.backward(upstream)
    t = torch.tensor(x, requires_grad=True)
    expected = theirs(t)
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.asarray(a.grad), t.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters(), strict=True):
        np.testing.assert_allclose(np.asarray(p.grad), q.grad.numpy(), rtol=1e-10, atol=1e-12)
        p.grad = None
        assert name in ("weight", "bias")
    theirs.zero_grad()


def _check_running_stats(ours, theirs):
    for name in ("running_mean", "running_var", "num_batches_tracked"):
        ours_value, theirs_value = getattr(ours, name), getattr(theirs, name)
        if theirs_value is None:
            assert ours_value is None
            continue
        np.testing.assert_allclose(ours_value.numpy(), theirs_value.numpy(), rtol=1e-13, atol=0)


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"momentum": 0.3, "eps": 1e-3},
        {"momentum": None},
        {"affine": False},
        {"bias": False},
        {"track_running_stats": False},
    ],
    ids=str,
)
@pytest.mark.parametrize("shape", [(8, 4), (5, 4, 3)], ids=["2-D", "3-D"])
def test_batchnorm_matches_torch_in_training_and_evaluation(settings, shape):
    ours, theirs = _pair_batchnorm(**settings)
    for step in range(5):  # the running statistics follow several batches
        x = RNG.normal(size=shape) * (1 + step) + step
        _compare(ours, theirs, x, RNG.normal(size=shape))
        _check_running_stats(ours, theirs)
    ours.eval()
    theirs.eval()
    x = RNG.normal(size=shape) * 3 - 1
    _compare(ours, theirs, x, RNG.normal(size=shape))
    _check_running_stats(ours, theirs)
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked.item()) == 5  # evaluation does not count


def test_batchnorm_gradcheck_through_the_batch_statistics():
    layer = nn.BatchNorm1d(3, dtype="float64")
    layer.weight._data[...] = [0.5, -1.5, 2.0]
    x = mlplab.tensor(RNG.normal(size=(6, 3)), requires_grad=True)
    upstream = mlplab.tensor(RNG.normal(size=(6, 3)))
    assert mlplab.gradcheck(lambda t: layer(t) * upstream, [x])
    assert mlplab.gradcheck(
        lambda w, b: nn.BatchNorm1d(3, dtype="float64")(x.detach()) * w + b,
        [
            mlplab.tensor(RNG.normal(size=3), requires_grad=True),
            mlplab.tensor(RNG.normal(size=3), requires_grad=True),
        ],
    )


def test_batchnorm_buffers_are_in_the_state_dict_in_torchs_order():
    ours, theirs = _pair_batchnorm()
    ours(mlplab.tensor(RNG.normal(size=(8, 4))))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_buffers()] == [
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    assert ours.state_dict()["num_batches_tracked"].dtype == np.int64
    # Loading a state dict restores the running statistics, and eval then uses them.
    fresh = nn.BatchNorm1d(4, dtype="float64")
    fresh.load_state_dict(ours.state_dict())
    x = mlplab.tensor(RNG.normal(size=(3, 4)))
    np.testing.assert_array_equal(fresh.eval()(x).numpy(), ours.eval()(x).numpy())
    assert list(nn.BatchNorm1d(4, track_running_stats=False).state_dict()) == ["weight", "bias"]


def test_a_batchnorm_model_file_keeps_its_running_statistics(tmp_path):
    model = nn.Sequential(nn.Linear(4, 6, dtype="float64"), nn.BatchNorm1d(6, dtype="float64"))
    for _ in range(3):
        model(mlplab.tensor(RNG.normal(size=(10, 4))))
    path = tmp_path / "model.safetensors"
    io.save(model, path)
    loaded = io.load(path)
    assert loaded.state_dict().keys() == model.state_dict().keys()
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded.state_dict()[name].numpy(), value.numpy())
    x = mlplab.tensor(RNG.normal(size=(5, 4)))
    np.testing.assert_array_equal(loaded.eval()(x).numpy(), model.eval()(x).numpy())
    assert int(loaded[1].num_batches_tracked.item()) == 3


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: nn.BatchNorm1d(0), "Invalid num_features: 0"),
        (lambda: nn.BatchNorm1d(3, eps=0), "eps must be above 0"),
        (lambda: nn.BatchNorm1d(3, momentum=-0.1), "momentum must be >= 0 or None"),
        (lambda: nn.BatchNorm1d(3, affine="yes"), "affine must be True or False"),
        (lambda: nn.LayerNorm(0), "normalized_shape must be a positive int"),
        (lambda: nn.LayerNorm((3, -1)), "normalized_shape must be a positive int"),
        (lambda: nn.LayerNorm(3, eps=-1.0), "eps must be above 0"),
    ],
)
def test_bad_settings_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_batchnorm_refuses_inputs_it_cannot_normalise():
    layer = nn.BatchNorm1d(3)
    with pytest.raises(ValueError, match=r"expected an input of shape \(N, 3\) or \(N, 3, L\)"):
        layer(mlplab.zeros(4, 5))
    with pytest.raises(ValueError, match="more than 1 value per feature when training"):
        layer(mlplab.zeros(1, 3))
    layer.eval()(mlplab.zeros(1, 3))  # a single sample is fine in evaluation
    with pytest.raises(RuntimeError, match="the input is float64 but the layer's parameters"):
        layer(mlplab.zeros(4, 3, dtype="float64"))


# ----------------------------------------------------------------------------- LayerNorm
@pytest.mark.parametrize(
    ("shape", "normalized_shape", "settings"),
    [
        ((6, 5), 5, {}),
        ((2, 3, 4), (3, 4), {"eps": 1e-3}),
        ((4, 5), [5], {"elementwise_affine": False}),
        ((4, 5), 5, {"bias": False}),
    ],
)
def test_layernorm_matches_torch(shape, normalized_shape, settings):
    ours = nn.LayerNorm(normalized_shape, dtype="float64", **settings)
    theirs = torch.nn.LayerNorm(normalized_shape, dtype=torch.float64, **settings)
    for p, q in zip(ours.parameters(), theirs.parameters(), strict=True):
        value = RNG.normal(size=p.shape)
        p._data[...] = value
        with torch.no_grad():
            q.copy_(torch.tensor(value))
    _compare(ours, theirs, RNG.normal(size=shape) * 2 + 1, RNG.normal(size=shape))
    ours.eval()
    theirs.eval()
    _compare(ours, theirs, RNG.normal(size=shape), RNG.normal(size=shape))


def test_layernorm_gradcheck():
    layer = nn.LayerNorm(4, dtype="float64")
    layer.weight._data[...] = RNG.normal(size=4)
    x = mlplab.tensor(RNG.normal(size=(3, 4)), requires_grad=True)
    upstream = mlplab.tensor(RNG.normal(size=(3, 4)))
    assert mlplab.gradcheck(lambda t: layer(t) * upstream, [x])


def test_layernorm_refuses_inputs_of_another_shape():
    with pytest.raises(ValueError, match=r"last axes must have the shape \(3, 4\)"):
        nn.LayerNorm((3, 4))(mlplab.zeros(2, 4, 3))


def test_reprs_are_torchs():
    assert repr(nn.BatchNorm1d(4)) == repr(torch.nn.BatchNorm1d(4))
    assert repr(nn.BatchNorm1d(4, momentum=None, affine=False)) == repr(
        torch.nn.BatchNorm1d(4, momentum=None, affine=False)
    )
    assert repr(nn.BatchNorm1d(4, bias=False)) == repr(torch.nn.BatchNorm1d(4, bias=False))
    assert repr(nn.LayerNorm((3, 4))) == repr(torch.nn.LayerNorm((3, 4)))
    assert repr(nn.LayerNorm(3, bias=False)) == repr(torch.nn.LayerNorm(3, bias=False))
