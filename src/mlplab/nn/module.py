"""Module and Parameter: parameters, buffers and submodules registered by attribute assignment.

A :class:`Module` keeps its parameters and submodules in ordered dicts, filled by
``__setattr__``, and its buffers (state that is saved but not trained, such as BatchNorm's running
statistics) in a third, filled by ``register_buffer``; every traversal (``named_parameters``,
``named_buffers``, ``state_dict``, ``modules``) walks those dicts, so names are dotted paths such as
``"0.weight"``. Built-in layers register themselves in
:data:`LAYERS` so that a model can be rebuilt from its config (:func:`layer_spec`,
:func:`build_layer`) without running any code from a file.
"""

import contextlib
import math
import threading
from collections import namedtuple

import numpy

from mlplab import devices, dtypes
from mlplab.backend import xp
from mlplab.tensor import Tensor, as_array, to_arguments


class Parameter(Tensor):
    """A module's learnable state: a tensor that requires grad and is registered on assignment.

    Parameters
    ----------
    data : Tensor or array_like
        Initial value; an array is used as is (not copied), as ``torch.nn.Parameter`` does.
    requires_grad : bool
        False for a frozen parameter.
    """

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        self._data = as_array(data, copy=False)
        self._grad = None
        self._version = self._stamp = 0
        self.requires_grad = False
        self._ctx = None
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return f"Parameter containing:\n{super().__repr__()}"


def _convert_floats(module, dtype):
    """Cast every floating-point parameter, gradient and buffer below ``module`` to ``dtype``."""
    if dtype.kind != "f":
        raise TypeError(f"Module.to only accepts floating point dtypes, but got dtype={dtype}")
    for tensor in [*module.parameters(), *module.buffers()]:
        if tensor._data.dtype.kind == "f":
            tensor._data = tensor._data.astype(dtype)
            if tensor._grad is not None:
                tensor._grad = tensor._grad.astype(dtype)
    for sub in module.modules():
        # Layers check their input against their dtype (as PyTorch's do): keep it in step.
        if isinstance(getattr(sub, "dtype", None), numpy.dtype):
            object.__setattr__(sub, "dtype", dtype)


ParameterCount = namedtuple("ParameterCount", ["trainable", "frozen", "total"])
"""Number of scalar parameters that require grad, that do not, and both."""

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])
"""What ``load_state_dict(strict=False)`` left out: names the model has and the dict lacks, and
names the dict has and the model lacks."""


