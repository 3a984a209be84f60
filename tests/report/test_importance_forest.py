"""The dashboard's quicker forests (fewer trees, folds and shuffles) give the scores of
``report --importance``'s forests, within those scores' spread."""

import pytest

from hpsearch.report.importance import parameter_importance
from hpsearch.report.summaries import QUICK_FOREST
from tests.report.test_importance import synthetic_trials


@pytest.mark.parametrize("seed", [0, 1])
def test_the_quick_forest_scores_lie_within_the_full_ones_spread(seed):
    rows, accuracies = synthetic_trials(seed, n=300)
    full = parameter_importance(rows, accuracies, seed=seed)
    quick = parameter_importance(rows, accuracies, seed=seed, **QUICK_FOREST)
    assert next(iter(quick.scores)) == next(iter(full.scores)) == "lr"  # the one that matters
    for name, score in full.scores.items():
        assert abs(quick.scores[name] - score) <= 2 * full.spread[name] + 0.02, name
    assert abs(quick.explained - full.explained) < 0.1
