"""Loss modules and functions: values and gradients against PyTorch (float64), gradcheck,
stability at extreme logits, errors, multi-task losses, the L2 penalty and a joint loss."""

import numpy as np
import pytest
import torch

import mlplab
from mlplab import functional as F
from mlplab import nn

REDUCTIONS = ["mean", "sum", "none"]
RNG = np.random.default_rng(0)
N, C = 7, 4


def _compare(ours, theirs, inputs, grad_inputs, rtol=1e-11, atol=1e-13):
    """Evaluate a loss in mlplab and torch on the same float64 inputs; compare value and grads.

    ``inputs`` are arrays; those at positions ``grad_inputs`` require grad in both libraries.
    """
    ours_in = [
        mlplab.tensor(x, requires_grad=i in grad_inputs) if x.dtype.kind == "f" else x
        for i, x in enumerate(inputs)
    ]
    theirs_in = [
        torch.tensor(x, requires_grad=i in grad_inputs) if x.dtype.kind == "f" else torch.tensor(x)
        for i, x in enumerate(inputs)
    ]
    value = ours(*ours_in)
    expected = theirs(*theirs_in)
    np.testing.assert_allclose(value._data, expected.detach().numpy(), rtol=rtol, atol=atol)
    assert value.shape == tuple(expected.shape)
    upstream = RNG.uniform(0.5, 1.5, size=value.shape)
    value.backward(upstream)
    expected.backward(torch.tensor(upstream))
    for i in grad_inputs:
        np.testing.assert_allclose(
            ours_in[i]._grad, theirs_in[i]._grad.numpy(), rtol=rtol * 10, atol=atol * 10
        )


# ----------------------------------------------------------------------------- regression losses
def _regression_pair():
    return RNG.normal(size=(N, 3)), RNG.normal(size=(N, 3)) * 2


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize(
    ("ours", "theirs", "kwargs"),
    [
        (nn.MSELoss, torch.nn.functional.mse_loss, {}),
        (nn.L1Loss, torch.nn.functional.l1_loss, {}),
        (nn.HuberLoss, torch.nn.functional.huber_loss, {}),
        (nn.HuberLoss, torch.nn.functional.huber_loss, {"delta": 0.5}),
        (nn.HuberLoss, torch.nn.functional.huber_loss, {"delta": 3.0}),
    ],
)
def test_regression_losses_match_torch(ours, theirs, kwargs, reduction, weighted):
    x, y = _regression_pair()
    weight = RNG.uniform(0.1, 2, size=x.shape) if weighted else None
    module = ours(reduction=reduction, weight=weight, **kwargs)
    torch_weight = None if weight is None else torch.tensor(weight)
    _compare(
        module,
        lambda a, b: theirs(a, b, reduction=reduction, weight=torch_weight, **kwargs),
        [x, y],
        grad_inputs={0, 1},
    )


def test_per_output_weights_broadcast():
    x, y = _regression_pair()
    per_output = np.array([1.0, 0.0, 3.0])
    loss = nn.MSELoss(weight=per_output)(mlplab.tensor(x), mlplab.tensor(y))
    full = np.broadcast_to(per_output, x.shape)
    np.testing.assert_allclose(loss.item(), ((x - y) ** 2 * full).sum() / full.sum())


# ----------------------------------------------------------------------------- cross-entropy
def _labels(n=N, classes=C, ignore=False):
    labels = RNG.integers(0, classes, size=n)
    if ignore:
        labels[[1, 4]] = -100
    return labels


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.25])
def test_cross_entropy_with_indices_matches_torch(reduction, weighted, ignore, smoothing):
    logits = RNG.normal(size=(N, C)) * 3
    weight = RNG.uniform(0.2, 2, size=C) if weighted else None
    module = nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=smoothing)
    reference = torch.nn.CrossEntropyLoss(
        None if weight is None else torch.tensor(weight),
        reduction=reduction,
        label_smoothing=smoothing,
    )
    _compare(module, reference, [logits, _labels(ignore=ignore)], grad_inputs={0})


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy_with_probabilities_matches_torch(reduction, weighted, smoothing):
    logits = RNG.normal(size=(N, C)) * 3
    target = RNG.dirichlet(np.ones(C), size=N)
    weight = RNG.uniform(0.2, 2, size=C) if weighted else None
    module = nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=smoothing)
    reference = torch.nn.CrossEntropyLoss(
        None if weight is None else torch.tensor(weight),
        reduction=reduction,
        label_smoothing=smoothing,
    )
    _compare(module, reference, [logits, target], grad_inputs={0, 1})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_other_shapes_match_torch(reduction):
    weight = RNG.uniform(0.2, 2, size=C)
    for logits, target in [
        (RNG.normal(size=C), np.array(2)),  # one unbatched sample
        (RNG.normal(size=(3, C, 2, 5)), RNG.integers(0, C, size=(3, 2, 5))),  # (N, C, d1, d2)
        (RNG.normal(size=(3, C, 5)), RNG.dirichlet(np.ones(C), size=(3, 5)).transpose(0, 2, 1)),
    ]:
        _compare(
            nn.CrossEntropyLoss(weight, reduction=reduction, label_smoothing=0.2),
            torch.nn.CrossEntropyLoss(
                torch.tensor(weight), reduction=reduction, label_smoothing=0.2
            ),
            [logits, target],
            grad_inputs={0},
        )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("ignore", [False, True])
