"""The dashboard on a training function's study (minimising ``val_loss``): ranked,
charted and coloured by its metric in its direction; a book study's JSON as it was."""

from __future__ import annotations

import json
import sqlite3

import pytest

from hpsearch.dashboard import create_app
from hpsearch.store.schema import open_store

OWN = [
    "--objective", "tests.run.objectives:own_names_with_train", "--metric", "val_loss",
    "--direction", "minimize", "--search", "width=8:40", "--search", "C=1e-2:1e2:log",
    "--search", "kind=a,b", "--epochs", "3", "--pruner", "none", "-q",
]  # fmt: skip


@pytest.fixture
def own(cli, db_path):
    started = cli("start", "own", "--trials", "12", "--workers", "1", *OWN)
    assert started.exit_code == 0, started.output
    with sqlite3.connect(db_path) as connection:
        stored = dict(connection.execute("SELECT id, best_value FROM trials"))
        reported = connection.execute(
            "SELECT trial_id, name, value FROM trial_metrics ORDER BY trial_id, epoch"
        ).fetchall()
    connection.close()
    app = create_app(open_store(str(db_path), read_only=True))
    return app.test_client(), stored, reported


def test_a_function_study_is_ranked_lowest_first_by_its_metric(own):
    client, stored, _ = own
    board = client.get("/api/study/own/leaderboard").get_json()
    assert board["scoring"] == {
        "metric": "val_loss", "label": "val loss", "direction": "minimize", "bounded": False,
    }  # fmt: skip
    assert board["headers"]["score"] == "val loss"
    assert "val_accuracy" not in board["order"] and "best_epoch" in board["order"]
    scores = board["columns"]["score"]
    assert len(scores) == 12 and scores == sorted(scores)  # lowest first
    assert dict(zip(board["columns"]["trial"], scores, strict=True)) == stored
    worst_first = client.get("/api/study/own/leaderboard?desc=1").get_json()
    assert worst_first["columns"]["score"] == sorted(scores, reverse=True)

    page = client.get("/api/study/own").get_json()
    assert page["scoring"]["metric"] == "val_loss"
    assert page["leaderboard"][0]["value"] == min(row["value"] for row in page["leaderboard"])


def test_a_function_study_charts_its_metric_and_its_history_falls(own):
    client, stored, _ = own
    data = client.get("/api/study/own/trials").get_json()
    assert data["scoring"]["direction"] == "minimize"
    assert sorted(data["columns"]["score"]) == sorted(stored.values())
    best = [value for _, value in data["history"]["best"]]
    assert best == sorted(best, reverse=True) and best[-1] == min(stored.values())
    in_order = [stored[t] for t in data["columns"]["trial"]]
    falls = [i + 1 for i, v in enumerate(in_order) if v < min(in_order[:i], default=float("inf"))]
    assert [place for place, _ in data["history"]["best"]] == falls


def test_a_function_study_curves_are_its_metric_and_train_counterpart(own):
    client, stored, reported = own
    curves = client.get("/api/study/own/curves?top=3").get_json()
    drawn = curves["curves"]
    assert [c["score"] for c in drawn] == sorted(stored.values())[:3]
    for curve in drawn:
        own_reports = [(name, value) for t, name, value in reported if t == curve["trial"]]
        assert curve["values"] == [v for name, v in own_reports if name == "val_loss"]
        assert curve["train"] == [v for name, v in own_reports if name == "train_loss"]
        assert len(curve["values"]) == 3 and "val_accuracy" not in curve


def test_a_function_trial_page_shows_its_metrics_per_epoch(own):
    client, stored, reported = own
    trial = min(stored, key=stored.__getitem__)
    data = client.get(f"/api/study/own/trial/{trial}").get_json()
    assert data["metrics"] == ["val_loss", "train_loss"]
    assert [e["val_loss"] for e in data["epochs"]] == [
        v for t, name, v in reported if t == trial and name == "val_loss"
    ]
    page = client.get(f"/study/own/trial/{trial}")
    assert page.status_code == 200
    assert b"<th>val loss</th><th>train loss</th>" in page.data


