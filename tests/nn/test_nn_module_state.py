"""Module's buffers (register_buffer, named_buffers, the state dict, persistence), Module.apply, and
the refusal of plain lists and dicts of modules: names and orders checked against PyTorch."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import nn


def _with_buffers(lib, tensor):
    """A module with two layers, a persistent and a non-persistent buffer, in either library."""
    module = lib.Module()
    module.first = lib.Linear(3, 2)
    module.register_buffer("scale", tensor(np.ones(2)))
    module.register_buffer("cache", tensor(np.zeros(2)), persistent=False)
    module.register_buffer("absent", None)
    module.second = lib.Linear(2, 1)
    return module


def test_buffers_are_named_and_saved_as_in_torch():
    ours = _with_buffers(nn, mlplab.tensor)
    theirs = _with_buffers(torch.nn, torch.tensor)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_buffers()] == [
        name for name, _ in theirs.named_buffers()
    ]
    assert len(list(ours.buffers())) == 2
    assert ours.parameter_count().total == sum(p.numel() for p in theirs.parameters())
    assert "scale" in dir(ours) and ours.absent is None


def test_a_buffer_is_reassigned_in_place_of_registration():
    module = _with_buffers(nn, mlplab.tensor)
    module.scale = mlplab.tensor([2.0, 3.0])
    assert np.array_equal(module.state_dict()["scale"].numpy(), [2.0, 3.0])
    with pytest.raises(TypeError, match="cannot assign a list as buffer 'scale'"):
        module.scale = [1.0, 2.0]
    del module.scale
    assert "scale" not in module.state_dict()


def test_load_state_dict_restores_buffers_and_checks_them():
    source = _with_buffers(nn, mlplab.tensor)
    source.scale = mlplab.tensor([5.0, 7.0])
    target = _with_buffers(nn, mlplab.tensor)
    target.load_state_dict(source.state_dict())
    assert np.array_equal(target.scale.numpy(), [5.0, 7.0])
    state = source.state_dict()
    del state["scale"]
    with pytest.raises(RuntimeError, match="scale: missing from the state dict"):
        target.load_state_dict(state)
    state["cache"] = mlplab.zeros(2)  # not persistent: not expected
    with pytest.raises(RuntimeError, match="cache: unexpected"):
        target.load_state_dict(state)
    assert target.load_state_dict(state, strict=False) == (["scale"], ["cache"])


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("a.b", mlplab.zeros(1), "without '.'"),
        ("", mlplab.zeros(1), "non-empty"),
        ("first", mlplab.zeros(1), "attribute 'first' already exists"),
        ("ok", np.zeros(1), "cannot assign a ndarray as buffer 'ok'"),
    ],
)
def test_register_buffer_refuses_bad_names_and_values(name, value, message):
    module = _with_buffers(nn, mlplab.tensor)
    with pytest.raises((KeyError, TypeError), match=message):
        module.register_buffer(name, value)


def test_apply_visits_children_before_parents_as_torch():
    def order(model):
        seen = []
        model.apply(lambda module: seen.append(type(module).__name__))
        return seen

    ours = nn.Sequential(nn.Linear(2, 3), nn.Sequential(nn.ReLU(), nn.Linear(3, 1)))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(2, 3), torch.nn.Sequential(torch.nn.ReLU(), torch.nn.Linear(3, 1))
    )
    assert order(ours) == order(theirs)

    def zero_linear(module):
        if isinstance(module, nn.Linear):
            nn.init.zeros_(module.weight)

    assert ours.apply(zero_linear) is ours
    assert all(not p.numpy().any() for name, p in ours.named_parameters() if "weight" in name)


@pytest.mark.parametrize(
    ("value", "fix"),
    [
        ([nn.Linear(2, 2), nn.ReLU()], r"nn\.ModuleList\(\[\.\.\.\]\)"),
        ((nn.Linear(2, 2),), r"nn\.ModuleList"),
        ({"head": nn.Linear(2, 2)}, r"nn\.ModuleDict\(\{\.\.\.\}\)"),
    ],
)
def test_a_plain_container_of_modules_is_refused_pointing_to_the_container(value, fix):
    module = nn.Module()
    with pytest.raises(
        TypeError, match=rf"plain \w+ of modules to 'layers'.*use self\.layers = {fix}"
    ):
        module.layers = value
    assert list(module.parameters()) == []


def test_a_plain_list_of_parameters_is_refused_and_plain_data_is_not():
    module = nn.Module()
    with pytest.raises(TypeError, match="plain list of Parameters"):
        module.weights = [nn.Parameter(np.zeros(2, dtype=np.float32))]
    module.sizes = [1, 2, 3]  # lists of anything else are plain attributes, as before
    module.names = {"a": "b"}
    assert module.sizes == [1, 2, 3]
