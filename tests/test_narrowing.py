import math

import pytest

from hpsearch.narrowing import EXPAND_DECADES, crowded_edges, narrow, narrow_range
from hpsearch.space import BOOK_SPACE, LogRange

PARENT = LogRange(1e-6, 1e-2, "lr")


@pytest.mark.parametrize(
    "values",
    [[1e-4, 3e-4, 2e-3], [5e-6], [1.1e-6, 9e-3], [6e-3, 7e-3, 9.9e-3]],
)
@pytest.mark.parametrize("snap", [False, True])
def test_narrowed_range_lies_in_the_parent_and_holds_every_top_value(values, snap):
    new, _ = narrow_range(values, PARENT, snap=snap)
    assert PARENT.low <= new.low < new.high <= PARENT.high
    assert all(new.low <= v <= new.high for v in values)


def test_margin_widens_in_log_space():
    new, _ = narrow_range([1e-4, 1e-3], PARENT, margin=0.5)
    assert math.log10(new.low) == pytest.approx(-4.5)
    assert math.log10(new.high) == pytest.approx(-2.5)


def test_snap_rounds_out_to_powers_of_ten():
    new, _ = narrow_range([2e-4, 3e-3], PARENT, snap=True)
    assert (new.low, new.high) == (pytest.approx(1e-4), pytest.approx(1e-2))


def test_single_value_still_gives_a_range():
    new, _ = narrow_range([1e-4], PARENT, margin=0.1)
    assert new.decades == pytest.approx(0.2)


@pytest.mark.parametrize(
    ("values", "edges"),
    [
        ([6e-3, 7e-3, 9e-3, 1e-4, 2e-5], ["high"]),  # 3 of 5 in the top tenth
        ([6e-3, 7e-3, 1e-4, 2e-5, 3e-5], []),  # only 2 of 5
        ([1.2e-6, 1.5e-6], ["low"]),
        ([1e-4, 1e-3], []),
    ],
)
def test_crowded_edges(values, edges):
    assert crowded_edges(values, PARENT) == edges


def test_expand_pushes_a_crowded_edge_past_the_parent():
    values = [6e-3, 7e-3, 9e-3]
    kept, _ = narrow_range(values, PARENT)
    grown, crowded = narrow_range(values, PARENT, expand=True)
    assert crowded == ["high"]
    assert kept.high == pytest.approx(PARENT.high)
    assert grown.high == pytest.approx(PARENT.high * 10**EXPAND_DECADES)
    assert grown.low == pytest.approx(kept.low)


def test_expand_leaves_an_uncrowded_range_inside_its_parent():
    plain, _ = narrow_range([1e-4, 1e-3], PARENT)
    expanded, crowded = narrow_range([1e-4, 1e-3], PARENT, expand=True)
    assert crowded == [] and expanded == plain


def test_narrow_both_parameters_and_report_crowding():
    top = [(8e-3, 1e-6), (9e-3, 1e-7), (7e-3, 5e-5)]
    result = narrow(BOOK_SPACE, top)
    assert result.space.lr.low == pytest.approx(7e-3 * 10**-0.1)
    assert result.space.weight_decay.high == pytest.approx(5e-5 * 10**0.1)
    assert result.crowded == {"lr": ["high"]}
