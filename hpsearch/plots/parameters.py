"""Figures of every searched parameter, on ``matplotlib.figure.Figure`` (no pyplot state).

    parameters  parallel coordinates: one vertical axis per searched parameter, one
                line per completed or pruned trial, coloured by the best validation
                accuracy it reached
    slices      one panel per searched parameter: that accuracy against its value
                (log scale for a log range; a choice as a strip per choice)
    importance  a bar per searched parameter, its importance score (largest on top),
                with the score's spread over the held-out groups as an error bar

A parameter that applied to only some trials is drawn from those alone (no point, and a
gap in a trial's line, where it did not apply), and its axis says on how many.

The first two draw from a :class:`~hpsearch.plots.data.FigureData`: its completed and
pruned trials' values (``searched``; a search that prunes keeps few trials to the end,
and the pruned ones show where accuracy is low) and the space of the first round
shown, which says each parameter's kind and scale. The third draws the scores of
:func:`hpsearch.report.summaries.importance_report` (computed by :mod:`hpsearch.report.importance`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import Normalize
from matplotlib.figure import Figure

from hpsearch.plots.data import FigureData
from hpsearch.plots.frame import titled_figure
from hpsearch.space.domains import Choice, Domain, Value, format_value, label
from hpsearch.store.records import FrozenTrial

PANEL_SIZE = (3.2, 2.6)  # inches, a slice panel
COLUMNS = 4  # slice panels per row


def _is_log(domain: Domain) -> bool:
    return not isinstance(domain, Choice) and domain.log


def _choices(domain: Domain, values: Sequence[Value]) -> list[str]:
    """The choices of a choice parameter, in the domain's order, then any others seen."""
    known = [format_value(c) for c in domain.choices] if isinstance(domain, Choice) else []
    seen = [format_value(v) for v in values]
    return known + sorted(set(seen) - set(known))


def _position(domain: Domain, values: Sequence[Value]) -> tuple[np.ndarray, list[str], list[float]]:
    """Each value's place on a 0..1 axis, with the axis' tick labels and places."""
    if isinstance(domain, Choice) or any(isinstance(v, (str, bool)) for v in values):
        choices = _choices(domain, values)
        span = max(len(choices) - 1, 1)
        places = [i / span for i in range(len(choices))]
        index = {c: i for i, c in enumerate(choices)}
        return np.array([index[format_value(v)] / span for v in values]), choices, places
    numbers = np.array([float(v) for v in values])
    scaled = np.log10(numbers) if _is_log(domain) else numbers
    low, high = float(scaled.min()), float(scaled.max())
    width = high - low or 1.0
    ends = [low, (low + high) / 2, high]
    ticks = [f"{10**x if _is_log(domain) else x:.3g}" for x in ends]
    return (scaled - low) / width, ticks, [(x - low) / width for x in ends]


def _applied_position(
    domain: Domain, trials: Sequence[FrozenTrial]
) -> tuple[np.ndarray, list[str], list[float]]:
    """:func:`_position` of the trials the parameter applied to; NaN (no point, a gap in
    the line) where it did not."""
    present = [t.values[domain.name] for t in trials if domain.name in t.values]
    if not present:
        return np.full(len(trials), np.nan), [], []
    places, ticks, tick_places = _position(domain, present)
    out = np.full(len(trials), np.nan)
    out[[i for i, t in enumerate(trials) if domain.name in t.values]] = places
    return out, ticks, tick_places


def _axis_label(name: str, trials: Sequence[FrozenTrial]) -> str:
    """A parameter's name, with on how many of the trials it applied when not all."""
    applied = sum(name in t.values for t in trials)
    return label(name) + ("" if applied == len(trials) else f"\n({applied} of {len(trials)})")


def _figure(data: FigureData, what: str, size: tuple[float, float]) -> Figure:
    return titled_figure(data.study, data.round_number, what, size)


def _nothing(fig: Figure) -> Figure:
    fig.add_subplot().text(0.5, 0.5, "no completed or pruned trial yet", ha="center", va="center")
    return fig


