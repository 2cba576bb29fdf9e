"""In-place operations and the version counter, each beside PyTorch in the same test (float64)."""

import numpy as np
import pytest
import torch

import mlplab


def run_both(build):
    """``build(lib)`` on mlplab and on torch: each returns a value or raises."""
    results = []
    for lib in (mlplab, torch):
        try:
            results.append(("ok", build(lib)))
        except RuntimeError as error:
            results.append(("error", str(error)))
    return results


def leaves(lib, *values):
    """float64 leaves that require grad."""
    return [lib.tensor(v, dtype=lib.float64, requires_grad=True) for v in values]


def grads(*tensors):
    """The gradients as NumPy arrays (np.asarray works on both libraries' tensors)."""
    return [np.asarray(t.grad.detach() if hasattr(t.grad, "detach") else t.grad) for t in tensors]


def assert_same(build, rtol=1e-12):
    """Both libraries succeed with equal arrays, or both raise."""
    (kind_a, ours), (kind_b, theirs) = run_both(build)
    assert kind_a == kind_b, (ours, theirs)
    if kind_a == "ok":
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=rtol, atol=1e-14)
    return ours, theirs


X = [[0.5, -1.5, 2.0], [1.0, 0.25, -0.75]]
Y = [[1.5, 0.5, -2.0], [-1.0, 2.0, 0.5]]


@pytest.mark.parametrize(
    "apply",
    [
        lambda c, y: c.add_(y),
        lambda c, y: c.add_(y, alpha=-2.5),
        lambda c, y: c.sub_(y),
        lambda c, y: c.sub_(y, alpha=0.5),
        lambda c, y: c.mul_(y),
        lambda c, y: c.div_(y),
        lambda c, y: c.__iadd__(y * 2),
        lambda c, y: c.__isub__(y),
        lambda c, y: c.__imul__(y),
        lambda c, y: c.__itruediv__(y),
        lambda c, y: c.clamp_(-0.6, 0.8),
        lambda c, y: c.copy_(y),
        lambda c, y: c.fill_(3.0),
        lambda c, y: c.zero_(),
        lambda c, y: c.mul_(2.0).add_(y[0]),  # a broadcast row, chained
    ],
)
def test_each_recorded_in_place_op_on_an_intermediate_has_torchs_gradient(apply):
    def build(lib):
        x, y = leaves(lib, X, Y)
        c = x * 1.5  # an intermediate: in-place on it is recorded
        out = apply(c, y)
        assert out is c
        ((c * c).sum() + c.sum()).backward()
        return [c.detach(), *grads(x, y)] if y.grad is not None else [c.detach(), *grads(x)]

    assert_same(build)


def test_c_plus_equals_c_times_two_records_the_right_gradient():
    def build(lib):
        a, b = leaves(lib, [1.0, 2.0], [3.0, 4.0])
        c = a * b
        c += c * 2
        c.sum().backward()
        return grads(a, b)

    ours, _ = assert_same(build)
    np.testing.assert_allclose(ours[0], [9.0, 12.0])  # d(3ab)/da = 3b


def test_an_in_place_op_on_a_leaf_that_requires_grad_is_refused_as_in_torch():
    def build(lib):
        (w,) = leaves(lib, [1.0, 2.0])
        w += 1

    (ours, message), (theirs, _) = run_both(build)
    assert ours == theirs == "error"
    assert "leaf Variable that requires grad" in message and "no_grad" in message


def test_no_grad_updates_change_the_leaf_and_keep_it_a_leaf():
    def build(lib):
        (w,) = leaves(lib, [1.0, 2.0])
        (w * w).sum().backward()
        with lib.no_grad():
            w -= 0.1 * w.grad
            w.grad.zero_()
        return [w.detach(), np.asarray(w.grad), [float(w.is_leaf), float(w.requires_grad)]]

    assert_same(build)


@pytest.mark.parametrize(
    "build",
    [
        # exp saves its output: changing it before backward
        lambda lib: _backward(lib, lambda x: x.exp().add_(1)),
        # mul saves both inputs: an input changed under no_grad
        lambda lib: _modify_input_then_backward(lib),
        # sigmoid / tanh save their outputs
        lambda lib: _backward(lib, lambda x: x.sigmoid().mul_(2)),
        lambda lib: _backward(lib, lambda x: x.tanh().zero_()),
    ],
)
def test_a_saved_value_changed_in_place_is_an_error_in_both(build):
    (ours, message), (theirs, _) = run_both(build)
    assert ours == theirs == "error", message
    assert "modified by an inplace operation" in message


def _backward(lib, f):
    (x,) = leaves(lib, X)
    f(x * 1.0).sum().backward()
    return grads(x)


