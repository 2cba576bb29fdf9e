"""Reverse-mode automatic differentiation: Function nodes, the backward sweep, no_grad, anomalies.

A :class:`Function` is one primitive operation with ``forward`` and ``backward`` side by side on
plain arrays. ``Function.apply`` runs ``forward`` and, when any input requires a gradient, keeps
the node in the output tensor. :func:`backward` and :func:`grad` then visit the recorded nodes
from the output back to the inputs (an iterative topological sort: no recursion limit) and apply
each node's ``backward`` -- the chain rule, one local derivative at a time. Gradients of a tensor
used several times are added.
"""

import functools
import itertools
import operator
import traceback

from mlplab.backend import xp


class _Mode:
    """Process-wide switches of the engine."""

    grad_enabled = True
    detect_anomaly = False
    inplace_stamp = 0  # counts in-place changes process-wide: each stamps the tensor it changed


class Function:
    """One differentiable primitive: ``forward(ctx, *arrays)`` and ``backward(ctx, grad)``.

    Subclasses write both as static methods on arrays. ``ctx`` is the node itself: ``forward``
    keeps what ``backward`` needs with :meth:`save_for_backward` (freed after the backward pass)
    or as small attributes, and may read ``ctx.needs_input_grad`` to skip work. ``backward``
    returns one gradient per input, in order (None where no gradient is needed), each of its
    input's shape. Set ``fresh_grads = True`` on a class whose backward always returns newly
    allocated arrays, a different one per input (never the incoming ``grad`` or a view of it):
    the engine then hands them to ``.grad`` without a copy.
    """

    fresh_grads = False
    # A node's defaults live on the class: apply makes nodes without calling __init__ (one call
    # less per operation) and sets ``inputs`` and ``creation_number`` only on those it records.
    inputs = ()
    needs_input_grad = ()
    saved_tensors = ()
    stamp = 0  # inplace_stamp when the node was made: later in-place changes have larger stamps
    output_modified = False  # set when the output's array, saved here, was changed in place
    previous = None  # on an in-place node: the tensor holding the value before the change
    created_at = None

    def save_for_backward(self, *arrays):
        """Keep ``arrays`` for the backward pass."""
        self.saved_tensors = arrays

    @staticmethod
    def forward(ctx, *arrays, **params):
        """Compute the output array from the input arrays."""
        raise NotImplementedError

    @staticmethod
    def backward(ctx, grad):
        """Return the gradient of each input, given the gradient of the output."""
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the operation on tensors (or constants) and record it when a gradient is needed."""
        ctx = object.__new__(cls)
        arrays = [x._data if isinstance(x, Tensor) else x for x in inputs]
        if _Mode.grad_enabled:
            needs = tuple([isinstance(x, Tensor) and x.requires_grad for x in inputs])
            record = True in needs
        else:
            record = False
        ctx.needs_input_grad = needs if record else (False,) * len(inputs)
        out = cls.forward(ctx, *arrays, **params)
        if not record:
            return Tensor._make(out)
        ctx.inputs = inputs
        ctx.creation_number = _next_creation_number()
        if _Mode.detect_anomaly:
            ctx.created_at = traceback.format_stack()[:-2]
        ctx.stamp = _Mode.inplace_stamp
        return Tensor._make(out, ctx)

    def name(self):
        """The operation's name as shown in errors, e.g. ``MulBackward``."""
        return f"{type(self).__name__}Backward"


_next_creation_number = itertools.count().__next__  # orders nodes for the backward pass


def mark_output_modified(tensor):
    """Note, on the node that made ``tensor``, that its saved output is about to change in place."""
    ctx = tensor._ctx
    if ctx is not None and ctx.saved_tensors:
        data = tensor._data
        if any(array is data for array in ctx.saved_tensors):
            ctx.output_modified = True


def _check_versions(ctx):
    """Refuse to differentiate with a saved value changed in place since (PyTorch's rule)."""
    if ctx.output_modified:
        raise RuntimeError(
            "one of the variables needed for gradient computation has been modified by an "
            f"inplace operation: the output of {ctx.name()}, which it saved. Use an "
            "out-of-place operation (y = y + 1, not y += 1), or .clone() before the change"
        )
    saved = ctx.saved_tensors
    for index, x in enumerate(ctx.inputs):
        if (
            isinstance(x, Tensor)
            and getattr(x, "_stamp", 0) > ctx.stamp
            and any(a is x._data for a in saved)
        ):
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: input {index} of {ctx.name()} (shape {list(x.shape)}, now "
                f"at version {x._version}) was saved before the change. Change it after "
                "backward(), or .clone() it before the change"
            )


