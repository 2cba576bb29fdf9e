"""scikit-learn estimators over mlplab networks: ``MLPClassifier`` and ``MLPRegressor``.

They follow scikit-learn's conventions (``fit``, ``partial_fit``, ``predict``, ``score``,
``get_params``; they work in ``Pipeline``, ``GridSearchCV``, ``cross_val_score``, ``clone``) and
offer as ordinary parameters what scikit-learn's own MLP does not: dropout, any mlplab
activation (one per layer too), optimizer, schedule and loss, class weights, a validation curve
of the loss and the score, early stopping on either, and exact warm starts.
"""

from mlplab.sklearn.classifier import MLPClassifier
from mlplab.sklearn.regressor import MLPRegressor

__all__ = ["MLPClassifier", "MLPRegressor"]