class Module:
    """Base class of every layer and model: subclasses set attributes in ``__init__`` and define
    ``forward``."""

    def __init__(self):
        _count_module()
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # ----------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called: call "
                "super().__init__() first in your __init__"
            )
        if name in self._buffers and not isinstance(value, Parameter | Module):
            self._buffers[name] = _checked_buffer(name, value)
            return
        _refuse_plain_container(name, value)
        self._parameters.pop(name, None)
        self._modules.pop(name, None)
        self._buffers.pop(name, None)
        self._non_persistent_buffers.discard(name)
        self.__dict__.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Only called when normal lookup fails: parameters and submodules live in the dicts.
        registry = self.__dict__
        for kind in ("_parameters", "_buffers", "_modules"):
            if name in registry.get(kind, {}):
                return registry[kind][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self):
        return [*super().__dir__(), *self._parameters, *self._buffers, *self._modules]

    def register_buffer(self, name, tensor, persistent=True):
        """Register ``tensor`` as a buffer: saved state that is not a parameter (not trained).

        Parameters
        ----------
        name : str
            The attribute it is reached by, e.g. ``"running_mean"``.
        tensor : Tensor or None
            Its value; None for a buffer that is absent (left out of the state dict).
        persistent : bool
            Whether it is part of the state dict (and so of checkpoints and model files).
        """
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot register a buffer before Module.__init__() is called")
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"buffer name must be a non-empty string without '.', got {name!r}")
        if name not in self._buffers and (
            name in self.__dict__ or name in self._parameters or name in self._modules
        ):
            raise KeyError(f"attribute {name!r} already exists: choose another buffer name")
        self._buffers[name] = _checked_buffer(name, tensor)
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    # ----------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        """Compute the module's output; every subclass defines it."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    # ----------------------------------------------------------------- traversal
    def named_children(self):
        """Yield (name, submodule) for each direct submodule, in registration order."""
        yield from self._modules.items()

    def children(self):
        """Yield each direct submodule."""
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix=""):
        """Yield (dotted name, module) for this module and all below it, each module once."""
        seen = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop()
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            below = [
                (f"{name}.{child_name}" if name else child_name, child)
                for child_name, child in module._modules.items()
            ]
            stack.extend(reversed(below))

    def modules(self):
        """Yield this module and every module below it."""
        for _, module in self.named_modules():
            yield module

    def named_parameters(self, prefix="", recurse=True):
        """Yield (dotted name, parameter); a parameter shared by two modules comes once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, parameter in module._parameters.items():
                if id(parameter) in seen:
                    continue
                seen.add(id(parameter))
                yield (f"{module_name}.{name}" if module_name else name), parameter

    def parameters(self, recurse=True):
        """Yield every parameter (each once), in registration order."""
        for _, parameter in self.named_parameters(recurse=recurse):
            yield parameter

    def named_buffers(self, prefix="", recurse=True):
        """Yield (dotted name, buffer) for every buffer that is not None, a shared one once."""
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for module_name, module in modules:
            for name, buffer in module._buffers.items():
                if buffer is None or id(buffer) in seen:
                    continue
                seen.add(id(buffer))
                yield (f"{module_name}.{name}" if module_name else name), buffer

    def buffers(self, recurse=True):
        """Yield every buffer that is not None (each once), in registration order."""
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule, children before parents, then on this one.

        The usual use is initialisation, e.g. ``model.apply(init_weights)`` with a function that
        tests ``isinstance(module, nn.Linear)``. Returns self.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----------------------------------------------------------------- modes and gradients
    def train(self, mode=True):
        """Set training mode (dropout active) on this module and all below it; returns self."""
        for module in self.modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self):
        """Set evaluation mode (dropout off); returns self."""
        return self.train(False)

    def zero_grad(self, set_to_none=True):
        """Clear every parameter's gradient (None by default, or zeros in place)."""
        for parameter in self.parameters():
            if parameter._grad is None:
                continue
            if set_to_none:
                parameter._grad = None
            else:
                parameter._grad[...] = 0

    def requires_grad_(self, requires_grad=True):
        """Freeze (False) or unfreeze (True) every parameter; returns self."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    # ----------------------------------------------------------------- dtype and device
    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """Convert floating-point parameters and buffers to ``dtype`` in place (integer buffers
        stay as they are) after checking ``device``: ``to(dtype)``, ``to(device)``,
        ``to(device, dtype)``, as PyTorch's; returns self."""
        dtype, device = to_arguments(args, dtype, device)
        devices.check(device)
        if dtype is not None:
            _convert_floats(self, dtypes.resolve(dtype))
        return self

    def float(self):
        """Convert floating-point parameters and buffers to float32; returns self."""
        return self.to(dtypes.float32)

    def double(self):
        """Convert floating-point parameters and buffers to float64; returns self."""
        return self.to(dtypes.float64)

    def cpu(self):
        """Return self: the data is where ``.numpy()`` reads it (see :mod:`mlplab.devices`)."""
        return self

    def cuda(self, device=None):
        """Return self with CuPy arrays; refused (with the way to CUDA) under NumPy."""
        devices.check("cuda" if device is None else device)
        return self

    def type(self, dst_type):
        """Convert floating-point parameters and buffers to ``dst_type``; returns self."""
        return self.to(dst_type)

    def parameter_count(self):
        """Number of scalar parameters: a ParameterCount(trainable, frozen, total)."""
        trainable = frozen = 0
        for parameter in self.parameters():
            if parameter.requires_grad:
                trainable += parameter.numel()
            else:
                frozen += parameter.numel()
        return ParameterCount(trainable, frozen, trainable + frozen)

    def summary(self):
        """A table of each parameter's shape and count, with trainable and frozen totals."""
        rows = [
            (name, "x".join(map(str, p.shape)) or "scalar", p.numel(), p.requires_grad)
            for name, p in self.named_parameters()
        ]
        width = max([len("parameter")] + [len(row[0]) for row in rows])
        lines = [f"{'parameter':<{width}}  {'shape':>12}  {'count':>10}  trainable"]
        for name, shape, count, trainable in rows:
            lines.append(
                f"{name:<{width}}  {shape:>12}  {count:>10,}  {'yes' if trainable else 'no'}"
            )
        count = self.parameter_count()
        lines.append(
            f"total {count.total:,} parameters: {count.trainable:,} trainable, "
            f"{count.frozen:,} frozen"
        )
        return "\n".join(lines)

    # ----------------------------------------------------------------- state
    def named_state(self):
        """Every parameter and persistent buffer by dotted name: the tensors themselves.

        Per module, its parameters and then its buffers, as PyTorch orders a state dict; a
        tensor shared by two modules comes once, under its first name.
        """
        seen, state = set(), {}
        for module_name, module in self.named_modules():
            persistent = [
                (name, buffer)
                for name, buffer in module._buffers.items()
                if buffer is not None and name not in module._non_persistent_buffers
            ]
            for name, tensor in [*module._parameters.items(), *persistent]:
                if tensor is None or id(tensor) in seen:
                    continue
                seen.add(id(tensor))
                state[f"{module_name}.{name}" if module_name else name] = tensor
        return state

    def state_dict(self):
        """Every parameter and persistent buffer by dotted name, as tensors sharing their memory."""
        return {name: tensor.detach() for name, tensor in self.named_state().items()}

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into the parameters (in place), checking every name and shape first.

        Parameters
        ----------
        state_dict : dict of str -> Tensor or array
            As returned by :meth:`state_dict`.
        strict : bool
            When True, a name the model lacks or a parameter or buffer the dict lacks is an
            error.

        Returns
        -------
        IncompatibleKeys(missing_keys, unexpected_keys); nothing is changed if an error is raised.
        """
        own = self.named_state()
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        values = {name: as_array(value, copy=False) for name, value in state_dict.items()}
        problems = [
            f"{name}: shape {values[name].shape} in the state dict, {own[name].shape} in the model"
            for name in own
            if name in values and values[name].shape != own[name].shape
        ]
        if strict:
            problems += [f"{name}: missing from the state dict" for name in missing]
            problems += [
                f"{name}: unexpected (the model has no such parameter or buffer)"
                for name in unexpected
            ]
        if problems:
            raise RuntimeError(
                f"Error loading the state dict into {type(self).__name__}:\n  "
                + "\n  ".join(problems)
            )
        for name, tensor in own.items():
            if name in values:
                tensor._data[...] = values[name]
        return IncompatibleKeys(missing, unexpected)

    # ----------------------------------------------------------------- config
    @classmethod
    def from_config(cls, config):
        """Build the module from the dict :meth:`get_config` returned."""
        return cls(**config)

    # ----------------------------------------------------------------- printing
    def extra_repr(self):
        """The settings shown inside this module's repr, e.g. ``in_features=2, out_features=3``."""
        return ""

    def __repr__(self):
        lines = [f"({name}): {_indent(repr(module))}" for name, module in self._modules.items()]
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def _checked_buffer(name, value):
    """``value`` if it can be a buffer (a Tensor or None), else a TypeError naming it."""
    if value is not None and not isinstance(value, Tensor):
        raise TypeError(
            f"cannot assign a {type(value).__name__} as buffer {name!r}: a buffer is a Tensor "
            f"(or None); wrap it, e.g. mlplab.tensor(value)"
        )
    return value


