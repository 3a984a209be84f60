"""``hpsearch auto``: STEP0-STEP3 without a person in the loop.

After round 0, each step narrows the last round around its top-k trials (letting a
range grow past an edge that the top-k crowd, see :mod:`hpsearch.space.narrowing`) and
runs the new round, until one of these holds (checked in this order):

1. ``rounds`` narrowed rounds exist;
2. *no improvement*: the last narrowed round's best validation accuracy is less
   than ``min_improvement`` above the best of every earlier round;
3. *no shrinking*: no edge was crowded (a crowded edge means the search is moving,
   not converging) and no searched parameter would narrow: no choice would be
   dropped, and no range's width (in its own scale: decades for a log range) would
   fall to ``1 - min_shrink`` of the last round's or below. Every searched
   parameter counts alike, the learning rate and weight decay as the others.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, replace

from sqlalchemy.orm import Session, sessionmaker

from hpsearch import store
from hpsearch.errors import UsageError
from hpsearch.search import steps
from hpsearch.space.domains import Choice, Domain, described, label
from hpsearch.space.sampling import SearchSpace
from hpsearch.store.models import Study

MIN_IMPROVEMENT = 0.005
MIN_SHRINK = 0.1


def no_improvement(bests: Sequence[float | None], min_improvement: float) -> bool:
    """True when the last round's best is not ``min_improvement`` above all earlier bests."""
    if len(bests) < 2:
        return False
    earlier = [b for b in bests[:-1] if b is not None]
    if not earlier:
        return False
    last = bests[-1]
    return last is None or last < max(earlier) + min_improvement


def no_shrinking(old: SearchSpace, new: SearchSpace, crowded: bool, min_shrink: float) -> bool:
    """True when no edge was crowded and no searched parameter of ``old`` narrowed in
    ``new`` (see :func:`shrank`)."""
    return not crowded and not shrank(old, new, min_shrink)


@dataclass(frozen=True)
class AutoPlan:
    rounds: int
    top_k: int
    trials: int
    pruner: str = "none"
    min_improvement: float = MIN_IMPROVEMENT
    min_shrink: float = MIN_SHRINK

    def __post_init__(self) -> None:
        if self.rounds < 0:
            raise UsageError(f"rounds must be >= 0, got {self.rounds}")
        if self.top_k < 1:
            raise UsageError(f"top-k must be >= 1, got {self.top_k}")
        store.check_trials(self.trials)


#: The options of an ``auto`` run that its study keeps: AutoPlan field -> studies column.
STORED_OPTIONS = {
    "rounds": "auto_rounds",
    "trials": "auto_trials",
    "top_k": "auto_top_k",
    "pruner": "auto_pruner",
    "min_improvement": "auto_min_improvement",
}


def remember(study: Study, plan: AutoPlan) -> None:
    """Keep the plan's options with the study, for a later run that continues it."""
    for option, column in STORED_OPTIONS.items():
        setattr(study, column, getattr(plan, option))


def continued(study: Study, plan: AutoPlan, given: Collection[str]) -> AutoPlan:
    """The plan of a run that continues ``study``: the options its ``auto`` run kept,
    except those ``given`` again; ``plan``'s for those it did not keep (a study made
    by ``start``)."""
    kept = {option: getattr(study, column) for option, column in STORED_OPTIONS.items()}
    return replace(plan, **{o: v for o, v in kept.items() if o not in given and v is not None})


def round_bests(session: Session, study: Study) -> list[float | None]:
    """The best final validation accuracy of each round (None: no completed trial); a
    training function's metric times its sign (larger is better, as accuracies)."""
    bests = [store.round_best(session, round_.id) for round_ in study.rounds]
    if study.objective is not None:
        sign = 1.0 if study.direction == "maximize" else -1.0
        return [sign * b.value if b and b.value is not None else None for b in bests]
    return [best.val_accuracy if best else None for best in bests]


def next_step(
    session: Session, study: Study, plan: AutoPlan
) -> tuple[str | None, steps.NarrowPlan | None]:
    """Why to stop (None: go on) and, when going on, the narrowing plan."""
    narrowed = len(study.rounds) - 1
    if narrowed >= plan.rounds:
        return f"reached {plan.rounds} narrowed round(s)", None
    if narrowed >= 1 and no_improvement(round_bests(session, study), plan.min_improvement):
        return (
            f"round {narrowed} did not improve the best validation accuracy "
            f"by {plan.min_improvement}" + unspent(plan, narrowed),
            None,
        )
    narrowing = steps.plan_narrowing(
        session, study, plan.top_k, plan.trials, steps.NarrowRule(expand=True)
    )
    old, new = narrowing.old, narrowing.narrowing.space
    if no_shrinking(old, new, bool(narrowing.narrowing.crowded), plan.min_shrink):
        return (
            f"the ranges stopped shrinking (none narrowed to {1 - plan.min_shrink:.0%} "
            "of its width or less)" + unspent(plan, narrowed),
            None,
        )
    return None, narrowing


def unspent(plan: AutoPlan, narrowed: int) -> str:
    """What an early stop leaves of the plan: its narrowed rounds not run, and their trials."""
    left = plan.rounds - narrowed
    return f"; {left} of its {plan.rounds} narrowed round(s), {left * plan.trials} trials, not run"


def shrank(old: Iterable[Domain], new: Iterable[Domain], min_shrink: float) -> bool:
    """Whether any domain narrowed: a parameter was kept out (a conditional one whose
    branch was dropped), a choice lost a choice, or a range's width (in its own scale)
    fell by at least ``min_shrink``."""
    kept = {domain.name: domain for domain in new}
    for before in old:
        after = kept.get(before.name)
        if after is None:
            return True
        if isinstance(before, Choice) and isinstance(after, Choice):
            if len(after.choices) < len(before.choices):
                return True
        elif not isinstance(before, Choice) and not isinstance(after, Choice):
            width = before.scaled(before.high) - before.scaled(before.low)
            next_width = after.scaled(after.high) - after.scaled(after.low)
            if width > 0 and next_width <= (1 - min_shrink) * width:
                return True
    return False


def run_auto(
    factory: sessionmaker[Session],
    name: str,
    plan: AutoPlan,
    run_round: Callable[[int], None],
    on_round: Callable[[str], None] = lambda message: None,
) -> str:
    """Narrow and run rounds until the rule stops; returns why it stopped.

    ``run_round(round_id)`` runs the pending trials of a round (and raises if it
    ends unfinished). The study and its round 0 must exist.
    """
    while True:
        with steps.creating_round(name), factory.begin() as session:
            study = store.get_study(session, name)
            reason, narrowing = next_step(session, study, plan)
            if reason is not None:
                return reason
            assert narrowing is not None  # next_step plans a narrowing whenever it goes on
            created = steps.add_narrowed_round(session, study, narrowing, plan.pruner)
        assert created.round_id is not None  # add_narrowed_round creates the round
        space, removed = created.narrowing.space, created.narrowing.removed
        message = ", ".join(f"{label(d.name)} {described(d)}" for d in space)
        message += "".join(f"; {name} kept out: {why}" for name, why in removed.items())
        on_round(f"round {created.number}: {message}")
        run_round(created.round_id)
