"""Narrowing (the book's STEP3): new ranges from the best trials of a round.

The rule, for each parameter, in log10 space:

1. take the lowest and highest value among the top-k trials;
2. widen both ends by ``margin`` decades (default 0.1, a factor of about 1.26);
3. with ``snap``, round the ends outward to powers of ten, as the book does by hand;
4. clip to the parent range, so a narrowed range never leaves its parent.

An edge is *crowded* when at least half of the top-k values (rounded up) lie in
the outer tenth of the parent range at that edge, measured in decades: the best
values may lie beyond it. With ``expand``, a crowded edge is not clipped: the new
range reaches ``EXPAND_DECADES`` past the parent's edge instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from hpsearch.space import LogRange, SearchSpace

EDGE_FRACTION = 0.1
EXPAND_DECADES = 1.0


def crowded_edges(values: Sequence[float], parent: LogRange) -> list[str]:
    """``"low"`` and/or ``"high"``: the edges of ``parent`` the values crowd."""
    band = EDGE_FRACTION * parent.decades
    lo, hi = math.log10(parent.low), math.log10(parent.high)
    logs = [math.log10(v) for v in values]
    needed = math.ceil(len(values) / 2)
    edges = []
    if sum(x <= lo + band for x in logs) >= needed:
        edges.append("low")
    if sum(x >= hi - band for x in logs) >= needed:
        edges.append("high")
    return edges


def narrow_range(
    values: Sequence[float],
    parent: LogRange,
    *,
    margin: float = 0.1,
    snap: bool = False,
    expand: bool = False,
) -> tuple[LogRange, list[str]]:
    """The narrowed range of one parameter, and the parent's crowded edges."""
    if not values:
        raise ValueError("narrowing needs at least one value")
    lo = math.log10(min(values)) - margin
    hi = math.log10(max(values)) + margin
    if snap:
        lo, hi = math.floor(lo), math.ceil(hi)
    crowded = crowded_edges(values, parent)
    parent_lo, parent_hi = math.log10(parent.low), math.log10(parent.high)
    lo = parent_lo - EXPAND_DECADES if expand and "low" in crowded else max(lo, parent_lo)
    hi = parent_hi + EXPAND_DECADES if expand and "high" in crowded else min(hi, parent_hi)
    return LogRange(10**lo, 10**hi, parent.name), crowded


@dataclass(frozen=True)
class Narrowing:
    space: SearchSpace
    crowded: dict[str, list[str]] = field(default_factory=dict)  # "lr" -> ["high"]


def narrow(
    parent: SearchSpace,
    top: Sequence[tuple[float, float]],
    *,
    margin: float = 0.1,
    snap: bool = False,
    expand: bool = False,
) -> Narrowing:
    """New ranges from the (lr, weight decay) pairs of the top-k trials."""
    lrs = [lr for lr, _ in top]
    decays = [wd for _, wd in top]
    lr, lr_crowded = narrow_range(lrs, parent.lr, margin=margin, snap=snap, expand=expand)
    wd, wd_crowded = narrow_range(
        decays, parent.weight_decay, margin=margin, snap=snap, expand=expand
    )
    crowded = {name: edges for name, edges in (("lr", lr_crowded), ("weight decay", wd_crowded))}
    return Narrowing(SearchSpace(lr, wd), {k: v for k, v in crowded.items() if v})
