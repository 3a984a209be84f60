"""What a study's figures show, read from the store once into plain records.

:func:`figure_data` reads the finished trials (as :class:`~hpsearch.store.FrozenTrial`),
the leaderboard's best with their curves, each round's domains and the top-k each
narrowing started from; the figure modules (:mod:`hpsearch.plots.figures`,
:mod:`~hpsearch.plots.narrowing`, :mod:`~hpsearch.plots.parameters`) draw from those
records alone. :func:`check_axes` says which pairs of parameters the narrowing figure
can draw: two different parameters, both searched in the study, both numeric.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.errors import UsageError
from hpsearch.space.domains import Choice, Domain, label
from hpsearch.space.parameters import parameter
from hpsearch.space.sampling import SearchSpace
from hpsearch.store import FrozenTrial
from hpsearch.store.metrics import trial_metrics
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


ScoreType = TypeVar("ScoreType", bound="Score")


@dataclass(frozen=True)
class Score:
    """What the figures rank and colour trials by: the book network's validation
    accuracy, or a training function's metric (``book`` False), in its direction."""

    metric: str = "val_accuracy"
    minimize: bool = False
    book: bool = True

    @classmethod
    def of(cls: type[ScoreType], study: Study) -> ScoreType:
        """How ``study``'s trials are scored: the book network's way, or its function's."""
        if study.objective is None:
            return cls()
        return cls(study.metric, study.direction == "minimize", book=False)

    @property
    def name(self) -> str:
        return "validation accuracy" if self.book else label(self.metric)

    @property
    def bounded(self) -> bool:
        """Whether it lies in [0, 1] (an accuracy): the axes are drawn so."""
        return self.book or self.metric.endswith("accuracy")

    def final(self, trial: FrozenTrial) -> float | None:
        """At the trial's last epoch."""
        return trial.val_accuracy if self.book else trial.value

    def best(self, trial: FrozenTrial) -> float | None:
        """At its best epoch, or its last when no best is stored."""
        if self.book:
            return trial.best_or_final_accuracy
        return trial.best_or_final_value

    def running_best(self, scores: Sequence[float]) -> np.ndarray:
        """The best so far at each place, NaN skipped."""
        accumulate = np.fmin.accumulate if self.minimize else np.fmax.accumulate
        return accumulate(np.array(scores, dtype=float))


@dataclass(frozen=True)
class Curve:
    """A trial's score at each epoch, and its train counterpart where there is one."""

    scores: tuple[float, ...] = ()
    train: tuple[float, ...] = ()


def _curves(session: Session, study: Study, best: Sequence[FrozenTrial]) -> dict[int, Curve]:
    """The curves of the ``best`` trials: the book network's accuracies, or a function's
    metric with its ``train_`` counterpart (``val_loss``: ``train_loss``) if it reported one."""
    if study.objective is None:
        return {t.id: Curve(t.val_curve, t.train_curve) for t in best}
    train = "train_" + study.metric.removeprefix("val_")
    reports = trial_metrics(session, [t.id for t in best])
    return {
        trial_id: Curve(
            tuple(report[study.metric] for report in own),
            tuple(report[train] for report in own if train in report and train != study.metric),
        )
        for trial_id, own in reports.items()
    }


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
    score: Score = Score()
    curves: Mapping[int, Curve] = field(default_factory=dict)  # of ``best``, by trial id


def default_axes(searched: Mapping[str, Domain]) -> tuple[str, str]:
    """The book's axes when the study searches both, else its first two numeric
    parameters (the book's when it has fewer: the figure then shows no point)."""
    numeric = [name for name, domain in searched.items() if not isinstance(domain, Choice)]
    if set(DEFAULT_AXES) <= set(numeric) or len(numeric) < 2:
        return DEFAULT_AXES
    return numeric[1], numeric[0]


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
    axes: tuple[str, str] | None = None,
) -> FigureData:
    """The finished trials, rounds and narrowings of ``study`` (or of one round);
    ``axes``: the narrowing figure's two parameters (see :func:`check_axes`; by default
    lr against weight decay, or else the study's first two numeric parameters)."""
    if top < 1:
        raise UsageError(f"top must be >= 1, got {top}")
    spaces = {r.id: store.round_space(r) for r in study.rounds}
    searched: dict[str, Domain] = {}  # the study's parameters, in the order they appear
    for space in spaces.values():
        for domain in space:
            searched.setdefault(domain.name, domain)
    if axes is None:
        axes = default_axes(searched)
    else:
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
    best_records = tuple(
        store.frozen_trial(trial, values.get(trial.id), curves[trial.id]) for trial in best
    )
    score = Score.of(study)
    return FigureData(
        study=study.name,
        trials=tuple(store.frozen_trial(trial, values[trial.id]) for trial in trials),
        best=best_records,
        rounds=tuple(RoundRange(r.number, {d.name: d for d in spaces[r.id]}) for r in rounds),
        top_k=tuple(top_k),
        round_number=round_number,
        space=spaces[rounds[0].id],
        searched=tuple(
            store.frozen_trial(t, values[t.id])
            for t in trials
            if t.status in RANKED and (t.val_accuracy if score.book else t.value) is not None
        ),  # as store.searched_trials gives them
        axes=axes,
        score=score,
        curves=_curves(session, study, best_records),
    )
