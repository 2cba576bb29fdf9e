"""Optimizer: parameter groups, per-parameter state, and the loop every update rule shares.

An optimizer is ``param_groups`` -- a list of dicts, each holding some parameters and the
settings used for them (its own lr, momentum, ...) -- plus ``state``, a dict keyed by parameter
holding what the rule carries from step to step (momentum buffers, moment estimates, step
counts). :meth:`Optimizer.step` only gathers, group by group, the parameters that have a
gradient and their state, and calls the subclass's update, which calls a pure function of
:mod:`mlplab.optim.functional` on the lists of arrays at once.
"""

import copy
import numbers

from mlplab.autograd import enable_grad
from mlplab.backend import xp
from mlplab.tensor import Tensor


def _lr_value(lr):
    """A group's learning rate as a number (a tensor lr is read, as PyTorch's ``_to_scalar``)."""
    return lr.item() if isinstance(lr, Tensor) else lr


def _float_lr(group):
    """``group`` itself, or a copy of it with its tensor lr read as a number for the update."""
    return dict(group, lr=_lr_value(group["lr"])) if isinstance(group["lr"], Tensor) else group


def count_steps(params, states, buffers):
    """Count one step in each parameter's state, starting an empty state first: step 0 and a
    zero array like the parameter for each name in ``buffers``."""
    for p, state in zip(params, states, strict=True):
        if not state:
            state["step"] = 0
            for name in buffers:
                state[name] = xp.zeros_like(p._data)
        state["step"] += 1


def _check_nonnegative(name, value, label):
    """Raise ValueError(``Invalid <label>: value``) unless ``value`` is a number >= 0."""
    if not isinstance(value, numbers.Real) or isinstance(value, bool) or not value >= 0.0:
        raise ValueError(f"Invalid {label}: {value}")


