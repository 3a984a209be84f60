import csv
import io
import json
import math

import pytest
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from typer.testing import CliRunner

from hpsearch import store
from hpsearch.cli import app
from hpsearch.report import export
from hpsearch.store.models import EpochMetric, Round, Trial
from tests.support import other_study, stored_value

runner = CliRunner()
#: The parameters the stored study searched: the book's two.
BOOK = ["lr", "weight_decay"]

INTS = {"round", "trial", "number", "seed", "epochs_run", "best_epoch", "epoch"}
FLOATS = {
    "lr", "weight_decay", "val_accuracy", "best_val_accuracy", "train_accuracy", "seconds",
    "epoch_train_accuracy", "epoch_val_accuracy", "epoch_train_loss", "epoch_val_loss",
    "epoch_seconds",
}  # fmt: skip


def typed(row: dict[str, str]) -> dict[str, object]:
    """A CSV row with its numbers parsed and its empty cells as None."""
    kinds = {**dict.fromkeys(INTS, int), **dict.fromkeys(FLOATS, float)}
    return {k: None if v == "" else kinds.get(k, str)(v) for k, v in row.items()}


def stored_trials(stored) -> list[tuple[Trial, list[EpochMetric], int]]:
    """Every stored trial by round and number, with its epochs and round number."""
    with stored.factory() as session:
        query = select(Trial).join(Round).order_by(Round.number, Trial.number)
        # the values are read after the session closes
        trials = session.scalars(query.options(selectinload(Trial.params)))
        return [(trial, list(trial.epochs), trial.round.number) for trial in trials.all()]


def expected_trial(trial: Trial) -> dict[str, object]:
    return {
        "trial": trial.id, "number": trial.number, "lr": stored_value(trial, "lr"),
        "weight_decay": stored_value(trial, "weight_decay"), "seed": trial.seed,
        "status": trial.status,
        "epochs_run": trial.epochs_run, "val_accuracy": trial.val_accuracy,
        "best_val_accuracy": trial.best_val_accuracy, "best_epoch": trial.best_epoch,
        "train_accuracy": trial.train_accuracy,
        "started_at": trial.started_at.isoformat(), "finished_at": trial.finished_at.isoformat(),
        "seconds": (trial.finished_at - trial.started_at).total_seconds(),
        "worker": trial.worker, "error": trial.error,
    }  # fmt: skip


def expected_epoch(metric: EpochMetric) -> dict[str, object]:
    return {
        "epoch": metric.epoch, "train_accuracy": metric.train_accuracy,
        "val_accuracy": metric.val_accuracy, "train_loss": metric.train_loss,
        "val_loss": metric.val_loss, "seconds": metric.seconds,
    }  # fmt: skip


def expected_rows(stored, epochs: bool) -> list[dict[str, object]]:
    rows = []
    for trial, metrics, round_number in stored_trials(stored):
        row = {"study": "small", "round": round_number, **expected_trial(trial)}
        if not epochs:
            rows.append(row)
        for metric in metrics if epochs else []:
            values = expected_epoch(metric)
            rows.append(
                row | {"epoch": values.pop("epoch")} | {f"epoch_{k}": v for k, v in values.items()}
            )
        if epochs and not metrics:  # the failed trial ran no epoch: one row, epoch cells empty
            rows.append(row | dict.fromkeys(export.EPOCH_COLUMNS))
    return rows


def export_csv(stored, *args: str) -> list[dict[str, object]]:
    result = runner.invoke(app, ["export", "small", "--db", str(stored.db), *args])
    assert result.exit_code == 0, result.output
    return [typed(row) for row in csv.DictReader(io.StringIO(result.stdout))]


def test_the_stored_study_has_the_expected_shape(stored_study):
    trials = stored_trials(stored_study)
    assert len(trials) == 18
    assert sum(len(metrics) for _, metrics, _ in trials) == 9 * 5 + 2 * 2 + 5 * 5 + 3


