"""Figures of a study, drawn on ``matplotlib.figure.Figure`` with Agg (no pyplot state).

    curves     the book's grid: validation (solid) and train (dashed) accuracy per
               epoch of the best trials, one panel each
    narrowing  two numeric searched parameters (lr against weight decay unless asked
               otherwise) of every finished trial, each round's domain a rectangle
               (see :mod:`hpsearch.plots.narrowing`)
    history    the best final validation accuracy so far against trial number
    parameters, slices
               every searched parameter (see :mod:`hpsearch.plots.parameters`)

:func:`hpsearch.plots.data.figure_data` reads what the figures need from the store into
plain records; the figure functions take only those records.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from hpsearch.plots.data import Curve, FigureData
from hpsearch.plots.frame import titled_figure
from hpsearch.plots.narrowing import narrowing_figure
from hpsearch.plots.parameters import parameters_figure, slices_figure
from hpsearch.space.domains import Value, format_value, label

COLUMNS = 5  # panels per row of the curves grid, as in the book
PANEL_SIZE = (3.0, 2.4)  # inches

# How a diverged or failed trial is drawn in the history.
LOST: dict[str, Any] = {"marker": "x", "color": "tab:red", "s": 30, "zorder": 3, "clip_on": False}


def _settings(values: Mapping[str, Value]) -> str:
    """A panel's second title line: the trial's first two searched values."""
    shown = list(values.items())[:2]
    texts = [f"{v:.2e}" if isinstance(v, float) else format_value(v) for _, v in shown]
    return "   ".join(f"{label(name)} {text}" for (name, _), text in zip(shown, texts, strict=True))


def _figure(data: FigureData, title: str, size: tuple[float, float]) -> Figure:
    return titled_figure(data.study, data.round_number, title, size)


def curves_figure(data: FigureData) -> Figure:
    """One panel per trial of ``data.best``: validation (solid) and train (dashed) accuracy."""
    n = len(data.best)
    columns = min(COLUMNS, max(n, 1))
    rows = math.ceil(max(n, 1) / columns)
    size = (PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows + 0.8)
    score = data.score
    fig = _figure(data, f"best {n} trials by final {score.name}", size)
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
        curve = data.curves.get(trial.id, Curve())
        ax.plot(range(1, len(curve.scores) + 1), curve.scores, color="C0")
        ax.plot(range(1, len(curve.train) + 1), curve.train, color="C1", linestyle="--")
        if score.bounded:
            ax.set_ylim(0, 1)
        ax.grid(alpha=0.3)
        ax.tick_params(labelsize=8, labelleft=i % columns == 0, labelbottom=i + columns >= n)
        final = score.final(trial)
        shown = "-" if final is None else f"{final:.3g}" if not score.bounded else f"{final:.3f}"
        ax.set_title(
            f"#{i + 1}  {'val acc' if score.book else label(score.metric)} {shown}"
            f"  (round {trial.round})\n" + _settings(trial.values),
            fontsize=8.5,
        )
        if i % columns == 0:
            ax.set_ylabel("accuracy" if score.book else label(score.metric), fontsize=9)
        if i + columns >= n:  # no panel below this one
            ax.set_xlabel("epoch", fontsize=9)
    handles, names = [Line2D([], [], color="C0")], ["validation"]
    if any(curve.train for curve in data.curves.values()):
        handles.append(Line2D([], [], color="C1", linestyle="--"))
        names.append("train")
    fig.legend(handles, names, loc="outside upper right", ncols=2, fontsize=9)
    return fig


def history_figure(data: FigureData) -> Figure:
    """The best final validation accuracy (or a function's metric) so far, trial by trial
    in round order."""
    score = data.score
    fig = _figure(data, f"best {score.name} so far", (10, 5))
    ax = fig.add_subplot()
    numbers = range(1, len(data.trials) + 1)
    finals = [score.final(t) if t.status.is_ranked else None for t in data.trials]
    scores = [math.nan if value is None else value for value in finals]
    best = score.running_best(scores)
    finished = "trial's final val acc" if score.book else f"trial's final {score.name}"
    ax.scatter(numbers, scores, s=14, color="0.55", zorder=3, label=finished)
    ax.plot(numbers, best, drawstyle="steps-post", color="C0", linewidth=2, label="best so far")
    lost = [i for i, t in enumerate(data.trials, start=1) if t.status.is_lost]
    low = 0.0 if score.bounded else float(np.nanmin(scores)) if np.isfinite(scores).any() else 0
    if lost:
        ax.scatter(lost, [low] * len(lost), label="diverged or failed", **LOST)
    rounds = [t.round for t in data.trials]
    starts = [i for i in range(len(rounds)) if i == 0 or rounds[i] != rounds[i - 1]]
    above = ax.get_xaxis_transform()  # x in data, y in axes units
    for j, (start, end) in enumerate(zip(starts, [*starts[1:], len(rounds)], strict=True)):
        shade = "0.92" if j % 2 else "white"
        ax.axvspan(start + 0.5, end + 0.5, color=shade, zorder=0, gid="round")
        label = f"round {rounds[start]}"
        ax.text((start + end + 1) / 2, 1.0, label, ha="center", va="bottom", transform=above)
    ax.set(xlim=(0.5, len(rounds) + 0.5), xlabel="trial (in round order)")
    if score.bounded:
        ax.set_ylim(0, 1)
    ax.set_ylabel(score.name)
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
