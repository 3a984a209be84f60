"""The dashboard's charts: the figures of ``hpsearch plot`` served as SVG.

The study page shows :mod:`hpsearch.plots.figures`' own figures (the same numbers as
``report`` and ``plot``); a trial's page shows its curves as one panel of the
book's grid, and the comparison page draws the best-so-far history of several
studies on one axes.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sqlalchemy.orm import Session

from hpsearch.errors import UsageError
from hpsearch.plots import figures
from hpsearch.plots.data import FigureData, figure_data
from hpsearch.plots.frame import DPI
from hpsearch.store import FrozenTrial
from hpsearch.store.models import Study

KINDS = tuple(figures.FIGURES)


def svg(fig: Figure) -> bytes:
    """The figure as an SVG document."""
    FigureCanvasAgg(fig)
    out = io.BytesIO()
    fig.savefig(out, format="svg")
    return out.getvalue()


def _note(text: str) -> Figure:
    fig = Figure(figsize=(6, 1.2), dpi=DPI)
    fig.text(0.5, 0.5, text, ha="center", va="center", fontsize=12, color="0.4")
    return fig


def study_figure(session: Session, study: Study, kind: str, *, top: int) -> bytes:
    """One of ``hpsearch plot``'s figures of ``study``; a note while nothing has finished."""
    try:
        data = figure_data(session, study, top=top)
    except UsageError as exc:
        return svg(_note(str(exc)))
    return svg(figures.FIGURES[kind](data))


def trial_figure(study: Study, trial: FrozenTrial) -> bytes:
    """The trial's validation and train accuracy per epoch (``trial`` read with its
    epochs), one panel of the curves grid."""
    if not trial.epochs:
        return svg(_note(f"trial {trial.id} has no epochs yet"))
    point = replace(trial, val_accuracy=trial.epochs[-1].val_accuracy)
    data = FigureData(f"{study.name}, trial {trial.id}", (point,), (point,), (), ())
    return svg(figures.curves_figure(data))


def compare_figure(session: Session, studies: Sequence[Study]) -> bytes:
    """The best final validation accuracy so far of each study, trial by trial."""
    fig = Figure(figsize=(10, 5), dpi=DPI, layout="constrained")
    fig.suptitle("best validation accuracy so far", fontsize=13)
    ax = fig.add_subplot()
    for i, study in enumerate(studies):
        try:
            data = figure_data(session, study)
        except UsageError:
            continue  # nothing finished yet
        scores = [
            t.val_accuracy if t.status.is_ranked and t.val_accuracy is not None else math.nan
            for t in data.trials
        ]
        best = np.fmax.accumulate(np.array(scores, dtype=float))  # running max, NaN skipped
        numbers = range(1, len(scores) + 1)
        ax.plot(numbers, best, drawstyle="steps-post", color=f"C{i % 10}", label=study.name)
    ax.set(ylim=(0, 1), xlabel="trial (in round order)", ylabel="validation accuracy")
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(loc="lower right", fontsize=9)
    return svg(fig)
