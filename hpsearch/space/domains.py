"""The kinds of domain a parameter is searched over, each a small class.

    FloatRange   a float in [low, high], sampled uniformly in log10 space (``log``)
                 or linearly
    IntRange     an integer in [low, high], bounds included, log or linear
    Choice       one of a list of values (strings, booleans or numbers)
    Condition    when a parameter applies: its parent choice takes one of some values

Any domain may carry a :class:`Condition` (``when``): the parameter applies only to the
trials in which the parent parameter took one of the condition's values (and the parent
itself applied); elsewhere it has no value at all (see :mod:`hpsearch.space.conditions`).

Each domain validates itself, samples itself from a ``numpy.random.Generator``,
narrows itself from the values of the best trials (:mod:`hpsearch.space.narrowing` holds
the numeric rule), prints itself and turns into the columns of a
``round_domains`` row (:meth:`columns`, :func:`from_columns`), so the sampler and
the narrowing are loops over domains.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, ClassVar

import numpy as np

from hpsearch.errors import UsageError

Value = float | int | str | bool


class DomainKind(str, Enum):
    """How a ``round_domains`` row's values are drawn (a str enum: SQL reads the word)."""

    FLOAT = "float"
    INT = "int"
    CHOICE = "choice"

    def __str__(self) -> str:
        return self.value


def label(name: str) -> str:
    """A parameter's name as messages print it: ``weight_decay`` -> ``weight decay``."""
    return name.replace("_", " ")


