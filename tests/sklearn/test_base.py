"""What both estimators share: settings from parameters, exact warm starts and partial fits,
errors named in the estimator's terms, and scikit-learn's composition tools."""

import numpy
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import mlplab
from mlplab.sklearn import MLPClassifier, MLPRegressor

SMALL = {"hidden_layer_sizes": (32,), "batch_size": 64, "random_state": 0}


@pytest.fixture(params=["classifier", "regressor"])
def case(request, digits, two_targets):
    """(estimator class, x_train, x_test, y_train, y_test) of each task."""
    if request.param == "classifier":
        return (MLPClassifier, *digits)
    return (MLPRegressor, *two_targets)


def _outputs(estimator, x):
    return (
        estimator.predict_proba(x) if hasattr(estimator, "predict_proba") else estimator.predict(x)
    )


def test_warm_start_continues_exactly(case):
    cls, x_train, x_test, y_train, _ = case
    once = cls(**SMALL, max_iter=6).fit(x_train, y_train)
    twice = cls(**SMALL, max_iter=3, warm_start=True).fit(x_train, y_train)
    halfway = twice.loss_curve_[:]
    twice.fit(x_train, y_train)
    assert twice.n_iter_ == once.n_iter_ == 6
    assert halfway == once.loss_curve_[:3]
    assert twice.loss_curve_ == once.loss_curve_
    assert numpy.array_equal(_outputs(twice, x_test), _outputs(once, x_test))


def test_warm_start_off_starts_over(case):
    cls, x_train, x_test, y_train, _ = case
    estimator = cls(**SMALL, max_iter=3).fit(x_train, y_train)
    first = _outputs(estimator, x_test)
    estimator.fit(x_train, y_train)
    assert estimator.n_iter_ == 3
    assert numpy.array_equal(_outputs(estimator, x_test), first)


def test_partial_fits_equal_one_fit(case):
    cls, x_train, x_test, y_train, _ = case
    whole = cls(**SMALL, max_iter=2).fit(x_train, y_train)
    parts = cls(**SMALL)
    extra = {"classes": numpy.unique(y_train)} if cls is MLPClassifier else {}
    parts.partial_fit(x_train, y_train, **extra)
    parts.partial_fit(x_train, y_train)
    assert parts.n_iter_ == 2
    assert parts.loss_curve_ == whole.loss_curve_
    assert numpy.array_equal(_outputs(parts, x_test), _outputs(whole, x_test))


def test_validation_curves_every_epoch(case):
    cls, x_train, _, y_train, _ = case
    estimator = cls(**SMALL, max_iter=4, validation_fraction=0.2).fit(x_train, y_train)
    assert len(estimator.validation_loss_curve_) == len(estimator.validation_scores_) == 4
    assert estimator.best_validation_score_ == max(estimator.validation_scores_)
    assert estimator.validation_loss_curve_[-1] < estimator.validation_loss_curve_[0]
    plain = cls(**SMALL, max_iter=2).fit(x_train, y_train)
    assert plain.validation_scores_ is None and plain.validation_loss_curve_ is None


@pytest.mark.parametrize("monitor", ["val_loss", "score"])
def test_early_stopping_on_loss_or_score(case, monitor):
    cls, x_train, _, y_train, _ = case
    if monitor == "score":
        monitor = "val_accuracy" if cls is MLPClassifier else "val_r2"
    estimator = cls(
        hidden_layer_sizes=(256,), learning_rate_init=0.05, batch_size=16, max_iter=200,
        early_stopping=True, n_iter_no_change=2, monitor=monitor, random_state=0,
    ).fit(x_train, y_train)  # fmt: skip
    assert estimator.n_iter_ < 200
    assert estimator.history_.stop_reason == "early-stopping"
    assert len(estimator.validation_scores_) == estimator.n_iter_