def _value_before(x, number):
    """The tensor holding ``x``'s value as node ``number`` used it.

    A tensor changed in place by a recorded operation takes the new node, which keeps the
    previous value as ``previous`` (also its input 0); a node made before that change follows
    ``previous`` back to the value it read.
    """
    while x._ctx is not None and x._ctx.creation_number > number:
        x = x._ctx.previous
    return x


_RELEASED = None  # saved_tensors of a node whose backward pass has freed the graph


# ----------------------------------------------------------------------------- grad mode
class _GradModeGuard:
    """Set recording to ``mode`` inside a ``with`` block or a decorated function, then restore it.

    The mode to restore is read on entry (not when the guard is made), and kept on a stack, so
    one guard can be made early, entered later, and entered again inside itself.
    """

    mode = True

    def __init__(self):
        self._previous = []

    def __enter__(self):
        self._previous.append(_Mode.grad_enabled)
        _Mode.grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        _Mode.grad_enabled = self._previous.pop()
        return False

    def __call__(self, function):
        mode = self.mode

        @functools.wraps(function)
        def wrapper(*args, **kwargs):
            previous = _Mode.grad_enabled
            _Mode.grad_enabled = mode
            try:
                return function(*args, **kwargs)
            finally:
                _Mode.grad_enabled = previous

        return wrapper


class no_grad(_GradModeGuard):
    """Record nothing inside this block (or decorated function): for evaluation and updates.

    Works as ``with no_grad():``, ``@no_grad()`` and ``@no_grad``.
    """

    mode = False

    def __new__(cls, function=None):
        if function is not None:  # used as a bare decorator
            return cls()(function)
        return super().__new__(cls)


class enable_grad(_GradModeGuard):
    """Record operations inside this block (or decorated function) even within ``no_grad``."""

    mode = True

    def __new__(cls, function=None):
        if function is not None:  # used as a bare decorator
            return cls()(function)
        return super().__new__(cls)


class inference_mode(_GradModeGuard):
    """``no_grad`` under PyTorch's name for inference: record nothing (``inference_mode(False)``
    records). Tensors made inside are ordinary tensors that require no grad."""

    def __new__(cls, mode=True):
        if callable(mode):  # used as a bare decorator
            return cls()(mode)
        return super().__new__(cls)

    def __init__(self, mode=True):
        super().__init__()
        self.mode = not bool(mode)


class set_grad_enabled(_GradModeGuard):
    """Turn recording on or off: at once as a call, or for a ``with`` block or decorated function.

    As in PyTorch, ``set_grad_enabled(False)`` switches immediately; used as a context manager or
    decorator it restores the mode it found when it was made.
    """

    def __init__(self, mode):
        super().__init__()
        self.mode = bool(mode)
        self._before = _Mode.grad_enabled
        _Mode.grad_enabled = self.mode

    def __enter__(self):
        self._previous.append(self._before)
        _Mode.grad_enabled = self.mode
        return self

    def __call__(self, function):
        _Mode.grad_enabled = self._before  # a decorator switches per call, not now
        return super().__call__(function)


def is_grad_enabled():
    """True while operations are being recorded."""
    return _Mode.grad_enabled


# ----------------------------------------------------------------------------- anomaly mode
def set_detect_anomaly(mode):
    """When on, record where each operation was made and stop backward at the first NaN or Inf.

    Costs a stack trace per operation: for debugging only.
    """
    _Mode.detect_anomaly = bool(mode)


def is_anomaly_enabled():
    """True while anomaly detection is on."""
    return _Mode.detect_anomaly


class detect_anomaly:
    """Context manager form of :func:`set_detect_anomaly`."""

    def __enter__(self):
        self.previous = _Mode.detect_anomaly
        _Mode.detect_anomaly = True
        return self

    def __exit__(self, *exc):
        _Mode.detect_anomaly = self.previous
        return False


def _check_finite(ctx, grads):
    """Raise at the first gradient with a NaN or Inf, naming the operation and where it was made."""
    for index, g in enumerate(grads):
        if g is not None and not bool(xp.isfinite(g).all()):
            where = "".join(ctx.created_at or ["  (made before anomaly detection was turned on)\n"])
            raise FloatingPointError(
                f"{ctx.name()} returned NaN or Inf in the gradient of its input {index}. "
                f"The operation was made here:\n{where}"
            )


