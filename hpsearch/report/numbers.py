"""Numbers as people read them in tables: each kind of number to its precision.

One place decides how an accuracy, a learning rate or a duration is written, so that
every table of the command line (and any other page that shows the same numbers)
writes them alike:

- an accuracy (a share of samples): 4 decimals, ``0.8250``; None is ``-``;
- a training function's metric: as an accuracy when it is one, else 4 significant
  digits;
- a value of a log-scale parameter (``lr``, ``weight_decay``): compact scientific
  form, 3 significant digits, no ``+`` and no leading zero in the exponent, trailing
  zeros dropped: ``2.47e-3``, ``1e-6``, ``1e1``;
- any other float: 3 significant digits, ``0.132`` (``:.3g``, its exponent compact);
- a width in decades: 2 decimals; seconds: 1 decimal.

None of these ever needs cutting to fit: a table gives a number column the width of
its widest cell (see :mod:`hpsearch.report.fitting`).
"""

from __future__ import annotations

import math

MISSING = "-"


def _compact_exponent(text: str) -> str:
    """``2.47e-03`` -> ``2.47e-3``, ``1e+01`` -> ``1e1``."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    sign = "-" if exponent.startswith("-") else ""
    return f"{mantissa}e{sign}{exponent.lstrip('+-').lstrip('0') or '0'}"


def accuracy(value: float | None) -> str:
    """An accuracy to 4 decimals: ``0.8250``; ``-`` when there is none."""
    return MISSING if value is None else f"{value:.4f}"


def metric(value: float | None, name: str) -> str:
    """A training function's metric: an accuracy (a name ending in ``accuracy``) as one,
    another to 4 significant digits (``0.1325``, ``1.25e-5``); ``-`` when there is none."""
    if value is None or name.endswith("accuracy"):
        return accuracy(value)
    return _compact_exponent(f"{value:#.4g}").rstrip(".")


def scientific(value: float) -> str:
    """Compact scientific form, 3 significant digits: ``2.47e-3``, ``1e-6``, ``0`` for 0."""
    if value == 0 or not math.isfinite(value):
        return str(value) if not math.isfinite(value) else "0"
    return _compact_exponent(f"{value:.2e}")


def significant(value: float) -> str:
    """3 significant digits (``0.132``, ``64``, ``1.5e-5``), the exponent compact."""
    return _compact_exponent(f"{value:.3g}")


def decades(value: float) -> str:
    """A range's width in decades: ``4.00``."""
    return f"{value:.2f}"


def seconds(value: float | None) -> str:
    """A duration in seconds to 1 decimal: ``12.3``."""
    return MISSING if value is None else f"{value:.1f}"