def test_nll_loss_matches_torch(reduction, weighted, ignore):
    log_probs = np.log(RNG.dirichlet(np.ones(C), size=N))
    weight = RNG.uniform(0.2, 2, size=C) if weighted else None
    module = nn.NLLLoss(weight, reduction=reduction)
    reference = torch.nn.NLLLoss(
        None if weight is None else torch.tensor(weight), reduction=reduction
    )
    _compare(module, reference, [log_probs, _labels(ignore=ignore)], grad_inputs={0})


def test_nll_loss_of_spatial_input_matches_torch():
    log_probs = RNG.normal(size=(2, C, 3))
    labels = RNG.integers(0, C, size=(2, 3))
    _compare(nn.NLLLoss(), torch.nn.NLLLoss(), [log_probs, labels], grad_inputs={0})


def test_log_softmax_then_nll_equals_cross_entropy():
    logits = mlplab.tensor(RNG.normal(size=(N, C)))
    labels = _labels()
    np.testing.assert_allclose(
        nn.NLLLoss()(nn.LogSoftmax(dim=1)(logits), labels).item(),
        nn.CrossEntropyLoss()(logits, labels).item(),
        rtol=1e-14,
    )


@pytest.mark.parametrize(
    "logits",
    [[[1000.0, 0.0]], [[-1000.0, 0.0]], [[0.0, 1000.0]], [[5.0, 5.0]], [[-1e30, 1e30]]],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_is_stable_at_extreme_logits(logits, dtype):
    x = mlplab.tensor(np.array(logits, dtype=dtype), requires_grad=True)
    labels = np.array([0])
    with np.errstate(all="raise"):
        loss = F.cross_entropy(x, labels, label_smoothing=0.1)
        loss.backward()
        probabilities = F.softmax(x.detach(), axis=1)._data
    assert np.isfinite(loss.item())
    onehot = np.eye(2, dtype=dtype)[labels]
    np.testing.assert_allclose(
        x._grad, 0.9 * (probabilities - onehot) + 0.1 * (probabilities - 0.5)
    )
    x._grad = None
    with np.errstate(all="raise"):
        F.cross_entropy(x, labels).backward()
    np.testing.assert_allclose(x._grad, probabilities - onehot)  # softmax minus one-hot


# ----------------------------------------------------------------------------- binary losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", [None, (N, 3), (3,)])
def test_bce_matches_torch(reduction, weight_shape):
    probabilities = RNG.uniform(0.02, 0.98, size=(N, 3))
    target = RNG.uniform(0, 1, size=(N, 3))
    weight = None if weight_shape is None else RNG.uniform(0.2, 2, size=weight_shape)
    reference = torch.nn.BCELoss(
        None if weight is None else torch.tensor(weight), reduction=reduction
    )
    _compare(nn.BCELoss(weight, reduction=reduction), reference, [probabilities, target], {0, 1})


def test_bce_clamps_log_at_minus_100_like_torch():
    probabilities = np.array([0.0, 1.0, 0.0, 1.0])
    target = np.array([1.0, 0.0, 0.0, 1.0])
    ours = F.binary_cross_entropy(
        mlplab.tensor(probabilities), mlplab.tensor(target), reduction="none"
    )
    theirs = torch.nn.functional.binary_cross_entropy(
        torch.tensor(probabilities), torch.tensor(target), reduction="none"
    )
    np.testing.assert_array_equal(ours._data, theirs.numpy())


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("pos_weighted", [False, True])
def test_bce_with_logits_matches_torch(reduction, weighted, pos_weighted):
    logits = RNG.normal(size=(N, 3)) * 4
    target = RNG.uniform(0, 1, size=(N, 3))
    weight = RNG.uniform(0.2, 2, size=(N, 3)) if weighted else None
    pos_weight = RNG.uniform(0.5, 4, size=3) if pos_weighted else None
    reference = torch.nn.BCEWithLogitsLoss(
        None if weight is None else torch.tensor(weight),
        reduction=reduction,
        pos_weight=None if pos_weight is None else torch.tensor(pos_weight),
    )
    _compare(
        nn.BCEWithLogitsLoss(weight, reduction=reduction, pos_weight=pos_weight),
        reference,
        [logits, target],
        {0, 1},
    )


@pytest.mark.parametrize("pos_weight", [None, np.array([3.0])])
def test_bce_with_logits_is_stable_at_extreme_logits(pos_weight):
    logits = np.array([-1000.0, -1000.0, 1000.0, 1000.0, 0.0])
    target = np.array([0.0, 1.0, 0.0, 1.0, 0.5])
    x = mlplab.tensor(logits, requires_grad=True)
    with np.errstate(all="raise"):
        loss = F.binary_cross_entropy_with_logits(
            x, mlplab.tensor(target), reduction="none", pos_weight=pos_weight
        )
        loss.sum().backward()
    t = torch.tensor(logits, requires_grad=True)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        t,
        torch.tensor(target),
        reduction="none",
        pos_weight=None if pos_weight is None else torch.tensor(pos_weight),
    )
    expected.sum().backward()
    np.testing.assert_allclose(loss._data, expected.detach().numpy())
    np.testing.assert_allclose(x._grad, t.grad.numpy())


