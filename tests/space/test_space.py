import math

import numpy as np
import pytest

from hpsearch.errors import UsageError
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import BOOK_SPACE, LogRange, make_space, split_seed, trial_params


def test_samples_are_log_uniform_within_the_range():
    rng = np.random.default_rng(0)
    r = LogRange(1e-6, 1e-2)
    logs = np.log10([r.sample(rng) for _ in range(4000)])
    assert logs.min() >= -6 and logs.max() <= -2
    # uniform in log space: each of the four decades gets about a quarter
    counts = np.histogram(logs, bins=4, range=(-6, -2))[0]
    assert np.all(np.abs(counts / 4000 - 0.25) < 0.03)


@pytest.mark.parametrize(
    ("low", "high", "message"),
    [
        (1e-2, 1e-6, "low must be < high"),
        (1e-3, 1e-3, "low must be < high"),
        (0.0, 1e-2, "must be > 0"),
        (-1e-3, 1e-2, "must be > 0"),
        (1e-3, math.inf, "finite"),
    ],
)
def test_bad_ranges_are_refused(low, high, message):
    with pytest.raises(UsageError, match=message):
        LogRange(low, high, "lr")


def test_decades():
    assert BOOK_SPACE["lr"].decades == pytest.approx(4)
    assert BOOK_SPACE["weight_decay"].decades == pytest.approx(4)


def test_same_seed_same_trials():
    space = make_space((1e-6, 1e-2), (1e-8, 1e-4))
    assert trial_params(7, 0, 3, space) == trial_params(7, 0, 3, space)


@pytest.mark.parametrize("other", [(8, 0, 3), (7, 1, 3), (7, 0, 4)])
def test_study_seed_round_and_number_each_change_the_trial(other):
    a = trial_params(7, 0, 3, BOOK_SPACE)
    b = trial_params(*other, BOOK_SPACE)
    assert (a.values, a.seed) != (b.values, b.seed)


def test_trial_params_lie_in_the_space():
    for number in range(50):
        params = trial_params(0, 0, number, BOOK_SPACE)
        assert all(params.values[d.name] in d for d in BOOK_SPACE)
        assert 0 <= params.seed < 2**32


def test_split_seed_is_fixed_by_the_study_seed():
    a = np.random.default_rng(split_seed(3)).permutation(100)
    b = np.random.default_rng(split_seed(3)).permutation(100)
    c = np.random.default_rng(split_seed(4)).permutation(100)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def _space(*specs: str):
    return make_space((1e-6, 1e-2), (1e-8, 1e-4), {d.name: d for d in map(parse_spec, specs)})


def test_the_book_ranges_draw_as_the_first_two_draws_of_the_trial_stream():
    # the draws every study made before other parameters could be searched
    for number in range(5):
        rng = np.random.default_rng(np.random.SeedSequence(11, spawn_key=(1, 2, number)))
        lr, weight_decay = 10 ** rng.uniform(-6, -2), 10 ** rng.uniform(-8, -4)
        params = trial_params(11, 2, number, BOOK_SPACE)
        assert params.values == {"lr": lr, "weight_decay": weight_decay}


def _first(params):
    return params.values["lr"], params.values["weight_decay"], params.seed


def test_adding_or_removing_a_parameter_leaves_the_others_draws_alone():
    small = _space("optimizer=sgd,adam")
    large = _space("dropout=0:0.5", "optimizer=sgd,adam", "hidden_layers=1:5")
    for number in range(20):
        a, b = trial_params(3, 0, number, small), trial_params(3, 0, number, large)
        plain = trial_params(3, 0, number, BOOK_SPACE)
        assert a.values["optimizer"] == b.values["optimizer"]
        assert (a.values["lr"], a.values["weight_decay"], a.seed) == _first(b)
        assert (*plain.values.values(), plain.seed) == _first(b)


def test_each_parameter_has_a_stream_of_its_own():
    space = _space("dropout=0:0.5", "momentum=0:0.5")
    pairs = [trial_params(0, 0, n, space).values for n in range(10)]
    assert any(p["dropout"] != p["momentum"] for p in pairs)  # same domain, other draws


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (("optimizer=sgd", "hidden=6x100", "hidden_size=10:20"), "not both"),
        (("lr=1e-3,1e-2",), "lr is searched over a range"),
    ],
)
def test_spaces_that_cannot_be_searched_are_refused(specs, message):
    with pytest.raises(UsageError, match=message):
        _space(*specs)
