"""Narrowing (the book's STEP3): new domains from the best trials of a round.

The rule for a numeric parameter (a float or integer range), in the space it is
sampled in (log10 for a log range, as it is for a linear one):

1. take the lowest and highest value among the top-k trials;
2. widen both ends by ``margin``: ``margin`` decades for a log range (default 0.1,
   a factor of about 1.26), ``margin`` times the parent's width for a linear one;
3. with ``snap``, round the ends of a log range outward to powers of ten, as the
   book does by hand;
4. clip to the parent range, so a narrowed range never leaves its parent;
5. an integer range is then rounded outward to whole numbers.

An edge is *crowded* when at least half of the top-k values (rounded up) lie in
the outer tenth of the parent range at that edge (in the same space): the best
values may lie beyond it. With ``expand``, a crowded edge is not clipped: the new
range reaches ``EXPAND_DECADES`` past the parent's edge (a log range) or one parent
width past it (a linear range), within what the parameter allows.

A choice keeps the choices that appear among the top-k, and says which it dropped.

A conditional parameter is narrowed from the top-k trials it applied to, and those only.
It is kept out of the new round, with the reason (:attr:`Narrowing.removed`), when its
parent was kept out, when its parent kept none of the choices it applies to (a choice
that loses all its trials takes its dependants with it), or when none of the top-k
trials used it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hpsearch.space.conditions import dependency_order
from hpsearch.space.domains import Choice, Domain, FloatRange, IntRange, Value, format_value, label
from hpsearch.space.parameters import PARAMETERS
from hpsearch.space.sampling import SearchSpace

EDGE_FRACTION = 0.1
EXPAND_DECADES = 1.0

Numeric = FloatRange | IntRange


def crowded_edges(values: Sequence[float], parent: Numeric) -> list[str]:
    """``"low"`` and/or ``"high"``: the edges of ``parent`` the values crowd."""
    lo, hi = parent.scaled(parent.low), parent.scaled(parent.high)
    band = EDGE_FRACTION * (hi - lo)
    scaled = [parent.scaled(v) for v in values]
    needed = math.ceil(len(values) / 2)
    edges = []
    if band > 0 and sum(x <= lo + band for x in scaled) >= needed:
        edges.append("low")
    if band > 0 and sum(x >= hi - band for x in scaled) >= needed:
        edges.append("high")
    return edges


def narrow_range(
    values: Sequence[float],
    parent: Numeric,
    *,
    margin: float = 0.1,
    snap: bool = False,
    expand: bool = False,
) -> tuple[Numeric, list[str]]:
    """The narrowed range of one numeric parameter, and the parent's crowded edges."""
    if not values:
        raise ValueError("narrowing needs at least one value")
    parent_lo, parent_hi = parent.scaled(parent.low), parent.scaled(parent.high)
    widen = margin if parent.log else margin * (parent_hi - parent_lo)
    lo = parent.scaled(min(values)) - widen
    hi = parent.scaled(max(values)) + widen
    if snap and parent.log:
        lo, hi = math.floor(lo), math.ceil(hi)
    crowded = crowded_edges(values, parent)
    past = EXPAND_DECADES if parent.log else parent_hi - parent_lo
    lo = parent_lo - past if expand and "low" in crowded else max(lo, parent_lo)
    hi = parent_hi + past if expand and "high" in crowded else min(hi, parent_hi)
    known = PARAMETERS.get(parent.name)
    allowed_lo, allowed_hi = known.limits() if known else (-math.inf, math.inf)
    low = max(parent.unscaled(lo), allowed_lo, 1e-300 if parent.log else -math.inf)
    high = min(parent.unscaled(hi), allowed_hi)
    if isinstance(parent, IntRange):  # rounded outward
        low, high = math.floor(low + 1e-9), math.ceil(high - 1e-9)
        return IntRange(low, high, parent.name, parent.log, parent.when), crowded
    return FloatRange(low, high, parent.name, parent.log, parent.when), crowded


