"""Tests of mlplab.autograd: the backward sweep, grad(), no_grad and anomaly detection."""

import gc
import weakref

import numpy as np
import pytest
import torch

import mlplab
from mlplab import gradcheck
from mlplab.autograd import Function


def leaf(*values, dtype="float64"):
    """A tensor requiring grad."""
    return mlplab.tensor(list(values), dtype=dtype, requires_grad=True)


# ----------------------------------------------------------------------------- accumulation
def test_gradients_of_a_tensor_used_several_times_add_up():
    x = leaf(1.0, 2.0, 3.0)
    y = x * x + x * 3.0 - x / x  # 2x + 3 (+ 0 from x/x)
    y.sum().backward()
    np.testing.assert_allclose(x._grad, [5.0, 7.0, 9.0])
    assert gradcheck(lambda t: t * t + t * 3.0 - t / t, [x])


def test_the_same_tensor_as_both_operands():
    x = leaf(1.5, -2.0)
    (x * x).sum().backward()
    np.testing.assert_allclose(x._grad, [3.0, -4.0])
    assert gradcheck(lambda t: t @ t, [x])
    assert gradcheck(lambda t: mlplab.stack([t, t, t]), [x])


def test_two_backward_calls_accumulate_into_grad():
    x = leaf(1.0, 2.0)
    (x * 2.0).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x._grad, [2.0 + 2.0, 2.0 + 4.0])
    x._grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x._grad, [2.0, 2.0])


def _diamond(x):
    """x -> e = exp(x) -> (2e, tanh e) -> 2e * tanh(e) + 2e: two paths from e meet again."""
    e = x.exp()
    left, right = e * 2.0, e.tanh()
    return left * right + left


def test_diamond_graph():
    x = leaf(0.5, 1.5)
    _diamond(x).sum().backward()
    twin = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    _diamond(twin).sum().backward()
    np.testing.assert_allclose(x._grad, twin.grad.numpy(), rtol=1e-12)
    assert gradcheck(_diamond, [x])


def test_a_chain_of_ten_thousand_ops_needs_no_recursion():
    x = leaf(1.0)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x._grad, [1.0001**10_000], rtol=1e-9)


def test_a_long_chain_works_with_grad_too():
    x = leaf(0.3)
    y = x
    for _ in range(10_000):
        y = y + x * 0.0
    (g,) = mlplab.grad(y.sum(), x)
    np.testing.assert_allclose(g, [1.0])


def test_leaves_sharing_one_incoming_gradient_get_separate_arrays():
    a, b = leaf(1.0, 2.0), leaf(3.0, 4.0)
    (a + b).sum().backward()
    assert not np.shares_memory(a._grad, b._grad)
    a._grad += 1.0  # writable, and b's gradient is untouched
    np.testing.assert_array_equal(b._grad, [1.0, 1.0])
    c = leaf(1.0, 2.0)
    c.reshape(2, 1).sum().backward()
    c._grad *= 3.0
    np.testing.assert_array_equal(c._grad, [3.0, 3.0])


def test_non_leaves_and_constants_get_no_grad():
    x = leaf(1.0, 2.0)
    c = mlplab.tensor([3.0, 4.0], dtype="float64")
    y = x * c
    (y * 2.0).sum().backward()
    assert y._grad is None
    assert c._grad is None
    assert not y.is_leaf
    assert x.is_leaf
    assert y.grad_fn is not None
    np.testing.assert_array_equal(x._grad, [6.0, 8.0])


def test_mixed_dtypes_give_each_leaf_a_gradient_of_its_own_dtype():
    x32 = leaf(1.0, 2.0, dtype="float32")
    x64 = leaf(3.0, 4.0, dtype="float64")
    y = x32 * x64
    assert y.dtype == np.float64
    y.sum().backward()
    assert x32._grad.dtype == np.float32
    assert x64._grad.dtype == np.float64
    np.testing.assert_array_equal(x32._grad, [3.0, 4.0])


def test_subgraphs_that_need_no_gradient_are_not_visited():
    class Explode(Function):
        """Identity whose backward must never run."""

        @staticmethod
        def forward(ctx, a):
            return a.copy()

        @staticmethod
        def backward(ctx, grad):
            raise AssertionError("backward ran on a subgraph that needs no gradient")

    x = leaf(1.0, 2.0)
    constant = Explode.apply(mlplab.tensor([1.0, 1.0], dtype="float64"))
    assert not constant.requires_grad
    (x * constant).sum().backward()
    np.testing.assert_array_equal(x._grad, [1.0, 1.0])