def parameters_figure(data: FigureData) -> Figure:
    """Parallel coordinates of the searched parameters, a line per completed or pruned trial."""
    space, trials = data.space, data.searched
    names = space.names if space else []
    what = f"searched parameters of {len(trials)} completed or pruned trials"
    fig = _figure(data, what, (max(6.0, 1.6 * len(names) + 1.5), 4.8))
    if space is None or not trials:
        return _nothing(fig)
    ax = fig.add_subplot()
    score = data.score
    accuracies = np.array([score.best(t) for t in trials], dtype=float)
    norm = Normalize(float(accuracies.min()), float(accuracies.max()) or 1.0)
    cmap = colormaps["viridis_r" if score.minimize else "viridis"]
    columns = [_applied_position(d, trials) for d in space]
    ys = np.column_stack([places for places, _, _ in columns])  # (trials, parameters)
    xs = np.arange(len(names))
    order = np.argsort(-accuracies if score.minimize else accuracies)  # the best last, on top
    # one collection, not an artist per trial: a study of 10,000 trials draws in a second
    lines = LineCollection(
        [np.column_stack([xs, ys[row]]) for row in order],
        colors=cmap(norm(accuracies[order])),
        linewidths=1.0,
        alpha=0.8,
        gid="trials",
    )
    ax.add_collection(lines)
    for x, (_, ticks, places) in zip(xs.tolist(), columns, strict=True):
        ax.axvline(x, color="0.3", linewidth=0.8)
        for tick, place in zip(ticks, places, strict=True):
            ax.annotate(tick, (x, place), xytext=(3, 0), textcoords="offset points",
                        fontsize=8, va="center")  # fmt: skip
    ax.set_xticks(xs, [_axis_label(n, trials) for n in names])
    ax.set_yticks([])
    ax.set_xlim(-0.2, len(names) - 0.5)
    ax.set_ylim(-0.05, 1.05)
    fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), ax=ax, label=f"best {score.name}")
    return fig


def slices_figure(data: FigureData) -> Figure:
    """One panel per searched parameter: best validation accuracy against its value."""
    space, trials = data.space, data.searched
    domains = list(space) if space else []
    columns = min(COLUMNS, max(len(domains), 1))
    rows = math.ceil(max(len(domains), 1) / columns)
    size = (PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows + 0.6)
    score = data.score
    fig = _figure(data, f"best {score.name} by parameter, completed and pruned trials", size)
    if not domains or not trials:
        return _nothing(fig)
    axes = fig.subplots(rows, columns, squeeze=False, sharey=True).ravel()
    all_accuracies = [score.best(t) for t in trials]
    jitter = np.random.default_rng(0).uniform(-0.15, 0.15, size=len(trials))  # fixed: same plot
    for ax, domain in zip(axes, domains, strict=False):
        kept = [i for i, t in enumerate(trials) if domain.name in t.values]  # it applied
        values = [trials[i].values[domain.name] for i in kept]
        accuracies = [all_accuracies[i] for i in kept]
        if isinstance(domain, Choice) or any(isinstance(v, (str, bool)) for v in values):
            choices = _choices(domain, values)
            index = {c: i for i, c in enumerate(choices)}
            xs = np.array([index[format_value(v)] for v in values]) + jitter[kept]
            ax.scatter(xs, accuracies, s=14, alpha=0.7)
            ax.set_xticks(range(len(choices)), choices, rotation=30)
        else:
            ax.scatter([float(v) for v in values], accuracies, s=14, alpha=0.7)
            if _is_log(domain):
                ax.set_xscale("log")
        ax.set_xlabel(_axis_label(domain.name, trials).replace("\n", " "))
        ax.grid(alpha=0.3)
    for ax in axes[: len(domains) : columns]:
        ax.set_ylabel(f"best {score.name}")
    for ax in axes[len(domains) :]:
        ax.set_visible(False)
    return fig


def importance_figure(
    study: str, importance: Mapping[str, Any], round_number: int | None = None
) -> Figure:
    """A horizontal bar per parameter of ``importance`` (``importance_report``'s record):
    its score, largest on top, and its spread over the held-out groups as an error bar."""
    scores: Mapping[str, float] = importance["scores"]
    names = sorted(scores, key=lambda name: -scores[name])
    applied = importance.get("applied", {})
    spread = [importance["spread"][name] for name in names] if "spread" in importance else None
    what = f"parameter importance ({importance['trials']} completed or pruned trials)"
    fig = titled_figure(study, round_number, what, (7.0, 1.6 + 0.45 * len(names)))
    ax = fig.add_subplot()
    places = np.arange(len(names))
    ax.barh(places, [scores[name] for name in names], xerr=spread, color="C0", capsize=3)
    ax.set_yticks(
        places,
        [
            label(n)
            + (
                f" (on {applied[n]} trials)"
                if n in applied and applied[n] < importance["trials"]
                else ""
            )
            for n in names
        ],
    )
    ax.invert_yaxis()  # the most important on top
    ax.set_xlim(left=0)
    ax.set_xlabel(
        f"share of the held-out R\u00b2 drop when shuffled "
        f"(the parameters explain R\u00b2 = {importance['explained_r2']:.2f})"
    )
    ax.grid(axis="x", alpha=0.3)
    return fig