# ----------------------------------------------------------------------------- gradcheck
def _gradcheck_cases():
    logits = RNG.normal(size=(4, 3))
    labels = np.array([0, 2, -100, 1])
    weight = np.array([0.5, 1.0, 2.0])
    targets = RNG.uniform(0.1, 0.9, size=(4, 3))
    return [
        ("mse", lambda a, b: F.mse_loss(a, b, weight=weight), [logits, targets]),
        ("l1", lambda a, b: F.l1_loss(a, b, reduction="sum"), [logits, targets]),
        ("huber", lambda a, b: F.huber_loss(a, b, delta=0.7), [logits, targets]),
        (
            "cross_entropy",
            lambda a: F.cross_entropy(a, labels, weight, label_smoothing=0.2),
            [logits],
        ),
        ("cross_entropy_soft", lambda a, b: F.cross_entropy(a, b, weight), [logits, targets]),
        ("nll", lambda a: F.nll_loss(a, labels, weight, reduction="none"), [logits]),
        (
            "bce",
            lambda a, b: F.binary_cross_entropy(a, b, weight),
            [RNG.uniform(0.1, 0.9, size=(4, 3)), targets],
        ),
        (
            "bce_with_logits",
            lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=weight),
            [logits, targets],
        ),
    ]


@pytest.mark.parametrize(
    ("name", "fn", "inputs"),
    _gradcheck_cases(),
    # Name each case by its loss alone: ids must not depend on object addresses (pytest-xdist).
    ids=lambda c: c if isinstance(c, str) else "",
)
def test_gradcheck(name, fn, inputs):
    tensors = [mlplab.tensor(x, requires_grad=True) for x in inputs]
    assert mlplab.gradcheck(fn, tensors)


def test_gradcheck_of_a_wrong_loss_fails():
    class WrongSquare(mlplab.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, grad):
            (a,) = ctx.saved_tensors
            return grad * a  # should be 2 a

    x = mlplab.tensor(RNG.normal(size=3), requires_grad=True)
    with pytest.raises(mlplab.GradcheckError):
        mlplab.gradcheck(lambda a: WrongSquare.apply(a).sum(), [x])


# ----------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: nn.MSELoss(reduction="avg"), ValueError, "Invalid reduction: 'avg'"),
        (
            lambda: nn.MSELoss()(mlplab.zeros(4, 1), mlplab.zeros(4)),
            ValueError,
            r"input shape \(4, 1\) and target shape \(4,\) differ",
        ),
        (
            lambda: nn.CrossEntropyLoss()(mlplab.zeros(2, 3), np.array([0, 3])),
            ValueError,
            r"target 3 is out of bounds: class indices must be in \[0, 3\)",
        ),
        (
            lambda: nn.CrossEntropyLoss()(mlplab.zeros(2, 3), np.array([0, 1, 2])),
            ValueError,
            r"target must have shape \(2,\)",
        ),
        (
            lambda: nn.CrossEntropyLoss(weight=np.ones(2))(mlplab.zeros(2, 3), np.array([0, 1])),
            ValueError,
            r"weight must have shape \(3,\)",
        ),
        (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), ValueError, "label_smoothing"),
        (
            lambda: nn.CrossEntropyLoss()(mlplab.zeros(2, 3), mlplab.tensor([0.0, 2.0])),
            ValueError,
            r"float target holds class probabilities .* pass integers",
        ),
        (
            lambda: nn.BCELoss()(mlplab.tensor([1.5]), mlplab.tensor([1.0])),
            ValueError,
            "probability in",
        ),
        (
            lambda: nn.BCEWithLogitsLoss(pos_weight=np.ones(5))(
                mlplab.zeros(2, 3), mlplab.zeros(2, 3)
            ),
            ValueError,
            "pos_weight of shape",
        ),
        (lambda: nn.HuberLoss(delta=0), ValueError, "delta must be positive"),
    ],
)
def test_bad_input_is_named(call, error, message):
    with pytest.raises(error, match=message):
        call()


