"""What keeps the dashboard fast on a large study, on the small stored study with the caps
made small: the leaderboard paged, filtered, sorted and brushed in SQL, the charts' fixed
sample, the history of every trial, the importance on a seeded sample. Below the caps
every answer is what it was: every trial. (The times are benchmarks/dashboard_load.py's.)"""

from __future__ import annotations

import json

import pytest

from hpsearch import store
from hpsearch.dashboard import create_app, explore
from hpsearch.report import summaries
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from tests.support import make_narrowed_study


@pytest.fixture
def client(stored_study):
    return create_app(open_store(str(stored_study.db), read_only=True)).test_client()


@pytest.fixture
def trials(stored_study):
    """Every trial of "small" (round and trial order) as (id, status, score, lr)."""
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        rows = []
        for round_ in study.rounds:
            for t in sorted(round_.trials, key=lambda t: t.number):
                score = t.best_val_accuracy if t.best_val_accuracy is not None else t.val_accuracy
                lr = next(p.value_num for p in t.params if p.name == "lr")
                rows.append((t.id, t.status, score, lr))
    return rows


def _ranked(trials):
    return [t for t in trials if t[2] is not None and t[1] != TrialStatus.RUNNING]


def test_the_leaderboard_is_one_page_of_every_trial_with_a_score_best_first(client, trials):
    ranked = sorted(_ranked(trials), key=lambda t: (-t[2], t[0]))
    first = client.get("/api/study/small/leaderboard?rows=5").get_json()
    second = client.get("/api/study/small/leaderboard?rows=5&page=1").get_json()
    assert first["total"] == len(ranked) == 17 and first["pages"] == 4
    assert first["columns"]["trial"] == [t[0] for t in ranked[:5]]
    assert second["columns"]["trial"] == [t[0] for t in ranked[5:10]]
    assert first["parameters"] == ["lr", "weight_decay"] and first["headers"]["score"] == "score"


def test_the_leaderboard_filters_and_sorts_any_column_in_sql(client, trials):
    answer = client.get(
        "/api/study/small/leaderboard?sort=lr&desc=0&f.status=Completed&f.score=0.5..0.8"
    ).get_json()
    kept = [t for t in _ranked(trials) if t[1] == TrialStatus.COMPLETED and 0.5 <= t[2] <= 0.8]
    assert answer["columns"]["trial"] == [t[0] for t in sorted(kept, key=lambda t: (t[3], t[0]))]
    assert answer["total"] == len(kept) > 0
    bound = client.get("/api/study/small/leaderboard?f.score=>=0.74").get_json()
    assert set(bound["columns"]["trial"]) == {t[0] for t in _ranked(trials) if t[2] >= 0.74}
    nothing = client.get("/api/study/small/leaderboard?f.score=>abc").get_json()
    assert nothing["total"] == 0 and nothing["columns"]["trial"] == []


def test_the_brush_keeps_the_trials_within_an_interval_of_each_brushed_axis(client, trials):
    lrs = sorted(t[3] for t in _ranked(trials))
    low, high = lrs[2], lrs[-3]
    brush = json.dumps({"score": [[0.3, 0.6], [0.75, 1.0]], "lr": [[low, high]]})
    answer = client.get(f"/api/study/small/leaderboard?brush={brush}").get_json()
    kept = {
        t[0]
        for t in _ranked(trials)
        if (0.3 <= t[2] <= 0.6 or 0.75 <= t[2] <= 1.0) and low <= t[3] <= high
    }
    assert set(answer["columns"]["trial"]) == kept and answer["total"] == len(kept)
    assert client.get("/api/study/small/leaderboard?brush=[1]").status_code == 400


