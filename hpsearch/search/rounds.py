"""STEP3 as operations on the store: plan a narrowing of a study's last round, and create
its round.

A narrowing is planned inside the transaction that creates its round, and the plan is
returned, so what is shown is what was created. The new round prunes and samples as
the round it narrows did, unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.errors import RoundBusy, UsageError
from hpsearch.run.pruning import make_pruner
from hpsearch.settings import StudySettings
from hpsearch.space.memory import check_fits
from hpsearch.space.narrowing import Narrowing, narrow
from hpsearch.space.samplers import Sampling
from hpsearch.space.sampling import SearchSpace
from hpsearch.store.models import Round, Study, Trial


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
    sampling: Sampling | None = None  # how the new round samples (once chosen)

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


def add_narrowed_round(
    session: Session,
    study: Study,
    plan: NarrowPlan,
    pruner: str,
    sampling: Sampling | None = None,
) -> NarrowPlan:
    """Create the round ``plan`` describes, sampled as ``sampling`` says, else as the round
    it narrows was; returns the plan with the round's id."""
    make_pruner(pruner, study.epochs)
    round_ = store.create_round(
        session,
        study,
        plan.narrowing.space,
        plan.n_trials,
        parent=plan.parent,
        top_k=plan.top_k,
        pruner=pruner,
        sampling=sampling or store.round_sampling(plan.parent),
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
    sampler: str | None = None,
    sampler_batch: int | None = None,
) -> NarrowPlan:
    """STEP3: plan the narrowing and create its round in one transaction; returns the
    plan with the new round's id (with ``dry_run``, the plan alone, nothing written).
    The new round prunes as ``pruner`` says and samples as ``sampler`` and
    ``sampler_batch`` say, else each as the round it narrows did."""
    with creating_round(name), factory.begin() as session:
        study = store.get_study(session, name)
        plan = plan_narrowing(session, study, top_k, n_trials, rule)
        parent = store.round_sampling(plan.parent)
        sampling = Sampling(sampler or parent.sampler, sampler_batch or parent.batch)
        plan = replace(plan, sampling=sampling)
        if dry_run:
            return plan
        return add_narrowed_round(session, study, plan, pruner or plan.parent.pruner, sampling)
