"""The parameters a study can search, how a domain of each is written, and how a
trial's values become its network and optimizer.

A domain is written ``NAME=SPEC`` (``--search``) or in a TOML table (``--space``):

    lr=1e-4:1e-1          a range LOW:HIGH, in the parameter's usual scale
    dropout=0:0.5:linear  ... or with the scale said (``log`` or ``linear``)
    hidden_layers=2:6     an integer range, bounds included
    optimizer=sgd,adam    choices, comma-separated (or by ``;``: hidden=6x100;100,50)
    batchnorm=true,false  (booleans, numbers, shapes such as 6x100: as the option takes them)
    dropout=0:0.5 if batchnorm=false      applies only when batchnorm is false
    momentum=0.5:0.99 if optimizer=momentum,nesterov

A domain followed by ``if PARENT=A,B`` is conditional (:mod:`hpsearch.space.conditions`):
the parameter applies only to trials whose PARENT (a parameter searched over choices)
took one of A, B; the values are written as PARENT's choices are.

In TOML (:mod:`hpsearch.space.space_file`), a value is such a string, a list
(choices), or a table with ``low``, ``high`` and ``log``, or ``choices``. A parameter
that is not searched keeps the study's setting. For the book's network ``lr`` and
``weight_decay`` are always searched, over ranges (the book's by default).

A training function of one's own (``--objective``) may search parameters of any name
(a letter or ``_``, then letters, digits and ``_``). A name hpsearch knows keeps its
rules (``lr`` > 0, ``dropout`` in [0, 1)); another is read from how it is written:

    C=1e-2:1e3:log        a float range (linear unless ``:log`` is said)
    filters=16:64         an integer range: both bounds written as integers
    width=16.0:64         a float range after all
    kernel=rbf,linear     choices: integers, floats, true/false, else text
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from hpsearch.errors import UsageError
from hpsearch.settings import parse_hidden, parse_weight_init
from hpsearch.space.domains import Choice, Condition, Domain, FloatRange, IntRange, Value, label
from trainer import ACTIVATIONS, OPTIMIZERS

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


def _boolean(text: str) -> bool:
    word = text.strip().lower()
    if word in _TRUE or word in _FALSE:
        return word in _TRUE
    raise UsageError(f"{text!r} is not a boolean: write true or false")


def _word(words: Mapping[str, object]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        word = text.strip().lower()
        if word not in words:
            raise UsageError(f"unknown value {text!r}: choose one of {', '.join(words)}")
        return word

    return parse


def _weight_init(text: str) -> Value:
    stored = parse_weight_init(text)
    try:
        return float(stored)
    except ValueError:
        return stored


def _shape(text: str) -> str:
    return ",".join(str(size) for size in parse_hidden(text))


#: The largest integer a bound or choice may be: NumPy draws integers as int64.
MAX_INTEGER = 2**62


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise UsageError(f"{text!r} is not a number") from None


def _integer(text: str) -> int:
    value = _float(text)
    if not value.is_integer():
        raise UsageError(f"{text!r} is not an integer")
    if abs(value) > MAX_INTEGER:
        raise UsageError(f"{text!r} is too large (at most 2^62)")
    return int(value)


@dataclass(frozen=True)
class Parameter:
    """A searchable parameter: how its values are read, and the numbers it allows."""

    name: str
    parse: Callable[[str], Value]  # one value as written on the command line (UsageError)
    numeric: type | None = None  # float or int: ranges allowed
    log: bool = False  # the usual scale of its ranges
    minimum: float = -math.inf
    maximum: float = math.inf
    open_maximum: bool = False  # maximum itself not allowed (dropout < 1)
    open_minimum: bool = False
    own: bool = False  # a training function's own: a range's kind is read from its bounds

    def check(self, value: Value) -> None:
        if self.numeric is None or isinstance(value, (str, bool)):
            return
        low_ok = value > self.minimum if self.open_minimum else value >= self.minimum
        high_ok = value < self.maximum if self.open_maximum else value <= self.maximum
        if not (low_ok and high_ok):
            left, right = "(" if self.open_minimum else "[", ")" if self.open_maximum else "]"
            if math.isinf(self.maximum):
                allowed = f"{'>' if self.open_minimum else '>='} {self.minimum:g}"
            else:
                allowed = f"in {left}{self.minimum:g}, {self.maximum:g}{right}"
            raise UsageError(f"{label(self.name)} must be {allowed}, got {value:g}")

    def limits(self) -> tuple[float, float]:
        """The widest range narrowing may reach (an open bound stays just inside)."""
        high = math.nextafter(self.maximum, -math.inf) if self.open_maximum else self.maximum
        return self.minimum, high


def _fraction(name: str) -> Parameter:
    return Parameter(name, _float, float, minimum=0.0, maximum=1.0, open_maximum=True)


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("lr", _float, float, log=True, minimum=0.0, open_minimum=True),
        Parameter("weight_decay", _float, float, log=True, minimum=0.0),
        Parameter("optimizer", _word(OPTIMIZERS)),
        Parameter("batch_size", _integer, int, minimum=1),
        Parameter("hidden_size", _integer, int, minimum=1),
        Parameter("hidden_layers", _integer, int, minimum=1),
        Parameter("hidden", _shape),
        Parameter("activation", _word(ACTIVATIONS)),
        Parameter("weight_init", _weight_init),
        Parameter("batchnorm", _boolean),
        _fraction("dropout"),
        _fraction("momentum"),  # momentum and nesterov
        _fraction("decay_rate"),  # rmsprop
        _fraction("beta1"),  # adam
        _fraction("beta2"),
    )
}


#: A name of one's own: a letter or underscore, then letters, digits and underscores.
_OWN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,49}")
_INTEGER = re.compile(r"[+-]?[0-9]+")


def own_value(text: str) -> Value:
    """A value of a parameter of one's own: an integer or a finite float as written,
    true or false, else the text itself."""
    word = text.strip()
    if _INTEGER.fullmatch(word):
        return _integer(word)
    try:
        number = float(word)
    except ValueError:
        return word.lower() == "true" if word.lower() in ("true", "false") else word
    return number if math.isfinite(number) else word


def parameter(name: str) -> Parameter:
    """The parameter ``name``: the book network's, with its rules, or a function's own."""
    name = name.strip()
    known = PARAMETERS.get(name)
    if known is not None:
        return known
    if not _OWN_NAME.fullmatch(name):
        raise UsageError(
            f"parameter name {name!r}: write a letter or _, then letters, digits or _ (at most 50)"
        )
    return Parameter(name, own_value, own=True)


def check_book_names(names: Iterable[str]) -> None:
    """UsageError for a name the book's network does not take (``--objective`` takes any)."""
    for name in names:
        if name not in PARAMETERS:
            known = ", ".join(PARAMETERS)
            raise UsageError(
                f"unknown parameter {name!r}: choose from {known} (a parameter of another "
                "name needs a training function of your own, --objective)"
            )


