"""The update rules run two ways, compiled loops and whole arrays, with the same numbers."""

import itertools
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from mlplab.optim import functional as F
from mlplab.optim import rules

RNG = np.random.default_rng(0)
THETA = RNG.standard_normal((3, 4))
GRAD = RNG.standard_normal((3, 4))
STATE = np.abs(RNG.standard_normal((3, 4)))  # a positive running average, for the denominators
OTHER = RNG.standard_normal((3, 4)) * 0.1


def _sgd_step(fresh, maximize, weight_decay):
    results = []
    for momentum, dampening, nesterov in [(0.0, 0, False), (0.9, 0.3, False), (0.9, 0, True)]:
        for buffer in (None, OTHER):  # a first step, then a later one
            theta, buffers = fresh(THETA), [None if buffer is None else fresh(buffer)]
            settings = {"momentum": momentum, "dampening": dampening, "nesterov": nesterov}
            F.sgd(
                [theta],
                [fresh(GRAD)],
                buffers,
                lr=0.1,
                weight_decay=weight_decay,
                maximize=maximize,
                **settings,
            )
            results += [theta, buffers[0]]
    return results


def _adagrad_step(fresh, maximize, weight_decay):
    theta, state_sum = fresh(THETA), fresh(STATE)
    F.adagrad(
        [theta],
        [fresh(GRAD)],
        [state_sum],
        [3],
        lr=0.1,
        lr_decay=0.05,
        weight_decay=weight_decay,
        eps=1e-10,
        maximize=maximize,
    )
    return [theta, state_sum]


def _rmsprop_step(fresh, maximize, weight_decay):
    results = []
    for centered, momentum in itertools.product([False, True], [0.0, 0.9]):
        arrays = [fresh(THETA), fresh(GRAD), fresh(STATE), fresh(OTHER * 0.1), fresh(OTHER)]
        theta, grad, square_avg, grad_avg, buffer = arrays
        F.rmsprop(
            [theta],
            [grad],
            [square_avg],
            [grad_avg],
            [buffer],
            lr=0.01,
            alpha=0.9,
            eps=1e-8,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
            maximize=maximize,
        )
        results += [theta, square_avg, grad_avg, buffer]
    return results


def _adam_step(fresh, maximize, weight_decay):
    results = []
    for amsgrad, decoupled in itertools.product([False, True], [False, True]):
        theta, m, v, v_max = fresh(THETA), fresh(OTHER), fresh(STATE), fresh(STATE)
        F.adam(
            [theta],
            [fresh(GRAD)],
            [m],
            [v],
            [v_max],
            [3],
            lr=0.01,
            beta1=0.8,
            beta2=0.99,
            eps=1e-8,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=decoupled,
        )
        results += [theta, m, v, v_max]
    return results


def _nadam_step(fresh, maximize, weight_decay):
    results = []
    for decoupled, step in itertools.product([False, True], [1, 7]):
        theta, m, v, products = fresh(THETA), fresh(OTHER), fresh(STATE), [0.5]
        F.nadam(
            [theta], [fresh(GRAD)], [m], [v], products, [step], lr=0.01, beta1=0.8, beta2=0.99,
            eps=1e-8, weight_decay=weight_decay, momentum_decay=4e-3,
            decoupled_weight_decay=decoupled, maximize=maximize,
        )  # fmt: skip
        results += [theta, m, v]
    return results


def _radam_step(fresh, maximize, weight_decay):
    results = []
    for decoupled, step in itertools.product([False, True], [2, 9]):  # unrectified, rectified
        theta, m, v = fresh(THETA), fresh(OTHER), fresh(STATE)
        F.radam(
            [theta], [fresh(GRAD)], [m], [v], [step], lr=0.01, beta1=0.8, beta2=0.9, eps=1e-8,
            weight_decay=weight_decay, decoupled_weight_decay=decoupled, maximize=maximize,
        )  # fmt: skip
        results += [theta, m, v]
    return results


def _adamax_step(fresh, maximize, weight_decay):
    theta, m, u = fresh(THETA), fresh(OTHER), fresh(STATE)
    F.adamax(
        [theta], [fresh(GRAD)], [m], [u], [3], lr=0.01, beta1=0.8, beta2=0.99, eps=1e-8,
        weight_decay=weight_decay, maximize=maximize,
    )  # fmt: skip
    return [theta, m, u]


def _adadelta_step(fresh, maximize, weight_decay):
    theta, v, u = fresh(THETA), fresh(STATE), fresh(STATE * 0.1)
    F.adadelta(
        [theta], [fresh(GRAD)], [v], [u], lr=0.5, rho=0.9, eps=1e-6, weight_decay=weight_decay,
        maximize=maximize,
    )  # fmt: skip
    return [theta, v, u]


RULES = [
    _sgd_step, _adagrad_step, _rmsprop_step, _adam_step, _nadam_step, _radam_step,
    _adamax_step, _adadelta_step,
]  # fmt: skip


@pytest.mark.parametrize("rule", RULES)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_compiled_loops_equal_whole_array_arithmetic_bit_for_bit(rule, dtype):
    # C-contiguous arrays run the compiled loops; Fortran-ordered ones the whole-array form.
    for maximize, weight_decay in itertools.product([False, True], [0.0, 0.1]):
        compiled = rule(lambda a: np.array(a, dtype, order="C"), maximize, weight_decay)
        whole = rule(lambda a: np.array(a, dtype, order="F"), maximize, weight_decay)
        for a, b in zip(compiled, whole, strict=True):
            if a is None:
                assert b is None
                continue
            assert a.dtype == b.dtype == dtype
            np.testing.assert_array_equal(a, b)


def test_an_element_function_takes_plain_numbers_too():
    # The element functions are the equations themselves: scalars in, scalars out.
    param, exp_avg, exp_avg_sq, top = rules.adam_values(
        1.0, 0.5, 0.0, 0.0, None, 0.1, 1.0, 0.9, 0.1, 0.999, 0.001, 1e-8, 0.0, 1.0, False, False
    )
    assert exp_avg == pytest.approx(0.05)
    assert exp_avg_sq == pytest.approx(0.00025)
    assert top is None
    assert param == pytest.approx(1.0 - 0.1 * 0.05 / (0.00025**0.5 + 1e-8))


def test_without_a_writable_cache_folder_the_loops_compile_in_memory():
    # Numba finds no cache folder with this locator alone, as with a read-only install and home.
    script = (
        "import numpy as np, mlplab\n"
        "from mlplab import optim\n"
        "w = mlplab.tensor(np.ones(3, np.float32), requires_grad=True)\n"
        "w._grad = np.ones(3, np.float32)\n"
        "optim.Adam([w], lr=0.1).step()\n"
        "print(w._data.tolist())\n"
    )
    environment = {**os.environ, "NUMBA_CACHE_LOCATOR_CLASSES": "IPythonCacheLocator"}
    done = subprocess.run(
        [sys.executable, "-c", script], env=environment, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    # Adam's first step moves each coordinate by about lr against the gradient's sign.
    assert json.loads(done.stdout) == pytest.approx([0.9, 0.9, 0.9], abs=1e-6)
