"""The search's steps as operations on the store: start, narrow, resume, run.

These tie the store, the sampling and the runner together; the CLI only parses
options and prints. Each step validates everything (settings, ranges, the data
itself) before it writes anything, and creates a round and all its trials in
one transaction, so a step that fails leaves nothing half-made behind. A
narrowing is planned inside the transaction that creates its round, and the plan
is returned, so what is shown is what was created.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.data.datasets import DataSource, check_split
from hpsearch.errors import Interrupted, RoundBusy, StudyExists, UsageError
from hpsearch.run.pruning import make_pruner
from hpsearch.run.runner import RunSummary, run_round
from hpsearch.search.training import BOOK, Training
from hpsearch.settings import StudySettings
from hpsearch.space.domains import Choice, IntRange
from hpsearch.space.memory import check_fits
from hpsearch.space.narrowing import Narrowing, narrow
from hpsearch.space.sampling import SearchSpace
from hpsearch.space.setup import check_book_space
from hpsearch.store import liveness, queue
from hpsearch.store.models import Round, Study, Trial
from hpsearch.store.progress import RoundProgress
from hpsearch.store.status import TrialStatus

#: The largest study seed: the ``studies.seed`` column is a signed 64-bit integer.
MAX_SEED = 2**63 - 1

StoreOpener = sessionmaker[Session] | Callable[[], sessionmaker[Session]]


@dataclass(frozen=True)
class RunOptions:
    db_url: str
    workers: int
    source: DataSource
    on_progress: Callable[[RoundProgress], None] | None = None
    #: The command an interrupted run is continued with (``resume``, or ``auto``).
    continue_with: str = "resume"


def check_start(
    name: str,
    *,
    seed: int,
    settings: StudySettings,
    n_trials: int,
    source: DataSource,
    pruner: str = "none",
    space: SearchSpace | None = None,
    training: Training = BOOK,
) -> None:
    """Everything :func:`create` needs, checked before anything is written: the values,
    and the data itself (it exists, verifies and fits the split, with the largest
    batch size the space can draw)."""
    store.check_trials(n_trials)
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"seed must be in [0, {MAX_SEED}] (a 64-bit integer), got {seed}")
    if not name.strip():
        raise UsageError("a study needs a name")
    make_pruner(pruner, settings.epochs)
    training.check()
    if training.objective is not None:
        return  # the function reads its own data: the book network's is not needed
    if space is not None:
        check_book_space(settings.optimizer, space.domains)
        check_fits(settings, space)
    batch = space.get("batch_size") if space else None
    if isinstance(batch, IntRange):
        settings = replace(settings, batch_size=batch.high)
    elif isinstance(batch, Choice):
        settings = replace(settings, batch_size=max(int(c) for c in batch.choices))
    check_split(settings, source)


def create(
    factory: sessionmaker[Session],
    name: str,
    *,
    seed: int,
    settings: StudySettings,
    space: SearchSpace,
    n_trials: int,
    pruner: str = "none",
    training: Training = BOOK,
) -> int:
    """STEP0 and STEP1: create the study and its round 0 in one transaction; returns
    the round's id. Check the values first with :func:`check_start`."""
    fixed = json.dumps(training.settings, sort_keys=True) if training.objective else None
    try:
        with factory.begin() as session:
            study = store.create_study(
                session, name, seed, settings, goal=training.goal,
                objective=training.objective, objective_settings=fixed,
            )  # fmt: skip
            return store.create_round(session, study, space, n_trials, pruner=pruner).id
    except IntegrityError:  # created by another process since create_study looked
        raise StudyExists(name) from None


def start(
    factory: StoreOpener,
    name: str,
    *,
    seed: int,
    settings: StudySettings,
    space: SearchSpace,
    n_trials: int,
    source: DataSource,
    pruner: str = "none",
    training: Training = BOOK,
) -> int:
    """:func:`check_start`, then :func:`create`; returns round 0's id. ``factory`` may be a
    function that opens the store: called once everything checked out, so a mistake leaves
    no database file behind."""
    check_start(
        name,
        seed=seed,
        settings=settings,
        n_trials=n_trials,
        source=source,
        pruner=pruner,
        space=space,
        training=training,
    )
    if not isinstance(factory, sessionmaker):
        factory = factory()
    return create(
        factory, name, seed=seed, settings=settings, space=space, n_trials=n_trials,
        pruner=pruner, training=training,
    )  # fmt: skip


@dataclass(frozen=True)
class NarrowRule:
    """How ranges are narrowed around the top-k (see :func:`hpsearch.space.narrowing.narrow`)."""

    margin: float = 0.1
    snap: bool = False
    expand: bool = False


Rule = NarrowRule | None  # None: the default rule