@dataclass(frozen=True)
class Narrowing:
    space: SearchSpace
    crowded: dict[str, list[str]] = field(default_factory=dict)  # "lr" -> ["high"]
    dropped: dict[str, list[Value]] = field(default_factory=dict)  # "optimizer" -> ["sgd"]
    #: the parameters kept out of the new round, and why: "momentum" -> "none of the ..."
    removed: dict[str, str] = field(default_factory=dict)
    #: how many of the top-k trials each conditional parameter was narrowed from
    applied: dict[str, int] = field(default_factory=dict)


def narrow_domain(
    domain: Domain, values: Sequence[Value], *, margin: float, snap: bool, expand: bool
) -> tuple[Domain, list[str], list[Value]]:
    """One domain narrowed from the top-k's values: (domain, crowded edges, dropped)."""
    if isinstance(domain, Choice):
        kept, dropped = domain.kept(values)
        return kept, [], dropped
    numbers = [float(v) for v in values]
    new, crowded = narrow_range(numbers, domain, margin=margin, snap=snap, expand=expand)
    return new, crowded, []


def narrow(
    parent: SearchSpace,
    top: Sequence[Mapping[str, Value]],
    *,
    margin: float = 0.1,
    snap: bool = False,
    expand: bool = False,
) -> Narrowing:
    """New domains from the values of the top-k trials (a mapping each, by parameter)."""
    if not top:
        raise ValueError("narrowing needs at least one trial")
    new_domains: dict[str, Domain] = {}
    crowded, dropped, removed, applied = {}, {}, {}, {}
    for domain in dependency_order(parent.domains):
        if (why := _kept_out(domain, new_domains, len(top))) is None:
            values = [trial[domain.name] for trial in top if domain.name in trial]
            why = None if values else f"none of the top-{len(top)} trials used it"
        if why is not None:
            removed[label(domain.name)] = why
            continue
        new, edges, gone = narrow_domain(domain, values, margin=margin, snap=snap, expand=expand)
        new_domains[domain.name] = new
        if domain.when is not None:
            applied[label(domain.name)] = len(values)
        if edges:
            crowded[label(domain.name)] = edges
        if gone:
            dropped[label(domain.name)] = gone
    space = SearchSpace(tuple(new_domains[d.name] for d in parent if d.name in new_domains))
    return Narrowing(space, crowded, dropped, removed, applied)


def _kept_out(domain: Domain, kept: Mapping[str, Domain], k: int) -> str | None:
    """Why a conditional domain cannot be in the new round (None: it can)."""
    when = domain.when
    if when is None:
        return None
    parent = kept.get(when.parent)
    if parent is None:
        return f"{label(when.parent)}, which it depends on, is kept out"
    if isinstance(parent, Choice) and not when.texts & {format_value(c) for c in parent.choices}:
        return f"{label(parent.name)} kept none of {', '.join(sorted(when.texts))} (top-{k})"
    return None


def changes(
    parent: SearchSpace, child: SearchSpace, k: int
) -> tuple[dict[str, list[Value]], dict[str, str]]:
    """What narrowing ``parent`` from its top-``k`` into ``child`` left behind, read back
    from the two spaces as :func:`narrow` says it: each choice's dropped choices, and each
    parameter kept out with why (by label)."""
    kept = {domain.name: domain for domain in child}
    dropped: dict[str, list[Value]] = {}
    removed: dict[str, str] = {}
    for domain in parent:
        new = kept.get(domain.name)
        if new is None:
            why = _kept_out(domain, kept, k) or f"none of the top-{k} trials used it"
            removed[label(domain.name)] = why
        elif isinstance(domain, Choice) and isinstance(new, Choice):
            left = {format_value(c) for c in new.choices}
            if gone := [c for c in domain.choices if format_value(c) not in left]:
                dropped[label(domain.name)] = gone
    return dropped, removed
