import sqlite3
import subprocess
import sys

import pytest

from hpsearch.errors import UsageError
from hpsearch.search.auto import AutoPlan, continued, no_improvement, no_shrinking
from hpsearch.space.domains import FloatRange
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import SearchSpace
from hpsearch.store.models import Study
from tests.support import TINY_SEARCH


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


def _space(lr_decades: float, *others: str) -> SearchSpace:
    """lr over ``lr_decades`` decades below 1, then the ``others`` as --search gives them."""
    return SearchSpace((FloatRange(10**-lr_decades, 1.0, "lr"), *map(parse_spec, others)))


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
    assert no_shrinking(_space(width), _space(next_width), crowded, 0.1) is stop


@pytest.mark.parametrize(
    ("before", "after", "stop"),
    [
        (("dropout=0:0.5",), ("dropout=0.1:0.3",), False),  # a linear range narrowed
        (("dropout=0:0.5",), ("dropout=0:0.46",), True),  # by less than a tenth
        (("batch_size=10:1000:log",), ("batch_size=20:500:log",), False),  # in its own scale
        (("optimizer=sgd,adam,momentum",), ("optimizer=sgd,adam",), False),  # lost a choice
        (("optimizer=sgd,adam",), ("optimizer=sgd,adam",), True),
    ],
)
def test_no_shrinking_counts_every_searched_parameter(before, after, stop):
    # the learning rate keeps its width: only the other parameter can shrink
    assert no_shrinking(_space(4, *before), _space(4, *after), False, 0.1) is stop


@pytest.mark.parametrize("options", [{"rounds": -1}, {"top_k": 0}, {"trials": 0}])
def test_auto_plan_refuses_bad_values(options):
    with pytest.raises(UsageError):
        AutoPlan(**{"rounds": 2, "top_k": 3, "trials": 5, **options})


def test_auto_end_to_end_then_continues_the_study(cli, db_path):
    # a negative minimum improvement never stops it for want of improvement
    result = cli("auto", "a", "--rounds", "2", "--top-k", "2", "--trials", "4",
                 "--min-improvement", "-1", "--workers", "2", *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Narrowing to round 1" in result.stdout and "Narrowing to round 2" in result.stdout
    assert "Stopped: reached 2 narrowed round(s)" in result.stdout
    with sqlite3.connect(db_path) as connection:
        rounds = connection.execute(
            "SELECT r.number, r.top_k, p.number, d.low, d.high, r.n_trials FROM rounds r"
            " LEFT JOIN rounds p ON p.id = r.parent_id"
            " JOIN round_domains d ON d.round_id = r.id AND d.name = 'lr' ORDER BY r.number"
        ).fetchall()
        unfinished = connection.execute(
            "SELECT count(*) FROM trials WHERE status IN ('pending', 'running')"
        ).fetchone()[0]
        pruners = connection.execute("SELECT DISTINCT pruner FROM rounds").fetchall()
    assert pruners == [("asha",)]  # auto prunes with asha unless told otherwise
    assert [r[:3] for r in rounds] == [(0, None, None), (1, 2, 0), (2, 2, 1)]
    assert rounds[0][3:5] == (1e-3, 1e-1)  # TINY_SEARCH's lr range ...
    assert rounds[1][3:5] != rounds[0][3:5]  # ... narrowed (or moved past a crowded edge)
    assert all(r[5] == 4 for r in rounds)
    assert unfinished == 0

    # running auto again continues the same study instead of failing
    again = cli("auto", "a", *TINY_SEARCH)
    assert again.exit_code == 0, again.output
    assert "Continuing study 'a'" in again.stdout


def test_round_bests_are_each_rounds_best_completed_trial(stored_study):
    from hpsearch import store
    from hpsearch.search.auto import round_bests

    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        expected = [store.round_best(session, r.id).val_accuracy for r in study.rounds]
        assert round_bests(session, study) == expected
    assert len(expected) == 2 and expected[1] > expected[0]


def hpsearch(*args):
    """``hpsearch ARGS`` in a process of its own (the store and data from the environment)."""
    command = [sys.executable, "-m", "hpsearch", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=300)


def test_a_continued_auto_keeps_the_options_of_its_run_unless_given_again(cli, db_path):
    first = cli("auto", "c", "--rounds", "1", "--top-k", "2", "--trials", "3", "--pruner",
                "median", "--min-improvement", "-1", "--workers", "1", *TINY_SEARCH)  # fmt: skip
    assert first.exit_code == 0, first.output
    # continued without them (as after Ctrl-C), in a new process as a user would:
    # one more round, as the first run had it
    again = hpsearch("auto", "c", "--rounds", "2", "--workers", "1", "-q", "--no-verify")
    assert again.returncode == 0, again.stderr
    assert "top-2, 3 trials, pruner median, min improvement -1.0" in again.stdout
    # given again: the new values win, and are kept for the next continuation
    more = hpsearch("auto", "c", "--rounds", "3", "--trials", "2", "--workers", "1", "-q",
                    "--no-verify")  # fmt: skip
    assert more.returncode == 0, more.stderr
    with sqlite3.connect(db_path) as connection:
        rounds = connection.execute(
            "SELECT number, n_trials, top_k, pruner FROM rounds ORDER BY number"
        ).fetchall()
        kept = connection.execute(
            "SELECT auto_rounds, auto_trials, auto_top_k, auto_pruner, auto_min_improvement"
            " FROM studies"
        ).fetchone()
    assert rounds == [(0, 3, None, "median"), (1, 3, 2, "median"), (2, 3, 2, "median"),
                      (3, 2, 2, "median")]  # fmt: skip
    assert kept == (3, 2, 2, "median", -1.0)


def test_a_continued_plan_takes_the_kept_options_unless_given():
    plan = AutoPlan(rounds=3, top_k=5, trials=100)
    study = Study(auto_rounds=1, auto_trials=7, auto_top_k=2, auto_pruner="asha")
    assert continued(study, plan, {"trials"}) == AutoPlan(
        rounds=1,
        top_k=2,
        trials=100,
        pruner="asha",  # min_improvement: not kept, plan's
    )
    assert continued(Study(), plan, set()) == plan  # a study `start` made keeps none


def test_auto_on_a_store_of_an_older_schema_says_so_and_starts_nothing(cli, db_path):
    first = cli("auto", "c", "--rounds", "0", "--trials", "2", "--workers", "1", *TINY_SEARCH)
    assert first.exit_code == 0, first.output
    with sqlite3.connect(db_path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0007'")
    connection.close()
    again = cli("auto", "c", "--rounds", "1", "--workers", "1")  # the study's own settings
    assert again.exit_code != 0
    assert "older schema" in again.output and "hpsearch db upgrade" in again.output
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("SELECT count(*) FROM rounds").fetchone() == (1,)
    connection.close()


def test_an_early_stop_says_how_much_of_the_plan_it_left_unspent(cli, db_path):
    # no round can improve an accuracy by 1: it stops after its first narrowed round
    result = cli("auto", "e", "--rounds", "3", "--top-k", "2", "--trials", "4",
                 "--min-improvement", "1", "--workers", "1", *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    stopped = " ".join(result.stdout.split())  # the line as rich wrapped it, rejoined
    assert "Stopped: round 1 did not improve the best validation accuracy by 1" in stopped
    assert "2 of its 3 narrowed round(s), 8 trials, not run" in stopped