# ----------------------------------------------------------------------------- combinations
def test_multi_task_loss_weights_and_reports_parts():
    out_a = mlplab.tensor(RNG.normal(size=(5, 2)), requires_grad=True)
    out_b = mlplab.tensor(RNG.normal(size=(5, 3)), requires_grad=True)
    y_a = RNG.normal(size=(5, 2))
    y_b = RNG.integers(0, 3, size=5)
    loss = nn.MultiTaskLoss({"value": (nn.MSELoss(), 0.5), "kind": nn.CrossEntropyLoss()})
    total = loss({"value": out_a, "kind": out_b}, {"value": mlplab.tensor(y_a), "kind": y_b})
    mse = ((out_a._data - y_a) ** 2).mean()
    ce = nn.CrossEntropyLoss()(out_b.detach(), y_b).item()
    np.testing.assert_allclose(total.item(), 0.5 * mse + ce, rtol=1e-14)
    assert loss.parts == pytest.approx({"value": mse, "kind": ce}, rel=1e-14)
    total.backward()
    np.testing.assert_allclose(out_a._grad, 0.5 * 2 * (out_a._data - y_a) / out_a._data.size)
    assert out_b._grad is not None
    with pytest.raises(KeyError, match="task 'kind' needs an entry"):
        loss({"value": out_a}, {"value": y_a})


def test_l2_penalty_value_and_gradient():
    w1 = mlplab.tensor(RNG.normal(size=(3, 2)), requires_grad=True)
    w2 = mlplab.tensor(RNG.normal(size=4), requires_grad=True)
    penalty = nn.l2_penalty([w1, w2], strength=0.1)
    np.testing.assert_allclose(
        penalty.item(), 0.1 * ((w1._data**2).sum() + (w2._data**2).sum()), rtol=1e-14
    )
    penalty.backward()
    np.testing.assert_allclose(w1._grad, 0.2 * w1._data, rtol=1e-14)
    with pytest.raises(ValueError, match="strength must be non-negative"):
        nn.l2_penalty([w1], strength=-1)


def test_l2_penalty_step_equals_sgd_weight_decay():
    """One SGD step on loss + lambda ||w||^2 equals torch's SGD with weight_decay = 2 lambda."""
    w0 = RNG.normal(size=(3, 2))
    x = RNG.normal(size=(4, 2))
    w = mlplab.tensor(w0, requires_grad=True)
    ((mlplab.tensor(x) @ w.T).sum() + nn.l2_penalty([w], 0.05)).backward()
    ours = w._data - 0.1 * w._grad
    t = torch.tensor(w0, requires_grad=True)
    (torch.tensor(x) @ t.T).sum().backward()
    torch.optim.SGD([t], lr=0.1, weight_decay=0.1).step()
    np.testing.assert_allclose(ours, t.detach().numpy(), rtol=1e-14)


def test_joint_loss_over_two_networks_trains_both():
    """Two models whose outputs feed one loss: one backward gives both gradients; both improve."""
    generator = mlplab.Generator(3)
    encoder = nn.MLP("3-8-2", activation="tanh", dtype="float64", generator=generator)
    head = nn.MLP("2-8-1", activation="tanh", dtype="float64", generator=generator)
    x = mlplab.tensor(RNG.normal(size=(32, 3)))
    y = mlplab.tensor(np.sin(x._data.sum(axis=1, keepdims=True)))
    loss_fn = nn.MSELoss()
    before = [p._data.copy() for p in [*encoder.parameters(), *head.parameters()]]
    losses = []
    for _ in range(200):
        encoder.zero_grad()
        head.zero_grad()
        loss = loss_fn(head(encoder(x)), y) + 0.1 * loss_fn(
            encoder(x).sum(axis=1, keepdims=True), y
        )
        loss.backward()
        for p in [*encoder.parameters(), *head.parameters()]:
            p._data -= 0.1 * p._grad
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    after = [p._data for p in [*encoder.parameters(), *head.parameters()]]
    assert all(not np.array_equal(a, b) for a, b in zip(before, after, strict=True))