def test_a_small_study_charts_every_trial_with_the_history_of_its_best(client, trials):
    data = client.get("/api/study/small/trials").get_json()
    assert data["trials"] == data["shown"] == 18
    assert data["columns"]["trial"] == [t[0] for t in trials]
    assert data["columns"]["index"] == list(range(1, 19))
    best, top = [], None
    for i, (_, _, score, _) in enumerate(trials, start=1):
        if score is not None and (top is None or score > top):
            top = score
            best.append([i, score])
    assert data["history"]["best"] == best
    assert [r[0] for r in data["history"]["rounds"]] == [0, 1]


def test_a_large_study_charts_the_best_fifth_and_a_fixed_sample(stored_study, trials):
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        data = explore.chart_columns(session, study, most=10)
        again = explore.chart_columns(session, study, most=10)
    ids = data["columns"]["trial"]
    assert data["trials"] == 18 and data["shown"] == len(ids) == 10
    assert ids == again["columns"]["trial"]  # seeded: the same every time
    order = [t[0] for t in trials]
    assert data["columns"]["index"] == [order.index(i) + 1 for i in ids]  # in round order
    best_two = sorted(_ranked(trials), key=lambda t: -t[2])[:2]
    assert {t[0] for t in best_two} <= set(ids)
    assert data["history"]["best"][-1][1] == best_two[0][2]  # over every trial


def test_importance_learns_from_a_seeded_sample_and_says_of_how_many(
    stored_study, client, monkeypatch
):
    every = client.get("/api/study/small/importance").get_json()
    assert every["trials"] == every["of_trials"] == 15  # completed and pruned
    monkeypatch.setattr(summaries, "IMPORTANCE_TRIALS", 12)
    assert client.get("/api/study/small/importance").get_json() == every  # kept: same trials
    client = create_app(open_store(str(stored_study.db), read_only=True)).test_client()
    sampled = client.get("/api/study/small/importance").get_json()
    assert sampled["trials"] == 12 and sampled["of_trials"] == 15
    assert client.get("/api/study/small/importance").get_json() == sampled


def test_the_study_data_says_what_narrowing_dropped_and_kept_out(tmp_path):
    narrowing = make_narrowed_study(tmp_path / "narrowed.db")
    client = create_app(open_store(str(tmp_path / "narrowed.db"), read_only=True)).test_client()
    data = client.get("/api/study/narrowed").get_json()
    assert data["narrowed"] == [
        {
            "round": 1,
            "narrowed_from": 0,
            "top_k": 3,
            "dropped": {"optimizer": ["sgd", "momentum"]},
            "kept_out": {"momentum": "optimizer kept none of momentum (top-3)"},
        }
    ]
    assert narrowing.dropped == {"optimizer": ["sgd", "momentum"]}  # as `narrow` prints them
    assert narrowing.removed == data["narrowed"][0]["kept_out"]


def test_an_unnarrowed_study_has_no_narrowing_notes(client):
    assert client.get("/api/study/small").get_json()["narrowed"] == []


def test_an_importance_report_is_asked_again_once_its_trials_change(stored_study, client):
    from hpsearch.store.models import Trial

    before = client.get("/api/study/small/importance").get_json()
    with stored_study.factory.begin() as session:
        study = store.get_study(session, "small")
        failed = next(t for r in study.rounds for t in r.trials if t.status.value == "failed")
        session.get_one(Trial, failed.id).status = TrialStatus.COMPLETED
        session.get_one(Trial, failed.id).val_accuracy = 0.5
    after = client.get("/api/study/small/importance").get_json()
    assert (before["of_trials"], after["of_trials"]) == (15, 16)


@pytest.mark.parametrize(("judged", "said"), [(15, False), (12, True)])
def test_the_command_line_says_when_the_importance_judged_a_sample(judged, said):
    from hpsearch.report.tables import importance_table

    table = importance_table(
        {
            "method": "held-out permutation importance of a random forest",
            "trials": judged,
            "of_trials": 15,
            "explained_r2": 0.5,
            "scores": {"lr": 0.7, "weight_decay": 0.3},
            "spread": {"lr": 0.1, "weight_decay": 0.1},
        }
    )
    assert ("a sample of 12 of the 15 completed and pruned trials" in table.caption) is said