# ----------------------------------------------------------------------------- backward errors
def test_backward_of_a_non_scalar_needs_a_gradient():
    y = leaf(1.0, 2.0) * 2.0
    with pytest.raises(RuntimeError, match=r"gradient.*sum\(\)"):
        y.backward()


def test_backward_with_an_explicit_gradient():
    x = leaf(1.0, 2.0)
    (x * 3.0).backward(np.array([1.0, 10.0]))
    np.testing.assert_array_equal(x._grad, [3.0, 30.0])
    x._grad = None
    (x * 3.0).backward(mlplab.tensor([2.0, 0.0], dtype="float64"))
    np.testing.assert_array_equal(x._grad, [6.0, 0.0])
    with pytest.raises(RuntimeError, match="shape"):
        (x * 3.0).backward(np.ones(3))


def test_backward_of_a_one_element_non_scalar_tensor():
    x = leaf(2.0)
    (x * x).backward()
    np.testing.assert_array_equal(x._grad, [4.0])


def test_backward_on_a_tensor_that_does_not_require_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        mlplab.tensor(1.0).backward()


def test_second_backward_through_a_freed_graph_is_an_error():
    x = leaf(1.0, 2.0)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time.*retain_graph=True"):
        y.backward()


def test_retain_graph_allows_a_second_backward():
    x = leaf(1.0, 2.0)
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x._grad.copy()
    y.backward()
    np.testing.assert_allclose(x._grad, 2 * first)
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_a_backward_that_returns_the_wrong_shape_is_named():
    class BadShape(Function):
        """Identity whose backward returns the wrong shape."""

        @staticmethod
        def forward(ctx, a):
            return a * 1.0

        @staticmethod
        def backward(ctx, grad):
            return grad.sum()

    with pytest.raises(RuntimeError, match=r"BadShapeBackward.*shape"):
        BadShape.apply(leaf(1.0, 2.0)).sum().backward()


def test_a_backward_that_returns_too_few_gradients_is_named():
    class TooFew(Function):
        """a + b whose backward forgets b."""

        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, grad):
            return (grad,)

    with pytest.raises(RuntimeError, match=r"TooFewBackward returned 1 gradients for 2 inputs"):
        TooFew.apply(leaf(1.0), leaf(2.0)).sum().backward()


def test_backward_frees_intermediate_tensors_like_pytorch():
    x = leaf(1.0, 2.0)
    hidden = x.exp()
    loss = (hidden * 2.0).sum()
    alive = weakref.ref(hidden)
    del hidden
    gc.collect()
    assert alive() is not None  # the graph holds it until backward
    loss.backward()
    gc.collect()
    assert alive() is None  # the loss tensor no longer keeps the graph's arrays alive


def test_retain_graph_keeps_intermediate_tensors():
    x = leaf(1.0, 2.0)
    hidden = x.exp()
    loss = (hidden * 2.0).sum()
    alive = weakref.ref(hidden)
    del hidden
    loss.backward(retain_graph=True)
    gc.collect()
    assert alive() is not None


# ----------------------------------------------------------------------------- grad()
def test_grad_returns_tensors_outside_the_graph_and_leaves_dot_grad_alone():
    x, w = leaf(1.0, 2.0), leaf(3.0, 4.0)
    gx, gw = mlplab.grad((x * w).sum(), [x, w])
    # As torch.autograd.grad without create_graph: tensors that require no gradient.
    assert all(isinstance(g, mlplab.Tensor) and not g.requires_grad for g in (gx, gw))
    assert gx.dtype == x.dtype and gx.shape == x.shape
    np.testing.assert_array_equal(gx, [3.0, 4.0])
    np.testing.assert_array_equal(gw, [1.0, 2.0])
    assert x._grad is None
    assert w._grad is None


def test_grad_of_an_unused_input():
    x, unused = leaf(1.0), leaf(2.0)
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        mlplab.grad((x * 2.0).sum(), [x, unused])
    gx, gu = mlplab.grad((x * 2.0).sum(), [x, unused], allow_unused=True)
    np.testing.assert_array_equal(gx, [2.0])
    assert gu is None


def test_grad_with_respect_to_an_intermediate_tensor():
    x = leaf(1.0, 2.0)
    h = x * 3.0
    (gh,) = mlplab.grad((h * h).sum(), h)
    np.testing.assert_array_equal(gh, [6.0, 12.0])


