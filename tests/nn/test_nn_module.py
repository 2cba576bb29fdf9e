"""Module and Parameter: registration, traversal, modes, state dicts, freezing, printing."""

import numpy as np
import pytest

import mlplab
from mlplab import nn


class Block(nn.Module):
    """A custom module: two Linear layers, a free parameter and a plain attribute."""

    def __init__(self):
        super().__init__()
        self.first = nn.Linear(3, 4, generator=mlplab.Generator(0))
        self.scale = nn.Parameter(np.ones(4, dtype=np.float32))
        self.second = nn.Linear(4, 2, generator=mlplab.Generator(1))
        self.note = "not registered"

    def forward(self, x):
        return self.second(self.first(x).relu() * self.scale)


def test_attributes_register_in_order_with_dotted_names():
    block = Block()
    assert [name for name, _ in block.named_parameters()] == [
        "scale",
        "first.weight",
        "first.bias",
        "second.weight",
        "second.bias",
    ]
    assert [name for name, _ in block.named_children()] == ["first", "second"]
    assert [name for name, _ in block.named_modules()] == ["", "first", "second"]
    assert list(block.children()) == [block.first, block.second]
    assert block.note == "not registered"
    assert "note" not in dict(block.named_parameters())


def test_reassigning_a_name_replaces_the_registration():
    block = Block()
    block.first = nn.Identity()
    assert "first.weight" not in dict(block.named_parameters())
    block.scale = None
    assert "scale" not in dict(block.named_parameters())
    assert block.scale is None
    del block.second
    assert [name for name, _ in block.named_children()] == ["first"]
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'second'"):
        _ = block.second


def test_assigning_before_init_is_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"call super\(\).__init__\(\) first"):
        Broken()


def test_shared_parameters_and_modules_come_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert len(list(model.modules())) == 3  # the Sequential, the Linear once, the ReLU


def test_call_runs_forward():
    block = Block()
    x = mlplab.randn(5, 3)
    np.testing.assert_array_equal(block(x)._data, block.forward(x)._data)
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(x)


def test_train_and_eval_reach_every_module():
    model = nn.MLP("3-4-2", dropout=0.5)
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_zero_grad_sets_none_or_zeros():
    block = Block()
    block(mlplab.randn(5, 3)).sum().backward()
    assert all(p._grad is not None for p in block.parameters())
    grad = block.first.weight._grad
    block.zero_grad(set_to_none=False)
    assert block.first.weight._grad is grad and not grad.any()
    block.zero_grad()
    assert all(p._grad is None for p in block.parameters())


def test_state_dict_round_trip_is_bit_exact_and_in_place():
    source, target = Block(), Block()
    target.first.reset_parameters(mlplab.Generator(9))
    weight = target.first.weight
    state = source.state_dict()
    assert list(state) == [name for name, _ in source.named_parameters()]
    assert not any(t.requires_grad for t in state.values())
    result = target.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (name, a), (_, b) in zip(source.named_parameters(), target.named_parameters(), strict=True):
        assert a._data.tobytes() == b._data.tobytes(), name
    assert target.first.weight is weight  # values copied in: optimizers keep their references


def test_load_state_dict_lists_every_problem_and_changes_nothing():
    block = Block()
    before = {name: p._data.copy() for name, p in block.named_parameters()}
    state = {name: t.data for name, t in Block().state_dict().items()}
    del state["scale"]
    state["first.weight"] = np.zeros((5, 3), dtype=np.float32)
    state["extra.weight"] = np.zeros(1)
    with pytest.raises(RuntimeError) as error:
        block.load_state_dict(state)
    message = str(error.value)
    assert "first.weight: shape (5, 3) in the state dict, (4, 3) in the model" in message
    assert "scale: missing" in message
    assert "extra.weight: unexpected" in message
    for name, p in block.named_parameters():
        np.testing.assert_array_equal(p._data, before[name])


def test_load_state_dict_not_strict_reports_missing_and_unexpected():
    block = Block()
    state = {"scale": np.full(4, 2.0), "other": np.zeros(1)}
    result = block.load_state_dict(state, strict=False)
    assert result.unexpected_keys == ["other"]
    assert "first.weight" in result.missing_keys
    np.testing.assert_array_equal(block.scale._data, np.full(4, 2.0, dtype=np.float32))
    assert block.scale.dtype == np.float32  # values are cast to the parameter's dtype
    with pytest.raises(RuntimeError, match="shape"):
        block.load_state_dict({"scale": np.zeros(3)}, strict=False)


def test_parameter_count_and_summary_split_trainable_and_frozen():
    model = nn.MLP("4-8-3")
    assert model.parameter_count() == (4 * 8 + 8 + 8 * 3 + 3, 0, 67)
    model[0].requires_grad_(False)
    assert model.parameter_count() == nn.ParameterCount(27, 40, 67)
    summary = model.summary()
    assert "0.weight" in summary and "8x4" in summary
    assert summary.splitlines()[-1] == "total 67 parameters: 27 trainable, 40 frozen"


def test_freezing_keeps_parameters_bit_identical_and_without_gradient():
    """Manual SGD steps on a partly frozen model: frozen parameters never change or get grads."""
    generator = mlplab.Generator(0)
    model = nn.MLP("4-16-16-3", generator=generator)
    model[0].requires_grad_(False)
    frozen = {name: p._data.copy() for name, p in model.named_parameters() if not p.requires_grad}
    assert set(frozen) == {"0.weight", "0.bias"}
    x = mlplab.randn(32, 4, generator=generator)
    y = mlplab.randint(0, 3, (32,), generator=generator)
    loss_fn = nn.CrossEntropyLoss()
    losses = []
    for _ in range(30):
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        for p in model.parameters():
            if p.requires_grad:
                p._data -= 0.1 * p._grad
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    for name, p in model.named_parameters():
        if name in frozen:
            assert p._grad is None
            assert p._data.tobytes() == frozen[name].tobytes()
        else:
            assert p._grad is not None


def test_fine_tuning_replaces_the_head():
    model = nn.MLP("6-8-10")
    model.requires_grad_(False)
    model[-1] = nn.Linear(8, 2)
    assert model.parameter_count() == nn.ParameterCount(8 * 2 + 2, 6 * 8 + 8, 6 * 8 + 8 + 18)
    assert model(mlplab.randn(3, 6)).shape == (3, 2)
    assert model.get_config()["sizes"] == [6, 8, 2]


def test_repr_is_nested_and_readable():
    block = Block()
    assert repr(block) == (
        "Block(\n"
        "  (first): Linear(in_features=3, out_features=4, bias=True)\n"
        "  (second): Linear(in_features=4, out_features=2, bias=True)\n"
        ")"
    )
    nested = nn.Sequential(nn.Sequential(nn.ReLU()), nn.Linear(1, 1, bias=False, dtype="float64"))
    assert repr(nested) == (
        "Sequential(\n"
        "  (0): Sequential(\n"
        "    (0): ReLU()\n"
        "  )\n"
        "  (1): Linear(in_features=1, out_features=1, bias=False, dtype=float64)\n"
        ")"
    )


def test_parameter_is_a_tensor_that_requires_grad():
    data = np.zeros(3, dtype=np.float32)
    p = nn.Parameter(data)
    assert isinstance(p, mlplab.Tensor) and p.requires_grad and p.is_leaf
    assert p._data is data  # not copied, as torch.nn.Parameter
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    with pytest.raises(TypeError, match="Only floating-point tensors"):
        nn.Parameter(np.zeros(3, dtype=np.int64))
