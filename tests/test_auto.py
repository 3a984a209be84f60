import sqlite3

import pytest

from conftest import TINY_SEARCH
from hpsearch.auto import AutoPlan, no_improvement, no_shrinking
from hpsearch.errors import UsageError


@pytest.mark.parametrize(
    ("bests", "stop"),
    [
        ([0.80], False),  # round 0 alone: nothing to compare
        ([0.80, 0.86], False),
        ([0.80, 0.804], True),  # less than 0.005 better
        ([0.80, 0.805], False),
        ([0.80, 0.86, 0.85], True),  # worse than an earlier round
        ([None, 0.5], False),
        ([0.80, None], True),  # a round with no completed trial
    ],
)
def test_no_improvement_rule(bests, stop):
    assert no_improvement(bests, 0.005) is stop


@pytest.mark.parametrize(
    ("width", "next_width", "crowded", "stop"),
    [
        (8.0, 3.0, False, False),
        (8.0, 7.3, False, True),  # shrinks by less than a tenth
        (8.0, 7.2, False, False),  # exactly a tenth: still shrinking
        (8.0, 9.0, True, False),  # grows past a crowded edge: the search is moving
        (8.0, 8.0, False, True),
    ],
)
def test_no_shrinking_rule(width, next_width, crowded, stop):
    assert no_shrinking(width, next_width, crowded, 0.1) is stop


@pytest.mark.parametrize("options", [{"rounds": -1}, {"top_k": 0}, {"trials": 0}])
def test_auto_plan_refuses_bad_values(options):
    with pytest.raises(UsageError):
        AutoPlan(**{"rounds": 2, "top_k": 3, "trials": 5, **options})


def test_auto_end_to_end_then_continues_the_study(cli, db_path):
    result = cli("auto", "a", "--rounds", "2", "--top-k", "2", "--trials", "4",
                 "--workers", "2", *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Stopped:" in result.stdout
    with sqlite3.connect(db_path) as connection:
        rounds = connection.execute("SELECT number, top_k FROM rounds ORDER BY number").fetchall()
        unfinished = connection.execute(
            "SELECT count(*) FROM trials WHERE status IN ('pending', 'running')"
        ).fetchone()[0]
    assert rounds[0] == (0, None) and 1 <= len(rounds) <= 3
    assert all(top_k == 2 for _, top_k in rounds[1:])
    assert unfinished == 0

    # running auto again continues the same study instead of failing
    again = cli("auto", "a", "--rounds", "2", "--top-k", "2", "--trials", "4", *TINY_SEARCH)
    assert again.exit_code == 0, again.output
    assert "Continuing study 'a'" in again.stdout


def test_round_bests_are_each_rounds_best_completed_trial(stored_study):
    from hpsearch import store, store_trials
    from hpsearch.auto import round_bests

    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        expected = [store_trials.round_best(session, r.id).val_accuracy for r in study.rounds]
        assert round_bests(session, study) == expected
    assert len(expected) == 2 and expected[1] > expected[0]
