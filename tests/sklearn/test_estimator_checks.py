"""scikit-learn's own estimator checks, run on small configurations of both estimators."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from mlplab.sklearn import MLPClassifier, MLPRegressor

# The checks fit dozens of tiny problems (200 rows: one Adam step per epoch). A narrow network,
# 50 epochs and a rate of 0.01 keep the suite short while reaching the accuracy and R² they demand.
SMALL = {"hidden_layer_sizes": (16,), "max_iter": 50, "learning_rate_init": 0.01, "random_state": 0}


# Every check passes, so none is listed as an expected failure. The sample-weight checks do not
# apply: fit takes no sample_weight (weight classes with class_weight instead).
@parametrize_with_checks([MLPClassifier(**SMALL), MLPRegressor(**SMALL)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