def test_grad_with_grad_outputs_and_several_outputs():
    x = leaf(1.0, 2.0)
    y1, y2 = x * 2.0, x * x
    seeds = [np.ones(2), np.array([1.0, 0.5])]
    (g,) = mlplab.grad([y1, y2], [x], grad_outputs=seeds, retain_graph=True)
    np.testing.assert_array_equal(g, [2.0 + 2.0, 2.0 + 2.0])
    (g,) = mlplab.grad(y1, x, grad_outputs=np.array([1.0, 3.0]))
    np.testing.assert_array_equal(g, [2.0, 6.0])


def test_grad_argument_errors():
    x = leaf(1.0)
    with pytest.raises(RuntimeError, match="does not require grad"):
        mlplab.grad((x * 2.0).sum(), [mlplab.tensor(1.0)])
    with pytest.raises(ValueError, match="grad_outputs"):
        mlplab.grad([x * 2.0], [x], grad_outputs=[None, None])
    with pytest.raises(TypeError, match="Tensor"):
        mlplab.grad((x * 2.0).sum(), [np.ones(1)])


def test_grad_frees_the_graph_unless_retained():
    x = leaf(1.0, 2.0)
    y = (x * x).sum()
    mlplab.grad(y, x, retain_graph=True)
    mlplab.grad(y, x)
    with pytest.raises(RuntimeError, match="second time"):
        mlplab.grad(y, x)


# ----------------------------------------------------------------------------- grad mode
def test_no_grad_records_nothing():
    x = leaf(1.0, 2.0)
    with mlplab.no_grad():
        assert not mlplab.is_grad_enabled()
        y = x * 2.0 + x.exp()
    assert mlplab.is_grad_enabled()
    assert not y.requires_grad
    assert y.grad_fn is None


def test_no_grad_as_a_decorator_and_nested():
    @mlplab.no_grad()
    def double(t):
        assert not mlplab.is_grad_enabled()
        return t * 2.0

    x = leaf(1.0)
    assert not double(x).requires_grad
    assert mlplab.is_grad_enabled()
    with mlplab.no_grad():
        with mlplab.no_grad():
            pass
        assert not mlplab.is_grad_enabled()
        with mlplab.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad
    assert mlplab.is_grad_enabled()


def test_no_grad_restores_the_mode_it_found_on_entry():
    guard = mlplab.no_grad()  # made while recording is on, entered while it is off
    with mlplab.set_grad_enabled(False):
        with guard:
            pass
        assert not mlplab.is_grad_enabled()
    assert mlplab.is_grad_enabled()
    with guard:
        with guard:
            pass
        assert not mlplab.is_grad_enabled()
    assert mlplab.is_grad_enabled()


def test_no_grad_as_a_bare_decorator():
    @mlplab.no_grad
    def double(t):
        return t * 2.0

    assert not double(leaf(1.0)).requires_grad
    assert double.__name__ == "double"
    assert mlplab.is_grad_enabled()


def test_no_grad_restores_the_mode_after_an_exception():
    with pytest.raises(KeyError), mlplab.no_grad():
        raise KeyError("boom")
    assert mlplab.is_grad_enabled()


def test_set_grad_enabled_as_call_context_and_decorator():
    x = leaf(1.0)
    try:
        mlplab.set_grad_enabled(False)
        assert not (x * 2.0).requires_grad
    finally:
        mlplab.set_grad_enabled(True)
    with mlplab.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
    assert (x * 2.0).requires_grad

    @mlplab.set_grad_enabled(False)
    def f(t):
        return t * 2.0

    assert mlplab.is_grad_enabled()
    assert not f(x).requires_grad


# ----------------------------------------------------------------------------- anomaly mode
def test_detect_anomaly_names_the_operation_and_where_it_was_made():
    x = leaf(0.0, 1.0)
    mlplab.set_detect_anomaly(True)
    try:
        assert mlplab.is_anomaly_enabled()
        y = x.sqrt()  # d sqrt / dx is infinite at 0
        with pytest.raises(FloatingPointError) as error, np.errstate(divide="ignore"):
            (y * 2.0).sum().backward()
    finally:
        mlplab.set_detect_anomaly(False)
    message = str(error.value)
    assert "SqrtBackward" in message
    assert "test_autograd.py" in message
    assert "y = x.sqrt()" in message


def test_detect_anomaly_context_manager_and_off_by_default():
    assert not mlplab.is_anomaly_enabled()
    x = leaf(0.0)
    with np.errstate(divide="ignore"):
        x.log().sum().backward()  # no check: the infinite gradient just arrives
    assert np.isinf(x._grad[0])
    x._grad = None
    with mlplab.detect_anomaly(), np.errstate(divide="ignore"):
        y = x.log()
        with pytest.raises(FloatingPointError, match="LogBackward"):
            y.sum().backward()
    assert not mlplab.is_anomaly_enabled()