def _refuse_plain_container(name, value):
    """Raise TypeError for a plain list, tuple or dict holding modules (nothing would register)."""
    if isinstance(value, dict):
        entries, fix = list(value.values()), f"self.{name} = nn.ModuleDict({{...}})"
    elif isinstance(value, list | tuple):
        entries, fix = list(value), f"self.{name} = nn.ModuleList([...])"
    else:
        return
    if any(isinstance(entry, Module) for entry in entries):
        raise TypeError(
            f"cannot assign a plain {type(value).__name__} of modules to {name!r}: their "
            "parameters would not be registered (parameters(), state_dict() and train() would "
            f"not see them); use {fix}"
        )
    if any(isinstance(entry, Parameter) for entry in entries):
        raise TypeError(
            f"cannot assign a plain {type(value).__name__} of Parameters to {name!r}: they would "
            "not be registered; assign each to its own attribute, or keep them in submodules"
        )


def _indent(text):
    """Indent every line after the first by two spaces (nested modules in a repr)."""
    return text.replace("\n", "\n  ")


# ----------------------------------------------------------------------------- registry
LAYERS = {}
"""Built-in layer classes by name: the only classes a model file may name."""


def register_layer(cls):
    """Class decorator: make a built-in layer rebuildable from its config by name."""
    LAYERS[cls.__name__] = cls
    return cls


