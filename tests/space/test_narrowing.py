import math

import pytest

from hpsearch.space.domains import Choice, IntRange
from hpsearch.space.narrowing import EXPAND_DECADES, crowded_edges, narrow, narrow_range
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import BOOK_SPACE, LogRange, make_space

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
    result = narrow(BOOK_SPACE, [{"lr": lr, "weight_decay": wd} for lr, wd in top])
    assert result.space["lr"].low == pytest.approx(7e-3 * 10**-0.1)
    assert result.space["weight_decay"].high == pytest.approx(5e-5 * 10**0.1)
    assert result.crowded == {"lr": ["high"]}


def _space(*specs: str):
    return make_space((1e-6, 1e-2), (1e-8, 1e-4), {d.name: d for d in map(parse_spec, specs)})


def _top(**columns):
    n = len(next(iter(columns.values())))
    base = [{"lr": 1e-3, "weight_decay": 1e-6} for _ in range(n)]
    return [
        row | {name: values[i] for name, values in columns.items()} for i, row in enumerate(base)
    ]


def test_a_choice_keeps_what_the_top_k_used_and_says_what_it_dropped():
    result = narrow(
        _space("optimizer=sgd,momentum,adagrad,adam"), _top(optimizer=["adam", "momentum", "adam"])
    )

    assert result.space["optimizer"] == Choice(("momentum", "adam"), "optimizer")
    assert result.dropped == {"optimizer": ["sgd", "adagrad"]}


def test_a_linear_range_widens_by_a_share_of_its_parent_and_clips_to_it():
    result = narrow(_space("dropout=0:0.5"), _top(dropout=[0.2, 0.3, 0.25]))

    dropout = result.space["dropout"]
    assert (dropout.low, dropout.high, dropout.log) == pytest.approx((0.15, 0.35, False))


def test_a_linear_crowded_edge_expands_within_what_the_parameter_allows():
    result = narrow(_space("dropout=0.5:0.9"), _top(dropout=[0.88, 0.89, 0.9]), expand=True)

    dropout = result.space["dropout"]
    assert result.crowded == {"dropout": ["high"]}
    assert dropout.high < 1.0 and dropout.high == pytest.approx(1.0)  # dropout < 1


def test_an_integer_range_is_rounded_outward():
    result = narrow(_space("hidden_layers=1:9"), _top(hidden_layers=[3, 4, 4]))

    layers = result.space["hidden_layers"]
    assert (layers.low, layers.high) == (2, 5)  # [3 - 0.8, 4 + 0.8] rounded outward
    assert isinstance(layers, IntRange)


def test_a_log_integer_range_narrows_in_decades():
    result = narrow(_space("batch_size=10:1000:log"), _top(batch_size=[100, 100, 100]))

    batch = result.space["batch_size"]
    assert (batch.low, batch.high, batch.log) == (79, 126, True)  # 100 * 10**-0.1, 10**0.1


def test_narrowing_leaves_the_book_ranges_as_they_were():
    top = [{"lr": 8e-3, "weight_decay": 1e-6}, {"lr": 9e-3, "weight_decay": 1e-7}]
    with_choice = narrow(_space("optimizer=sgd,adam"), [t | {"optimizer": "sgd"} for t in top])

    plain = narrow(BOOK_SPACE, top)
    assert with_choice.space.domains[:2] == plain.space.domains
