import pickle

import numpy as np
import pytest

from hpsearch import store
from hpsearch.errors import UsageError
from hpsearch.run.order import GoneWatch, wait_for_decision
from hpsearch.run.pruning import (
    ASHA_ETA,
    ASHA_MIN_EPOCHS,
    MEDIAN_MIN_TRIALS,
    MEDIAN_WARMUP_EPOCHS,
    PRUNERS,
    AshaPruner,
    Decision,
    MedianPruner,
    NoPruner,
    asha_rungs,
    asha_stops,
    make_pruner,
    median_stops,
)
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import liveness, queue
from hpsearch.store.models import EpochMetric, Trial
from hpsearch.store.status import TrialStatus
from trainer import EpochMetrics

# --- median, on hand-made curves ------------------------------------------------------------

#: Five finished trials, constant over 10 epochs: the median at every epoch is 0.7.
FINISHED = [[level] * 10 for level in (0.5, 0.6, 0.7, 0.8, 0.9)]


def median_first_stop(curve, others=FINISHED, *, warmup=5, min_trials=5, finished=5):
    """The first epoch after which the median rule stops ``curve``; None if it never does."""
    for epoch in range(1, len(curve) + 1):
        if median_stops(
            curve[:epoch],
            others,
            warmup_epochs=warmup,
            min_trials=min_trials,
            finished_trials=finished,
        ):
            return epoch
    return None


def test_median_defaults():
    assert (MEDIAN_WARMUP_EPOCHS, MEDIAN_MIN_TRIALS) == (5, 5)
    assert MedianPruner() == MedianPruner(warmup_epochs=5, min_trials=5)


@pytest.mark.parametrize(
    ("curve", "expected"),
    [
        ([0.1] * 10, 6),  # hopeless from the start: stops right after the warm-up
        ([0.9] * 10, None),
        ([0.7] * 10, None),  # equal to the median is not strictly below
        ([0.69] * 10, 6),
        ([0.1] * 7 + [0.9] * 3, 6),
        ([0.75] + [0.1] * 9, None),  # its best so far, 0.75, is what is compared
        ([0.1] * 5, None),  # never past the warm-up
    ],
)
def test_median_stops_a_trial_below_the_median_after_the_warmup(curve, expected):
    assert median_first_stop(curve) == expected


@pytest.mark.parametrize(("warmup", "expected"), [(0, 1), (3, 4), (5, 6), (9, 10), (10, None)])
def test_median_makes_no_decision_during_the_warmup(warmup, expected):
    assert median_first_stop([0.1] * 10, warmup=warmup) == expected


@pytest.mark.parametrize(("finished", "expected"), [(0, None), (4, None), (5, 6), (12, 6)])
def test_median_waits_for_min_trials_finished(finished, expected):
    assert median_first_stop([0.1] * 10, finished=finished) == expected


def test_median_compares_with_the_others_that_reached_the_same_epoch():
    others = [[0.9] * 6, [0.9] * 6, [0.2] * 10]  # two of them stop after epoch 6
    assert median_first_stop([0.5] * 10, others) == 6  # median of 0.9, 0.9, 0.2
    assert median_first_stop([0.5] * 10, others, warmup=6) is None  # then 0.2 alone


def test_median_takes_the_mean_of_the_middle_pair():
    others = [[0.4] * 10, [0.6] * 10]  # median 0.5
    assert median_first_stop([0.49] * 10, others) == 6
    assert median_first_stop([0.5] * 10, others) is None


@pytest.mark.parametrize("others", [[], [[0.9] * 5, [0.9] * 3]])
def test_median_makes_no_decision_when_no_other_trial_reached_the_epoch(others):
    assert median_first_stop([0.1] * 10, others) is None


# --- ASHA, on hand-made curves --------------------------------------------------------------


def test_asha_defaults():
    assert (ASHA_MIN_EPOCHS, ASHA_ETA) == (2, 4)
    assert AshaPruner(50).rungs == [2, 8, 32]