# ----------------------------------------------------------------------------- against PyTorch
def _aligned(a, b):
    """True when a @ b.T @ b is defined."""
    return a.ndim == 2 and b.ndim == 2 and a.shape[1] == b.shape[1]


UNARY = [
    ("tanh", lambda t: t.tanh()),
    ("sigmoid", lambda t: t.sigmoid()),
    ("exp_tanh", lambda t: t.tanh().exp()),
    ("log", lambda t: (t * t + 1.0).log()),
    ("sqrt", lambda t: (t * t + 0.5).sqrt()),
    ("abs", lambda t: t.abs()),
    ("neg", lambda t: -t),
    ("relu", lambda t: t.relu()),
    ("softmax", lambda t: t.softmax(-1)),
    ("log_softmax0", lambda t: t.log_softmax(0)),
    ("square", lambda t: t**2),
    ("rsub", lambda t: 1.5 - t),
    ("rdiv", lambda t: 1.0 / (t * t + 1.0)),
]
REDUCE = [
    ("sum0", lambda t: t.sum(0, keepdims=True)),
    ("mean1", lambda t: t.mean(dim=-1, keepdim=True)),
    ("max0", lambda t: t.max(axis=0, keepdims=True)),
    ("logsumexp1", lambda t: t.logsumexp(-1, keepdims=True)),
]
BINARY = [
    ("add", lambda a, b: a + b),
    ("sub", lambda a, b: a - b),
    ("mul", lambda a, b: a * b),
    ("div", lambda a, b: a / (b * b + 1.0)),
    ("matmul_t", lambda a, b: a @ b.T @ b if _aligned(a, b) else a * b),
]


def _torch_ops():
    """The same expressions with PyTorch's spellings where they differ (keepdim, amax)."""
    reduce = {
        "sum0": lambda t: t.sum(0, keepdim=True),
        "mean1": lambda t: t.mean(dim=-1, keepdim=True),
        "max0": lambda t: t.amax(dim=0, keepdim=True),
        "logsumexp1": lambda t: t.logsumexp(-1, keepdim=True),
    }
    return dict(UNARY), reduce, dict(BINARY)


def _build(plan, leaves, unary, reduce, binary):
    """Apply ``plan`` (a list of (kind, name, operand indices)) to a pool starting at leaves."""
    pool = list(leaves)
    for kind, name, picks in plan:
        if kind == "unary":
            pool.append(unary[name](pool[picks[0]]))
        elif kind == "reduce":
            pool.append(reduce[name](pool[picks[0]]))
        else:
            pool.append(binary[name](pool[picks[0]], pool[picks[1]]))
    total = pool[-1].sum()
    for node in pool[len(leaves) : -1 : 3]:
        total = total + node.mean()
    return total


def _relative_difference(ours, theirs):
    scale = max(float(np.abs(theirs).max()), 1e-300)
    return float(np.abs(ours - theirs).max()) / scale


@pytest.mark.parametrize("seed", range(25))
def test_random_expressions_match_torch(seed):
    rng = np.random.default_rng(seed)
    shapes = [(4, 5), (5,), (4, 1), (1, 5)]
    values = [rng.uniform(-1.5, 1.5, size=s) for s in shapes]
    plan = []
    for step in range(20):
        pool_size = len(shapes) + step
        kind = rng.choice(["unary", "reduce", "binary"], p=[0.4, 0.15, 0.45])
        picks = [int(rng.integers(pool_size)), int(rng.integers(pool_size))]
        table = {"unary": UNARY, "reduce": REDUCE, "binary": BINARY}[kind]
        plan.append((kind, table[int(rng.integers(len(table)))][0], picks))

    ours = [mlplab.tensor(v, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    out = _build(plan, ours, dict(UNARY), dict(REDUCE), dict(BINARY))
    ref = _build(plan, theirs, *_torch_ops())
    out.backward()
    ref.backward()
    assert _relative_difference(out._data, ref.detach().numpy()) <= 1e-10
    for t, r in zip(ours, theirs, strict=True):
        expected = np.zeros(t.shape) if r.grad is None else r.grad.numpy()
        got = np.zeros(t.shape) if t._grad is None else t._grad
        if expected.any():
            assert _relative_difference(got, expected) <= 1e-10
        else:
            np.testing.assert_array_equal(got, expected)
    assert any(t._grad is not None and t._grad.any() for t in ours)
