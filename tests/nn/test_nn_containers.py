"""ModuleList and ModuleDict: registration (parameters, state dict, modes), the list and dict
operations, names as PyTorch gives them, and the refusals."""

import pytest
import torch

from mlplab import nn


def _layers(count=3):
    return [nn.Linear(2, 2) for _ in range(count)]


def test_module_list_registers_its_entries_as_torch_names_them():
    def build(module, lib):
        """The same body for both libraries' modules."""
        module.layers = lib.ModuleList([lib.Linear(2, 2) for _ in range(3)])
        module.heads = lib.ModuleDict({"a": lib.Linear(2, 1), "b": lib.ReLU()})
        return module

    ours, theirs = build(nn.Module(), nn), build(torch.nn.Module(), torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [name for name, _ in ours.named_modules()] == [
        name for name, _ in theirs.named_modules()
    ]
    assert ours.parameter_count().total == sum(p.numel() for p in theirs.parameters())
    ours.eval()
    assert not any(module.training for module in ours.modules())


def test_module_list_operations():
    a, b, c, d = _layers(4)
    layers = nn.ModuleList([a, b])
    layers.append(c)
    assert len(layers) == 3 and list(layers) == [a, b, c]
    assert layers[-1] is c and layers[0] is a
    layers.insert(1, d)
    assert list(layers) == [a, d, b, c]
    assert list(layers._modules) == ["0", "1", "2", "3"]
    del layers[0]
    assert list(layers) == [d, b, c] and list(layers._modules) == ["0", "1", "2"]
    layers[1] = a
    assert list(layers) == [d, a, c]
    sliced = layers[1:]
    assert isinstance(sliced, nn.ModuleList) and list(sliced) == [a, c]
    layers += [b]
    assert list(layers) == [d, a, c, b]
    assert list(layers + nn.ModuleList([d])) == [d, a, c, b, d]
    with pytest.raises(IndexError, match="index 9 is out of range for a ModuleList of 4"):
        layers[9]


def test_module_dict_operations():
    a, b, c = _layers()
    heads = nn.ModuleDict({"a": a})
    heads["b"] = b
    heads.update([("c", c)])
    assert list(heads) == ["a", "b", "c"] and "b" in heads and len(heads) == 3
    assert list(heads.values()) == [a, b, c]
    assert dict(heads.items()) == {"a": a, "b": b, "c": c}
    assert heads.pop("a") is a
    del heads["b"]
    assert list(heads.keys()) == ["c"]
    assert list(heads.state_dict()) == ["c.weight", "c.bias"]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []


@pytest.mark.parametrize(
    ("action", "error", "message"),
    [
        (lambda: nn.ModuleList([nn.ReLU(), 3]), TypeError, "entry 1 is a int, not a Module"),
        (lambda: nn.ModuleList().append("relu"), TypeError, "appended value is a str"),
        (lambda: nn.ModuleList(nn.ReLU()), TypeError, "not one Module"),
        (lambda: nn.ModuleDict({"a": 1}), TypeError, "the value for 'a' is a int"),
        (lambda: nn.ModuleDict({1: nn.ReLU()}), TypeError, "keys must be strings"),
        (lambda: nn.ModuleDict({"a.b": nn.ReLU()}), KeyError, "contain no '.'"),
        (lambda: nn.ModuleDict([("a",)]), TypeError, r"entry 0 is not a \(key, module\) pair"),
    ],
)
def test_refusals_name_what_is_wrong(action, error, message):
    with pytest.raises(error, match=message):
        action()


def test_containers_have_no_forward():
    with pytest.raises(NotImplementedError, match="ModuleList does not define forward"):
        nn.ModuleList(_layers())(None)