@pytest.mark.parametrize(
    ("max_epochs", "min_epochs", "eta", "rungs"),
    [
        (50, 5, 3, [5, 15, 45]),
        (45, 5, 3, [5, 15]),  # a rung at the last epoch would decide nothing
        (46, 5, 3, [5, 15, 45]),
        (5, 5, 3, []),
        (3, 5, 3, []),
        (20, 1, 2, [1, 2, 4, 8, 16]),
    ],
)
def test_asha_rungs_are_min_epochs_times_powers_of_eta(max_epochs, min_epochs, eta, rungs):
    assert asha_rungs(max_epochs, min_epochs=min_epochs, eta=eta) == rungs


@pytest.mark.parametrize(("min_epochs", "eta"), [(0, 3), (5, 1), (5, 0)])
def test_asha_rejects_rungs_that_never_grow(min_epochs, eta):
    with pytest.raises(UsageError):
        asha_rungs(50, min_epochs=min_epochs, eta=eta)
    with pytest.raises(UsageError):
        AshaPruner(50, min_epochs=min_epochs, eta=eta)


@pytest.mark.parametrize(
    ("value", "rung_values", "stops"),
    [
        (0.5, [0.5], False),  # the first trial at a rung is the best so far
        (0.4, [0.5, 0.4], True),  # 2 // 3 == 0: only the best so far continues
        (0.6, [0.5, 0.6], False),
        (0.5, [0.5, 0.5], False),  # a tie counts in its favour
    ],
)
def test_asha_first_trials_at_a_rung_continue_only_if_best(value, rung_values, stops):
    assert asha_stops(value, rung_values, eta=3) is stops


SIX = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4]  # 6 // 3 == 2 continue


@pytest.mark.parametrize(("value", "stops"), [(0.9, False), (0.8, False), (0.7, True), (0.4, True)])
def test_asha_top_one_in_eta_continue(value, stops):
    assert asha_stops(value, SIX, eta=3) is stops


def test_asha_ties_at_the_threshold_all_continue():
    values = [0.9, 0.8, 0.8, 0.8, 0.5, 0.4]
    assert not asha_stops(0.8, values, eta=3)
    assert asha_stops(0.5, values, eta=3)


def asha_first_stop(curve, earlier, *, max_epochs=50, min_epochs=5, eta=3):
    """The rung at which ASHA stops ``curve``, run after the ``earlier`` (stored) curves."""
    for rung in asha_rungs(max_epochs, min_epochs=min_epochs, eta=eta):
        if len(curve) < rung:
            return None
        at_rung = [max(c[:rung]) for c in earlier if len(c) >= rung] + [max(curve[:rung])]
        if asha_stops(max(curve[:rung]), at_rung, eta=eta):
            return rung
    return None


#: Five earlier trials of 50 epochs, rising to 0.5 .. 0.9.
EARLIER = [
    [level * min(1.0, epoch / 10) for epoch in range(1, 51)] for level in (0.5, 0.6, 0.7, 0.8, 0.9)
]


@pytest.mark.parametrize(
    ("curve", "expected"),
    [
        ([0.1] * 50, 5),  # a bad trial stops at the first rung
        ([0.95] * 50, None),  # a good one passes every rung
        ([0.44] * 50, 15),  # in the top third at rung 5, while the others still rise
        ([0.44] * 10 + [0.85] * 40, None),
        ([0.95] + [0.1] * 49, None),  # its best so far is what is compared
        ([0.1] * 20, 5),
        ([0.95] * 10, None),  # stopped for another reason before rung 15
    ],
)
def test_asha_stops_a_trial_outside_the_top_third_at_a_rung(curve, expected):
    assert asha_first_stop(curve, EARLIER) == expected


def test_asha_stops_a_trial_that_is_not_first_while_a_rung_is_nearly_empty():
    assert asha_first_stop([0.5] * 50, [[0.6] * 50]) == 5
    assert asha_first_stop([0.6] * 50, [[0.6] * 50]) is None


