"""Which searched parameters matter: held-out permutation importance of a random forest.

The method (Breiman's permutation importance, as scikit-learn implements it in
``sklearn.inspection.permutation_importance``, measured on held-out trials):

1. Each trial is a row of its parameter values (a categorical parameter, such as the
   optimizer, as one column of choice codes) and its validation accuracy (the report
   gives each completed or pruned trial's best).
2. The trials are split into ``folds`` groups. For each group, a random forest
   (``sklearn.ensemble.RandomForestRegressor``) learns accuracy from parameters on
   the other trials, and each parameter's column of the held-out group is shuffled
   ``repeats`` times: the mean drop of the forest's R² on that group is the
   parameter's importance there.
3. A parameter's score is its mean drop over the groups, negatives counted as 0,
   divided by the sum over parameters: the scores sum to 1. ``explained`` is the
   forest's mean held-out R²: how much of the spread in accuracy the parameters
   explain at all. When it is near or below 0, the scores say nothing.
   ``spread`` is the standard deviation of a parameter's drop over the groups, on
   the scores' scale (divided by the same sum): how much its score moves with the
   trials it is measured on.

A conditional parameter (one that applies only to some trials) is judged only on the
trials it applied to: a forest of its own learns accuracy on those trials from the
parameters that applied to all of them, and the parameter's score is its share there
(``applied`` says on how many trials; with fewer than :data:`MIN_TRIALS` it gets no
score). The parameters that apply to every trial share the first forest, and their
scores sum to 1; a conditional parameter's score is a share of its own trials' forest.

Trees split on order only, so a log-scaled parameter needs no transform, and
shuffling a whole column measures a parameter however many choices it has (the
forest's own impurity importances favour parameters with many distinct values).
Everything is seeded: the same trials give the same scores.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from hpsearch.errors import UsageError

#: Fewer trials than this give no importance.
MIN_TRIALS = 10

Value = float | int | str | bool


@dataclass(frozen=True)
class Importance:
    """Each parameter's share of importance (descending), and how much is explained."""

    scores: dict[str, float]
    explained: float  # mean held-out R² of the forest
    n_trials: int
    spread: dict[str, float] = field(default_factory=dict)  # by parameter, see the module
    #: the trials each parameter was judged on (it applied to them); unscored below MIN_TRIALS
    applied: dict[str, int] = field(default_factory=dict)


def _columns(rows: Sequence[Mapping[str, Value]], names: Sequence[str]) -> np.ndarray:
    """(N, P) numbers: numeric values as they are, other values as codes of their sorted set."""
    columns = []
    for name in names:
        values = [row[name] for row in rows]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            columns.append(np.asarray(values, dtype=float))
        else:
            codes = {v: i for i, v in enumerate(sorted({str(v) for v in values}))}
            columns.append(np.asarray([codes[str(v)] for v in values], dtype=float))
    return np.column_stack(columns)  # (N trials, P parameters)


#: Why importance cannot be computed without scikit-learn (and scipy, which it needs).
MISSING_EXTRA = (
    "importance needs scikit-learn, which is not installed: pip install 'hpsearch[importance]'"
)


def _drops(
    x: np.ndarray, y: np.ndarray, *, seed: int, folds: int, repeats: int, trees: int
) -> tuple[np.ndarray, np.ndarray, float]:
    """Each column's mean and spread of held-out R² drop, and the mean held-out R²."""
    try:  # imported only when asked, and installed only with the extra
        from sklearn.ensemble import RandomForestRegressor
        from sklearn.inspection import permutation_importance
    except ImportError:
        raise UsageError(MISSING_EXTRA) from None

    rng = np.random.default_rng(seed)
    seed %= 2**32  # scikit-learn's random_state
    groups = np.array_split(rng.permutation(len(y)), min(folds, len(y) // 2))
    drops, explained = [], []
    for held_out in groups:
        train = np.setdiff1d(np.arange(len(y)), held_out)
        forest = RandomForestRegressor(
            n_estimators=trees, min_samples_leaf=2, random_state=seed, n_jobs=1
        ).fit(x[train], y[train])
        if np.ptp(y[held_out]) == 0:  # R² is undefined on a group of equal accuracies
            continue
        explained.append(forest.score(x[held_out], y[held_out]))
        result = permutation_importance(
            forest, x[held_out], y[held_out], n_repeats=repeats, random_state=seed, n_jobs=1
        )
        drops.append(result.importances_mean)
    if not drops:
        raise UsageError("importance needs trials whose accuracies differ")
    return np.mean(drops, axis=0), np.std(drops, axis=0), float(np.mean(explained))


def _shares(
    rows: Sequence[Mapping[str, Value]], y: np.ndarray, names: list[str], **options: int
) -> tuple[dict[str, float], dict[str, float], float]:
    """Each of ``names``' share of the importance over ``rows``, its spread, and R²."""
    mean_drop, std, explained = _drops(_columns(rows, names), y, **options)
    mean_drop = np.clip(mean_drop, 0.0, None)
    total = mean_drop.sum()
    shares = mean_drop / total if total > 0 else np.zeros_like(mean_drop)
    spread = std / total if total > 0 else np.zeros_like(mean_drop)
    return (
        dict(zip(names, shares.tolist(), strict=True)),
        dict(zip(names, spread.tolist(), strict=True)),
        explained,
    )


def parameter_importance(
    rows: Sequence[Mapping[str, Value]],
    accuracies: Sequence[float],
    *,
    seed: int = 0,
    folds: int = 5,
    repeats: int = 10,
    trees: int = 200,
) -> Importance:
    """The importance of each parameter of ``rows`` for ``accuracies`` (see the module);
    a parameter missing from some rows is judged on the rows that have it."""
    if len(rows) != len(accuracies):
        raise ValueError(f"{len(rows)} rows but {len(accuracies)} accuracies")
    if len(rows) < MIN_TRIALS:
        raise UsageError(
            f"importance needs at least {MIN_TRIALS} completed or pruned trials, got {len(rows)}"
        )
    every = sorted(set().union(*rows))
    always = [name for name in every if all(name in row for row in rows)]
    if not always:
        raise UsageError("importance needs at least one searched parameter")
    options = {"seed": seed, "folds": folds, "repeats": repeats, "trees": trees}
    y = np.asarray(accuracies, dtype=float)
    shares, spreads, explained = _shares(rows, y, always, **options)
    scores = dict(sorted(shares.items(), key=lambda item: -item[1]))
    applied = {name: len(rows) for name in always}
    conditional: dict[str, float] = {}
    for name in every:
        if name in applied:
            continue
        kept = [i for i, row in enumerate(rows) if name in row]
        applied[name] = len(kept)
        if len(kept) < MIN_TRIALS:
            continue
        subset = [rows[i] for i in kept]
        features = [n for n in every if all(n in row for row in subset)]
        try:
            own, own_spread, _ = _shares(subset, y[kept], features, **options)
        except UsageError:  # its trials' accuracies are all equal
            continue
        conditional[name], spreads[name] = own[name], own_spread[name]
    scores |= dict(sorted(conditional.items(), key=lambda item: -item[1]))
    return Importance(
        scores, explained, len(y), {n: spreads[n] for n in scores}, {n: applied[n] for n in every}
    )
