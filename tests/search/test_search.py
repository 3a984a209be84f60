import pytest

from hpsearch import store
from hpsearch.data.datasets import DataSource
from hpsearch.errors import RoundBusy, StudyExists, UsageError
from hpsearch.search import steps
from hpsearch.settings import StudySettings
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import queue
from hpsearch.store.models import Round
from hpsearch.store.status import TrialStatus
from trainer import EpochMetrics

SETTINGS = StudySettings(train_size=100, epochs=2, batch_size=20, hidden=(8,))


def start(factory, source, name="s", **values):
    options = {"seed": 1, "settings": SETTINGS, "space": BOOK_SPACE, "n_trials": 3}
    return steps.start(factory, name, source=source, **options | values)


@pytest.fixture
def source(tiny_mnist):
    return DataSource(str(tiny_mnist), verify=False)


@pytest.mark.parametrize(
    ("values", "message"),
    [({"n_trials": 0}, "trials must be >= 1"), ({"seed": -1}, r"seed must be in \[0, "),
     ({"seed": 2**63}, r"seed must be in \[0, 9223372036854775807\]"),
     ({"pruner": "best"}, "unknown pruner")],
)  # fmt: skip
def test_start_checks_everything_before_it_opens_the_store(source, values, message):
    opened = []
    with pytest.raises(UsageError, match=message):
        start(lambda: opened.append(1), source, **values)
    assert opened == []


def test_start_opens_the_store_once_the_values_check_out(factory, source):
    round_id = start(lambda: factory, source)
    with factory() as session:
        assert store.latest_round(session, store.get_study(session, "s")).id == round_id
    with pytest.raises(StudyExists):
        start(factory, source)


def finish_round(factory, round_id):
    with factory.begin() as session:
        while (trial := queue.claim_trial(session, round_id, "host:1")) is not None:
            metrics = EpochMetrics(1, 1.0, 0.5, 1.0, 0.1 + 0.1 * trial.number, 0.01)
            outcome = queue.Outcome(TrialStatus.COMPLETED, 1, metrics, metrics)
            queue.finish_trial(session, trial.id, outcome)


def test_a_dry_run_plans_without_writing_and_the_round_is_the_plan(factory, source):
    finish_round(factory, start(factory, source))
    rule = steps.NarrowRule(margin=0.2)
    dry = steps.create_narrowed_round(factory, "s", 2, rule=rule, dry_run=True)
    assert dry.round_id is None and dry.n_trials == 3 and dry.number == 1
    with factory() as session:
        assert len(store.get_study(session, "s").rounds) == 1
    made = steps.create_narrowed_round(factory, "s", 2, 5, rule)
    with factory() as session:
        round_ = session.get(Round, made.round_id)
        assert store.round_space(round_) == made.narrowing.space == dry.narrowing.space
        assert (round_.number, round_.n_trials, round_.top_k) == (1, 5, 2)
    with pytest.raises(RoundBusy, match="unfinished trials"):
        steps.create_narrowed_round(factory, "s", 2)


@pytest.mark.parametrize(
    ("started", "given", "narrowed"),
    [("asha", None, "asha"), ("none", None, "none"), ("asha", "none", "none"),
     ("median", "asha", "asha")],
)  # fmt: skip
def test_a_narrowed_round_prunes_as_the_round_before_unless_told(
    factory, source, started, given, narrowed
):
    finish_round(factory, start(factory, source, pruner=started))
    plan = steps.create_narrowed_round(factory, "s", 2, pruner=given)
    with factory() as session:
        assert session.get_one(Round, plan.round_id).pruner == narrowed


def test_a_bad_margin_is_refused(factory, source):
    finish_round(factory, start(factory, source))
    with pytest.raises(UsageError, match="margin must be >= 0"):
        steps.create_narrowed_round(factory, "s", 2, rule=steps.NarrowRule(margin=-1))


def test_resume_requeues_interrupted_trials_from_scratch(factory, source):
    round_id = start(factory, source)
    with factory.begin() as session:
        trial = queue.claim_trial(session, round_id, queue.worker_name())
        queue.mark_interrupted(session, [trial.id])
    assert steps.prepare_resume(factory, "s") == (round_id, 1)
    with factory() as session:
        assert store.unfinished_count(session, round_id) == 3
        assert store.status_counts(session, round_id) == {"pending": 3}