# --- the same rules, read from the store ----------------------------------------------------


def store_round(factory, curves, statuses):
    """A round with one trial per curve, its epochs stored; returns the round and trial ids."""
    with factory.begin() as session:
        study = store.create_study(session, "s", 1, StudySettings())
        round_ = store.create_round(session, study, BOOK_SPACE, len(curves))
        for trial, curve, status in zip(round_.trials, curves, statuses, strict=True):
            trial.status = status
            for epoch, val in enumerate(curve, start=1):
                trial.epochs.append(
                    EpochMetric(
                        epoch=epoch, train_accuracy=val, val_accuracy=val,
                        train_loss=1.0, val_loss=1.0, seconds=0.1,
                    )
                )  # fmt: skip
        session.flush()
        return round_.id, [trial.id for trial in round_.trials]


def noisy_curves(seed, n, epochs):
    """``n`` rising curves with validation noise, of random lengths up to ``epochs``."""
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(n):
        level = rng.uniform(0.2, 0.95)
        length = int(rng.integers(1, epochs + 1))
        rise = level * (1 - np.exp(-np.arange(1, length + 1) / 4))
        curves.append([float(v) for v in np.clip(rise + rng.normal(0, 0.03, length), 0, 1)])
    return curves


FINISHED_MIX = [TrialStatus.COMPLETED, TrialStatus.PRUNED, TrialStatus.DIVERGED]


def expected_decision(stops: bool) -> Decision:
    return Decision.STOP if stops else Decision.CONTINUE


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_median_pruner_decides_against_the_earlier_trials_only(factory, seed):
    curves = noisy_curves(seed, 24, 10)
    round_id, ids = store_round(factory, curves, FINISHED_MIX * 8)
    pruner = MedianPruner()
    decisions = []
    with factory() as session:
        for i, (trial_id, curve) in enumerate(zip(ids, curves, strict=True)):
            earlier = curves[:i]
            for epoch in range(1, len(curve) + 1):
                reached = sum(len(c) >= epoch for c in earlier)
                stops = median_stops(
                    curve[:epoch], earlier, warmup_epochs=5, min_trials=5, finished_trials=reached
                )
                assert pruner.decide(session, trial_id, round_id, epoch) is expected_decision(stops)
                decisions.append(stops)
    assert True in decisions and False in decisions


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_asha_pruner_decides_against_the_earlier_trials_only(factory, seed):
    curves = noisy_curves(seed, 15, 50)
    round_id, ids = store_round(factory, curves, [TrialStatus.COMPLETED] * len(curves))
    pruner = AshaPruner(50, min_epochs=5, eta=3)
    decisions = []
    with factory() as session:
        for i, (trial_id, curve) in enumerate(zip(ids, curves, strict=True)):
            for epoch in range(1, len(curve) + 1):
                stops = False
                if epoch in (5, 15, 45):
                    at_rung = [max(c[:epoch]) for c in curves[: i + 1] if len(c) >= epoch]
                    stops = asha_stops(max(curve[:epoch]), at_rung, eta=3)
                assert pruner.decide(session, trial_id, round_id, epoch) is expected_decision(stops)
                decisions.append(stops)
    assert True in decisions and False in decisions


