"""The frame of every figure of a study: its size at the figures' DPI, and a title
naming the study (and the round, when the figure shows one)."""

from __future__ import annotations

from matplotlib.figure import Figure

DPI = 100


def titled_figure(
    study: str, round_number: int | None, title: str, size: tuple[float, float]
) -> Figure:
    """An empty figure of ``size`` inches titled ``<study>[, round R]: <title>``; a ``$``
    of the study's name is escaped, so matplotlib prints it instead of parsing mathtext
    (``$\\frac$`` would fail to draw)."""
    fig = Figure(figsize=size, dpi=DPI, layout="constrained")
    where = "" if round_number is None else f", round {round_number}"
    name = study.replace("$", r"\$")
    fig.suptitle(f"{name}{where}: {title}", fontsize=13)
    return fig