@pytest.mark.parametrize("epochs", [False, True])
def test_export_rows_hold_the_stored_values(stored_study, epochs):
    with stored_study.factory() as session:
        rows = export.export_rows(session, store.get_study(session, "small"), epochs=epochs)
        records = [dict(zip(export.columns(BOOK, epochs=epochs), row, strict=True)) for row in rows]
    assert records == expected_rows(stored_study, epochs)


@pytest.mark.parametrize(
    ("args", "count"), [([], 18), (["--epochs"], 9 * 5 + 2 * 2 + 1 + 5 * 5 + 3)]
)
def test_csv_export_parses_back_to_the_store(stored_study, args, count):
    rows = export_csv(stored_study, *args)
    assert len(rows) == count
    assert rows == expected_rows(stored_study, epochs=bool(args))


def test_csv_export_has_a_header_in_column_order(stored_study):
    result = runner.invoke(app, ["export", "small", "--db", str(stored_study.db), "--epochs"])
    header = result.stdout.splitlines()[0].split(",")
    assert header == [*export.columns(BOOK), *export.EPOCH_COLUMNS]
    assert header[3:7] == ["number", "lr", "weight_decay", "seed"]


@pytest.mark.parametrize("epochs", [False, True])
def test_json_export_nests_the_same_values_by_round(stored_study, tmp_path, epochs):
    out = tmp_path / "small.json"
    args = ["export", "small", "--db", str(stored_study.db), "--format", "json", "--out", str(out)]
    result = runner.invoke(app, args + (["--epochs"] if epochs else []))
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    data = json.loads(out.read_text())
    assert data["study"] | {"created_at": None} == {
        "name": "small", "seed": 7, "dataset": "mnist", "created_at": None, "train_size": 500,
        "val_fraction": 0.2, "epochs": 5, "batch_size": 100, "hidden_sizes": "20,20",
        "activation": "relu", "weight_init": "he", "optimizer": "sgd", "batchnorm": False,
        "dropout": 0.0, "dtype": "float64",
    }  # fmt: skip
    assert [
        (r["round"], r["narrowed_from"], r["top_k"], r["n_trials"]) for r in data["rounds"]
    ] == [
        (0, None, None, 12),
        (1, 0, 3, 6),
    ]
    assert data["rounds"][0]["lr"] == [1e-6, 1e-2]
    trials = [trial for r in data["rounds"] for trial in r["trials"]]
    expected = []
    for trial, metrics, _ in stored_trials(stored_study):
        record = expected_trial(trial)
        if epochs:
            record["epochs"] = [expected_epoch(metric) for metric in metrics]
        expected.append(record)
    assert trials == expected


def test_csv_export_writes_a_file(stored_study, tmp_path):
    out = tmp_path / "small.csv"
    result = runner.invoke(
        app, ["export", "small", "--db", str(stored_study.db), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [typed(row) for row in csv.DictReader(out.open(newline=""))]
    assert rows == expected_rows(stored_study, epochs=False)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope"], 1, "Error: no study named 'nope'"),
        (["small", "--out", "/nonexistent/folder/x.csv"], 1, "Error: cannot write"),
        (["small", "--format", "xml"], 2, "xml"),
    ],
)
def test_export_command_reports_mistakes(stored_study, args, code, message):
    result = runner.invoke(app, ["export", *args, "--db", str(stored_study.db)])
    assert result.exit_code == code
    assert message in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("epochs", [False, True])
