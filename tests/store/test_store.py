from unittest import mock

import pytest
from sqlalchemy import select

from hpsearch import store
from hpsearch.errors import StudyExists, StudyNotFound, UsageError
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE, trial_params
from hpsearch.store import queue, studies
from hpsearch.store.models import Round, Trial
from hpsearch.store.status import TrialStatus


def test_a_round_holds_its_sampled_trials_pending(factory, round0):
    with factory() as session:
        trials = session.scalars(select(Trial).where(Trial.round_id == round0)).all()
        assert [t.number for t in trials] == list(range(6))
        assert all(t.status == TrialStatus.PENDING for t in trials)
        expected = trial_params(3, 0, 4, BOOK_SPACE)
        stored = {p.name: p.value_num for p in trials[4].params}
        assert (stored, trials[4].seed) == (expected.values, expected.seed)


def test_study_names_are_unique(factory, round0):
    with pytest.raises(StudyExists), factory.begin() as session:
        store.create_study(session, "s", 1, StudySettings())
    with pytest.raises(StudyNotFound), factory() as session:
        store.get_study(session, "t")


def test_study_exists_and_lists(factory, round0):
    with factory() as session:
        assert store.study_exists(session, "s") and not store.study_exists(session, "t")
        assert [study.name for study in store.list_studies(session)] == ["s"]


@pytest.mark.parametrize("n_trials", [0, -1])
def test_a_round_needs_a_trial(factory, n_trials):
    with pytest.raises(UsageError, match="trials must be >= 1"), factory.begin() as session:
        study = store.create_study(session, "s", 1, StudySettings())
        store.create_round(session, study, BOOK_SPACE, n_trials)
    with factory() as session:
        assert not store.study_exists(session, "s")  # the transaction was rolled back


def test_rounds_are_found_by_number_and_latest(factory, round0):
    with factory() as session:
        study = store.get_study(session, "s")
        assert store.latest_round(session, study).id == round0
        assert store.get_round(session, study, 0).id == round0
        with pytest.raises(UsageError, match="has no round 1"):
            store.get_round(session, study, 1)


def test_status_counts_of_a_round_and_of_a_study(factory, round0):
    with factory.begin() as session:
        queue.claim_trial(session, round0, "host:1")
        done = queue.claim_trial(session, round0, "host:1")
        queue.finish_trial(session, done.id, queue.Outcome(TrialStatus.COMPLETED, 0))
    with factory() as session:
        counts = store.status_counts(session, round0)
        assert counts == {"pending": 4, "running": 1, "completed": 1}
        assert store.study_status_counts(session, store.get_study(session, "s")) == counts
        assert store.unfinished_count(session, round0) == 5


def test_round_space_is_the_stored_ranges(factory, round0):
    with factory() as session:
        round_ = session.get(Round, round0)
        assert store.round_space(round_) == BOOK_SPACE


def test_check_trials_is_the_one_trials_rule():
    store.check_trials(1)
    with pytest.raises(UsageError, match="trials must be >= 1, got 0"):
        store.check_trials(0)
    patched = mock.patch.object(studies, "check_trials", side_effect=UsageError("checked"))
    with patched, pytest.raises(UsageError, match="checked"):
        store.create_round(mock.Mock(), mock.Mock(), BOOK_SPACE, 3)
