"""The narrowing scatter: two numeric searched parameters of every finished trial.

    narrowing  one parameter against another (by default weight decay on x and the
               learning rate on y, the book's figure): every finished trial a point,
               coloured by its final validation accuracy (diverged and failed trials
               marked apart), each round's domain of the two a dashed rectangle, and
               the top-k trials each narrowing started from ringed; an axis is
               logarithmic when the parameter's range is

Which pairs a study can draw is :func:`hpsearch.plots.data.check_axes`'s to say.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from matplotlib import colormaps
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from hpsearch.plots.data import DEFAULT_AXES, FigureData, RoundRange
from hpsearch.plots.frame import titled_figure
from hpsearch.space.domains import Choice, label
from hpsearch.store import FrozenTrial
from hpsearch.store.status import TrialStatus

#: How each status is drawn: marker, colour (None: by validation accuracy), size.
MARKERS = {
    TrialStatus.COMPLETED: ("o", None, 42),
    TrialStatus.PRUNED: ("s", None, 38),
    TrialStatus.DIVERGED: ("x", "tab:red", 45),
    TrialStatus.FAILED: ("D", "0.35", 30),
}
# How a top-k trial and a round's domain are drawn.
RING: dict[str, Any] = {"s": 170, "facecolors": "none", "linewidths": 1.8, "zorder": 4}
RANGE: dict[str, Any] = {"fill": False, "linewidth": 1.6, "linestyle": "--"}
NAMES = {"lr": "learning rate"}  # an axis label, where it differs from the parameter's


def _value(trial: FrozenTrial, name: str) -> float:
    """The trial's value of ``name``; NaN (not drawn) where the parameter did not apply."""
    value = trial.values.get(name)
    return math.nan if value is None else float(value)


def _domain(round_: RoundRange, name: str) -> tuple[float, float] | None:
    """The round's low and high of ``name``: None when the round did not search it."""
    domain = round_.domains.get(name)
    if domain is not None and not isinstance(domain, Choice):
        return float(domain.low), float(domain.high)
    return None


def _is_log(data: FigureData, name: str) -> bool:
    domain = {d.name: d for d in data.space}.get(name) if data.space else None
    if domain is None:
        return name in DEFAULT_AXES  # the book's ranges, when the records carry no space
    return not isinstance(domain, Choice) and domain.log


def _limits(values: Sequence[float], log: bool, pad: float = 0.25) -> tuple[float, float]:
    low, high = min(values), max(values)
    if log:
        return 10 ** (math.log10(low) - pad), 10 ** (math.log10(high) + pad)
    margin = (high - low) * 0.05 or abs(low) * 0.05 or 0.5
    return low - margin, high + margin


def axis_label(name: str) -> str:
    return NAMES.get(name, label(name))


def narrowing_figure(data: FigureData) -> Figure:
    """``data.axes[1]`` against ``data.axes[0]`` of every finished trial, with each round's
    domain of the two as a rectangle. A round that did not search one of the two (its value
    fixed) draws no rectangle: the points of its trials still show where it sampled."""
    x_name, y_name = data.axes
    what = f"sampled {axis_label(y_name)} against {axis_label(x_name)}"
    if (x_name, y_name) == DEFAULT_AXES:
        what = "sampled learning rates and weight decays"
    fig = titled_figure(data.study, data.round_number, what, (9.5, 7.0))
    x_log, y_log = _is_log(data, x_name), _is_log(data, y_name)
    ax = fig.add_subplot(xscale="log" if x_log else "linear", yscale="log" if y_log else "linear")
    score = data.score
    finals = {t.id: score.final(t) for t in data.trials}
    scores = [v for t in data.trials if t.status.is_ranked and (v := finals[t.id]) is not None]
    scores = scores or [0.0, 1.0]
    norm = Normalize(min(scores), max(max(scores), min(scores) + 0.01))
    cmap = colormaps["viridis_r" if score.minimize else "viridis"].with_extremes(bad="0.75")
    for status, (marker, color, size) in MARKERS.items():
        trials = [t for t in data.trials if t.status == status]
        if not trials:
            continue
        style: dict[str, Any]  # keyword arguments of scatter
        if color is None:
            colours = [math.nan if finals[t.id] is None else finals[t.id] for t in trials]
            style = {"c": colours, "cmap": cmap, "norm": norm, "edgecolors": "0.2"}
        else:
            style = {"c": color}
        x, y = [_value(t, x_name) for t in trials], [_value(t, y_name) for t in trials]
        label_ = f"{status} ({len(trials)})"
        ax.scatter(x, y, marker=marker, s=size, zorder=3, label=label_, gid=status, **style)
    by_id = {t.id: t for t in data.trials}
    for top in data.top_k:
        chosen = [by_id[i] for i in top.trial_ids if i in by_id]
        x, y = [_value(t, x_name) for t in chosen], [_value(t, y_name) for t in chosen]
        label_ = f"top-{len(chosen)} of round {top.parent} \u2192 round {top.child}"
        ax.scatter(x, y, edgecolors=f"C{top.child % 10}", label=label_, gid="top-k", **RING)
    xs = [v for v in (_value(t, x_name) for t in data.trials) if not math.isnan(v)]
    ys = [v for v in (_value(t, y_name) for t in data.trials) if not math.isnan(v)]
    for r in data.rounds:
        x_range, y_range = _domain(r, x_name), _domain(r, y_name)
        if x_range is None or y_range is None:
            continue
        (x0, x1), (y0, y1) = x_range, y_range
        color, label_ = f"C{r.number % 10}", f"round {r.number} range"
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, edgecolor=color, label=label_, **RANGE))
        xs += [x0, x1]
        ys += [y0, y1]
    ax.set(xlim=_limits(xs, x_log), ylim=_limits(ys, y_log))
    ax.set(xlabel=axis_label(x_name), ylabel=axis_label(y_name))
    ax.grid(alpha=0.3)
    fig.colorbar(ScalarMappable(norm, cmap), ax=ax, label=f"final {score.name}")
    fig.legend(loc="outside lower center", ncols=4, fontsize=9, frameon=False)
    return fig