def test_streamed_csv_is_the_text_of_the_stored_rows_written_whole(stored_study, epochs):
    """The streamed export writes exactly what a csv.DictWriter of every row, built in
    memory from the ORM objects, writes."""
    whole = io.StringIO()
    writer = csv.DictWriter(
        whole, fieldnames=export.columns(BOOK, epochs=epochs), lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(expected_rows(stored_study, epochs))
    result = runner.invoke(
        app, ["export", "small", "--db", str(stored_study.db), *(["--epochs"] if epochs else [])]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == whole.getvalue()
    assert result.stdout.count("\n") == (1 + 9 * 5 + 2 * 2 + 1 + 5 * 5 + 3 if epochs else 1 + 18)


def test_streamed_epochs_follow_the_trial_order_when_ids_do_not(stored_study):
    """Trials whose ids run against their round and number still get their own epochs."""
    with stored_study.factory.begin() as session:
        trials = session.scalars(select(Trial).order_by(Trial.id)).all()
        first, last = trials[0], trials[-1]
        first.number, last.number = 1000, -1  # first now comes last in its round, and back
    with stored_study.factory() as session:
        rows = list(export.export_rows(session, store.get_study(session, "small"), epochs=True))
    cols = export.columns(BOOK, epochs=True)
    by_trial: dict[int, list[int | None]] = {}
    for row in rows:
        record = dict(zip(cols, row, strict=True))
        by_trial.setdefault(record["trial"], []).append(record["epoch"])
    stored = {trial.id: [m.epoch for m in metrics] or [None] for trial, metrics, _ in
              stored_trials(stored_study)}  # fmt: skip
    assert by_trial == stored


@pytest.mark.parametrize("train_loss", [1.5, 5e-05, 1e-07, 1e16, math.inf])
def test_streamed_csv_with_other_searched_parameters_matches_the_whole_rows(tmp_path, train_loss):
    """With parameters searched besides lr and weight decay, the streamed CSV is the
    text a DictWriter writes of every row built from the ORM objects; also with a loss
    that repr writes with an exponent, or that is not finite."""
    from hpsearch.store import study_epochs, study_trials

    factory = other_study(tmp_path / "other.db", train_loss=train_loss)
    with factory() as session:
        study = store.get_study(session, "other")
        names = store.searched_names(study)
        assert names == [*BOOK, "dropout", "optimizer"]
        trials = study_trials(session, study)
        searched = store.trial_values(session, [trial.id for trial in trials])
        per_trial = study_epochs(session, study)
        rows = []
        for trial in trials:
            frozen = store.frozen_trial(trial, searched[trial.id])
            row = {"study": "other", "round": 0, **export.trial_record(frozen)}
            for metric in per_trial.get(trial.id) or [None]:
                values = expected_epoch(metric) if metric else dict.fromkeys(_EPOCH_NAMES)
                epoch = {"epoch": values.pop("epoch")}
                rows.append(row | epoch | {f"epoch_{k}": v for k, v in values.items()})
    whole = io.StringIO()
    writer = csv.DictWriter(whole, export.columns(names, epochs=True), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    result = runner.invoke(app, ["export", "other", "--db", str(tmp_path / "other.db"), "--epochs"])
    assert result.exit_code == 0, result.output
    assert result.stdout == whole.getvalue()
    assert len(result.stdout.splitlines()) == 1 + 3 * 2 + 2
    assert all(
        row["optimizer"] in ("sgd", "adam") for row in csv.DictReader(io.StringIO(result.stdout))
    )


_EPOCH_NAMES = ("epoch", "train_accuracy", "val_accuracy", "train_loss", "val_loss", "seconds")


@pytest.mark.parametrize(
    "args",
    [["export", "--epochs"], ["export", "--format", "json"], ["report"], ["studies"]],
    ids=["csv", "json", "report", "studies"],
)
def test_a_reader_that_closes_early_ends_the_command_quietly(stored_study, args):
    """``hpsearch export NAME | head -1``: the pipe's reader is gone before the command
    writes (closed here at once, so every write finds it gone), yet it exits 0, silent."""
    import os
    import subprocess
    import sys

    command, *options = args
    name = [] if command == "studies" else [stored_study.name]
    read, write = os.pipe()
    os.close(read)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    try:
        done = subprocess.run(
            [sys.executable, "-m", "hpsearch", command, *name, *options, "--db", stored_study.db],
            stdout=write,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
    finally:
        os.close(write)
    assert (done.returncode, done.stderr) == (0, "")