def test_random_state_none_draws_from_mlplab_generator(case):
    cls, x_train, x_test, y_train, _ = case
    mlplab.manual_seed(5)
    first = _outputs(cls(hidden_layer_sizes=(8,), max_iter=2).fit(x_train, y_train), x_test)
    second = _outputs(cls(hidden_layer_sizes=(8,), max_iter=2).fit(x_train, y_train), x_test)
    mlplab.manual_seed(5)
    again = _outputs(cls(hidden_layer_sizes=(8,), max_iter=2).fit(x_train, y_train), x_test)
    assert numpy.array_equal(first, again)
    assert not numpy.array_equal(first, second)


@pytest.mark.parametrize(
    ("parameters", "named"),
    [
        ({"learning_rate_init": -1.0}, "learning_rate_init"),
        ({"activation": "swish"}, "activation"),
        ({"activation": ["tanh", "relu"]}, "activation"),  # two names for one hidden layer
        ({"optimizer": "lbfgs"}, "optimizer"),
        ({"schedule": "cosine:-3"}, "schedule"),
        ({"dropout": 1.0}, "dropout"),
        ({"max_iter": 0}, "max_iter"),
        ({"nesterovs_momentum": True}, "nesterov"),  # Adam has no Nesterov momentum
        ({"loss": 3}, "loss"),
        ({"monitor": "val_f1"}, "monitor"),
        ({"hidden_layer_sizes": (16, 0)}, "hidden_layer_sizes"),
        ({"hidden_layer_sizes": "64-32"}, "hidden_layer_sizes: expects an int or a sequence"),
    ],
)
def test_bad_parameters_are_named(case, parameters, named):
    cls, x_train, _, y_train, _ = case
    estimator = cls(**{**SMALL, **parameters})
    with pytest.raises(ValueError, match=named):
        estimator.fit(x_train, y_train)
    fitted = {name for name in vars(estimator) if name.endswith("_")}
    assert fitted <= {"n_features_in_"}  # set by scikit-learn's validate_data, as it reads X
    with pytest.raises(NotFittedError):
        estimator.predict(x_train)


def test_pipeline_grid_search_cross_validation_clone(case):
    cls, x_train, x_test, y_train, y_test = case
    pipeline = make_pipeline(StandardScaler(), cls(max_iter=10, batch_size=32, random_state=0))
    grid = GridSearchCV(
        pipeline,
        {"mlpclassifier__dropout" if cls is MLPClassifier else "mlpregressor__dropout": [0.0, 0.2],
         f"{cls.__name__.lower()}__hidden_layer_sizes": [(16,), (64,)]},
        cv=2,
    )  # fmt: skip
    grid.fit(x_train, y_train)
    assert len(grid.cv_results_["params"]) == 4
    assert grid.score(x_test, y_test) > 0.8
    scores = cross_val_score(clone(pipeline), x_train, y_train, cv=3)
    assert scores.shape == (3,) and scores.min() > 0.7
    copy = clone(grid.best_estimator_)
    assert copy.get_params()[f"{cls.__name__.lower()}__dropout"] in (0.0, 0.2)
    assert not hasattr(copy[-1], "model_")


def test_settings_reach_the_network(case):
    cls, x_train, _, y_train, _ = case
    estimator = cls(
        hidden_layer_sizes=(24, 12), activation=["tanh", "leaky_relu"], dropout=0.25,
        optimizer="sgd", learning_rate_init=0.05, momentum=0.9, nesterovs_momentum=True,
        weight_decay=1e-4, schedule="cosine:4", batch_size=50, max_iter=4, random_state=0,
    ).fit(x_train, y_train)  # fmt: skip
    config = estimator.model_.get_config()
    assert config["sizes"] == [x_train.shape[1], 24, 12, estimator.model_[-1].out_features]
    assert config["activation"] == ["tanh", "leaky_relu"] and config["dropout"] == 0.25
    rates = estimator.history_.metric("lr")
    assert rates[0] == 0.05 > rates[1] > rates[2] > rates[3]  # the rate of each epoch: cosine
    assert estimator.history_.records[0]["step"] == -(-len(x_train) // 50)


def test_mismatched_features_refused_at_predict(case):
    cls, x_train, x_test, y_train, _ = case
    estimator = cls(**SMALL, max_iter=1).fit(x_train, y_train)
    with pytest.raises(ValueError, match="features"):
        estimator.predict(x_test[:, :-1])