def layer_spec(module):
    """The JSON-ready description {"class": name, "config": {...}} of a built-in layer."""
    name = type(module).__name__
    if LAYERS.get(name) is not type(module):
        raise TypeError(
            f"{name} is not one of mlplab's built-in layers ({', '.join(sorted(LAYERS))}), so it "
            "cannot be described by a config; save its state_dict() and rebuild the model in code"
        )
    return {"class": name, "config": module.get_config()}


def build_layer(spec):
    """Build a built-in layer from a description made by :func:`layer_spec`."""
    if not isinstance(spec, dict) or set(spec) != {"class", "config"}:
        raise ValueError(
            f"A layer description must be {{'class': ..., 'config': ...}}, got {spec!r}"
        )
    cls = LAYERS.get(spec["class"]) if isinstance(spec["class"], str) else None
    if cls is None:
        raise ValueError(
            f"Unknown layer class {spec['class']!r}; known: {', '.join(sorted(LAYERS))}"
        )
    if not isinstance(spec["config"], dict):
        raise ValueError(f"The config of {spec['class']} must be a dict, got {spec['config']!r}")
    return cls.from_config(spec["config"])


# ----------------------------------------------------------------------------- creating state
class _InitMode(threading.local):
    """Per thread: whether new layers initialise their parameters (not while a file is being
    loaded), and the most modules a build from a file may make (None: no limit) and how many
    it has made."""

    def __init__(self):
        self.enabled = True
        self.max_modules = None
        self.modules_made = 0


_init_mode = _InitMode()


class BuildLimitError(ValueError):
    """A build inside ``deferred_init(max_modules=n)`` made more than ``n`` modules."""


def _count_module():
    """Count a new module against the limit of the build in progress, if it has one."""
    if _init_mode.max_modules is None:
        return
    _init_mode.modules_made += 1
    if _init_mode.modules_made > _init_mode.max_modules:
        raise BuildLimitError(f"it has more than {_init_mode.max_modules:,} layers")


@contextlib.contextmanager
def deferred_init(max_modules=None):
    """Inside this block, layers get placeholder parameters (no memory) and no initialisation.

    Used by :func:`mlplab.load`: the architecture named in a file is built without touching
    memory, its shapes are checked against the file's tensors, and then the tensors are put in.

    Parameters
    ----------
    max_modules : int, optional
        Stop the build with a BuildLimitError as soon as it makes more modules (layers and
        containers) than this, so that a file's description cannot make the build itself costly.
    """
    previous = _init_mode.enabled, _init_mode.max_modules, _init_mode.modules_made
    _init_mode.enabled, _init_mode.max_modules, _init_mode.modules_made = False, max_modules, 0
    try:
        yield
    finally:
        _init_mode.enabled, _init_mode.max_modules, _init_mode.modules_made = previous


def init_enabled():
    """False inside :func:`deferred_init`."""
    return _init_mode.enabled


def new_parameter(shape, dtype):
    """An uninitialised parameter of ``shape``; a zero-memory placeholder inside deferred_init."""
    if _init_mode.enabled:
        return Parameter(xp.empty(shape, dtype=dtype))
    return Parameter(xp.broadcast_to(xp.zeros((), dtype=dtype), shape))


def new_buffer(shape, dtype, fill):
    """A buffer of ``shape`` filled with ``fill``; a zero-memory placeholder in deferred_init."""
    if _init_mode.enabled:
        return Tensor(xp.full(shape, fill, dtype=dtype))
    return Tensor(xp.broadcast_to(xp.zeros((), dtype=dtype), shape))


def check_number(owner, name, value):
    """``value`` if it is a finite int or float, else a ValueError naming the setting."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError(f"{owner}: {name} must be a finite number, got {value!r}")
    return value


def check_dtype(dtype):
    """``dtype`` as a floating NumPy dtype, or a ValueError naming it."""
    try:
        resolved = numpy.dtype(dtype)
    except TypeError as error:
        raise ValueError(f"Unknown dtype {dtype!r}; use 'float32' or 'float64'") from error
    if resolved not in (numpy.float32, numpy.float64):
        raise ValueError(f"Invalid dtype {dtype!r} for parameters; use 'float32' or 'float64'")
    return resolved
