from hpsearch import store
from hpsearch.store import queue
from hpsearch.store.status import TrialStatus
from tests.support import epoch_metrics

COMPLETED = TrialStatus.COMPLETED


def finish_all(factory, round_id, outcomes):
    with factory.begin() as session:
        for number, (status, val) in enumerate(outcomes):
            trial = queue.claim_trial(session, round_id, "host:1")
            assert trial.number == number
            final = epoch_metrics(3, val) if val is not None else None
            queue.finish_trial(session, trial.id, queue.Outcome(status, 3, final=final, best=final))


def test_top_trials_rank_completed_ones_only(factory, round0):
    finish_all(
        factory,
        round0,
        [(COMPLETED, 0.5), (TrialStatus.DIVERGED, 0.99), (COMPLETED, 0.9),
         (TrialStatus.FAILED, None), (COMPLETED, 0.7), (COMPLETED, 0.9)],
    )  # fmt: skip
    with factory() as session:
        study = store.get_study(session, "s")
        round_ = store.latest_round(session, study)
        assert [t.number for t in store.round_top(session, round_.id, 3, pruned=True)] == [2, 5, 4]
        assert [t.number for t in store.leaderboard(session, study)] == [2, 5, 4, 0]
        assert store.best_trial(session, study).number == 2
        assert len(store.round_top(session, round_.id, 5, pruned=True)) == 4


def test_the_best_of_a_round_is_its_first_completed_trial(factory, round0):
    with factory() as session:
        assert store.round_best(session, round0) is None
    finish_all(factory, round0, [(TrialStatus.PRUNED, 0.95), (COMPLETED, 0.6), (COMPLETED, 0.8)])
    with factory() as session:
        assert store.round_best(session, round0).number == 2
        assert [t.number for t in store.round_top(session, round0, 5)] == [2, 1]


def test_pruned_trials_make_up_the_top_k_only_when_needed(factory, round0):
    finish_all(factory, round0, [(TrialStatus.PRUNED, 0.95), (COMPLETED, 0.6)])
    with factory() as session:
        round_ = store.latest_round(session, store.get_study(session, "s"))
        assert [t.number for t in store.round_top(session, round_.id, 1, pruned=True)] == [1]
        assert [t.number for t in store.round_top(session, round_.id, 2, pruned=True)] == [1, 0]


def test_study_trials_and_epochs_by_round_and_number(factory, round0):
    with factory.begin() as session:
        trial = queue.claim_trial(session, round0, "host:1")
        for number in (2, 1):
            queue.record_epoch(session, trial.id, epoch_metrics(number))
        queue.finish_trial(session, trial.id, queue.Outcome(COMPLETED, 2))
    with factory() as session:
        study = store.get_study(session, "s")
        assert [t.number for t in store.study_trials(session, study)] == list(range(6))
        finished = store.study_trials(session, study, finished=True)
        assert [t.id for t in finished] == [trial.id]
        assert [m.epoch for m in store.study_epochs(session, study)[trial.id]] == [1, 2]
        assert [m.epoch for m in store.epoch_curves(session, [trial.id])[trial.id]] == [1, 2]


def test_the_leaderboard_ranks_the_best_first_while_narrowing_takes_completed_ones(factory, round0):
    """A pruned trial at 0.95 ranks above a completed one at 0.6 (its status says it was
    pruned); a completed trial wins a tie; narrowing's top-k stays completed-first."""
    outcomes = [(TrialStatus.PRUNED, 0.95), (COMPLETED, 0.6), (COMPLETED, 0.8),
                (TrialStatus.PRUNED, 0.6), (TrialStatus.DIVERGED, 0.99)]  # fmt: skip
    finish_all(factory, round0, outcomes)
    with factory() as session:
        board = store.leaderboard(session, store.get_study(session, "s"))
        assert [t.number for t in board] == [0, 2, 1, 3]
        assert [t.number for t in store.round_top(session, round0, 3, pruned=True)] == [2, 1, 0]
