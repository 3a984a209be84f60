"""Figures of a study, drawn on ``matplotlib.figure.Figure`` with Agg (no pyplot state).

    curves     the book's grid: validation (solid) and train (dashed) accuracy per
               epoch of the best trials, one panel each
    narrowing  two numeric searched parameters (lr against weight decay unless asked
               otherwise) of every finished trial, each round's domain a rectangle
               (see :mod:`hpsearch.plots.narrowing`)
    history    the best final validation accuracy so far against trial number
    parameters, slices
               every searched parameter (see :mod:`hpsearch.plots.parameters`)

:func:`figure_data` reads what the figures need from the store into plain records;
the figure functions take only those records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from sqlalchemy.orm import Session

from hpsearch import store
from hpsearch.errors import UsageError
from hpsearch.plots.frame import titled_figure
from hpsearch.plots.narrowing import DEFAULT_AXES, check_axes, narrowing_figure
from hpsearch.plots.parameters import parameters_figure, slices_figure
from hpsearch.space.domains import Domain, Value
from hpsearch.space.sampling import SearchSpace
from hpsearch.store import SearchedTrial
from hpsearch.store.models import Round, Study, Trial
from hpsearch.store.status import TrialStatus

COLUMNS = 5  # panels per row of the curves grid, as in the book
PANEL_SIZE = (3.0, 2.4)  # inches

# How a diverged or failed trial is drawn in the history.
LOST: dict[str, Any] = {"marker": "x", "color": "tab:red", "s": 30, "zorder": 3, "clip_on": False}


@dataclass(frozen=True)
class TrialPoint:
    id: int
    round: int
    number: int
    lr: float
    weight_decay: float
    status: TrialStatus
    val_accuracy: float | None  # at the last epoch run
    val_curve: tuple[float, ...] = ()  # per epoch; filled in for the best trials only
    train_curve: tuple[float, ...] = ()
    values: Mapping[str, Value] = field(default_factory=dict)  # every searched value

    def __post_init__(self) -> None:  # a plain word is taken for the status it names
        object.__setattr__(self, "status", TrialStatus(self.status))


@dataclass(frozen=True)
class RoundRange:
    number: int
    lr: tuple[float, float]
    weight_decay: tuple[float, float]
    domains: Mapping[str, Domain] = field(default_factory=dict)  # every searched one, by name


@dataclass(frozen=True)
class TopK:
    """The best trials of round ``parent`` that round ``child`` was narrowed around."""

    parent: int
    child: int
    trial_ids: tuple[int, ...]


@dataclass(frozen=True)
class FigureData:
    study: str
    trials: tuple[TrialPoint, ...]  # finished, by round and number
    best: tuple[TrialPoint, ...]  # the leaderboard's top, best first, with curves
    rounds: tuple[RoundRange, ...]
    top_k: tuple[TopK, ...]
    round_number: int | None = None  # the one round shown, if only one
    space: SearchSpace | None = None  # the first round's, with every searched parameter
    searched: tuple[SearchedTrial, ...] = ()  # the completed and pruned trials' values
    axes: tuple[str, str] = DEFAULT_AXES  # the narrowing figure's x and y parameters


def _point(
    trial: Trial, curve: list | None = None, values: Mapping[str, Value] | None = None
) -> TrialPoint:
    curve = curve or []
    return TrialPoint(
        trial.id,
        trial.round.number,
        trial.number,
        trial.lr,
        trial.weight_decay,
        TrialStatus(trial.status),
        trial.val_accuracy,
        tuple(row.val_accuracy for row in curve),
        tuple(row.train_accuracy for row in curve),
        values or {},
    )


def _round_range(round_: Round, space: SearchSpace) -> RoundRange:
    domains = {domain.name: domain for domain in space}
    lr = (round_.lr_low, round_.lr_high)
    weight_decay = (round_.weight_decay_low, round_.weight_decay_high)
    return RoundRange(round_.number, lr, weight_decay, domains)


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
    :func:`hpsearch.plots.narrowing.check_axes`)."""
    if top < 1:
        raise UsageError(f"top must be >= 1, got {top}")
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
        trials=tuple(_point(trial, values=values[trial.id]) for trial in trials),
        best=tuple(_point(trial, curves[trial.id], values.get(trial.id)) for trial in best),
        rounds=tuple(_round_range(r, spaces[r.id]) for r in rounds),
        top_k=tuple(top_k),
        round_number=round_number,
        space=spaces[rounds[0].id],
        searched=tuple(  # the trials read above, as store.searched_trials gives them
            store.searched_trial(t, values[t.id])
            for t in trials
            if t.status in store.SEARCHED_STATUSES and t.val_accuracy is not None
        ),
        axes=axes,
    )


