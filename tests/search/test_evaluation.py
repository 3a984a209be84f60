import json
import sqlite3
from dataclasses import replace

import numpy as np
import pytest

from hpsearch import store
from hpsearch.data.datasets import DataSource, read_dataset, study_split
from hpsearch.run.training import TrialSpec, trial_trainer
from hpsearch.search.evaluation import best_of, evaluate_best, retrain
from hpsearch.settings import StudySettings
from hpsearch.store.schema import open_store
from tests.support import TINY_SEARCH


@pytest.fixture
def searched(cli, db_path):
    """Study "a": one round of four trials on the tiny data."""
    result = cli("start", "a", "--trials", "4", "--workers", "1", *TINY_SEARCH)
    assert result.exit_code == 0, result.output
    return open_store(str(db_path))


def test_evaluate_trains_the_best_trial_on_train_and_validation(searched, tiny_mnist):
    source = DataSource(str(tiny_mnist), verify=False)
    evaluation = evaluate_best(searched, "a", source)
    with searched() as session:
        study = store.get_study(session, "a")
        best = store.best_trial(session, study)
        settings = StudySettings.from_study(study)
        stored = [e.id for e in study.evaluations]
        values = {p.name: p.value_num for p in best.params}  # the book's two: numbers
    assert stored == [evaluation.id] and evaluation.trial_id == best.id
    # the same one-trial training, by hand: the same network and the same test accuracy
    mnist = read_dataset(source)
    split = study_split(mnist, settings, 0)
    x_train = np.concatenate([split.x_train, split.x_val])
    t_train = np.concatenate([split.t_train, split.t_val])
    assert sorted(values) == ["lr", "weight_decay"]
    trainer = trial_trainer(settings, TrialSpec(best.id, best.seed, values), x_train, t_train)
    result = trainer.train()
    _, test_accuracy = trainer.network.evaluate(mnist.x_test / 255.0, mnist.t_test)
    assert evaluation.train_accuracy == result.final.train_accuracy
    assert evaluation.test_accuracy == pytest.approx(test_accuracy)
    assert (evaluation.train_samples, evaluation.test_samples) == (300, 100)


def test_retrain_is_evaluate_s_training_and_another_seed_trains_another_network(
    searched, tiny_mnist
):
    source = DataSource(str(tiny_mnist), verify=False)
    evaluation = evaluate_best(searched, "a", source)
    with searched() as session:
        study, trial = best_of(session, "a")
        settings = StudySettings.from_study(study)
    assert trial.id == evaluation.trial_id
    again = retrain(settings, study.seed, trial, source)
    assert again.test_accuracy == evaluation.test_accuracy
    assert again.result.final.train_accuracy == evaluation.train_accuracy
    other = retrain(settings, study.seed, replace(trial, seed=trial.seed + 1), source)
    assert other.result.final.train_loss != again.result.final.train_loss


def test_evaluate_end_to_end(cli, searched):
    first = cli("evaluate", "a", "--no-verify")
    assert first.exit_code == 0, first.output
    assert "Test-set evaluations" in first.stdout
    report = json.loads(cli("report", "a", "--json").stdout)
    [evaluation] = report["evaluations"]
    best = report["leaderboard"][0]
    assert evaluation["trial"] == best["trial"]
    assert evaluation["train_samples"] == 300  # train + validation of the study's split
    assert evaluation["test_samples"] == 100
    assert 0.5 < evaluation["test_accuracy"] <= 1.0

    second = cli("evaluate", "a", "--no-verify")
    assert second.exit_code == 0
    assert "Stored result shown" in second.stdout and "--force" in second.stdout
    assert len(json.loads(cli("report", "a", "--json").stdout)["evaluations"]) == 1

    forced = cli("evaluate", "a", "--force", "--no-verify")
    assert forced.exit_code == 0, forced.output
    evaluations = json.loads(cli("report", "a", "--json").stdout)["evaluations"]
    assert len(evaluations) == 2
    # the same settings and seed give the same result: the test set was not tuned on
    assert evaluations[0]["test_accuracy"] == evaluations[1]["test_accuracy"]


def test_evaluate_without_a_completed_trial_is_refused(cli, db_path):
    result = cli("start", "wild", "--trials", "2", "--workers", "1", *TINY_SEARCH,
                 "--lr", "1e6", "1e7", "--dtype", "float32")  # fmt: skip
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db_path) as connection:
        statuses = connection.execute(
            "SELECT DISTINCT status, error, epochs_run FROM trials"
        ).fetchall()
        stored = connection.execute("SELECT count(*) FROM epoch_metrics").fetchone()[0]
    assert statuses == [("diverged", "loss became non-finite in epoch 1", 0)]
    assert stored == 0  # epochs_run counts the stored epochs: none before the first
    result = cli("evaluate", "wild", "--no-verify")
    assert result.exit_code == 1
    assert "Error: study 'wild' has no completed trial to evaluate" in result.stderr


def _evaluate_in_a_process(barrier, results, db, data):
    """`hpsearch evaluate a` in this (forked) process, held at ``barrier`` just before
    it claims the test set; puts (exit code, stderr) on ``results``."""
    from typer.testing import CliRunner

    from hpsearch.cli import app
    from hpsearch.search import evaluation

    claim = evaluation.claim_test_set

    def claim_together(*args, **kwargs):
        barrier.wait()  # both evaluations have read the store and reached their claim
        return claim(*args, **kwargs)

    evaluation.claim_test_set = claim_together
    result = CliRunner().invoke(
        app, ["evaluate", "a", "--no-verify", "--db", str(db), "--data-dir", str(data)]
    )
    results.put((result.exit_code, result.stderr))


@pytest.mark.fault("two evaluate commands at once", check="used once")
def test_two_evaluations_run_together_use_the_test_set_once(searched, db_path, tiny_mnist):
    import multiprocessing

    from hpsearch.store.engine import dispose_engines

    dispose_engines()  # no pooled connection crosses the fork
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(target=_evaluate_in_a_process, args=(barrier, results, db_path, tiny_mnist))
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    outcomes = sorted(results.get() for _ in processes)
    for process in processes:
        process.join()
    assert [code for code, _ in outcomes] == [0, 1]
    refused = outcomes[1][1].strip()
    assert refused.startswith("Error: the test set of 'a' ")  # being used, or already used
    assert "it is used once" in refused
    assert len(refused.splitlines()) == 1
    rows = sqlite3.connect(db_path).execute("SELECT status FROM evaluations").fetchall()
    assert rows == [("completed",)]  # one evaluation, finished: the test set used once
