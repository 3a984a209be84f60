"""A scikit-learn model tuned by hpsearch: an SVC's C and gamma on the digits data set,
scored by cross-validated accuracy.

    hpsearch start svc --objective examples.sklearn_svc:train --metric cv_accuracy \\
        --search C=1e-1:1e3:log --search gamma=1e-5:1e-1:log \\
        --epochs 1 --pruner none --trials 30

``C`` and ``gamma`` are parameters of this function's own names: each is searched over
the range given. ``--search kernel=rbf,poly`` adds the kernel (rbf by default).
``--set samples=N`` takes the first N digits only (the tests do), ``--set folds=K`` the
folds of the cross-validation (default 3).
"""

from __future__ import annotations


def train(trial) -> None:
    """One trial: the cross-validated accuracy of SVC(C, gamma), reported as epoch 1."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.svm import SVC

    x, y = load_digits(return_X_y=True)
    samples = trial.settings.get("samples")
    if samples:
        x, y = x[:samples], y[:samples]
    folds = StratifiedKFold(trial.settings.get("folds", 3), shuffle=True, random_state=0)
    values = trial.values
    model = SVC(C=values["C"], gamma=values["gamma"], kernel=values.get("kernel", "rbf"))
    scores = cross_val_score(model, x, y, cv=folds)
    trial.report(1, cv_accuracy=float(scores.mean()), cv_accuracy_std=float(scores.std()))