def format_value(value: Value) -> str:
    """A value as ``trial_params.value_text`` stores it and tables print it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if isinstance(value, float) else str(value)  # a float as it reads back


def value_number(value: Value) -> float | None:
    """A value as ``trial_params.value_num`` stores it: numbers and booleans, else None."""
    return None if isinstance(value, str) else float(value)


@dataclass(frozen=True)
class Condition:
    """A parameter applies only when ``parent`` took one of ``values``."""

    parent: str
    values: tuple[Value, ...]

    def holds(self, values: Mapping[str, Value]) -> bool:
        """Whether the parent has one of the values among ``values`` (absent: it does not)."""
        if self.parent not in values:
            return False
        return format_value(values[self.parent]) in self.texts

    @property
    def texts(self) -> set[str]:
        return {format_value(value) for value in self.values}

    def __str__(self) -> str:
        return f"if {self.parent}={','.join(format_value(v) for v in self.values)}"

    def columns(self) -> dict[str, Any]:
        """The ``round_domains`` columns of the condition."""
        return {"condition_parent": self.parent, "condition_values": json.dumps(list(self.values))}


class _Scaled:
    """What a range shares: the space it is uniform in, and its ``round_domains`` row."""

    low: Any
    high: Any
    log: bool
    when: Condition | None
    kind: ClassVar[DomainKind]

    def scaled(self, value: float) -> float:
        """``value`` in the space the domain is uniform in (log10, or as it is)."""
        return math.log10(value) if self.log else value

    def unscaled(self, x: float) -> float:
        return 10**x if self.log else x

    def columns(self) -> dict[str, Any]:
        row = {"kind": self.kind, "log": self.log, "low": self.low, "high": self.high}
        return row | (self.when.columns() if self.when else {})


@dataclass(frozen=True)
class FloatRange(_Scaled):
    """A float in ``[low, high]``, uniform in log10 space (``log``) or linear space."""

    low: float
    high: float
    name: str = "range"
    log: bool = True
    when: Condition | None = None
    kind: ClassVar[DomainKind] = DomainKind.FLOAT

    def __post_init__(self) -> None:
        what = f"{label(self.name)} range [{self.low:g}, {self.high:g}]"
        if not (math.isfinite(self.low) and math.isfinite(self.high)):
            raise UsageError(f"{label(self.name)} range must be finite, got {self}")
        if self.log and (self.low <= 0 or self.high <= 0):
            raise UsageError(f"{what} is sampled in log space: both bounds must be > 0")
        if self.low >= self.high:
            raise UsageError(f"{what}: low must be < high")

    @property
    def decades(self) -> float:
        """Width in powers of ten."""
        return math.log10(self.high / self.low)

    def sample(self, rng: np.random.Generator) -> float:
        drawn = rng.uniform(self.scaled(self.low), self.scaled(self.high))
        return float(self.unscaled(drawn))

    def __contains__(self, value: object) -> bool:
        return isinstance(value, (int, float)) and self.low <= value <= self.high

    def __str__(self) -> str:
        return f"[{self.low:.3g}, {self.high:.3g}]" + ("" if self.log else " linear")


@dataclass(frozen=True)
class IntRange(_Scaled):
    """An integer in ``[low, high]``, bounds included, log or linear."""

    low: int
    high: int
    name: str = "range"
    log: bool = False
    when: Condition | None = None
    kind: ClassVar[DomainKind] = DomainKind.INT

    def __post_init__(self) -> None:
        what = f"{label(self.name)} range [{self.low}, {self.high}]"
        if not all(isinstance(b, int) and not isinstance(b, bool) for b in (self.low, self.high)):
            raise UsageError(f"{what}: an integer range needs integer bounds")
        if self.log and self.low < 1:
            raise UsageError(f"{what} is sampled in log space: both bounds must be >= 1")
        if self.low > self.high:
            raise UsageError(f"{what}: low must be <= high")

    def sample(self, rng: np.random.Generator) -> int:
        if not self.log:
            return int(rng.integers(self.low, self.high + 1))
        # uniform in log space over [low - 0.5, high + 0.5], rounded: every integer can come
        drawn = math.exp(rng.uniform(math.log(self.low - 0.5), math.log(self.high + 0.5)))
        return min(max(round(drawn), self.low), self.high)

    def __contains__(self, value: object) -> bool:
        return isinstance(value, int) and self.low <= value <= self.high

    def __str__(self) -> str:
        return f"{self.low}..{self.high}" + (" log" if self.log else "")


@dataclass(frozen=True)
class Choice:
    """One of ``choices``, each as likely."""

    choices: tuple[Value, ...]
    name: str = "choice"
    when: Condition | None = None
    kind: ClassVar[DomainKind] = DomainKind.CHOICE

    def __post_init__(self) -> None:
        if not self.choices:
            raise UsageError(f"{label(self.name)}: give at least one choice")
        texts = [format_value(c) for c in self.choices]
        if len(set(texts)) != len(texts):
            twice = sorted({t for t in texts if texts.count(t) > 1})
            raise UsageError(f"{label(self.name)}: choice {twice[0]} is given twice")

    def sample(self, rng: np.random.Generator) -> Value:
        return self.choices[int(rng.integers(len(self.choices)))]

    def kept(self, values: Sequence[Value]) -> tuple[Choice, list[Value]]:
        """The choices that appear among ``values`` (in their order here), and the dropped."""
        seen = {format_value(v) for v in values}
        keep = tuple(c for c in self.choices if format_value(c) in seen)
        dropped = [c for c in self.choices if format_value(c) not in seen]
        return Choice(keep or self.choices, self.name, self.when), dropped

    def __contains__(self, value: object) -> bool:
        return isinstance(value, (int, float, str)) and format_value(value) in self._texts

    @functools.cached_property
    def _texts(self) -> frozenset[str]:
        return frozenset(format_value(c) for c in self.choices)

    def __str__(self) -> str:
        return "{" + ", ".join(format_value(c) for c in self.choices) + "}"

    def columns(self) -> dict[str, Any]:
        row = {"kind": self.kind, "choices": json.dumps(list(self.choices))}
        return row | (self.when.columns() if self.when else {})


Domain = FloatRange | IntRange | Choice


def described(domain: Domain) -> str:
    """The domain as printed, with its condition: ``[0.5, 0.99] linear if optimizer=adam``."""
    return f"{domain} {domain.when}" if domain.when else str(domain)


def from_columns(
    name: str,
    kind: str,
    *,
    log: bool | None = None,
    low: float | None = None,
    high: float | None = None,
    choices: str | None = None,
    condition_parent: str | None = None,
    condition_values: str | None = None,
) -> Domain:
    """The domain a ``round_domains`` row describes (with its condition, if it has one)."""
    when = None
    if condition_parent is not None:
        when = Condition(condition_parent, tuple(json.loads(condition_values or "[]")))
    if kind == DomainKind.CHOICE:
        return Choice(tuple(json.loads(choices or "[]")), name, when)
    if low is None or high is None:
        raise ValueError(f"a {kind} domain row without bounds: {name}")
    if kind == DomainKind.INT:
        return IntRange(int(low), int(high), name, bool(log), when)
    return FloatRange(low, high, name, bool(log), when)
