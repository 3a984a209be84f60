"""What a study's figures show, read from the store once into plain records.

:func:`figure_data` reads the finished trials (as :class:`~hpsearch.store.FrozenTrial`),
the leaderboard's best with their curves, each round's domains and the top-k each
narrowing started from; the figure modules (:mod:`hpsearch.plots.figures`,
:mod:`~hpsearch.plots.narrowing`, :mod:`~hpsearch.plots.parameters`) draw from those
records alone. :func:`check_axes` says which pairs of parameters the narrowing figure
can draw: two different parameters, both searched in the study, both numeric.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.errors import UsageError
from hpsearch.space.domains import Choice, Domain
from hpsearch.space.parameters import parameter
from hpsearch.space.sampling import SearchSpace
from hpsearch.store import FrozenTrial
from hpsearch.store.models import Study
from hpsearch.store.status import RANKED

#: The book's axes of the narrowing figure: weight decay across, the learning rate up.
DEFAULT_AXES = ("weight_decay", "lr")


@dataclass(frozen=True)
class RoundRange:
    """A round's number and its searched domains, by name."""

    number: int
    domains: Mapping[str, Domain] = field(default_factory=dict)


@dataclass(frozen=True)
class TopK:
    """The best trials of round ``parent`` that round ``child`` was narrowed around."""

    parent: int
    child: int
    trial_ids: tuple[int, ...]


@dataclass(frozen=True)
class FigureData:
    study: str
    trials: tuple[FrozenTrial, ...]  # finished, by round and number
    best: tuple[FrozenTrial, ...]  # the leaderboard's top, best first, with curves
    rounds: tuple[RoundRange, ...]
    top_k: tuple[TopK, ...]
    round_number: int | None = None  # the one round shown, if only one
    space: SearchSpace | None = None  # the first round's, with every searched parameter
    searched: tuple[FrozenTrial, ...] = ()  # the completed and pruned ones with an accuracy
    axes: tuple[str, str] = DEFAULT_AXES  # the narrowing figure's x and y parameters


def check_axes(axes: tuple[str, str], searched: Mapping[str, Domain], study: str) -> None:
    """Refuse a pair the figure cannot draw; ``searched``: the study's domains by name."""
    for name in axes:
        parameter(name)  # an unknown name: UsageError naming the known ones
    x, y = axes
    if x == y:
        raise UsageError(f"the narrowing figure needs two different parameters, got {x!r} twice")
    for name in axes:
        if name not in searched:
            names = ", ".join(searched)
            raise UsageError(f"study {study!r} does not search {name!r} (it searches {names})")
        if isinstance(searched[name], Choice):
            raise UsageError(
                f"{name!r} is a choice: the narrowing figure needs two numeric parameters"
            )


def figure_data(
    session: Session,
    study: Study,
    *,
    round_number: int | None = None,
    top: int = 20,
    axes: tuple[str, str] = DEFAULT_AXES,
) -> FigureData:
    """The finished trials, rounds and narrowings of ``study`` (or of one round);
    ``axes``: the narrowing figure's two parameters (see
    :func:`check_axes`)."""
    if top < 1:
        raise UsageError(f"top must be >= 1, got {top}")
    if study.objective is not None:
        raise UsageError(
            f"study {study.name!r} trains {study.objective}: the figures draw the book "
            "network's accuracies only; its metric is in report, export and trial_metrics"
        )
    spaces = {r.id: store.round_space(r) for r in study.rounds}
    searched: dict[str, Domain] = {}  # the study's parameters, in the order they appear
    for space in spaces.values():
        for domain in space:
            searched.setdefault(domain.name, domain)
    check_axes(axes, searched, study.name)
    rounds = study.rounds
    if round_number is not None:
        rounds = [store.get_round(session, study, round_number)]
    shown = [r.id for r in rounds]
    trials = store.study_trials(session, study, rounds=shown, finished=True)
    if not trials:
        where = "" if round_number is None else f" in round {round_number}"
        raise UsageError(f"study {study.name!r} has no finished trials{where} to plot")
    values = store.trial_values(session, [trial.id for trial in trials])
    best = store.leaderboard(session, study, round_number=round_number, top=top)
    curves = store.epoch_curves(session, [trial.id for trial in best])
    top_k = []
    for child in study.rounds:
        if child.parent is not None and child.parent_id in shown and child.top_k:
            # the same trials the narrowing took (pruned ones too, when it had to)
            ids = tuple(
                t.id for t in store.round_top(session, child.parent.id, child.top_k, pruned=True)
            )
            top_k.append(TopK(child.parent.number, child.number, ids))
    return FigureData(
        study=study.name,
        trials=tuple(store.frozen_trial(trial, values[trial.id]) for trial in trials),
        best=tuple(
            store.frozen_trial(trial, values.get(trial.id), curves[trial.id]) for trial in best
        ),
        rounds=tuple(RoundRange(r.number, {d.name: d for d in spaces[r.id]}) for r in rounds),
        top_k=tuple(top_k),
        round_number=round_number,
        space=spaces[rounds[0].id],
        searched=tuple(
            store.frozen_trial(t, values[t.id])
            for t in trials
            if t.status in RANKED and t.val_accuracy is not None
        ),  # as store.searched_trials gives them
        axes=axes,
    )