# ----------------------------------------------------------------------------- the backward pass
_creation_number = operator.attrgetter("_ctx.creation_number")


def _topological_order(roots):
    """Every recorded (non-leaf) tensor the roots depend on, each before all of its inputs.

    A node is always made after its inputs, so it has a larger creation number: sorting the
    tensors found (by an iterative search, so a chain of any length needs no recursion) by that
    number, largest first, visits every tensor only after all the tensors computed from it.
    Leaves are left out: nothing runs for them but the final accumulation into ``.grad``.
    """
    # Tensors are dict keys by identity (Tensor.__hash__ is object's; == is never called).
    found = {root: None for root in roots if root._ctx is not None}
    stack = list(found)
    while stack:
        ctx = stack.pop()._ctx
        # strict=False: a node freed by an earlier backward has no inputs left (and raises later)
        for x, needed in zip(ctx.inputs, ctx.needs_input_grad, strict=False):
            if needed and x._ctx is not None:
                if x._ctx.creation_number > ctx.creation_number:
                    x = _value_before(x, ctx.creation_number)
                    if x._ctx is None:
                        continue
                if x not in found:
                    found[x] = None
                    stack.append(x)
    return sorted(found, key=_creation_number, reverse=True)


def _root_gradient(root, gradient):
    """The seed d(root)/d(root): ones for a one-element root, else the ``gradient`` given."""
    if not root.requires_grad:
        raise RuntimeError(
            "This tensor does not require grad and has no grad_fn, so there is nothing to "
            "differentiate: make its inputs with requires_grad=True, and do not compute it "
            "inside no_grad()"
        )
    if gradient is None:
        if root._data.size != 1:
            raise RuntimeError(
                f"backward() on a tensor of shape {root.shape} needs a `gradient` argument of the "
                "same shape (d loss / d tensor); to differentiate a scalar, reduce first, e.g. "
                "y.sum().backward()"
            )
        return xp.ones_like(root._data)
    gradient = xp.asarray(gradient._data if isinstance(gradient, Tensor) else gradient)
    if gradient.shape != root.shape:
        raise RuntimeError(
            f"The gradient given has shape {gradient.shape} but the tensor has shape {root.shape}"
        )
    return gradient.astype(root.dtype, copy=False)


def _sweep(roots, seeds, retain_graph, capture=None):
    """Apply the chain rule from ``roots`` backwards.

    With ``capture`` (a dict tensor -> None) the gradients of those tensors are stored there and
    no ``.grad`` is touched; otherwise gradients are accumulated into the leaves' ``.grad``.
    """
    order = _topological_order(roots)
    # tensor -> (gradient, fresh): a fresh gradient is an array nobody else holds, so it can
    # become ``.grad`` without a copy.
    grads = {}
    for root, seed in zip(roots, seeds, strict=True):
        _add_gradient(grads, root, seed, False)
    for tensor in order:
        ctx = tensor._ctx
        entry = grads.pop(tensor, None)
        if entry is not None:  # None when every path to the tensor returned no gradient
            g, is_fresh = entry
            if capture is not None and tensor in capture:
                capture[tensor] = g if is_fresh else g.copy()
            _backward_node(ctx, g, grads)
        if not retain_graph:
            # Free the node's saved arrays and its links to its inputs (and so their memory, as
            # PyTorch frees a graph); a second pass through it meets _RELEASED and says so.
            ctx.saved_tensors = _RELEASED
            ctx.inputs = ()
    # What is left are the leaves' gradients.
    for tensor, (g, is_fresh) in grads.items():
        if capture is not None:
            if tensor in capture:
                capture[tensor] = g if is_fresh else g.copy()
        elif tensor.requires_grad:
            # PyTorch's accumulation: gradients add up across backward calls.
            old = tensor._grad
            if old is None:
                tensor._grad = g if is_fresh else g.copy()
            elif old.shape == g.shape and old.dtype == g.dtype:
                old += g  # in place, as PyTorch: a p.grad held elsewhere sees the sum
            else:
                tensor._grad = old + g