@pytest.mark.parametrize(
    "loss",
    [
        lambda x: F.cross_entropy(x, np.array([0, 1, 2, 0]), np.ones(3), label_smoothing=0.1),
        lambda x: F.cross_entropy(x, np.full((4, 3), 1 / 3, dtype=np.float32), np.ones(3)),
        lambda x: F.nll_loss(x, np.array([0, 1, 2, 0]), np.ones(3)),
        lambda x: F.mse_loss(x, mlplab.zeros(4, 3), weight=np.ones(3)),
        lambda x: F.huber_loss(x, mlplab.zeros(4, 3), weight=np.ones(3)),
        lambda x: F.binary_cross_entropy(x.sigmoid(), mlplab.zeros(4, 3), np.ones(3)),
        lambda x: F.binary_cross_entropy_with_logits(x, mlplab.zeros(4, 3), pos_weight=np.ones(3)),
    ],
)
def test_float32_losses_stay_float32_with_float64_weights(loss):
    x = mlplab.randn(4, 3, requires_grad=True)
    value = loss(x)
    assert value.dtype == np.float32
    value.backward()
    assert x._grad.dtype == np.float32


# ----------------------------------------------------------------------------- squared error
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_squared_error_of_probabilities_matches_torch(reduction):
    rng = np.random.default_rng(3)
    logits, labels = rng.normal(size=(6, 4)) * 3, rng.integers(0, 4, 6)
    x, y = mlplab.tensor(logits, requires_grad=True), mlplab.tensor(labels)
    ours = nn.SquaredErrorLoss(reduction=reduction)(x, y)
    ours.sum().backward()
    tx = torch.tensor(logits, requires_grad=True)
    one_hot = torch.nn.functional.one_hot(torch.tensor(labels), 4).double()
    errors = ((torch.softmax(tx, dim=1) - one_hot) ** 2).sum(dim=1)
    theirs = {"mean": errors.mean(), "sum": errors.sum(), "none": errors}[reduction]
    theirs.sum().backward()
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(x.grad), tx.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_squared_error_gradcheck_and_bad_targets():
    rng = np.random.default_rng(4)
    logits = mlplab.tensor(rng.normal(size=(5, 3)), requires_grad=True)
    labels = mlplab.tensor(rng.integers(0, 3, 5))
    assert mlplab.gradcheck(lambda z: nn.SquaredErrorLoss()(z, labels), [logits])
    with pytest.raises(ValueError, match=r"integer class indices of shape \(5,\)"):
        nn.SquaredErrorLoss()(logits, mlplab.tensor(rng.normal(size=5)))
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\)"):
        nn.SquaredErrorLoss()(logits, mlplab.tensor(np.array([0, 1, 2, 3, 0])))


# ----------------------------------------------------------------------------- registry
@pytest.mark.parametrize(
    ("name", "cls", "targets"),
    [
        ("cross-entropy", nn.CrossEntropyLoss, "classes"),
        ("squared-error", nn.SquaredErrorLoss, "classes"),
        ("mse", nn.MSELoss, "values"),
        ("l1", nn.L1Loss, "values"),
        ("huber", nn.HuberLoss, "values"),
    ],
)
def test_every_registered_loss_builds_by_name_and_says_its_targets(name, cls, targets):
    entry = nn.LOSSES[name]
    assert entry.cls is cls and entry.targets == targets
    assert entry.description and "\n" not in entry.description
    loss = nn.get_loss(name)
    assert type(loss) is cls and loss.reduction == "mean"


def test_registry_holds_exactly_the_run_losses():
    assert list(nn.LOSSES) == ["cross-entropy", "squared-error", "mse", "l1", "huber"]


def test_get_loss_passes_options_and_names_unknown_losses():
    assert nn.get_loss("huber", delta=0.5, reduction="sum").delta == 0.5
    assert nn.get_loss("cross-entropy", label_smoothing=0.1).label_smoothing == 0.1
    with pytest.raises(
        ValueError, match="Unknown loss 'bce'; use one of cross-entropy, squared-error, mse"
    ):
        nn.get_loss("bce")
    with pytest.raises(ValueError, match="delta must be positive"):
        nn.get_loss("huber", delta=0)
