"""The tree-structured Parzen estimator (TPE): a parameter's next value, learned from the
trials it applied to.

For each parameter on its own (as Hyperopt's and Optuna's independent TPE do), the
trials it applied to are ranked best first and split in two: the good ones (the first
:func:`good_count` of ``n``) and the others. Each group gives a density over the
parameter's domain, a Parzen estimator in the domain's own internal space:

- a float range: a mixture of Gaussians truncated to the range, one per observed value
  and one wide prior over the whole range, in log10 space for a log range;
- an integer range: the same over ``[low - 0.5, high + 0.5]`` (log10 for a log range),
  each integer weighed by the mass of its bin, so every integer can come;
- a choice: each choice's count among the group, plus a prior of one for every choice.

:data:`N_CANDIDATES` candidates are drawn from the good density and the one where
``good / other`` is highest is taken (the expected improvement's maximiser). A
parameter with fewer than :data:`N_STARTUP` observations is not learned: the caller
samples it at random. The values of trials sampled but not yet done count as bad ones
(a constant liar). Every draw comes from the ``Generator`` given for the parameter, so
the same observations and the same stream give the same value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import NamedTuple

import numpy as np

from hpsearch.space.domains import Choice, Domain, FloatRange, IntRange, Value, format_value

#: Observations a parameter needs before it is learned (below: sampled at random).
N_STARTUP = 10
#: Candidates drawn from the good trials' density; the best ratio is taken.
N_CANDIDATES = 24
#: The weight of the prior component beside one per observation.
PRIOR_WEIGHT = 1.0
#: The good trials are at most this many, whatever ``n``.
MAX_GOOD = 25


def good_count(n: int) -> int:
    """How many of ``n`` ranked observations count as good: a tenth, rounded up, at most
    :data:`MAX_GOOD`."""
    return min(math.ceil(0.1 * n), MAX_GOOD)


class Observation(NamedTuple):
    """One value a parameter took, and how well its trial did: ``rank`` orders trials,
    higher better (see :mod:`hpsearch.store.observations` for the rule). A named tuple:
    a thousand trials make thousands of them per sample."""

    value: Value
    rank: tuple[float, float]


def split(observations: Sequence[Observation]) -> tuple[list[Value], list[Value]]:
    """The good values and the others: ranked best first (a stable sort: ties keep the
    order given), the first :func:`good_count` are good."""
    ranked = sorted(observations, key=itemgetter(1), reverse=True)
    n_good = good_count(len(ranked))
    return [o.value for o in ranked[:n_good]], [o.value for o in ranked[n_good:]]


# --- a range: truncated Gaussians in the domain's internal space ----------------------------


_erf = np.frompyfunc(math.erf, 1, 1)


def _cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.asarray(_erf(z / math.sqrt(2.0)), dtype=float))


@dataclass(frozen=True)
class Parzen:
    """A mixture of Gaussians truncated to ``[low, high]``: one per observation, and
    the prior (the range's middle, as wide as the range)."""

    mus: np.ndarray
    sigmas: np.ndarray
    weights: np.ndarray
    low: float
    high: float

    @classmethod
    def of(cls, points: Sequence[float], low: float, high: float) -> Parzen:
        width = high - low
        observed = np.asarray(points, dtype=float)
        mus = np.append(observed, (low + high) / 2)
        # each point's bandwidth: the farther of its neighbours (the edges count), clipped
        order = np.argsort(observed, kind="stable")
        ordered = np.concatenate(([low], observed[order], [high]))
        gaps = np.diff(ordered)
        wide = np.maximum(gaps[:-1], gaps[1:])
        sigmas = np.empty(len(observed))
        sigmas[order] = wide
        floor = width / min(100.0, len(observed) + 1.0)
        sigmas = np.append(np.clip(sigmas, floor, width), width)
        weights = np.append(np.ones(len(observed)), PRIOR_WEIGHT)
        return cls(mus, sigmas, weights / weights.sum(), low, high)

    @property
    def inside(self) -> np.ndarray:
        """Each component's mass inside ``[low, high]``, which truncation divides by."""
        high = _cdf((self.high - self.mus) / self.sigmas)
        return np.maximum(high - _cdf((self.low - self.mus) / self.sigmas), 1e-300)

    def log_density(self, x: np.ndarray) -> np.ndarray:
        z = (x[:, None] - self.mus) / self.sigmas  # (candidates, components)
        pdf = np.exp(-0.5 * z**2) / (self.sigmas * math.sqrt(2 * math.pi) * self.inside)
        return np.log(np.maximum(pdf @ self.weights, 1e-300))

    def log_mass(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """The log of the mixture's mass over each ``[a, b]``."""
        upper = _cdf((b[:, None] - self.mus) / self.sigmas)  # (candidates, components)
        lower = _cdf((a[:, None] - self.mus) / self.sigmas)
        masses = (upper - lower) / self.inside
        return np.log(np.maximum(masses @ self.weights, 1e-300))

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` draws: a component each, then its Gaussian until it lands inside."""
        component = rng.choice(len(self.weights), size=size, p=self.weights)
        drawn = np.full(size, np.nan)
        while np.isnan(drawn).any():
            missing = np.isnan(drawn)
            tried = rng.normal(self.mus[component[missing]], self.sigmas[component[missing]])
            tried[(tried < self.low) | (tried > self.high)] = np.nan
            drawn[missing] = tried
        return drawn


def _float_value(domain: FloatRange, good: list[Value], bad: list[Value], rng) -> Value:
    low, high = domain.scaled(domain.low), domain.scaled(domain.high)
    l_est = Parzen.of([domain.scaled(float(v)) for v in good], low, high)
    g_est = Parzen.of([domain.scaled(float(v)) for v in bad], low, high)
    x = l_est.sample(rng, N_CANDIDATES)
    best = x[int(np.argmax(l_est.log_density(x) - g_est.log_density(x)))]
    return min(max(float(domain.unscaled(best)), domain.low), domain.high)


def _int_value(domain: IntRange, good: list[Value], bad: list[Value], rng) -> Value:
    low, high = domain.scaled(domain.low - 0.5), domain.scaled(domain.high + 0.5)
    l_est = Parzen.of([domain.scaled(float(v)) for v in good], low, high)
    g_est = Parzen.of([domain.scaled(float(v)) for v in bad], low, high)
    drawn = np.rint([domain.unscaled(x) for x in l_est.sample(rng, N_CANDIDATES)])
    ints, at = np.unique(np.clip(drawn, domain.low, domain.high), return_inverse=True)
    a = np.array([domain.scaled(k - 0.5) for k in ints])  # each integer's bin
    b = np.array([domain.scaled(k + 0.5) for k in ints])
    score = (l_est.log_mass(a, b) - g_est.log_mass(a, b))[at]  # each candidate's, in order
    return int(ints[at[int(np.argmax(score))]])


# --- a choice: counts with a prior --------------------------------------------------------


def _choice_value(domain: Choice, good: list[Value], bad: list[Value], rng) -> Value:
    texts = [format_value(c) for c in domain.choices]

    def weights(values: list[Value]) -> np.ndarray:
        counts = np.full(len(texts), PRIOR_WEIGHT)
        for value in values:
            counts[texts.index(format_value(value))] += 1.0
        return counts / counts.sum()

    l_p, g_p = weights(good), weights(bad)
    candidates = rng.choice(len(texts), size=N_CANDIDATES, p=l_p)
    score = np.log(l_p[candidates]) - np.log(g_p[candidates])
    return domain.choices[int(candidates[int(np.argmax(score))])]


#: Each kind of domain's estimator: ``(domain, good values, other values, rng) -> value``.
ESTIMATORS: dict[type, Callable[..., Value]] = {
    FloatRange: _float_value,
    IntRange: _int_value,
    Choice: _choice_value,
}


def learned_value(
    domain: Domain,
    observations: Sequence[Observation],
    rng: np.random.Generator,
    pending: Sequence[Value] = (),
) -> Value | None:
    """The parameter's next value learned from ``observations`` (those whose value lies
    in ``domain``), or None when fewer than :data:`N_STARTUP` do: sample it at random.

    ``pending`` are values of trials sampled but without a result yet (the trials of the
    same batch before this one): each counts among the others, as if it had done worst
    (Optuna's constant liar), so that a batch spreads out instead of piling on the one
    spot its trials all learned to favour. They never count towards :data:`N_STARTUP`."""
    inside = [o for o in observations if o.value in domain]
    if len(inside) < N_STARTUP:
        return None
    good, bad = split(inside)
    bad += [value for value in pending if value in domain]
    return ESTIMATORS[type(domain)](domain, good, bad, rng)
