"""MLPRegressor: scikit-learn's regressor API over an mlplab network trained by an mlplab run."""

import numpy
from sklearn.base import RegressorMixin

from mlplab.sklearn.base import BaseMLP
from mlplab.train.tasks import get_task


class MLPRegressor(RegressorMixin, BaseMLP):
    """A multilayer perceptron regressor, trained by mlplab, with scikit-learn's conventions.

    The parameters are :class:`MLPClassifier`'s, without ``class_weight``; ``loss`` is a name
    of ``mlplab.nn.LOSSES`` that suits regression ("mse", the default, "l1" for the mean
    absolute error, "huber") or a callable ``loss(outputs, targets)``, and ``monitor`` may be
    "val_loss" or "val_r2". ``y`` may have several columns (one output each). The network
    learns the targets standardised with the training part's mean and std, and predictions
    come back in the targets' own units.

    Attributes
    ----------
    n_outputs_ : int
        Number of targets.
    validation_scores_ : list of float or None
        R² on the validation rows per epoch (in the targets' units, averaged over targets).

    The other attributes are :class:`MLPClassifier`'s, without ``classes_``.
    """

    _task = "regression"
    _score_metric = "val_r2"

    def partial_fit(self, X, y):
        """One epoch over ``X`` and ``y``, continuing the previous fit or partial fit exactly.

        Returns
        -------
        self
        """
        return self._partial_fit(X, y)

    def predict(self, X):
        """Predicted targets, (n_samples,) for one target, else (n_samples, n_outputs_)."""
        outputs = self._outputs_for(X)
        values = get_task(self._task, self.preprocessing_["targets"]).decode(outputs)
        return values.ravel() if self.n_outputs_ == 1 else values

    def _targets(self, y, fitting, partial):
        """Targets as float64 (N, T), and ``{"n_outputs_": T}`` when fitting (else T checked)."""
        y = numpy.asarray(y, dtype=numpy.float64)
        outputs = 1 if y.ndim == 1 else y.shape[1]
        if not fitting and outputs != self.n_outputs_:
            raise ValueError(
                f"{type(self).__name__}: y has {outputs} target(s), but the fitted network "
                f"predicts {self.n_outputs_}"
            )
        return y.reshape(len(y), outputs), {"n_outputs_": outputs} if fitting else {}

    def _output_width(self, fitted):
        """One output per target."""
        return fitted.get("n_outputs_", getattr(self, "n_outputs_", 0))

    @property
    def _target_checks(self):
        """Numeric targets, one column or several."""
        return {"multi_output": True, "y_numeric": True}

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags
