"""Rows of numbers written fast: always repr's text, or None to say "write them yourself"."""

import math
from decimal import Decimal

import numpy as np
import pytest

from hpsearch.report.number_text import row_texts


def repr_texts(rows):
    return [",".join(map(repr, row[1:])) for row in rows]


def test_typical_epoch_rows_are_written_as_repr_writes_them():
    """Accuracies, losses and seconds as a search stores them: the fast text is taken."""
    rng = np.random.default_rng(0)
    rows = [
        (7, epoch, k / 400, j / 100, loss, loss * 1.1, seconds)
        for epoch, k, j, loss, seconds in zip(
            range(1, 51),
            rng.integers(0, 401, 50).tolist(),
            rng.integers(0, 101, 50).tolist(),
            rng.uniform(0.0001, 2.4, 50).tolist(),
            rng.uniform(0.001, 30.0, 50).tolist(),
            strict=True,
        )
    ]
    rows.append((7, 51, 0.0, 1.0, 0.0001, 12345678.0, -0.0))
    texts = row_texts(rows)
    assert texts is not None
    assert texts == repr_texts(rows)
    assert texts[-1] == "51,0.0,1.0,0.0001,12345678.0,-0.0"


def test_any_float_is_written_as_repr_or_left_to_the_caller():
    """Floats of every exponent, from random bit patterns and scaled uniforms: a row is
    written, as repr writes it, exactly when repr writes each of its values without an
    exponent (and without four zeros after a point, which the check cannot tell apart)."""
    rng = np.random.default_rng(1)
    bits = rng.integers(0, 2**64, 200_000, dtype=np.uint64, endpoint=False)
    scales = 10.0 ** rng.integers(-8, 20, 200_000)
    values = [v for v in bits.view(np.float64).tolist() if math.isfinite(v)]
    values += (rng.uniform(0, 1, 200_000) * scales).tolist()
    written = plain = 0
    for start in range(0, len(values), 5):
        row = (0, *values[start : start + 5])
        texts = row_texts([row])
        is_plain = all("e" not in repr(v) and "0.0000" not in repr(v) for v in row[1:])
        assert (texts is not None) == is_plain, row
        if texts is not None:
            assert texts == repr_texts([row])
        written += texts is not None
        plain += is_plain
    assert written == plain > 5_000


@pytest.mark.parametrize(
    "value",
    [5e-05, 1e-05, 1e-07, 1e16, 1.5e300, math.inf, -math.inf, math.nan, True, Decimal("0.5"),
     "0.5", 2**70],
)  # fmt: skip
def test_values_written_otherwise_than_by_repr_are_left_to_the_caller(value):
    assert row_texts([(1, 2, 0.5, 0.25)]) == ["2,0.5,0.25"]
    assert row_texts([(1, 2, 0.5, 0.25), (1, 3, value, 0.25)]) is None


def test_no_rows_and_rows_of_ints_only():
    assert row_texts([]) == []
    assert row_texts([(1, 2), (1, 3)]) == ["2", "3"]
