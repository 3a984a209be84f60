"""The training-function contract: references, reports, and a function's study run,
stored, ranked in its direction and narrowed."""

import sqlite3

import pytest

from hpsearch import store
from hpsearch.data.datasets import DataSource
from hpsearch.errors import HpsearchError, ObjectiveError, UsageError
from hpsearch.run.objective import TrialContext, TrialPruned, check_report, reference_of, resolve
from hpsearch.run.runner import RunSummary, WorkerEnd
from hpsearch.search import steps
from hpsearch.search.training import Training
from hpsearch.search.tuning import Tuning
from hpsearch.settings import Goal, StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store.engine import database_url
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from tests.run import objectives

SETTINGS = StudySettings(train_size=100, epochs=3, batch_size=20, hidden=(8,))
LOSS = Goal("val_loss", "minimize")


@pytest.mark.parametrize(
    ("reference", "message"),
    [("tests.run.objectives", "write it as package.module:function"),
     ("no_such_module_here:train", "module 'no_such_module_here' does not import"),
     ("tests.run.objectives:missing", "has no 'missing'"),
     ("tests.run.objectives:two_arguments", "takes one argument, the trial"),
     ("__main__:train", "defined in __main__")],
)  # fmt: skip
def test_a_reference_that_cannot_be_used_says_why(reference, message):
    with pytest.raises(ObjectiveError, match=message):
        resolve(reference)


def test_a_reference_names_its_function_and_back():
    assert resolve("tests.run.objectives:quadratic") is objectives.quadratic
    assert reference_of(objectives.quadratic) == "tests.run.objectives:quadratic"
    assert reference_of(lambda trial: None) is None


@pytest.mark.parametrize(
    ("epoch", "metrics", "message"),
    [(1, {"val_loss": "low"}, "val_loss='low' is not a number"),
     (1, {"val_loss": True}, "is not a number"),
     (1, {"accuracy": 0.5}, "has no 'val_loss', the metric the study minimizes"),
     (2, {"val_loss": 0.5}, "epochs are reported in order")],
)  # fmt: skip
def test_a_report_of_what_the_study_cannot_store_is_refused(epoch, metrics, message):
    with pytest.raises(ObjectiveError, match=message):
        check_report(LOSS, 0, epoch, metrics)


def test_a_report_the_pruner_stops_raises_trial_pruned():
    seen = []
    trial = TrialContext({}, 1, goal=LOSS, sink=lambda e, m: seen.append((e, m)) or e == 2)
    trial.report(1, val_loss=1)
    with pytest.raises(TrialPruned):
        trial.report(2, val_loss=0.5, other=3)
    assert seen == [(1, {"val_loss": 1.0}), (2, {"val_loss": 0.5, "other": 3.0})]
    assert trial.stopped


def test_the_book_network_takes_no_metric_of_another_name():
    with pytest.raises(UsageError, match="need --objective"):
        Training(goal=LOSS).check()


def start(factory, tmp_path, objective, n_trials=4, **values):
    training = Training(objective, {"target": 0.001}, LOSS)
    return steps.start(
        factory, "f", seed=3, settings=SETTINGS, space=BOOK_SPACE, n_trials=n_trials,
        source=DataSource(str(tmp_path / "no-data")), training=training, **values,
    )  # fmt: skip


def run(factory, db_path, round_id, workers=2):
    options = steps.RunOptions(database_url(str(db_path)), workers, DataSource())
    return steps.run(factory, "f", round_id, options)


def test_a_functions_study_stores_every_metric_ranks_lowest_first_and_narrows(
    factory, db_path, tmp_path
):
    round_id = start(factory, tmp_path, "tests.run.objectives:quadratic")
    summary = run(factory, db_path, round_id)
    assert summary.failed_workers == 0
    with sqlite3.connect(db_path) as connection:
        study = connection.execute(
            "SELECT objective, objective_settings, metric, direction FROM studies"
        ).fetchone()
        rows = connection.execute(
            "SELECT t.number, m.epoch, m.name, m.value FROM trial_metrics m "
            "JOIN trials t ON t.id = m.trial_id ORDER BY t.number, m.epoch, m.name"
        ).fetchall()
        trials = connection.execute(
            "SELECT status, epochs_run, value, best_value, best_epoch FROM trials"
        ).fetchall()
    assert study == ("tests.run.objectives:quadratic", '{"target": 0.001}', "val_loss", "minimize")
    assert len(rows) == 4 * 3 * 2  # trials x epochs x metrics
    assert all(t[:2] == (TrialStatus.COMPLETED, 3) and t[2] == t[3] and t[4] == 3 for t in trials)
    with factory.begin() as session:
        board = store.leaderboard(session, store.get_study(session, "f"))
        values = [trial.value for trial in board]
    assert values == sorted(values)  # a minimised loss ranks lowest first
    plan = steps.create_narrowed_round(factory, "f", top_k=2)
    assert plan.round_id is not None
    assert run(factory, db_path, plan.round_id, workers=1).failed_workers == 0


def test_a_function_reporting_a_non_number_fails_its_trials_with_the_reason(
    factory, db_path, tmp_path
):
    round_id = start(factory, tmp_path, "tests.run.objectives:text_metric", n_trials=2)
    run(factory, db_path, round_id, workers=1)
    with sqlite3.connect(db_path) as connection:
        trials = connection.execute("SELECT status, error FROM trials").fetchall()
    assert trials == [(TrialStatus.FAILED, "report of epoch 1: val_loss='low' is not a number "
                       "(a metric is an int or a float)")] * 2  # fmt: skip


def test_a_reference_that_does_not_import_stores_nothing(factory, tmp_path):
    with pytest.raises(ObjectiveError, match="does not import"):
        start(factory, tmp_path, "no_such_module_here:train")
    with factory.begin() as session:
        assert store.list_studies(session) == []


def test_from_python_a_main_function_runs_in_process_and_a_failed_run_raises(db_path):
    def in_main(trial):  # as a script's or a notebook's function: not importable
        for epoch in (1, 2):
            trial.report(epoch, val_loss=trial.values["lr"] * epoch)

    with pytest.raises(ObjectiveError, match="use workers=1"):
        Tuning("nb", str(db_path), in_main, LOSS, workers=2)
    tuning = Tuning("nb", str(db_path), in_main, LOSS)
    best = tuning.start(BOOK_SPACE, trials=4, settings=SETTINGS)
    assert len(best) == 4 and [t.value for t in best] == sorted(t.value for t in best)
    assert len(tuning.narrow(top_k=2, trials=2)) == 6


def test_from_python_a_run_whose_workers_failed_raises(db_path, monkeypatch):
    failed = RunSummary(ends=[WorkerEnd("host:1", "exited with status 1")])
    monkeypatch.setattr(steps, "run", lambda *args: failed)
    open_store(str(db_path), create=True)
    tuning = Tuning("imported", f"sqlite:///{db_path}", objectives.quadratic, LOSS, workers=2)
    assert tuning.reference == "tests.run.objectives:quadratic"
    with pytest.raises(HpsearchError, match="worker host:1 exited with status 1"):
        tuning.run(1)
