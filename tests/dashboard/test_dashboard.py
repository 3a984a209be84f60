"""The dashboard's endpoints on a stored study: status codes, and the numbers served
against the store's own."""

from __future__ import annotations

import csv
import io

import pytest

from hpsearch import store
from hpsearch.dashboard import create_app
from hpsearch.report.summaries import study_report
from hpsearch.settings import StudySettings
from hpsearch.store.schema import open_store
from tests.support import TINY_SEARCH


@pytest.fixture
def client(stored_study):
    app = create_app(open_store(str(stored_study.db), read_only=True))
    return app.test_client()


def _csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_studies_page_and_json_count_trials_by_status(client, stored_study):
    page = client.get("/")
    rows = client.get("/api/studies").get_json()
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        counts = store.study_status_counts(session, study)
        best = store.best_trial(session, study)
    assert page.status_code == 200 and "small" in page.get_data(as_text=True)
    (row,) = rows
    assert row["name"] == "small" and row["rounds"] == 2 and row["trials"] == 18
    assert {s: n for s, n in row["statuses"].items() if n} == dict(counts)
    assert row["best_val_accuracy"] == best.val_accuracy
    assert row["evaluations"] == 0


def test_study_json_is_the_report_with_progress(client, stored_study):
    data = client.get("/api/study/small?rows=7").get_json()
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        report = study_report(session, study, top=7)
        epochs = sum(len(c) for c in store.study_epochs(session, study).values())
    assert data["leaderboard"] == report["leaderboard"]
    assert data["rounds"] == report["rounds"]
    assert [r["narrowed_from"] for r in data["rounds"]] == [None, 0]
    assert data["progress"]["epochs_stored"] == epochs
    assert data["progress"]["done"] == 18
    assert (data["progress"]["running"], data["progress"]["pending"]) == (0, 0)
    assert data["progress"]["eta_seconds"] is None  # nothing runs
    assert data["running"] == []


def test_study_page_and_unknown_names_answer_404(client):
    assert client.get("/study/small").status_code == 200
    for url in (
        "/study/nope",
        "/api/study/nope",
        "/study/nope/leaderboard.csv",
        "/study/small/figure/nope.svg",
        "/study/small/trial/999999",
        "/api/study/small/trial/999999",
        "/compare?study=small&study=nope",
        "/no/such/page",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Not found" in response.get_data(as_text=True), url


def test_leaderboard_csv_holds_the_rows_shown(client, stored_study):
    rows = _csv_rows(client.get("/study/small/leaderboard.csv?rows=5"))
    with stored_study.factory() as session:
        best = store.leaderboard(session, store.get_study(session, "small"), top=5)
    assert [int(r["trial"]) for r in rows] == [t.id for t in best]
    assert [float(r["val_accuracy"]) for r in rows] == [t.val_accuracy for t in best]
    assert {"lr", "weight_decay", "seed", "status", "best_epoch", "worker"} <= set(rows[0])


@pytest.mark.parametrize("kind", ["curves", "narrowing", "history"])
def test_study_figures_are_svg(client, kind):
    response = client.get(f"/study/small/figure/{kind}.svg?top=3")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    assert response.get_data(as_text=True).lstrip().startswith("<?xml")


def test_trial_page_json_and_csv_hold_its_epochs(client, stored_study):
    with stored_study.factory() as session:
        trial = store.best_trial(session, store.get_study(session, "small"))
        epochs = [(m.epoch, m.val_accuracy) for m in trial.epochs]
        values = {p.name: p.value_num for p in trial.params}
    page = client.get(f"/study/small/trial/{trial.id}")
    data = client.get(f"/api/study/small/trial/{trial.id}").get_json()
    rows = _csv_rows(client.get(f"/study/small/trial/{trial.id}/epochs.csv"))
    curve = client.get(f"/study/small/trial/{trial.id}/curve.svg")
    assert page.status_code == 200 and f"trial {trial.id}" in page.get_data(as_text=True)
    assert [(e["epoch"], e["val_accuracy"]) for e in data["epochs"]] == epochs
    assert [(int(r["epoch"]), float(r["val_accuracy"])) for r in rows] == epochs
    assert {name: data[name] for name in values} == values and sorted(values) == [
        "lr",
        "weight_decay",
    ]
    assert curve.status_code == 200 and curve.mimetype == "image/svg+xml"


def test_compare_shows_each_studys_best_trials(client, stored_study):
    with stored_study.factory.begin() as session:
        store.create_study(session, "other", 5, StudySettings())  # no trials yet
    page = client.get("/compare?study=small&study=other")
    rows = _csv_rows(client.get("/compare.csv?study=small&study=other"))
    history = client.get("/compare/history.svg?study=small&study=other")
    with stored_study.factory() as session:
        best = store.leaderboard(session, store.get_study(session, "small"), top=5)
    assert page.status_code == 200 and "other" in page.get_data(as_text=True)
    assert [(r["study"], int(r["trial"])) for r in rows] == [("small", t.id) for t in best]
    assert history.status_code == 200 and history.mimetype == "image/svg+xml"
    assert client.get("/compare").status_code == 404


def test_other_searched_parameters_are_columns_of_the_leaderboard(cli, db_path):
    started = cli("start", "wide", "--trials", "3", "--workers", "1",
                  "--search", "batch_size=20,30", *TINY_SEARCH)  # fmt: skip
    assert started.exit_code == 0, started.output
    client = create_app(open_store(str(db_path), read_only=True)).test_client()
    data = client.get("/api/study/wide").get_json()
    rows = _csv_rows(client.get("/study/wide/leaderboard.csv"))
    with open_store(str(db_path)).begin() as session:
        ids = [row["trial"] for row in data["leaderboard"]]
        values = store.trial_values(session, ids)
    columns = data["columns"]
    assert columns.index("batch_size") == columns.index("weight_decay") + 1
    assert list(rows[0])[: len(columns)] == columns
    assert [int(r["batch_size"]) for r in rows] == [values[i]["batch_size"] for i in ids]
    trial = client.get(f"/api/study/wide/trial/{ids[0]}").get_json()
    assert trial["batch_size"] == values[ids[0]]["batch_size"]