def test_the_studies_page_and_importance_read_the_metric(own):
    client, stored, _ = own
    (row,) = client.get("/api/studies").get_json()
    assert row["metric"] == "val_loss"
    assert b"val loss" in client.get("/").data
    importance = client.get("/api/study/own/importance").get_json()
    assert importance.get("metric") == "val_loss", importance
    assert importance["forest"] == {"trees": 30, "folds": 3, "repeats": 5}


def test_studies_of_different_metrics_do_not_compare(own, cli):
    client, _, _ = own
    other = [
        *OWN[: OWN.index("--metric")],
        "--metric",
        "train_loss",
        *OWN[OWN.index("--direction") :],
    ]
    train = cli("start", "train", "--trials", "2", "--workers", "1", *other)
    assert train.exit_code == 0, train.output
    for url in ("/compare?study=own&study=train", "/api/compare?study=own&study=train"):
        refused = client.get(url)
        assert refused.status_code == 400
        assert "same metric" in refused.get_data(as_text=True)
    assert client.get("/compare?study=own").status_code == 200


#: What a book study's answers held before a training function's metric was charted.
BOOK_CURVE_KEYS = {"trial", "round", "status", "score", "val_accuracy"}
BOOK_ORDER_TAIL = [
    "epochs_run", "score", "val_accuracy", "best_val_accuracy", "best_epoch",
    "train_accuracy", "seed", "worker",
]  # fmt: skip


def test_a_book_study_json_is_unchanged(stored_study):
    client = create_app(open_store(str(stored_study.db), read_only=True)).test_client()
    name = stored_study.name
    trials = client.get(f"/api/study/{name}/trials").get_json()
    board = client.get(f"/api/study/{name}/leaderboard").get_json()
    curves = client.get(f"/api/study/{name}/curves").get_json()
    page = client.get(f"/api/study/{name}").get_json()
    for answer in (trials, board, curves, page):
        assert "scoring" not in answer
    assert trials["order"][-len(BOOK_ORDER_TAIL) :] == BOOK_ORDER_TAIL
    assert set(trials["columns"]) == {*BOOK_ORDER_TAIL, "trial", "round", "number", "status",
        "index", *trials["parameters"]}  # fmt: skip
    assert board["headers"]["score"] == "score" and board["formats"]["score"] == "accuracy"
    scores = board["columns"]["score"]
    assert scores == sorted(scores, reverse=True)  # highest accuracy first
    assert curves["curves"] and all(set(c) == BOOK_CURVE_KEYS for c in curves["curves"])
    assert json.dumps(page["leaderboard"][0], sort_keys=True).count("val_curve") == 1


def test_a_function_study_downloads_carry_its_metric(own):
    client, stored, _ = own
    board = client.get("/study/own/leaderboard.csv").get_data(as_text=True).splitlines()
    header = board[0].split(",")
    assert "value" in header and "best_value" in header and "val_accuracy" not in header
    at = header.index("best_value")
    assert [float(line.split(",")[at]) for line in board[1:]] == sorted(stored.values())[:12]
    compared = client.get("/compare.csv?study=own").get_data(as_text=True).splitlines()
    assert "best_value" in compared[0] and "val_accuracy" not in compared[0]


def test_a_running_function_trial_shows_its_last_reported_metric(own, db_path):
    from hpsearch.store.models import Trial
    from hpsearch.store.status import TrialStatus

    client, stored, reported = own
    trial = max(stored)
    with open_store(str(db_path))() as session:  # as a worker sees it mid-run
        session.get_one(Trial, trial).status = TrialStatus.RUNNING
        session.commit()
    (running,) = client.get("/api/study/own").get_json()["running"]
    curve = [v for t, name, v in reported if t == trial and name == "val_loss"]
    assert running["trial"] == trial and running["curve"] == curve
    assert running["last_value"] == curve[-1] and running["last_epoch"] == 3
    board = client.get("/api/study/own/leaderboard").get_json()
    assert trial not in board["columns"]["trial"]  # not ranked while it runs
    (last,) = [
        c for c in client.get("/api/study/own/curves").get_json()["curves"] if c["trial"] == trial
    ]
    assert last["status"] == "running" and last["values"] == curve
