"""The ``--space`` TOML file: one entry per parameter, each checked for its type.

An entry is a string written as ``--search`` takes it (``dropout = "0:0.5"``), an array
of choices, or a table with ``low`` and ``high`` (numbers) and ``log`` (a boolean), or
with ``choices`` (an array). The rules a file is held to, each broken one a UsageError:

- the file is a regular file (or a pipe) of at most :data:`MAX_SPACE_BYTES`, UTF-8 TOML;
- an array of choices holds strings, numbers or booleans, all of one kind (integers and
  floats are both numbers): write ``weight_init = ["he", "0.01"]``, not ``["he", 0.01]``;
- ``low`` and ``high`` are numbers, ``log`` is ``true`` or ``false`` (the string
  ``"false"`` is not a boolean), ``choices`` is an array, ``if`` a condition, and a table
  has no other key.

A parameter is made conditional as on the command line, in a string entry
(``dropout = "0:0.5 if batchnorm=false"``) or by a table's ``if`` key: a string
(``if = "optimizer=momentum,nesterov"``) or a table of one parent and its value or values
(``if = { batchnorm = false }``, ``if = { optimizer = ["momentum", "nesterov"] }``).
"""

from __future__ import annotations

import datetime
import os
import stat
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover  Python 3.10
    import tomli as tomllib

from dataclasses import replace

from hpsearch.errors import UsageError
from hpsearch.space.domains import Choice, Condition, Domain, label
from hpsearch.space.parameters import make_choice, make_range, parse_condition, spec_domain

#: The largest space file read: a space of every parameter takes a few hundred bytes.
MAX_SPACE_BYTES = 1 << 20
_TABLE_KEYS = {"low", "high", "log", "choices", "if"}


def _kind(value: object) -> str:
    """A TOML value's type as a message names it."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, (datetime.date, datetime.time)):
        return "a date or time"
    return type(value).__name__  # pragma: no cover  TOML has no other type


def _choices(name: str, values: object) -> Choice:
    if not isinstance(values, list):
        raise UsageError(f"{label(name)}: choices must be an array, got {_kind(values)}")
    kinds = [_kind(value) for value in values]
    for kind in kinds:
        if kind not in ("a string", "a number", "a boolean"):
            raise UsageError(
                f"{label(name)}: a choice must be a string, number or boolean, not {kind}"
            )
    if len(set(kinds)) > 1:
        mixed = " and ".join(sorted(set(kinds)))
        raise UsageError(
            f"{label(name)}: the choices mix {mixed}: write them all of one type "
            '(numbers as strings, "0.01", beside words)'
        )
    return make_choice(name, values)


def _bound(name: str, key: str, table: dict[str, object]) -> object:
    if key not in table:
        raise UsageError(f"{label(name)}: a range table needs both low and high")
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise UsageError(f"{label(name)}: {key} must be a number, got {_kind(value)}")
    return value


def _condition(name: str, value: object) -> Condition:
    """A table's ``if``: ``"PARENT=A,B"``, or a table of one parent and its value(s)."""
    if isinstance(value, str):
        return parse_condition(name, value)
    if not isinstance(value, dict) or len(value) != 1:
        raise UsageError(
            f'{label(name)}: write if = "PARENT=A,B" or if = {{ PARENT = [A, B] }}, '
            f"not {_kind(value)}" + (" of several parents" if isinstance(value, dict) else "")
        )
    ((parent, values),) = value.items()
    choices = _choices(parent, values if isinstance(values, list) else [values])
    return Condition(choices.name, choices.choices)


def toml_domain(name: str, value: object) -> Domain:
    """A domain from one entry of a ``--space`` TOML file (see the module docstring)."""
    if isinstance(value, dict) and "if" in value:
        rest = {key: entry for key, entry in value.items() if key != "if"}
        return replace(toml_domain(name, rest), when=_condition(name, value["if"]))
    if isinstance(value, str):
        return spec_domain(name, value)
    if isinstance(value, list):
        return _choices(name, value)
    if not isinstance(value, dict):
        raise UsageError(
            f"{label(name)}: write LOW:HIGH, a list of choices, or a table of low/high/log, "
            f"not {_kind(value)}"
        )
    unknown = set(value) - _TABLE_KEYS
    if unknown:
        raise UsageError(f"{label(name)}: unknown key {sorted(unknown)[0]!r} in the space file")
    if "choices" in value:
        if set(value) != {"choices"}:
            raise UsageError(f"{label(name)}: give choices or low/high/log, not both")
        return _choices(name, value["choices"])
    low, high = _bound(name, "low", value), _bound(name, "high", value)
    log = value.get("log")
    if log is not None and not isinstance(log, bool):
        raise UsageError(f"{label(name)}: log must be true or false, got {_kind(log)} {log!r}")
    return make_range(name, low, high, log)


def read_text(path: Path) -> str:
    """The file's text: a regular file or a pipe, at most :data:`MAX_SPACE_BYTES`, UTF-8."""
    try:
        with path.open("rb") as stream:
            mode = os.fstat(stream.fileno()).st_mode
            if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode)):
                raise UsageError(f"{path} is not a regular file")
            content = stream.read(MAX_SPACE_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(content) > MAX_SPACE_BYTES:
        raise UsageError(f"{path} is larger than {MAX_SPACE_BYTES} bytes: not a space file")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not valid TOML: it is not UTF-8 text") from None


def read_space_file(path: Path) -> list[Domain]:
    """The domains of a ``--space`` TOML file: one entry per parameter."""
    return read_space_text(read_text(path), str(path))


def read_space_text(text: str, where: str = "standard input") -> list[Domain]:
    """The domains of a ``--space`` TOML document read from ``where`` (for messages); at
    most :data:`MAX_SPACE_BYTES`, as a file."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_SPACE_BYTES:
        raise UsageError(f"{where} is larger than {MAX_SPACE_BYTES} bytes: not a space file")
    try:
        entries = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{where} is not valid TOML: {exc}") from None
    return [toml_domain(name, value) for name, value in entries.items()]
