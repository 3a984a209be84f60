"""A scikit-learn model tuned by hpsearch: an SVC's C and gamma on the digits data set,
scored by cross-validated accuracy, and tested once on digits it never saw.

    hpsearch start svc --objective examples.sklearn_svc:train --metric cv_accuracy \\
        --search C=1e-1:1e3:log --search gamma=1e-5:1e-1:log \\
        --epochs 1 --pruner none --trials 30
    hpsearch evaluate svc

``C`` and ``gamma`` are parameters of this function's own names: each is searched over
the range given. ``--search kernel=rbf,poly`` adds the kernel (rbf by default). The
last fifth of the digits is the test set: ``train`` cross-validates on the rest, and
``test`` (the function's test evaluation, which ``hpsearch evaluate`` runs) fits the
best settings on all of the rest and scores the test set once. ``--set samples=N``
takes the first N digits only (the tests do), ``--set folds=K`` the folds of the
cross-validation (default 3).
"""

from __future__ import annotations


def _digits(trial):
    """The digits (the first ``samples``), split into the searched part and the test set."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    samples = trial.settings.get("samples")
    if samples:
        x, y = x[:samples], y[:samples]
    cut = len(x) * 4 // 5
    return (x[:cut], y[:cut]), (x[cut:], y[cut:])


def _model(values):
    from sklearn.svm import SVC

    return SVC(C=values["C"], gamma=values["gamma"], kernel=values.get("kernel", "rbf"))


def train(trial) -> None:
    """One trial: the cross-validated accuracy of SVC(C, gamma), reported as epoch 1."""
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    (x, y), _ = _digits(trial)
    folds = StratifiedKFold(trial.settings.get("folds", 3), shuffle=True, random_state=0)
    scores = cross_val_score(_model(trial.values), x, y, cv=folds)
    trial.report(1, cv_accuracy=float(scores.mean()), cv_accuracy_std=float(scores.std()))


def test(trial) -> dict[str, float]:
    """The test evaluation: fit on every searched digit, score the test digits once."""
    (x, y), (x_test, y_test) = _digits(trial)
    model = _model(trial.values).fit(x, y)
    return {"test_accuracy": float(model.score(x_test, y_test)), "test_samples": len(y_test)}


train.test = test  # type: ignore[attr-defined]