def _figure(data: FigureData, title: str, size: tuple[float, float]) -> Figure:
    return titled_figure(data.study, data.round_number, title, size)


def curves_figure(data: FigureData) -> Figure:
    """One panel per trial of ``data.best``: validation (solid) and train (dashed) accuracy."""
    n = len(data.best)
    columns = min(COLUMNS, max(n, 1))
    rows = math.ceil(max(n, 1) / columns)
    size = (PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows + 0.8)
    fig = _figure(data, f"best {n} trials by final validation accuracy", size)
    grid = fig.add_gridspec(rows, columns)
    if not n:
        ax = fig.add_subplot(grid[0, 0])
        ax.text(0.5, 0.5, "no completed trials", ha="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    first = None
    for i, trial in enumerate(data.best):
        ax = fig.add_subplot(grid[i // columns, i % columns], sharex=first, sharey=first)
        first = first or ax
        epochs = range(1, len(trial.val_curve) + 1)
        ax.plot(epochs, trial.val_curve, color="C0")
        ax.plot(epochs, trial.train_curve, color="C1", linestyle="--")
        ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8, labelleft=i % columns == 0, labelbottom=i + columns >= n)
        ax.set_title(
            f"#{i + 1}  val acc {trial.val_accuracy:.3f}  (round {trial.round})\n"
            f"lr {trial.lr:.2e}   weight decay {trial.weight_decay:.2e}",
            fontsize=8.5,
        )
        if i % columns == 0:
            ax.set_ylabel("accuracy", fontsize=9)
        if i + columns >= n:  # no panel below this one
            ax.set_xlabel("epoch", fontsize=9)
    handles = [Line2D([], [], color="C0"), Line2D([], [], color="C1", linestyle="--")]
    fig.legend(handles, ["validation", "train"], loc="outside upper right", ncols=2, fontsize=9)
    return fig


def history_figure(data: FigureData) -> Figure:
    """The best final validation accuracy so far, trial by trial in round order."""
    fig = _figure(data, "best validation accuracy so far", (10, 5))
    ax = fig.add_subplot()
    numbers = range(1, len(data.trials) + 1)
    scores = [
        math.nan if not t.status.is_ranked or t.val_accuracy is None else t.val_accuracy
        for t in data.trials
    ]
    best = np.fmax.accumulate(np.array(scores, dtype=float))  # running max, NaN skipped
    ax.scatter(numbers, scores, s=14, color="0.55", zorder=3, label="trial's final val acc")
    ax.plot(numbers, best, drawstyle="steps-post", color="C0", linewidth=2, label="best so far")
    lost = [i for i, t in enumerate(data.trials, start=1) if t.status.is_lost]
    if lost:
        ax.scatter(lost, [0.0] * len(lost), label="diverged or failed", **LOST)
    rounds = [t.round for t in data.trials]
    starts = [i for i in range(len(rounds)) if i == 0 or rounds[i] != rounds[i - 1]]
    above = ax.get_xaxis_transform()  # x in data, y in axes units
    for j, (start, end) in enumerate(zip(starts, [*starts[1:], len(rounds)], strict=True)):
        shade = "0.92" if j % 2 else "white"
        ax.axvspan(start + 0.5, end + 0.5, color=shade, zorder=0, gid="round")
        label = f"round {rounds[start]}"
        ax.text((start + end + 1) / 2, 1.0, label, ha="center", va="bottom", transform=above)
    ax.set(xlim=(0.5, len(rounds) + 0.5), ylim=(0, 1), xlabel="trial (in round order)")
    ax.set_ylabel("validation accuracy")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=9)
    return fig


FIGURES = {
    "curves": curves_figure,
    "narrowing": narrowing_figure,
    "history": history_figure,
    "parameters": parameters_figure,
    "slices": slices_figure,
}
