"""MLPClassifier: scikit-learn's classifier API over an mlplab network trained by an mlplab run."""

import numpy
from sklearn.base import ClassifierMixin
from sklearn.utils.class_weight import compute_class_weight
from sklearn.utils.multiclass import check_classification_targets

from mlplab import nn
from mlplab.sklearn.base import BaseMLP
from mlplab.train.tasks import get_task


class MLPClassifier(ClassifierMixin, BaseMLP):
    """A multilayer perceptron classifier, trained by mlplab, with scikit-learn's conventions.

    What scikit-learn's ``MLPClassifier`` does not offer is an ordinary parameter here:
    ``dropout``, any mlplab activation (one per hidden layer too), any mlplab optimizer and
    schedule, any loss (a callable too), ``class_weight``, a validation split that reports its
    loss and accuracy every epoch, early stopping on either, and exact warm starts.

    Parameters
    ----------
    hidden_layer_sizes : int or sequence of int
        Widths of the hidden layers; ``()`` for none (multinomial logistic regression).
    activation : str or sequence of str
        A name of ``mlplab.nn.HIDDEN_ACTIVATIONS`` ("relu", "tanh", "leaky_relu", "gelu", ...),
        or one per hidden layer.
    dropout : float
        Dropout probability after each hidden layer (training only).
    init : str
        How the first weights are drawn: a scheme of ``mlplab.nn.INITIALIZERS`` ("default",
        PyTorch's; "xavier-uniform", "kaiming-normal", "zeros", "normal:0.1", ...).
    loss : str or callable, optional
        A name of ``mlplab.nn.LOSSES`` that suits classification (default "cross-entropy"), or
        ``loss(logits, labels) -> scalar Tensor`` (labels are indices into ``classes_``).
    optimizer : str
        A name of ``mlplab.optim.OPTIMIZERS``: "adam", "sgd", "adamw", "rmsprop", "adagrad".
    learning_rate_init : float, optional
        The learning rate (default: the optimizer's own, 0.001 for Adam).
    momentum : float, optional
        SGD's and RMSprop's momentum, Adam's beta1 (default: the optimizer's own).
    nesterovs_momentum : bool
        Nesterov momentum (SGD with momentum only).
    weight_decay : float
        Weight decay as the optimizer applies it (PyTorch's meaning: L2 added to the gradient of
        every parameter, decoupled for "adamw"); not scikit-learn's ``alpha``.
    schedule : str
        A learning-rate schedule spec: "constant", "cosine:30", "step:10:0.5",
        "warmup:5+cosine:30", "onecycle:0.01", "plateau:5", ...
    batch_size : int or "auto"
        Rows per mini-batch; "auto" is ``min(200, n_samples)``.
    max_iter : int
        Epochs per ``fit`` (training does not stop on its own before them without
        ``early_stopping``).
    early_stopping : bool
        Stop after ``n_iter_no_change`` epochs without improvement of ``monitor`` on the
        validation rows, and keep the best epoch's weights.
    validation_fraction : float, optional
        Share of the rows held out for validation each epoch (``validation_loss_curve_`` and
        ``validation_scores_``); default 0.1 with early stopping, none without.
    n_iter_no_change : int
        Patience of early stopping, in epochs.
    monitor : str
        What early stopping watches: "val_loss" or "val_accuracy" ("train_loss" too).
    random_state : int, RandomState or None
        Seed of the validation split, initial weights, shuffling and dropout; None draws one
        from ``mlplab.random.default_generator``.
    warm_start : bool
        ``fit`` continues the previous fit exactly, for ``max_iter`` more epochs (after an
        early stop, with the stopping counters as they were: one more epoch without
        improvement stops it again).
    verbose : bool
        Show a progress bar and one line per epoch.
    class_weight : dict, "balanced" or None
        Weight of each class in the loss (cross-entropy's ``weight``): ``{label: weight}``, or
        "balanced" for n_samples / (n_classes * count).

    Attributes
    ----------
    classes_ : ndarray
        The class labels, sorted.
    n_features_in_, feature_names_in_
        As in scikit-learn.
    model_ : mlplab.nn.MLP
        The trained network (logits out); ``preprocessing_`` says how inputs are scaled for it.
    loss_curve_, validation_loss_curve_, validation_scores_ : list of float
        Training loss, validation loss and validation accuracy per epoch (the validation ones
        None without a validation split); ``best_validation_score_`` the best accuracy.
    n_iter_ : int
        Epochs trained, warm starts and partial fits included.
    history_ : mlplab.train.History
        Every epoch's record and every step's loss.
    """

    _task = "classification"
    _score_metric = "val_accuracy"

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
        class_weight=None,
    ):
        super().__init__(
            hidden_layer_sizes, activation, dropout=dropout, init=init, loss=loss,
            optimizer=optimizer, learning_rate_init=learning_rate_init, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, weight_decay=weight_decay, schedule=schedule,
            batch_size=batch_size, max_iter=max_iter, early_stopping=early_stopping,
            validation_fraction=validation_fraction, n_iter_no_change=n_iter_no_change,
            monitor=monitor, random_state=random_state, warm_start=warm_start, verbose=verbose,
        )  # fmt: skip
        self.class_weight = class_weight

    def partial_fit(self, X, y, classes=None):
        """One epoch over ``X`` and ``y``; the first call needs ``classes``, every label.

        Returns
        -------
        self
        """
        return self._partial_fit(X, y, classes=classes)

    def predict(self, X):
        """The most probable class of each row of ``X``, shape (n_samples,)."""
        indices = get_task(self._task).decode(self._outputs_for(X))
        return self.classes_[indices]

    def predict_proba(self, X):
        """Probability of each class (columns in the order of ``classes_``), (n_samples, n)."""
        logits = self._outputs_for(X).astype(numpy.float64)
        logits -= logits.max(axis=1, keepdims=True)  # exp stays finite for any logits
        probabilities = numpy.exp(logits)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        """Log-probability of each class, (n_samples, n_classes)."""
        return numpy.log(self.predict_proba(X))

    def _targets(self, y, fitting, partial, classes=None):
        """Labels as indices into the classes (``y``'s own, or ``classes``, when fitting), and
        ``{"classes_": ...}`` when fitting."""
        check_classification_targets(y)
        if fitting and classes is None and partial:
            raise ValueError(
                f"{type(self).__name__}: the first partial_fit needs classes=, every label the "
                "data can hold (e.g. classes=numpy.unique(y_all))"
            )
        if fitting:
            known = numpy.unique(y if classes is None else numpy.asarray(classes))
        else:
            known = self.classes_
        unknown = numpy.setdiff1d(numpy.unique(y), known)
        if unknown.size:
            raise ValueError(
                f"{type(self).__name__}: y holds labels {unknown.tolist()} that are not in "
                f"classes_ {known.tolist()}"
            )
        return numpy.searchsorted(known, y), {"classes_": known} if fitting else {}

    def _output_width(self, fitted):
        """One logit per class."""
        return len(fitted.get("classes_", getattr(self, "classes_", ())))

    def _class_names(self):
        """The class labels as text."""
        return [str(label) for label in self.classes_]

    def _loss_fn(self, y, partial, fitted):
        """With ``class_weight``: the named loss with one weight per class."""
        if self.class_weight is None:
            return super()._loss_fn(y, partial, fitted)
        if not (self.loss is None or isinstance(self.loss, str)):
            raise ValueError(
                f"{type(self).__name__}: class_weight weights a named loss; weight the classes "
                "inside your loss callable instead"
            )
        if self.class_weight == "balanced" and partial:
            raise ValueError(
                f"{type(self).__name__}: class_weight='balanced' needs all of y, which "
                "partial_fit does not see: give a dict of weights"
            )
        classes = fitted.get("classes_", getattr(self, "classes_", None))
        weights = compute_class_weight(self.class_weight, classes=classes, y=y)
        name = self.loss or get_task(self._task).default_loss
        return nn.get_loss(name, weight=weights.astype(numpy.float32))