@pytest.mark.parametrize("pruner", [MedianPruner(), AshaPruner(10, min_epochs=6)])
def test_a_decision_waits_for_an_earlier_running_trial_and_gives_up_on_a_lost_one(factory, pruner):
    curves = [[0.9] * 10] * 5 + [[0.9] * 3] + [[0.1] * 10]
    round_id, ids = store_round(factory, curves, [TrialStatus.COMPLETED] * 5 + [
        TrialStatus.RUNNING, TrialStatus.RUNNING])  # fmt: skip
    with factory.begin() as session:
        running = session.get(Trial, ids[5])
        running.worker = liveness.worker_name()  # this live process: not stale
    with factory() as session:
        assert pruner.decide(session, ids[-1], round_id, 6) is Decision.WAIT
        assert pruner.decide(session, ids[5], round_id, 3) is Decision.CONTINUE  # lowest running
    for status, decision in [
        (TrialStatus.DIVERGED, Decision.STOP),  # ended earlier: no longer counted
        (TrialStatus.INTERRUPTED, Decision.GIVE_UP),
    ]:
        with factory.begin() as session:
            session.get(Trial, ids[5]).status = status
        with factory() as session:
            assert pruner.decide(session, ids[-1], round_id, 6) is decision
    with factory.begin() as session:
        trial = session.get(Trial, ids[5])
        trial.status, trial.worker = TrialStatus.RUNNING, liveness.worker_name(GONE_PID)
    watch = GoneWatch()
    for decision in [Decision.WAIT, Decision.GIVE_UP]:  # its worker is gone, seen twice
        with factory() as session:  # each ask in a transaction of its own
            assert pruner.decide(session, ids[-1], round_id, 6, watch) is decision
    with factory() as session:  # without a watch, nothing confirms it: it waits
        assert pruner.decide(session, ids[-1], round_id, 6) is Decision.WAIT


#: A pid above Linux's largest (2**22): no process has it.
GONE_PID = 2**22 + 7


@pytest.mark.parametrize("pruner", [MedianPruner(), AshaPruner(10, min_epochs=6)])
def test_a_worker_that_ended_its_trial_and_exited_after_the_read_does_not_make_it_give_up(
    factory, pruner
):
    # The read shows trial 5 running; its worker then ends it (diverged: no longer
    # counted), exits, and only then is asked about: it looks gone. The next read,
    # begun after, shows the trial ended, and the decision is the rule's.
    curves = [[0.9] * 10] * 5 + [[0.9] * 3] + [[0.1] * 10]
    round_id, ids = store_round(factory, curves, [TrialStatus.COMPLETED] * 5 + [
        TrialStatus.RUNNING, TrialStatus.RUNNING])  # fmt: skip
    with factory.begin() as session:
        session.get(Trial, ids[5]).worker = liveness.worker_name(GONE_PID)
    watch = GoneWatch()
    with factory() as session:
        assert pruner.decide(session, ids[-1], round_id, 6, watch) is Decision.WAIT
    with factory.begin() as session:
        queue.finish_trial(session, ids[5], queue.Outcome(TrialStatus.DIVERGED, 3))
    with factory() as session:
        assert pruner.decide(session, ids[-1], round_id, 6, watch) is Decision.STOP


def test_a_waiting_decision_asks_again_with_one_watch_until_it_is_decided():
    answers = iter([Decision.WAIT, Decision.WAIT, Decision.STOP])
    watches = []

    def ask(watch):
        watches.append(watch)
        return next(answers)

    assert wait_for_decision(ask, stopping=lambda: False) is Decision.STOP
    assert len(watches) == 3 and all(watch is watches[0] for watch in watches)
    assert wait_for_decision(lambda _: Decision.WAIT, stopping=lambda: True) is Decision.GIVE_UP


def run_one_after_another(factory, curves, pruner):
    """Run the trials of a round in turn as one worker would; {trial number: epoch pruned}."""
    with factory.begin() as session:
        study = store.create_study(session, "s", 1, StudySettings())
        round_id = store.create_round(session, study, BOOK_SPACE, len(curves)).id
    pruned = {}
    for number, curve in enumerate(curves):
        with factory.begin() as session:
            trial = queue.claim_trial(session, round_id, "host:1")
        status = TrialStatus.COMPLETED
        for epoch, val in enumerate(curve, start=1):
            with factory.begin() as session:
                queue.record_epoch(session, trial.id, EpochMetrics(epoch, 1.0, val, 1.0, val, 0.1))
                stop = pruner.decide(session, trial.id, round_id, epoch) is Decision.STOP
            if stop:
                pruned[number], status = epoch, TrialStatus.PRUNED
                break
        with factory.begin() as session:
            queue.finish_trial(session, trial.id, queue.Outcome(status, epoch))
    return pruned


