"""The base of mlplab's scikit-learn estimators: parameters -> ``Settings`` -> ``run_arrays``.

An estimator's fit is an mlplab run on arrays in memory (:mod:`mlplab.experiment.arrays`): the
parameters become a :class:`~mlplab.experiment.Settings`, which checks every one of them against
the library's registries, and the run's final state is kept so that ``warm_start`` and
``partial_fit`` continue it exactly, as a resumed run does. The subclasses add what their task
owns: targets in, predictions out.
"""

import numpy
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, check_random_state, validate_data

import mlplab.random
from mlplab.experiment import Settings, SettingsError
from mlplab.experiment.arrays import run_arrays
from mlplab.experiment.data import scale_inputs
from mlplab.experiment.settings import ARRAYS
from mlplab.train import predict

AUTO_BATCH = 200
"""Rows per mini-batch with ``batch_size="auto"`` (scikit-learn's: ``min(200, n_samples)``)."""

# The estimator parameter each setting comes from, for messages in the estimator's own terms.
_PARAMETER_OF = {
    "layers": "hidden_layer_sizes",
    "lr": "learning_rate_init",
    "nesterov": "nesterovs_momentum",
    "epochs": "max_iter",
    "val_split": "validation_fraction",
    "patience": "n_iter_no_change",
    "seed": "random_state",
}


class _FinalState:
    """A training-loop callback keeping the run's state at its end (what a resume starts from)."""

    state = None

    def on_train_end(self, run):
        """Keep the run's state."""
        self.state = run.state_dict()


