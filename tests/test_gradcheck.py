"""Tests of mlplab.gradcheck: it passes correct gradients and catches wrong ones."""

import numpy as np
import pytest

import mlplab
from mlplab import GradcheckError, gradcheck
from mlplab.autograd import Function


class WrongSquare(Function):
    """a^2 with a deliberately wrong backward (3a instead of 2a)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return a * a

    @staticmethod
    def backward(ctx, grad):
        (a,) = ctx.saved_tensors
        return grad * 3 * a


class NaNBackward(Function):
    """Identity whose backward returns NaN."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, grad):
        return grad * np.nan


def test_a_correct_gradient_passes():
    x = mlplab.tensor([[0.5, -1.0], [2.0, 0.3]], dtype="float64", requires_grad=True)
    assert gradcheck(lambda t: (t * t).exp().sum(axis=0), [x]) is True


def test_a_wrong_backward_fails_naming_input_element_and_both_values():
    x = mlplab.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    y = mlplab.tensor([0.5, -1.0, 3.0], dtype="float64", requires_grad=True)
    with pytest.raises(GradcheckError) as error:
        gradcheck(lambda a, b: a.sum() + WrongSquare.apply(b), [x, y])
    message = str(error.value)
    assert "input 1" in message
    assert "element (2,)" in message  # |3b - 2b| is largest where |b| is
    analytic = float(message.split("analytic ")[1].split(",")[0])
    numeric = float(message.split("numeric ")[1].split(" ")[0])
    assert analytic / numeric == pytest.approx(1.5, rel=1e-6)  # 3b / 2b


def test_the_reported_values_are_the_weighted_analytic_and_numeric_gradients():
    x = mlplab.tensor([2.0], dtype="float64", requires_grad=True)
    (w,) = mlplab.random.Generator(0).uniform((1,), 0.5, 1.5, dtype=np.float64)
    analytic, numeric = f"{6.0 * w:.10g}", f"{4.0 * w:.10g}"
    with pytest.raises(GradcheckError, match=rf"analytic {analytic}, numeric {numeric[:8]}"):
        gradcheck(WrongSquare.apply, [x])


def test_a_non_finite_analytic_gradient_fails():
    x = mlplab.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    with pytest.raises(GradcheckError, match="nan"):
        gradcheck(NaNBackward.apply, [x])


def test_an_input_that_is_not_used_must_have_zero_numeric_gradient():
    x = mlplab.tensor([1.0], dtype="float64", requires_grad=True)
    unused = mlplab.tensor([1.0], dtype="float64", requires_grad=True)
    assert gradcheck(lambda a, b: a * 2.0, [x, unused])


def test_float32_inputs_are_checked_in_float64():
    x = mlplab.tensor([0.1, 0.2, 0.3], requires_grad=True)
    assert gradcheck(lambda t: (t * 10.0).tanh(), [x])
    assert x.dtype == np.float32  # the caller's tensor is untouched


def test_non_tensor_arguments_pass_through():
    x = mlplab.tensor([[1.0, 2.0]], dtype="float64", requires_grad=True)
    constant = mlplab.tensor([[3.0, 4.0]], dtype="float64")
    assert gradcheck(lambda a, c, axis: (a * c).sum(axis=axis), [x, constant, 1])


def test_argument_errors():
    with pytest.raises(ValueError, match="nothing to check"):
        gradcheck(lambda a: a * 2.0, [mlplab.tensor([1.0])])
    with pytest.raises(TypeError, match="must return a Tensor"):
        gradcheck(lambda a: 1.0, [mlplab.tensor([1.0], requires_grad=True)])


def test_tolerances_are_used():
    x = mlplab.tensor([2.0], dtype="float64", requires_grad=True)
    assert gradcheck(WrongSquare.apply, [x], atol=3.0)
    assert gradcheck(WrongSquare.apply, [x], rtol=0.6)
