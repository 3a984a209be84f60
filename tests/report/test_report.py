import re

import pytest

from hpsearch import store
from hpsearch.report import importance as importance_module
from hpsearch.report.summaries import (
    crowding,
    round_summary,
    study_report,
    study_summary,
)
from hpsearch.search import steps
from hpsearch.store import queue
from hpsearch.store.status import RANKED, TrialStatus
from tests.support import domain, epoch_metrics, set_value, stored_value


def test_study_summary_counts_completed_trials_and_the_best(stored_study):
    with stored_study.factory() as session:
        summary = study_summary(session, store.get_study(session, "small"))
        best = store.best_trial(session, store.get_study(session, "small"))
    assert (summary["name"], summary["rounds"], summary["trials"]) == ("small", 2, 18)
    assert summary["completed"] == 18 - 3 - 1  # two diverged and one failed, one pruned
    assert summary["best_val_accuracy"] == best.val_accuracy


def test_round_summary_counts_statuses_and_stale_trials(stored_study):
    with stored_study.factory.begin() as session:
        round1 = store.get_round(session, store.get_study(session, "small"), 1)
        trial = round1.trials[0]
        trial.status = TrialStatus.RUNNING
        trial.worker = queue.worker_name(2**22 + 12345)  # no such process: stale
    with stored_study.factory() as session:
        round1 = store.get_round(session, store.get_study(session, "small"), 1)
        summary = round_summary(session, round1)
        best = store.round_best(session, round1.id)
    assert summary["statuses"] == {"completed": 4, "pruned": 1, "running": 1}
    assert summary["stale"] == 1
    assert (summary["narrowed_from"], summary["top_k"]) == (0, 3)
    assert (summary["best_trial"], summary["best_val_accuracy"]) == (best.id, best.val_accuracy)


def test_study_report_of_one_round_ranks_only_its_trials(stored_study):
    with stored_study.factory() as session:
        report = study_report(session, store.get_study(session, "small"), round_number=0, top=3)
    assert [row["round"] for row in report.rounds] == [0]
    assert [row["rank"] for row in report.document()["leaderboard"]] == [1, 2, 3]
    assert all(trial.round == 0 for trial in report.leaderboard)
    accuracies = [trial.val_accuracy for trial in report.leaderboard]
    assert accuracies == sorted(accuracies, reverse=True)
    assert all(len(trial.val_curve) == 5 for trial in report.leaderboard)


@pytest.fixture
def crowded(stored_study):
    """Round 1 of the stored study, with its three best trials at the top of its lr range."""
    with stored_study.factory.begin() as session:
        study = store.get_study(session, stored_study.name)
        round_ = store.latest_round(session, study)
        for trial in store.round_top(session, round_.id, 3, pruned=True):
            set_value(trial, "lr", domain(round_, "lr").high * 0.95)
    return stored_study


def test_crowding_names_the_edge_the_best_trials_crowd(crowded, stored_study):
    with crowded.factory() as session:
        study = store.get_study(session, "small")
        assert crowding(session, study, k=3) == {"round": 1, "top_k": 3, "edges": {"lr": ["high"]}}


def test_report_and_narrow_say_when_the_best_trials_crowd_an_edge(crowded, monkeypatch):
    from typer.testing import CliRunner

    from hpsearch.cli import app

    monkeypatch.setenv("HPSEARCH_DB", str(crowded.db))
    runner = CliRunner()
    report = runner.invoke(app, ["report", "small"])
    assert report.exit_code == 0, report.output
    assert "crowd the high edge of lr" in " ".join(report.stdout.split())
    plain = runner.invoke(app, ["narrow", "small", "-k", "3", "--dry-run"])
    assert "crowd the high edge of lr" in plain.stdout and "--expand" in plain.stdout
    expanded = runner.invoke(app, ["narrow", "small", "-k", "3", "--dry-run", "--expand"])
    assert "the range was extended past it" in expanded.stdout
    with crowded.factory() as session:
        high = domain(store.latest_round(session, store.get_study(session, "small")), "lr").high
    [new_high] = re.findall(r"lr +\[[^]]+\] -> \[[^,]+, ([^]]+)\]", expanded.stdout)
    new_high = float(new_high)
    assert new_high == pytest.approx(high * 10, rel=0.01)  # one decade past the old edge


def test_crowding_ranks_the_top_k_as_narrowing_does(factory, round0):
    # two completed trials in the middle of the lr range, three pruned ones at its top, a
    # failed one
    with factory.begin() as session:
        study = store.get_study(session, "s")
        round_ = store.latest_round(session, study)
        statuses = [TrialStatus.COMPLETED] * 2 + [TrialStatus.PRUNED] * 3 + [TrialStatus.FAILED]
        for number, status in enumerate(statuses):
            trial = queue.claim_trial(session, round0, "host:1")
            high = domain(round_, "lr").high
            set_value(trial, "lr", high * 0.95 if status == TrialStatus.PRUNED else 1e-4)
            final = epoch_metrics(3, 0.8 - 0.1 * number)
            queue.finish_trial(session, trial.id, queue.Outcome(status, 3, final, final))
    with factory() as session:
        study = store.get_study(session, "s")
        plan = steps.plan_narrowing(session, study, 5)
        assert plan.narrowing.crowded == {"lr": ["high"]}
        assert crowding(session, study, k=5) == {"round": 0, "top_k": 5, "edges": {"lr": ["high"]}}


def test_importance_learns_from_completed_and_pruned_trials_by_their_best(
    stored_study, monkeypatch
):
    learned = {}

    def parameter_importance(rows, accuracies, *, seed):
        learned["rows"], learned["accuracies"] = rows, accuracies
        return real_importance(rows, accuracies, seed=seed)

    real_importance = importance_module.parameter_importance
    monkeypatch.setattr(importance_module, "parameter_importance", parameter_importance)
    with stored_study.factory.begin() as session:  # a trial whose best is not its last
        pruned_trial = session.scalars(store.ranked([TrialStatus.PRUNED])).one()
        pruned_trial.best_val_accuracy = pruned_trial.val_accuracy + 0.05
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        report = study_report(session, study, importance=True)
        plain = study_report(session, study)
        searched = store.searched_trials(session, study, statuses=[TrialStatus.COMPLETED])
        finished = list(session.scalars(store.ranked(RANKED)))
        lr_and_best = [(stored_value(t, "lr"), t.best_val_accuracy) for t in finished]

    by_value = sorted((t.values["lr"], t.values["weight_decay"], t.val_accuracy) for t in searched)
    completed = [t for t in finished if t.status == TrialStatus.COMPLETED]
    assert by_value == sorted(
        (stored_value(t, "lr"), stored_value(t, "weight_decay"), t.val_accuracy) for t in completed
    )
    pruned = [t for t in finished if t.status == TrialStatus.PRUNED]
    assert len(completed) == 14 and len(pruned) == 1
    importance = report.importance
    assert importance["trials"] == 15
    lrs = [row["lr"] for row in learned["rows"]]
    learned_pairs = sorted(zip(lrs, learned["accuracies"], strict=True))
    assert learned_pairs == sorted(lr_and_best)
    assert any(t.best_val_accuracy != t.val_accuracy for t in finished)  # best, not final
    assert set(importance["scores"]) == {"lr", "weight_decay"}
    assert sum(importance["scores"].values()) == pytest.approx(1.0)
    assert plain.importance is None and "importance" not in plain.document()  # only when asked
