"""The examples run as their docstrings say, on tiny data."""

import json
import sqlite3

import pytest

from hpsearch.store.status import TrialStatus

pytest.importorskip("sklearn")


def test_the_svc_example_is_searched_narrowed_and_ranked_by_its_accuracy(cli, db_path):
    started = cli(
        "start", "svc", "--objective", "examples.sklearn_svc:train", "--metric", "cv_accuracy",
        "--search", "C=1e-1:1e3:log", "--search", "gamma=1e-5:1e-1:log",
        "--search", "kernel=rbf,poly", "--epochs", "1",
        "--pruner", "none", "--trials", "4", "--workers", "2", "--set", "samples=200", "-q",
    )  # fmt: skip
    assert started.exit_code == 0, started.output
    narrowed = cli("narrow", "svc", "-k", "2", "--trials", "2", "--workers", "1", "-q")
    assert narrowed.exit_code == 0, narrowed.output
    with sqlite3.connect(db_path) as connection:
        trials = connection.execute("SELECT status, value FROM trials").fetchall()
        names = connection.execute("SELECT DISTINCT name FROM trial_metrics ORDER BY name")
        assert [name for (name,) in names] == ["cv_accuracy", "cv_accuracy_std"]
        params = connection.execute("SELECT DISTINCT name FROM trial_params ORDER BY name")
        assert [name for (name,) in params] == ["C", "gamma", "kernel"]  # its own names only
    assert len(trials) == 6
    assert all(status == TrialStatus.COMPLETED and 0 < value <= 1 for status, value in trials)
    evaluated = cli("evaluate", "svc")  # its test: fit on 160 digits, score the other 40
    assert evaluated.exit_code == 0, evaluated.output
    with sqlite3.connect(db_path) as connection:
        (measured,) = connection.execute("SELECT test_metrics FROM evaluations").fetchone()
    test = json.loads(measured)
    assert test["test_samples"] == 40 and 0 < test["test_accuracy"] <= 1


def test_a_reference_that_does_not_import_is_one_error_line_and_no_study(cli, db_path):
    result = cli("start", "svc", "--objective", "examples.no_such_example:train")
    assert result.exit_code != 0
    assert "does not import" in result.output and "Traceback" not in result.output
    listed = cli("studies")
    assert "svc" not in listed.output
