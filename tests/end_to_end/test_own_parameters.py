"""A training function's study over parameters of its own names (an integer range, a
log range and a choice), minimising its loss: stored, narrowed, reported and exported
under those names and by its metric."""

import csv
import io
import json
import sqlite3

import pytest

OWN = [
    "--objective", "tests.run.objectives:own_names", "--metric", "val_loss",
    "--direction", "minimize", "--search", "width=8:40", "--search", "C=1e-2:1e2:log",
    "--search", "kind=a,b", "--epochs", "2", "--pruner", "none", "-q",
]  # fmt: skip


def test_parameters_of_its_own_names_are_searched_narrowed_and_reported(cli, db_path):
    started = cli("start", "own", "--trials", "8", "--workers", "2", *OWN)
    assert started.exit_code == 0, started.output  # the function checks each value's type
    narrowed = cli("narrow", "own", "-k", "3", "--trials", "4", "--workers", "1", "-q")
    assert narrowed.exit_code == 0, narrowed.output
    with sqlite3.connect(db_path) as connection:
        names = {name for (name,) in connection.execute("SELECT name FROM trial_params")}
        widths = [text for (text,) in connection.execute(
            "SELECT value_text FROM trial_params WHERE name = 'width'")]  # fmt: skip
        kinds = dict(connection.execute(
            "SELECT d.name, d.kind FROM round_domains d JOIN rounds r ON r.id = d.round_id "
            "WHERE r.number = 1"))  # fmt: skip
        stored = dict(connection.execute("SELECT id, value FROM trials"))
    connection.close()
    assert names == {"width", "C", "kind"}  # no lr or weight decay it was not given
    assert len(widths) == 12 and all(text.isdigit() for text in widths)
    assert kinds == {"width": "int", "C": "float", "kind": "choice"}

    report = json.loads(cli("report", "own", "--json", "--top", "12").stdout)
    assert report["study"]["metric"] == "val_loss"
    assert report["study"]["objective"] == "tests.run.objectives:own_names"
    rows = report["leaderboard"]
    assert "val_accuracy" not in rows[0] and "val_curve" not in rows[0]
    values = [row["value"] for row in rows]
    assert values == sorted(values)  # lowest loss first
    assert {row["trial"]: row["value"] for row in rows} == stored
    assert report["rounds"][1]["best_value"] == min(
        row["value"] for row in rows if row["round"] == 1
    )

    shown = cli("report", "own")
    assert shown.exit_code == 0 and "val loss" in shown.stdout and "best val loss" in shown.stdout

    exported = cli("export", "own", "--format", "csv")
    header, *lines = list(csv.reader(io.StringIO(exported.stdout)))
    assert header[4:7] == ["width", "C", "kind"]
    assert "value" in header and "val_accuracy" not in header
    at = header.index("value")
    assert {int(line[2]): float(line[at]) for line in lines} == stored

    importance = json.loads(cli("report", "own", "--json", "--importance").stdout)["importance"]
    assert importance["metric"] == "val_loss" and importance["trials"] == 12
    assert set(importance["scores"]) == {"width", "C", "kind"}
    figures = db_path.parent / "figures"
    plotted = cli("plot", "own", "--out", str(figures))
    assert plotted.exit_code == 0, plotted.output
    assert sorted(path.name for path in figures.iterdir()) == [
        "own-curves.png", "own-history.png", "own-importance.png",
        "own-narrowing-C-width.png", "own-parameters.png", "own-slices.png",
    ]  # fmt: skip

    per_epoch = cli("export", "own", "--format", "csv", "--epochs")
    header, *lines = list(csv.reader(io.StringIO(per_epoch.stdout)))
    assert header[-2:] == ["epoch", "epoch_val_loss"] and len(lines) == 12 * 2
    document = json.loads(cli("export", "own", "--format", "json", "--epochs").stdout)
    with sqlite3.connect(db_path) as connection:
        reported = connection.execute(
            "SELECT trial_id, epoch, value FROM trial_metrics ORDER BY trial_id, epoch"
        ).fetchall()
    connection.close()
    nested = sorted(
        (trial["trial"], epoch["epoch"], epoch["val_loss"])
        for round_ in document["rounds"]
        for trial in round_["trials"]
        for epoch in trial["epochs"]
    )
    flat = sorted((int(line[2]), int(line[-2]), float(line[-1])) for line in lines)
    assert nested == flat == reported

    listed = json.loads(cli("studies", "--json").stdout)
    (own,) = [row for row in listed if row["name"] == "own"]
    assert own["metric"] == "val_loss" and own["best_value"] == min(stored.values())


def _evaluations(db_path) -> list[tuple]:
    with sqlite3.connect(db_path) as connection:
        rows = connection.execute(
            "SELECT trial_id, test_metrics, train_samples, test_accuracy FROM evaluations"
        ).fetchall()
    connection.close()
    return rows


def test_evaluate_runs_a_functions_test_once_and_stores_what_it_measured(cli, db_path):
    own = [
        a if a != "tests.run.objectives:own_names" else "tests.run.objectives:tested" for a in OWN
    ]
    started = cli("start", "own", "--trials", "4", "--workers", "1", *own)
    assert started.exit_code == 0, started.output
    result = cli("evaluate", "own")
    assert result.exit_code == 0, result.output
    report = json.loads(cli("report", "own", "--json").stdout)
    best = report["leaderboard"][0]
    (evaluation,) = report["evaluations"]
    expected = (best["width"] - 24) ** 2 / 100 + abs(best["C"] - 1.0) + (best["kind"] == "b")
    assert evaluation["trial"] == best["trial"]
    assert evaluation["test"] == {"test_loss": expected, "seed": best["seed"] % 1000}
    ((trial_id, metrics, samples, accuracy),) = _evaluations(db_path)
    assert json.loads(metrics) == evaluation["test"] and samples is None and accuracy is None
    again = cli("evaluate", "own")  # the test set is used once: the stored result shown
    assert again.exit_code == 0 and "already used" in again.output
    assert len(_evaluations(db_path)) == 1
    shown = cli("report", "own")
    assert "Test-set evaluations" in shown.stdout and "test loss" in shown.stdout


@pytest.mark.parametrize(
    ("objective", "message"),
    [
        ("own_names", "has no test evaluation: give the function a test"),
        ("failing_test", "test raised RuntimeError: no test data here; the test set was not used"),
    ],
)
def test_evaluate_without_a_working_test_is_one_line_and_stores_nothing(
    cli, db_path, objective, message
):
    own = [a if a != "tests.run.objectives:own_names" else f"tests.run.objectives:{objective}"
           for a in OWN]  # fmt: skip
    started = cli("start", "own", "--trials", "2", "--workers", "1", *own)
    assert started.exit_code == 0, started.output
    result = cli("evaluate", "own")
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert _evaluations(db_path) == []


def test_the_book_network_refuses_a_parameter_of_another_name(cli, db_path):
    result = cli("start", "book", "--search", "width=8:40")
    assert result.exit_code != 0
    assert "unknown parameter 'width'" in result.output and "--objective" in result.output
    assert not db_path.exists()