def test_a_median_search_prunes_the_trials_below_the_median(factory):
    levels = [0.5, 0.6, 0.7, 0.8, 0.9, 0.4, 0.95, 0.65, 0.7]
    pruned = run_one_after_another(factory, [[level] * 10 for level in levels], MedianPruner())
    # Trial 8 survives epoch 6 (median 0.675) but not epoch 7, which the pruned
    # trials 5 and 7 never reached (median 0.75).
    assert pruned == {5: 6, 7: 6, 8: 7}


def test_an_asha_search_promotes_the_top_third_at_each_rung(factory):
    levels = [0.5, 0.4, 0.6, 0.55, 0.7, 0.65]
    pruner = AshaPruner(50, min_epochs=5, eta=3)
    pruned = run_one_after_another(factory, [[level] * 50 for level in levels], pruner)
    # 1 and 3 are not the best of 2 and 4 trials at rung 5; 5 is second of 6 at
    # rung 5 (top 2 continue) but not the best of 4 at rung 15.
    assert pruned == {1: 5, 3: 5, 5: 15}


def run_interleaved(factory, curves, pruner, *, workers, seed, epochs):
    """Run the trials of a round as ``workers`` workers would, their steps (a claim, an
    epoch stored and decided, a decision asked again after a wait) interleaved in a random
    order drawn from ``seed``. A curve shorter than ``epochs`` diverges after its last
    epoch. Returns {trial number: (status, epochs stored)}."""
    with factory.begin() as session:
        study = store.create_study(session, f"s{seed}", 1, StudySettings())
        round_id = store.create_round(session, study, BOOK_SPACE, len(curves)).id
    rng = np.random.default_rng(seed)
    claims: dict[int, list[int]] = {}  # worker -> [trial id, trial number, epochs stored]
    decided: dict[int, bool] = {}  # worker -> its last decision was taken (not a wait)
    done: set[int] = set()
    ended = {}

    def finish(worker, status, epochs_run):
        trial_id, number, _ = claims.pop(worker)
        with factory.begin() as session:
            queue.finish_trial(session, trial_id, queue.Outcome(status, epochs_run))
        ended[number] = (status, epochs_run)

    def claim(worker):
        with factory.begin() as session:
            trial = queue.claim_trial(session, round_id, f"host:{worker}")
            if trial is None:
                done.add(worker)
            else:
                claims[worker] = [trial.id, trial.number, 0]
                decided[worker] = True

    for worker in range(workers):  # each claims before any trains (the start line)
        claim(worker)
    idle_in_a_row = 0
    while len(done) < workers:
        worker = int(rng.choice([w for w in range(workers) if w not in done]))
        if worker not in claims:
            claim(worker)
            continue
        trial_id, number, stored = claims[worker]
        curve = curves[number]
        with factory.begin() as session:
            if decided[worker]:  # the next epoch ends (or the loss diverges)
                if stored == len(curve):
                    status = TrialStatus.COMPLETED if stored == epochs else TrialStatus.DIVERGED
                    finish(worker, status, stored)
                    continue
                stored += 1
                val = curve[stored - 1]
                queue.record_epoch(session, trial_id, EpochMetrics(stored, 1.0, val, 1.0, val, 0.1))
                claims[worker][2] = stored
            decision = pruner.decide(session, trial_id, round_id, stored)
        decided[worker] = decision is not Decision.WAIT
        idle_in_a_row = idle_in_a_row + 1 if decision is Decision.WAIT else 0
        assert idle_in_a_row < 1000  # the lowest running trial never waits: no deadlock
        assert decision is not Decision.GIVE_UP
        if decision is Decision.STOP:
            finish(worker, TrialStatus.PRUNED, stored)
    return ended