def _modify_input_then_backward(lib):
    w, x = leaves(lib, X, Y)
    loss = (w * x).sum()
    with lib.no_grad():
        x.add_(1.0)
    loss.backward()
    return grads(w)


@pytest.mark.parametrize(
    "change",
    [
        lambda x: x.add_(1.0),  # add saves nothing
        lambda x: x.mul_(3.0),
    ],
)
def test_no_error_where_torch_raises_none(change):
    def build(lib):
        w, x = leaves(lib, X, Y)
        y = w + x  # saves nothing
        z = w * 2.0  # saves the constant only
        with lib.no_grad():
            change(w)
        (y.sum() + z.sum()).backward()
        return grads(w, x)

    assert_same(build)


def test_version_counter_counts_in_place_changes():
    def build(lib):
        x = lib.zeros(3, dtype=lib.float64)
        before = x._version
        x.add_(1).mul_(2)
        x[0] = 5.0
        return [[before, x._version]]

    ours, _ = assert_same(build)
    assert ours[0] == [0, 3]


def test_setitem_is_recorded_with_torchs_gradients():
    def build(lib):
        x, v = leaves(lib, X, [2.0, -1.0, 0.5])
        a = x * 2
        a[1] = v * 3
        a[0, 1:] = 7.0
        (a * a).sum().backward()
        return [a.detach(), *grads(x, v)]

    assert_same(build)


def test_setitem_outside_the_graph_writes_in_place():
    def build(lib):
        x = lib.zeros(2, 3, dtype=lib.float64)
        x[0] = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64)
        x[:, 2] = -1.0
        x[x > 1.5] = 9.0
        return [x]

    assert_same(build)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda lib: lib.zeros(3).add_(lib.ones(2, 3)), "doesn't match the broadcast shape"),
        (lambda lib: lib.zeros(3, dtype=lib.long).add_(1.5), "can't be cast"),
    ],
)
def test_in_place_errors_match_torchs(build, message):
    (ours, text), (theirs, _) = run_both(build)
    assert ours == theirs == "error"
    assert message in text


def test_uniform_and_normal_fill_in_place_from_mlplabs_generator():
    x = mlplab.zeros(1000, dtype=mlplab.float64)
    assert x.uniform_(-2.0, 3.0, generator=mlplab.Generator(1)) is x
    assert float(x.min()) >= -2.0 and float(x.max()) < 3.0
    first = x.numpy().copy()
    x.uniform_(-2.0, 3.0, generator=mlplab.Generator(1))
    np.testing.assert_array_equal(x.numpy(), first)  # seeded: the same draws
    x.normal_(1.0, 0.5, generator=mlplab.Generator(2))
    assert abs(float(x.mean()) - 1.0) < 0.1 and abs(float(x.std()) - 0.5) < 0.1
    w = mlplab.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w.normal_()


def _set_row(x, v):
    a = x * 1.0
    a[1] = v * 2
    return a


def _copy_into(x, v):
    return (x * 1.0).copy_(v)


def _scaled_in_place(x, v):
    a = x * 1.0
    a *= v
    a += v
    return a.clamp_(-1.0, 1.0)


@pytest.mark.parametrize("f", [_set_row, _copy_into, _scaled_in_place])
def test_recorded_in_place_ops_pass_gradcheck(f):
    x = mlplab.tensor(X, dtype=mlplab.float64, requires_grad=True)
    v = mlplab.tensor([0.3, -0.2, 0.45], dtype=mlplab.float64, requires_grad=True)
    assert mlplab.gradcheck(f, [x, v])


def test_a_chain_of_in_place_ops_with_readers_between_them_differentiates_as_torch():
    def build(lib):
        x, y = leaves(lib, X, Y)
        c = x * y
        first = c * 3.0  # reads c before the changes
        c.add_(x)
        second = c.exp()  # reads c between them
        c.mul_(2.0)
        c.sub_(y, alpha=0.5)
        loss = (first * first).sum() + second.sum() + (c * c).sum()
        loss.backward(retain_graph=True)
        once = [g.copy() for g in grads(x, y)]  # copies: both libraries accumulate in place
        loss.backward()  # again through the same graph: the gradients double
        return [*once, *grads(x, y)]

    ours, _ = assert_same(build, rtol=1e-11)
    np.testing.assert_allclose(ours[2], 2 * ours[0])


def test_backward_twice_through_a_freed_in_place_graph_is_refused():
    a = mlplab.tensor([1.0, 2.0], requires_grad=True)
    c = a * 2
    c += 1
    loss = (c * c).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="second time"):
        loss.backward()
