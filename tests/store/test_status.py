import json

import pytest

from hpsearch.store.status import FINISHED, RANKED, RERUNNABLE, UNFINISHED, TrialStatus


def test_a_status_is_its_word_in_sql_json_and_text():
    assert TrialStatus.COMPLETED == "completed"
    assert str(TrialStatus.PRUNED) == f"{TrialStatus.PRUNED}" == "pruned"
    assert json.dumps({"status": TrialStatus.FAILED}) == '{"status": "failed"}'
    assert TrialStatus("interrupted") is TrialStatus.INTERRUPTED


@pytest.mark.parametrize(
    ("status", "finished", "ranked", "rerunnable"),
    [
        (TrialStatus.PENDING, False, False, False),
        (TrialStatus.RUNNING, False, False, True),
        (TrialStatus.COMPLETED, True, True, False),
        (TrialStatus.PRUNED, True, True, False),
        (TrialStatus.DIVERGED, True, False, False),
        (TrialStatus.FAILED, True, False, False),
        (TrialStatus.INTERRUPTED, False, False, True),
    ],
)
def test_the_sets_a_status_belongs_to(status, finished, ranked, rerunnable):
    assert (status.is_finished, status.is_ranked, status.is_rerunnable) == (
        finished, ranked, rerunnable,
    )  # fmt: skip
    assert (status in FINISHED, status in RANKED, status in RERUNNABLE) == (
        finished, ranked, rerunnable,
    )  # fmt: skip
    assert (status in UNFINISHED) is not finished
    assert status.is_lost is (finished and not ranked)


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("completed", TrialStatus.COMPLETED), ("diverged", TrialStatus.DIVERGED),
     ("stopped", TrialStatus.PRUNED)],
)  # fmt: skip
def test_the_trainers_outcomes_map_to_statuses(outcome, status):
    assert TrialStatus.of_outcome(outcome) is status
