"""L-BFGS: a quasi-Newton method for full-batch training, stepped with a closure.

It keeps the last ``history_size`` pairs (s, y) of parameter moves and gradient changes and turns
the gradient into a Newton-like direction with the two-loop recursion (Nocedal & Wright,
algorithm 7.4), then steps along it by the learning rate or by a strong-Wolfe line search
(:mod:`mlplab.optim.line_search`). One ``step(closure)`` runs up to ``max_iter`` such iterations,
re-evaluating the loss and gradient through ``closure`` each time: the algorithm and its stopping
rules are those of ``torch.optim.LBFGS``.
"""

import copy
import numbers

from mlplab.autograd import enable_grad
from mlplab.backend import xp
from mlplab.optim.line_search import strong_wolfe
from mlplab.optim.optimizer import Optimizer, _check_nonnegative, _lr_value


def _check_positive_int(name, value):
    """Raise ValueError unless ``value`` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"Invalid {name}: {value!r} (use a positive integer)")


class LBFGS(Optimizer):
    """L-BFGS, PyTorch's ``torch.optim.LBFGS``: ``step(closure)`` runs up to ``max_iter``
    iterations.

    The closure clears the gradients, computes the loss, calls ``backward()`` and returns the
    loss; ``step`` returns the loss of its first evaluation. All the parameters form one group
    (L-BFGS treats them as one vector), and its state lives with the first parameter, as in
    PyTorch.

    Parameters
    ----------
    params : iterable of Tensor
        The parameters (one group only).
    lr : float or Tensor
        The step along the quasi-Newton direction (the line search's first try).
    max_iter : int
        Iterations per ``step``.
    max_eval : int, optional
        Evaluations of the closure per ``step`` (default: ``max_iter · 5 // 4``).
    tolerance_grad : float
        Stop once no gradient element exceeds it in magnitude.
    tolerance_change : float
        Stop once the loss, or every element of the move, changes by less.
    history_size : int
        How many (s, y) pairs the inverse-Hessian estimate remembers.
    line_search_fn : None or "strong_wolfe"
        None: fixed steps of ``lr``; "strong_wolfe": a line search for each step.
    """

    state_names = (
        "func_evals", "n_iter", "d", "t", "old_dirs", "old_stps", "ro", "H_diag",
        "prev_flat_grad", "prev_loss", "al",
    )  # fmt: skip

    def __init__(
        self,
        params,
        lr=1,
        max_iter=20,
        max_eval=None,
        tolerance_grad=1e-7,
        tolerance_change=1e-9,
        history_size=100,
        line_search_fn=None,
    ):
        _check_positive_int("max_iter", max_iter)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups): give it one "
                "list of tensors"
            )
        self._params = self.param_groups[0]["params"]

    def check_group(self, group):
        """Raise ValueError naming the first invalid setting of ``group``."""
        super().check_group(group)
        _check_positive_int("max_iter", group["max_iter"])
        _check_positive_int("max_eval", group["max_eval"])
        _check_positive_int("history_size", group["history_size"])
        _check_nonnegative("tolerance_grad", group["tolerance_grad"], "tolerance_grad value")
        _check_nonnegative("tolerance_change", group["tolerance_change"], "tolerance_change value")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(
                f"Invalid line_search_fn: {group['line_search_fn']!r} (only 'strong_wolfe' is "
                "supported, or None for fixed steps)"
            )

    # ------------------------------------------------------------------ flat views
    def _gather_flat_grad(self):
        """Every parameter's gradient in one flat array (zeros where there is none)."""
        return xp.concatenate(
            [
                xp.zeros(p._data.size, p._data.dtype) if p._grad is None else p._grad.ravel()
                for p in self._params
            ]
        )

    def _add_grad(self, step_size, update):
        """θ ← θ + step_size · update, ``update`` flat, in place."""
        offset = 0
        for p in self._params:
            size = p._data.size
            p._data += step_size * update[offset : offset + size].reshape(p._data.shape)
            offset += size

    def _directional_evaluate(self, closure, x, t, d):
        """Loss and flat gradient at x + td; the parameters are then put back to ``x``."""
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        for p, saved in zip(self._params, x, strict=True):
            p._data[...] = saved
        return loss, flat_grad

    # ------------------------------------------------------------------ stepping
    def step(self, closure=None):
        """Run up to ``max_iter`` L-BFGS iterations; return the loss of the first evaluation.

        Parameters
        ----------
        closure : callable
            Clears the gradients, computes the loss, calls ``backward()`` and returns the loss.
        """
        if closure is None or not callable(closure):
            raise TypeError(
                "LBFGS.step needs a closure that re-evaluates the model: def closure(): "
                "optimizer.zero_grad(); loss = loss_fn(model(x), y); loss.backward(); return loss"
            )

        def evaluate():
            with enable_grad():
                return closure()

        group = self.param_groups[0]
        lr = _lr_value(group["lr"])
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if float(abs(flat_grad).max()) <= group["tolerance_grad"]:
            return orig_loss  # already optimal

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        h_diag = state.get("H_diag")
        prev_flat_grad, prev_loss = state.get("prev_flat_grad"), state.get("prev_loss")

        n_iter = 0
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d, old_dirs, old_stps, ro, h_diag = -flat_grad, [], [], [], 1
            else:
                history = (old_dirs, old_stps, ro)
                h_diag = self._remember(history, flat_grad - prev_flat_grad, d * t, h_diag)
                d = self._direction(state, history, flat_grad, h_diag)
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            # The first step ever is scaled down, since the direction is just the gradient.
            first = state["n_iter"] == 1
            t = min(1.0, 1.0 / float(abs(flat_grad).sum())) * lr if first else lr
            gtd = float(flat_grad.dot(d))
            if gtd > -group["tolerance_change"]:
                break  # not a descent direction

            ls_func_evals = 0
            if group["line_search_fn"] == "strong_wolfe":
                x_init = [p._data.copy() for p in self._params]

                def obj_func(x, t, d):
                    return self._directional_evaluate(evaluate, x, t, d)

                loss, flat_grad, t, ls_func_evals = strong_wolfe(
                    obj_func, x_init, t, d, loss, flat_grad, gtd,
                    max_ls=group["max_eval"] - current_evals,
                )  # fmt: skip
                self._add_grad(t, d)
                opt_cond = float(abs(flat_grad).max()) <= group["tolerance_grad"]
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != group["max_iter"]:
                    # Re-evaluate for the next iteration (not after the last: nothing uses it).
                    loss = float(evaluate())
                    flat_grad = self._gather_flat_grad()
                    opt_cond = float(abs(flat_grad).max()) <= group["tolerance_grad"]
                    ls_func_evals = 1
            current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals

            if (
                n_iter == group["max_iter"]
                or current_evals >= group["max_eval"]
                or opt_cond
                or float(abs(d * t).max()) <= group["tolerance_change"]
                or abs(loss - prev_loss) < group["tolerance_change"]
            ):
                break

        state.update(
            d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=h_diag,
            prev_flat_grad=prev_flat_grad, prev_loss=prev_loss,
        )  # fmt: skip
        return orig_loss

    def _remember(self, history, y, s, h_diag):
        """Keep the pair (s, y) if its curvature y·s is positive; the new H₀ scale y·s / y·y.

        ``history`` holds the lists of y's, s's and 1/(y·s), oldest first.
        """
        ys = float(y.dot(s))
        if ys <= 1e-10:
            return h_diag  # no curvature information: the pair would spoil the estimate
        old_dirs, old_stps, ro = history
        if len(old_dirs) == self.param_groups[0]["history_size"]:
            for entries in history:
                entries.pop(0)
        old_dirs.append(y)
        old_stps.append(s)
        ro.append(1.0 / ys)
        return ys / float(y.dot(y))

    def _direction(self, state, history, flat_grad, h_diag):
        """-H·g by the two-loop recursion over the remembered pairs ``history``."""
        old_dirs, old_stps, ro = history
        if "al" not in state:
            state["al"] = [None] * self.param_groups[0]["history_size"]
        al = state["al"]
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = float(old_stps[i].dot(q)) * ro[i]
            q -= al[i] * old_dirs[i]
        r = q * h_diag
        for i in range(len(old_dirs)):
            be_i = float(old_dirs[i].dot(r)) * ro[i]
            r += (al[i] - be_i) * old_stps[i]
        return r

    # ------------------------------------------------------------------ state dicts
    def state_dict(self):
        """A snapshot, as :meth:`Optimizer.state_dict`, its lists of vectors copied too."""
        snapshot = super().state_dict()
        snapshot["state"] = copy.deepcopy(snapshot["state"])
        return snapshot

    def _restored_state(self, index, param, entries):
        """A copy of the saved state, its entry names checked (the vectors are flat)."""
        self._check_state_names(index, entries)
        size = sum(p._data.size for p in self._params)
        for name in ("d", "prev_flat_grad"):
            if name in entries and xp.asarray(entries[name]).shape != (size,):
                raise ValueError(
                    f"loaded state {name!r} has shape {xp.asarray(entries[name]).shape}, but "
                    f"the parameters have {size} elements: it was saved for other parameters"
                )
        return copy.deepcopy(dict(entries))