def _backward_node(ctx, g, grads):
    """Run one node's backward on its output gradient ``g`` and add the results to ``grads``."""
    if ctx.saved_tensors is _RELEASED:
        raise RuntimeError(
            f"Trying to backward through the graph a second time ({ctx.name()}): its saved "
            "values were freed by the first backward. Pass retain_graph=True to the first "
            "backward() (or grad()) call if you need to go through the graph again."
        )
    if ctx.stamp != _Mode.inplace_stamp or ctx.output_modified:
        _check_versions(ctx)  # only when something was changed in place since the node was made
    input_grads = ctx.backward(ctx, g)
    if type(input_grads) is not tuple:
        input_grads = (input_grads,)
    if len(input_grads) != len(ctx.inputs):
        raise RuntimeError(
            f"{ctx.name()} returned {len(input_grads)} gradients for {len(ctx.inputs)} inputs: "
            "a bug in that operation's backward"
        )
    if _Mode.detect_anomaly:
        _check_finite(ctx, input_grads)
    op_fresh = ctx.fresh_grads
    number = ctx.creation_number
    for x, needed, gx in zip(ctx.inputs, ctx.needs_input_grad, input_grads, strict=True):
        if gx is None or not needed:
            continue
        if x._ctx is not None and x._ctx.creation_number > number:
            x = _value_before(x, number)
        data = x._data
        if gx.shape != data.shape:
            raise RuntimeError(
                f"{ctx.name()} returned a gradient of shape {gx.shape} for an input of shape "
                f"{data.shape}: a bug in that operation's backward"
            )
        if gx.dtype != data.dtype:
            # e.g. float32 * float64: the float32 input gets its gradient in float32
            gx, is_fresh = gx.astype(data.dtype), True
        else:
            is_fresh = op_fresh and gx is not g
        _add_gradient(grads, x, gx, is_fresh)


def _add_gradient(grads, tensor, g, is_fresh):
    """Add ``g`` to the gradient collected so far for ``tensor`` (a tensor used twice gets both)."""
    previous = grads.get(tensor)
    grads[tensor] = (g, is_fresh) if previous is None else (previous[0] + g, True)


def backward(tensor, gradient=None, retain_graph=False):
    """Accumulate d tensor / d leaf into ``leaf.grad`` for every leaf that requires a gradient."""
    seed = _root_gradient(tensor, gradient)
    _sweep([tensor], [seed], retain_graph)


def _as_tensor_list(values, what):
    """Accept one tensor or a sequence of tensors."""
    if isinstance(values, Tensor):
        return [values]
    values = list(values)
    for value in values:
        if not isinstance(value, Tensor):
            raise TypeError(
                f"grad(): every one of {what} must be a Tensor, got {type(value).__name__}"
            )
    return values


def grad(outputs, inputs, grad_outputs=None, retain_graph=False, allow_unused=False):
    """The gradients of ``outputs`` with respect to ``inputs``; ``.grad`` is left untouched.

    PyTorch's ``torch.autograd.grad`` (without ``create_graph``): the gradients come back as
    tensors outside the graph (``numpy()`` or ``np.asarray`` gives their arrays).

    Parameters
    ----------
    outputs : Tensor or sequence of Tensor
        What to differentiate; one-element tensors unless ``grad_outputs`` are given.
    inputs : Tensor or sequence of Tensor
        With respect to what; each must require a gradient.
    grad_outputs : array_like or sequence, optional
        d(something)/d(output) for each output (the vector of a vector-Jacobian product).
    retain_graph : bool
        Keep the graph for another backward pass.
    allow_unused : bool
        Return None for an input the outputs do not depend on instead of raising.

    Returns
    -------
    tuple of Tensor (or None), one per input, each of its input's shape.
    """
    outputs = _as_tensor_list(outputs, "outputs")
    inputs = _as_tensor_list(inputs, "inputs")
    if grad_outputs is None or isinstance(grad_outputs, Tensor | xp.ndarray):
        grad_outputs = [grad_outputs] * len(outputs) if grad_outputs is None else [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad(): {len(outputs)} outputs but {len(grad_outputs)} grad_outputs")
    for index, x in enumerate(inputs):
        if not x.requires_grad:
            raise RuntimeError(
                f"grad(): input {index} does not require grad, so it has no gradient"
            )
    seeds = [_root_gradient(out, g) for out, g in zip(outputs, grad_outputs, strict=True)]
    capture = dict.fromkeys(inputs)
    _sweep(outputs, seeds, retain_graph, capture)
    results = []
    for index, x in enumerate(inputs):
        g = capture[x]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad(): input {index} (shape {x.shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
        results.append(None if g is None else Tensor._make(g))
    return tuple(results)


# Imported last: tensor.py imports this module, and needs Function defined first.
from mlplab.tensor import Tensor  # noqa: E402