class BaseMLP(BaseEstimator):
    """What :class:`MLPClassifier` and :class:`MLPRegressor` share; not used on its own.

    Subclasses set ``_task`` (a key of ``mlplab.train.TASKS``) and ``_score_metric`` (the
    validation metric of ``validation_scores_``), and implement ``_targets(y, fitting,
    partial)`` (the targets as the run takes them, and the attributes they fit) and
    ``_output_width(fitted)``.
    """

    _task = None
    _score_metric = None

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        dropout=0.0,
        init="default",
        loss=None,
        optimizer="adam",
        learning_rate_init=None,
        momentum=None,
        nesterovs_momentum=False,
        weight_decay=0.0,
        schedule="constant",
        batch_size="auto",
        max_iter=200,
        early_stopping=False,
        validation_fraction=None,
        n_iter_no_change=10,
        monitor="val_loss",
        random_state=None,
        warm_start=False,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.dropout = dropout
        self.init = init
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate_init = learning_rate_init
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.weight_decay = weight_decay
        self.schedule = schedule
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.monitor = monitor
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y):
        """Train on ``X`` (n_samples, n_features) and ``y`` for ``max_iter`` epochs.

        With ``warm_start`` and a fitted estimator, training continues from where the last fit
        or ``partial_fit`` ended (weights, optimizer state, schedule, generators), for
        ``max_iter`` more epochs: fitting twice so equals one fit of both lengths, bit for bit.

        Returns
        -------
        self
        """
        warm = self.warm_start and hasattr(self, "model_")
        X, y = validate_data(self, X, y, reset=not warm, **self._target_checks)
        targets, fitted = self._targets(y, fitting=not warm, partial=False)
        validation = self._validation_fraction()
        return self._train(X, y, targets, fitted, self.max_iter, validation, warm, partial=False)

    def _partial_fit(self, X, y, **target_options):
        """One epoch over ``X`` and ``y``, continuing the previous fit or partial fit exactly.

        The first call fits the input scaling to its ``X``; later calls reuse it. There is no
        validation split and no early stopping, as in scikit-learn.
        """
        first = not hasattr(self, "model_")
        X, y = validate_data(self, X, y, reset=first, **self._target_checks)
        targets, fitted = self._targets(y, fitting=first, partial=True, **target_options)
        return self._train(X, y, targets, fitted, 1, 0.0, not first, partial=True)

    def _train(self, X, y, targets, fitted, epochs, validation, resume, partial):
        """Run ``epochs`` more epochs (a new run, or the kept one continued).

        ``fitted`` holds the attributes the targets gave (``classes_``, ``n_outputs_``): they
        are set once the settings and the loss are known to be good, so a refused fit leaves
        none behind.
        """
        state = self._state if resume else None
        seed = self._seed if resume else self._draw_seed()
        done = 0 if state is None else state["epoch"]
        early_stopping = self.early_stopping and not partial
        outputs = self._output_width(fitted)
        settings = self._settings(X.shape[1], outputs, epochs + done, validation, early_stopping,
                                  len(X), seed)  # fmt: skip
        loss_fn = self._loss_fn(y, partial, fitted)
        for name, value in fitted.items():
            setattr(self, name, value)
        self._seed = seed
        if state is not None:
            state["history"]["stop_reason"] = None  # an early stop ends one fit, not the next
        keeper = _FinalState()
        result = run_arrays(
            settings,
            X,
            targets,
            class_names=self._class_names(),
            loss_fn=loss_fn,
            preprocessing=self.preprocessing_ if resume else None,
            resume_from=state,
            callbacks=[keeper],
            progress=bool(self.verbose),
        )
        self._state = keeper.state
        self._record(result)
        return self

    def _draw_seed(self):
        """The run's seed: ``random_state`` itself, or drawn from it or mlplab's generator."""
        if self.random_state is None:
            return int(mlplab.random.default_generator.integers(0, 2**31 - 1))
        if isinstance(self.random_state, (int, numpy.integer)) and self.random_state >= 0:
            return int(self.random_state)
        return int(check_random_state(self.random_state).randint(0, 2**31 - 1))

    def _validation_fraction(self):
        """The share of rows held out: as given, else 0.1 with early stopping and 0 without."""
        if self.validation_fraction is not None:
            return self.validation_fraction
        return 0.1 if self.early_stopping else 0.0

    def _settings(self, features, outputs, epochs, validation, early_stopping, samples, seed):
        """The parameters as a run's Settings; ValueError naming the parameter if one is bad."""
        batch = min(AUTO_BATCH, samples) if self.batch_size == "auto" else self.batch_size
        activation = self.activation
        try:
            return Settings(
                dataset=ARRAYS,
                task=self._task,
                layers=[features, *self._hidden_sizes(), outputs],
                activation=activation if isinstance(activation, str) else list(activation),
                dropout=self.dropout,
                init=self.init,
                loss=self.loss if isinstance(self.loss, str) or self.loss is None else None,
                optimizer=self.optimizer,
                lr=self.learning_rate_init,
                momentum=self.momentum,
                nesterov=self.nesterovs_momentum,
                weight_decay=self.weight_decay,
                schedule=self.schedule,
                epochs=epochs,
                batch_size=batch,
                val_split=validation,
                patience=self.n_iter_no_change if early_stopping else 0,
                monitor=self.monitor,
                seed=seed,
            )
        except SettingsError as error:
            name = _PARAMETER_OF.get(error.setting, error.setting)
            raise ValueError(f"{type(self).__name__}: {name}: {error.detail}") from None

    def _hidden_sizes(self):
        """``hidden_layer_sizes`` as a list (NumPy integers as ints; Settings checks the rest)."""
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, (int, numpy.integer)) and not isinstance(sizes, bool):
            sizes = [sizes]
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__iter__"):
            raise ValueError(
                f"{type(self).__name__}: hidden_layer_sizes: expects an int or a sequence of "
                f"ints, got {sizes!r}"
            )
        return [int(size) if isinstance(size, numpy.integer) else size for size in sizes]

    def _record(self, result):
        """The fitted attributes, from the run's result."""
        history = result.history
        self.model_ = result.model
        self.preprocessing_ = result.preprocessing
        self.history_ = history
        self.n_iter_ = len(history.records)
        self.loss_curve_ = history.metric("train_loss")
        validated = "val_loss" in history.last
        self.validation_loss_curve_ = history.metric("val_loss") if validated else None
        self.validation_scores_ = history.metric(self._score_metric) if validated else None
        self.best_validation_score_ = max(self.validation_scores_) if validated else None

    # ------------------------------------------------------------------ predicting
    def _outputs_for(self, X):
        """The network's outputs for raw ``X``: logits, or standardised values."""
        check_is_fitted(self, "model_")  # a refused fit leaves n_features_in_ only
        X = validate_data(self, X, reset=False)
        return predict(self.model_, scale_inputs(X, self.preprocessing_["inputs"]))

    def _class_names(self):
        """Names of the classes (classification), else None."""
        return None

    def _loss_fn(self, y, partial, fitted):
        """The loss to use instead of the named one: ``loss`` when it is a callable."""
        if self.loss is None or isinstance(self.loss, str):
            return None
        if not callable(self.loss):
            raise ValueError(
                f"{type(self).__name__}: loss must be a loss name or a callable "
                f"loss(outputs, targets), got {self.loss!r}"
            )
        return self.loss

    @property
    def _target_checks(self):
        """Options of ``validate_data`` for this task's targets."""
        return {}