class Optimizer:
    """Base class of the optimizers: ``param_groups`` plus ``state`` keyed by parameter.

    Parameters
    ----------
    params : iterable of Tensor, or iterable of dict
        The tensors to optimize, or groups of them: dicts with a ``"params"`` entry and any
        settings that differ from ``defaults`` for that group.
    defaults : dict
        The settings of every group that does not give its own.
    """

    #: Names of the per-parameter state entries this optimizer may keep.
    state_names = ()
    #: Those of them that are numbers (floats) rather than arrays; "step" is always an int.
    scalar_state_names = ()

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or "
                "dicts, but got a Tensor: wrap it in a list, e.g. SGD([w], lr=0.1)"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines.extend(f"    {key}: {value}" for key, value in group.items() if key != "params")
        return "\n".join([*lines, ")"])

    # ------------------------------------------------------------------ groups
    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group`` (subclasses extend)."""
        lr = group["lr"]
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError(f"Tensor lr must be 1-element, got shape {tuple(lr.shape)}")
        _check_nonnegative("lr", _lr_value(lr), "learning rate")

    def add_param_group(self, param_group):
        """Add a group of parameters with its own settings (the defaults fill the rest).

        Parameters
        ----------
        param_group : dict
            ``{"params": tensors, "lr": ..., ...}``: the parameters and the settings that differ
            from the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(
                f"A parameter group must be a dict with a 'params' entry, not "
                f"{type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError("A parameter group needs a 'params' entry listing its tensors")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but the "
                "ordering of tensors in sets will change between runs: use a list"
            )
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but parameter {i} of the group is a "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"can't optimize a non-leaf Tensor (parameter {i} of the group): optimize "
                    "the tensors the computation starts from"
                )
        if len({id(p) for p in params}) != len(params):
            raise ValueError(
                "a parameter appears more than once in this parameter group: list each once"
            )
        group = {key: value for key, value in param_group.items() if key != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        group["params"] = params
        self.check_group(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ------------------------------------------------------------------ stepping
    def zero_grad(self, set_to_none=True):
        """Forget the gradients: set them to None (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p._grad is None:
                    continue
                if set_to_none:
                    p._grad = None
                else:
                    p._grad.fill(0)

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss, if given.

        Parameters with no gradient, or with no elements, are left alone (and get no state).

        Parameters
        ----------
        closure : callable, optional
            Re-evaluates the model and returns the loss; called (with gradients recorded)
            before the update.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        todo = []
        for group in self.param_groups:
            params = [p for p in group["params"] if p._grad is not None and p._data.size != 0]
            # Checked before any parameter moves, so that a bad gradient leaves the model as it was.
            for p in params:
                if p._grad.shape != p._data.shape:
                    raise ValueError(
                        f"A parameter of shape {p._data.shape} has a gradient of shape "
                        f"{p._grad.shape}: a gradient must have its parameter's shape"
                    )
            if params:
                todo.append((group, params))
        for group, params in todo:
            self._update(_float_lr(group), params, [self.state.setdefault(p, {}) for p in params])
        return loss

    def _update(self, group, params, states):
        """Apply the rule to ``params`` of ``group`` (all have gradients); subclasses implement it.

        ``states`` holds each parameter's state dict, empty before its first step.
        """
        raise NotImplementedError(f"{type(self).__name__} does not implement _update")

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """A snapshot of the optimizer: settings per group and state per parameter index.

        Returns
        -------
        dict
            ``{"state": {index: {name: array or number}}, "param_groups": [settings with
            "params": [index, ...]]}``; parameters are numbered in group order, arrays are
            copies, so later steps do not change the snapshot.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            settings = {key: copy.deepcopy(v) for key, v in group.items() if key != "params"}
            settings["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(settings)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {
                        name: value.copy() if isinstance(value, xp.ndarray) else value
                        for name, value in self.state[p].items()
                    }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a snapshot made by :meth:`state_dict` of an optimizer over the same parameters.

        Everything is checked before anything changes: the number of groups and of parameters
        in each, the state entries' names and the shapes of their arrays, and the settings. A
        snapshot of another model or another optimizer is an error that says what differs.
        """
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            raise ValueError(
                "An optimizer state dict is a dict with exactly the keys 'state' and "
                "'param_groups', as returned by Optimizer.state_dict()"
            )
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, this optimizer "
                f"has {len(self.param_groups)}: it was saved for other parameters"
            )
        params = []
        new_groups = []
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict has {len(saved['params'])} parameters in group {i}, "
                    f"this optimizer has {len(group['params'])}: it was saved for other "
                    "parameters"
                )
            params.extend(group["params"])
            settings = {key: copy.deepcopy(v) for key, v in saved.items() if key != "params"}
            missing = sorted(set(self.defaults) - set(settings))
            if missing:
                raise ValueError(
                    f"loaded parameter group {i} lacks the settings {missing} of "
                    f"{type(self).__name__}: it was saved by another optimizer"
                )
            settings["params"] = group["params"]
            self.check_group(settings)
            new_groups.append(settings)
        new_state = {}
        for key, entries in state_dict["state"].items():
            index = int(key)
            if not 0 <= index < len(params):
                raise ValueError(
                    f"loaded state dict has state for parameter {index}, but this optimizer "
                    f"has {len(params)} parameters: it was saved for other parameters"
                )
            new_state[params[index]] = self._restored_state(index, params[index], entries)
        self.param_groups = new_groups
        self.state = new_state

    def _check_state_names(self, index, entries):
        """ValueError if parameter ``index``'s saved state has entries this optimizer does not
        keep (a state dict of another optimizer)."""
        unknown = sorted(set(entries) - set(self.state_names))
        if unknown:
            raise ValueError(
                f"loaded state for parameter {index} has entries {unknown} that "
                f"{type(self).__name__} does not keep (it keeps {list(self.state_names)}): it "
                "was saved by another optimizer"
            )

    def _restored_state(self, index, param, entries):
        """Check one parameter's saved state against it and return a copy in its dtype."""
        self._check_state_names(index, entries)
        restored = {}
        for name, value in entries.items():
            if name == "step":
                restored[name] = int(value)
                continue
            if name in self.scalar_state_names:
                restored[name] = float(value)
                continue
            array = xp.asarray(value)
            if array.shape != param._data.shape:
                raise ValueError(
                    f"loaded state {name!r} for parameter {index} has shape {array.shape}, but "
                    f"the parameter has shape {param._data.shape}: it was saved for other "
                    "parameters"
                )
            restored[name] = array.astype(param.dtype, copy=True)
        return restored
