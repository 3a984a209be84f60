"""Rows of numbers as text, fast, written exactly as Python's ``repr`` writes them.

The exports write millions of floats, and ``repr`` (the shortest text that reads back
as the same float) is most of their time. orjson writes the same shortest digits about
fifteen times faster. Its text is ``repr``'s for every int and every finite float that
``repr`` writes without an exponent; it differs for the others: an exponent is ``1e-7``
where ``repr`` writes ``1e-07``, a float in [1e-5, 1e-4) is ``0.00005`` where ``repr``
writes ``5e-05``, and NaN and infinity become ``null``. :func:`row_texts` looks for
those in the text it made and then gives up, so that its caller writes the rows the
slow way: what it returns is always what ``repr`` writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

#: Marks of text that may differ from repr's: an exponent, a float below 1e-4 written
#: out in full (or any number with four zeros after its point, which is merely slower),
#: ``null`` for NaN or infinity, ``true``/``false`` for a bool, a quote for a string.
_DIFFERENT = ("e", "0.0000", "n", "t", "f", '"')


def row_texts(rows: Sequence[Sequence[Any]]) -> list[str] | None:
    """Each row's values after its first (ints and floats), as ``repr`` writes them and
    joined by commas: ``[(id, 1, 0.5, 0.25)]`` gives ``["1,0.5,0.25"]``. None when a
    value is of another type or may be written otherwise than by ``repr``."""
    if not rows:
        return []
    try:
        text = orjson.dumps([row[1:] for row in rows]).decode()
    except orjson.JSONEncodeError:  # a value orjson does not write (a Decimal, a huge int)
        return None
    if any(mark in text for mark in _DIFFERENT):
        return None
    return text[2:-2].split("],[")
