"""The dashboard's downloads of figures: those of ``hpsearch plot`` served as SVG.

The study page links :mod:`hpsearch.plots.figures`' own figures (the same numbers as
``report`` and ``plot``); a trial's page links its curves as one panel of the book's
grid. Every chart a page draws is drawn in the browser from the JSON API
(:mod:`hpsearch.dashboard.api`).
"""

from __future__ import annotations

import io
from dataclasses import replace

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