@dataclass(frozen=True)
class NarrowPlan:
    """The top-k trials of a round, the ranges they give, and (once created) the new round."""

    parent: Round
    top: list[Trial]
    narrowing: Narrowing
    top_k: int
    n_trials: int
    round_id: int | None = None  # None: planned only

    @property
    def old(self) -> SearchSpace:
        return store.round_space(self.parent)

    @property
    def number(self) -> int:
        """The new round's number."""
        return self.parent.number + 1


def plan_narrowing(
    session: Session, study: Study, top_k: int, n_trials: int | None = None, rule: Rule = None
) -> NarrowPlan:
    """The top-k trials of the latest round and the ranges they give; ``n_trials``
    defaults to the latest round's."""
    rule = rule or NarrowRule()
    if rule.margin < 0:
        raise UsageError(f"margin must be >= 0, got {rule.margin}")
    parent = store.latest_round(session, study)
    if unfinished := store.unfinished_count(session, parent.id):
        raise RoundBusy(
            f"round {parent.number} of {study.name!r} has {unfinished} unfinished trials: "
            f"wait for it to end, or run `hpsearch resume {study.name}`"
        )
    if top_k < 1:
        raise UsageError(f"top-k must be >= 1, got {top_k}")
    top = store.round_top(session, parent.id, top_k, pruned=True)
    if len(top) < top_k:
        raise UsageError(
            f"top-k {top_k} is more than the {len(top)} completed or pruned trials "
            f"of round {parent.number}"
        )
    values = store.trial_values(session, [trial.id for trial in top])
    narrowing = narrow(
        store.round_space(parent),
        [values[trial.id] for trial in top],
        margin=rule.margin,
        snap=rule.snap,
        expand=rule.expand,
    )
    if study.objective is None:  # --expand may grow the book's network
        check_fits(StudySettings.from_study(study), narrowing.space)
    return NarrowPlan(parent, top, narrowing, top_k, n_trials or parent.n_trials)


def add_narrowed_round(session: Session, study: Study, plan: NarrowPlan, pruner: str) -> NarrowPlan:
    """Create the round ``plan`` describes; returns the plan with the round's id."""
    make_pruner(pruner, study.epochs)
    round_ = store.create_round(
        session,
        study,
        plan.narrowing.space,
        plan.n_trials,
        parent=plan.parent,
        top_k=plan.top_k,
        pruner=pruner,
    )
    return replace(plan, round_id=round_.id)


@contextmanager
def creating_round(name: str) -> Iterator[None]:
    """Translate a lost race for the next round number into :class:`RoundBusy`."""
    try:
        yield
    except IntegrityError:
        raise RoundBusy(
            f"another command created the next round of {name!r} at the same time"
        ) from None


def create_narrowed_round(
    factory: sessionmaker[Session],
    name: str,
    top_k: int,
    n_trials: int | None = None,
    rule: Rule = None,
    *,
    pruner: str | None = None,
    dry_run: bool = False,
) -> NarrowPlan:
    """STEP3: plan the narrowing and create its round in one transaction; returns the
    plan with the new round's id (with ``dry_run``, the plan alone, nothing written).
    The new round prunes as ``pruner`` says, else as the round it narrows did."""
    with creating_round(name), factory.begin() as session:
        study = store.get_study(session, name)
        plan = plan_narrowing(session, study, top_k, n_trials, rule)
        if dry_run:
            return plan
        return add_narrowed_round(session, study, plan, pruner or plan.parent.pruner)


def prepare_resume(factory: sessionmaker[Session], name: str) -> tuple[int, int]:
    """Re-queue the latest round's stale and interrupted trials.

    Returns (round id, trials re-queued). Refuses while a live process still runs
    trials of the round (see ``liveness.is_stale``). A trial that finished (or was
    claimed again) after it was read is left as it is (``queue.reset_trial`` resets only
    the claim it read), so a worker that ends its trial and exits between the read and
    the question of its liveness does not have it run twice.
    """
    with factory.begin() as session:
        study = store.get_study(session, name)
        round_ = store.latest_round(session, study)
        trials = queue.rerunnable_trials(session, round_.id)
        live = [t for t in trials if t.status == TrialStatus.RUNNING and not liveness.is_stale(t)]
        if live:
            workers = ", ".join(sorted({t.worker or "?" for t in live}))
            raise RoundBusy(
                f"round {round_.number} of {name!r} is being run by {workers}; "
                "wait for it to end (or stop it) before resuming"
            )
        return round_.id, sum(queue.reset_trial(session, trial) for trial in trials)


def run(
    factory: sessionmaker[Session], name: str, round_id: int, options: RunOptions
) -> RunSummary:
    """Run the pending trials of a round; Ctrl-C raises Interrupted with what to do next."""
    if options.workers < 1:
        raise UsageError(f"workers must be >= 1, got {options.workers}")
    try:
        return run_round(
            factory,
            options.db_url,
            round_id,
            workers=options.workers,
            source=options.source,
            on_progress=options.on_progress,
        )
    except Interrupted:
        raise Interrupted(name, options.continue_with) from None