@pytest.mark.parametrize(
    "pruner", [MedianPruner(warmup_epochs=2, min_trials=3), AshaPruner(12, min_epochs=2, eta=2)]
)
@pytest.mark.parametrize("seed", range(2))
def test_pruning_decisions_do_not_depend_on_how_the_workers_interleave(factory, pruner, seed):
    # Noisy curves, one in four diverging early: decisions waiting for earlier trials
    # that are still running, pruned later or diverged, in many orders.
    rng = np.random.default_rng(100 + seed)
    curves = [
        [float(v) for v in np.clip(rng.uniform(0.2, 0.9) + rng.normal(0, 0.05, 12), 0, 1)]
        for _ in range(10)
    ]
    curves = [c[: int(rng.integers(3, 12))] if rng.random() < 0.25 else c for c in curves]
    outcomes = [
        run_interleaved(factory, curves, pruner, workers=workers, seed=seed * 10 + order,
                        epochs=12)
        for workers, order in [(1, 0), (2, 1), (3, 2), (3, 3)]
    ]  # fmt: skip
    assert all(outcome == outcomes[0] for outcome in outcomes[1:])
    statuses = {status for status, _ in outcomes[0].values()}
    assert TrialStatus.PRUNED in statuses and TrialStatus.COMPLETED in statuses


def test_no_pruner_never_stops(factory):
    pruned = run_one_after_another(factory, [[0.9] * 10] * 5 + [[0.0] * 10], NoPruner())
    assert pruned == {}


# --- choosing a pruner ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [("none", NoPruner()), ("median", MedianPruner()), ("asha", AshaPruner(50))],
)
def test_make_pruner_by_name(name, expected):
    assert name in PRUNERS
    pruner = make_pruner(name, 50)
    assert pruner == expected
    assert pickle.loads(pickle.dumps(pruner)) == pruner  # sent to worker processes


def test_make_pruner_rejects_an_unknown_name_listing_the_valid_ones():
    with pytest.raises(UsageError, match="'hyperband'.*none, median, asha"):
        make_pruner("hyperband", 50)


def test_pruners_are_frozen():
    with pytest.raises(AttributeError):
        MedianPruner().warmup_epochs = 1  # type: ignore[misc]


def test_a_training_functions_metric_is_read_as_the_book_reads_accuracy(factory):
    """A minimised loss, read with sign -1, gives the pruners the same view of the round
    as the accuracies it mirrors: the same epochs, bests and values at the epoch."""
    from hpsearch.store.metrics import metric_rung_rows
    from hpsearch.store.models import TrialMetric

    curves = [[0.2, 0.5, 0.4], [0.3, 0.6], [0.1]]
    statuses = [TrialStatus.COMPLETED, TrialStatus.PRUNED, TrialStatus.RUNNING]
    round_id, ids = store_round(factory, curves, statuses)
    with factory.begin() as session:
        for trial_id, curve in zip(ids, curves, strict=True):
            for epoch, val in enumerate(curve, start=1):
                session.add(
                    TrialMetric(
                        trial_id=trial_id, epoch=epoch, name="loss", value=1 - val, seconds=0.1
                    )
                )
                session.add(  # another metric of the same epoch: not read
                    TrialMetric(
                        trial_id=trial_id, epoch=epoch, name="other", value=9.0, seconds=0.1
                    )
                )
    with factory() as session:
        for epoch in (1, 2, 3):
            book = store.rung_rows(session, round_id, ids[-1], epoch)
            loss = metric_rung_rows(session, round_id, ids[-1], epoch, "loss", -1.0)
            assert [r.epochs_run for r in loss] == [r.epochs_run for r in book]
            for mine, theirs in zip(loss, book, strict=True):
                for field in ("best_val_accuracy", "val_accuracy"):
                    got, want = getattr(mine, field), getattr(theirs, field)
                    assert (got is None and want is None) or got == pytest.approx(want - 1)