def _number(text: str, kind: type, name: str) -> float | int:
    try:
        value = _float(text)
        if kind is int:
            if not value.is_integer():
                raise UsageError(f"{text!r} is not an integer bound")
            return _integer(text)
    except UsageError as exc:
        raise UsageError(f"{label(name)}: {exc}") from None
    return value


def _own_kind(low: object, high: object) -> type:
    """A range of one's own is of integers when both bounds are written as integers."""
    written = [str(bound).strip() for bound in (low, high)]
    integers = all(_INTEGER.fullmatch(text) for text in written)
    return int if integers and not any(isinstance(b, float) for b in (low, high)) else float


def make_range(name: str, low: object, high: object, log: bool | None = None) -> Domain:
    """A range domain of parameter ``name``, its bounds checked against the parameter."""
    param = parameter(name)
    numeric = _own_kind(low, high) if param.own else param.numeric
    if numeric is None:
        raise UsageError(f"{label(name)} takes choices (a,b,c), not a range")
    bounds = [_number(str(b), numeric, name) for b in (low, high)]
    scale = param.log if log is None else log
    domain: Domain
    if numeric is int:
        domain = IntRange(int(bounds[0]), int(bounds[1]), param.name, scale)
        if domain.low == domain.high:
            raise UsageError(
                f"{label(name)} range [{domain.low}, {domain.high}]: low must be < high"
            )
    else:
        domain = FloatRange(float(bounds[0]), float(bounds[1]), param.name, scale)
    for bound in bounds:
        param.check(bound)
    return domain


def make_choice(name: str, values: list[Any]) -> Choice:
    param = parameter(name)
    try:
        parsed = [param.parse(str(v).lower() if isinstance(v, bool) else str(v)) for v in values]
    except UsageError as exc:
        message = str(exc)
        prefix = "" if message.startswith(label(param.name)) else f"{label(param.name)}: "
        raise UsageError(prefix + message) from None
    for value in parsed:
        param.check(value)
    return Choice(tuple(parsed), param.name)


def parse_spec(text: str) -> Domain:
    """A domain from ``NAME=SPEC`` or ``NAME=SPEC if PARENT=A,B`` (see the module docstring)."""
    name, sep, spec = text.partition("=")
    if not sep or not name.strip():
        raise UsageError(f"--search {text!r}: write NAME=LOW:HIGH or NAME=A,B,C")
    return spec_domain(name.strip(), spec.strip())


def parse_condition(name: str, text: str) -> Condition:
    """The condition ``PARENT=A,B`` of parameter ``name``: PARENT's values, as its choices
    are written."""
    parent, sep, values = text.partition("=")
    if not sep or not parent.strip() or not values.strip():
        raise UsageError(f"{label(name)}: write the condition as 'if PARENT=A,B', got {text!r}")
    return Condition(parameter(parent).name, spec_choice(parent.strip(), values.strip()).choices)


def spec_domain(name: str, spec: str) -> Domain:
    """A domain from its SPEC, with the condition ``if PARENT=A,B`` after it, if any."""
    parts = re.split(r"\s+if\s+", spec, maxsplit=1)
    if len(parts) == 2:
        return replace(plain_domain(name, parts[0].strip()), when=parse_condition(name, parts[1]))
    return plain_domain(name, spec)


def plain_domain(name: str, spec: str) -> Domain:
    param = parameter(name)
    parts = spec.split(":")
    ranged = param.numeric is not None or param.own
    if ranged and len(parts) > 3:
        raise UsageError(f"{label(name)}: write LOW:HIGH or LOW:HIGH:log|linear, got {spec!r}")
    if ranged and len(parts) in (2, 3) and "," not in spec:
        log = None
        if len(parts) == 3:
            if parts[2].strip().lower() not in ("log", "linear"):
                raise UsageError(f"{label(name)}: the scale after LOW:HIGH is log or linear")
            log = parts[2].strip().lower() == "log"
        return make_range(name, parts[0], parts[1], log)
    return spec_choice(name, spec)


def spec_choice(name: str, spec: str) -> Choice:
    """Choices written ``A,B,C`` (or ``A;B`` when a choice holds commas)."""
    choices = [part.strip() for part in spec.split(";" if ";" in spec else ",")]
    if not spec or any(not choice for choice in choices):
        raise UsageError(f"{label(name)}: empty choice in {spec!r}")
    return make_choice(name, choices)
