"""The TPE sampler: it learns where good trials were, inside each domain, each parameter
only from the trials it applied to, and the same inputs give the same values."""

import math
import statistics

import numpy as np
import pytest

from hpsearch.space.domains import Choice, Condition, FloatRange, IntRange, format_value
from hpsearch.space.samplers import (
    LearnedTrial,
    Sampling,
    observations,
    sampled_batch,
    sampled_params,
)
from hpsearch.space.sampling import SearchSpace, trial_params
from hpsearch.space.tpe import N_STARTUP, Observation, Parzen, good_count, learned_value, split

TPE = Sampling("tpe", batch=1)  # each trial learns from every trial before it

SPACE = SearchSpace(
    (
        FloatRange(1e-6, 1e-1, "lr"),
        FloatRange(0.0, 1.0, "dropout", log=False),
        IntRange(1, 512, "hidden_size", log=True),
        IntRange(1, 6, "hidden_layers"),
        Choice(("sgd", "momentum", "adam"), "optimizer"),
        FloatRange(0.5, 0.99, "momentum", log=False, when=Condition("optimizer", ("momentum",))),
    )
)


def toy_score(values):
    """Best at lr 1e-3, dropout 0.2, 64 units, 3 layers, adam (momentum never matters)."""
    return -(
        (math.log10(values["lr"]) + 3) ** 2
        + 4 * (values["dropout"] - 0.2) ** 2
        + (math.log2(values["hidden_size"]) - 6) ** 2 / 4
        + abs(values["hidden_layers"] - 3) / 2
        + (values["optimizer"] != "adam")
    )


def learned(values, score):
    return LearnedTrial({name: format_value(v) for name, v in values.items()}, (1.0, score))


def run_search(sampling, n_trials=80, seed=3):
    history, trials = [], []
    for number in range(n_trials):
        params = sampled_params(sampling, seed, 0, number, SPACE, history)
        trials.append(params.values)
        history.append(learned(params.values, toy_score(params.values)))
    return trials


def test_tpe_concentrates_its_samples_where_the_good_trials_were():
    random_trials = run_search(Sampling("random"))
    tpe_trials = run_search(TPE)
    late = slice(40, None)
    random_scores = [toy_score(v) for v in random_trials[late]]
    tpe_scores = [toy_score(v) for v in tpe_trials[late]]
    assert statistics.median(tpe_scores) > statistics.median(random_scores) + 1
    lr_distance = [abs(math.log10(v["lr"]) + 3) for v in tpe_trials[late]]
    assert statistics.median(lr_distance) < 0.75  # random: 1.5 decades on average
    assert sum(v["optimizer"] == "adam" for v in tpe_trials[late]) > 0.6 * len(lr_distance)


def test_every_value_it_samples_lies_in_its_domain_and_is_of_its_kind():
    for values in run_search(TPE, n_trials=60):
        for name, value in values.items():
            assert value in SPACE[name], (name, value)
        assert isinstance(values["hidden_size"], int) and isinstance(values["lr"], float)
        assert values["optimizer"] in ("sgd", "momentum", "adam")


def test_a_log_range_is_learned_in_log_space():
    """Good trials at the low decade of a log range: learned values stay in that decade
    (a linear-space estimator would put nearly all its mass on the top decades)."""
    domain = FloatRange(1e-6, 1e-1, "lr")
    rng = np.random.default_rng(0)
    good = [Observation(10 ** rng.uniform(-6, -5), (1.0, 1.0)) for _ in range(5)]
    bad = [Observation(10 ** rng.uniform(-4, -1), (1.0, 0.0)) for _ in range(45)]
    values = [learned_value(domain, good + bad, np.random.default_rng(s)) for s in range(30)]
    assert sum(v < 1e-5 for v in values) > 20


@pytest.mark.parametrize("bound", [1, 4])
def test_an_integer_range_gives_integers_and_can_give_its_bounds(bound):
    domain = IntRange(1, 4, "hidden_layers")
    good = [Observation(bound, (1.0, 1.0))] * 5
    bad = [Observation(2, (1.0, 0.0))] * 20 + [Observation(3, (1.0, 0.0))] * 20
    values = [learned_value(domain, good + bad, np.random.default_rng(s)) for s in range(40)]
    assert set(values) <= {1, 2, 3, 4} and values.count(bound) > 30
    assert all(type(v) is int for v in values)


def test_a_choice_prefers_the_good_trials_choice_and_keeps_a_prior_for_the_others():
    domain = Choice(("a", "b", "c"), "x")
    obs = [Observation("a", (1.0, 1.0))] * 3 + [Observation("b", (1.0, 0.0))] * 30
    values = [learned_value(domain, obs, np.random.default_rng(s)) for s in range(50)]
    assert values.count("a") > 35
    assert set(values) <= {"a", "b", "c"}


def test_a_parameter_with_too_few_observations_is_not_learned():
    domain = FloatRange(1e-6, 1e-1, "lr")
    few = [Observation(1e-3, (1.0, 1.0))] * (N_STARTUP - 1)
    assert learned_value(domain, few, np.random.default_rng(0)) is None
    outside = few + [Observation(0.5, (1.0, 1.0))]  # outside the domain: not counted
    assert learned_value(domain, outside, np.random.default_rng(0)) is None


def test_the_first_trials_of_a_tpe_round_are_the_random_samplers():
    """Fewer than N_STARTUP trials to learn from: every value is its random draw."""
    history = []
    for number in range(N_STARTUP):
        params = sampled_params(TPE, 7, 0, number, SPACE, history)
        assert params == trial_params(7, 0, number, SPACE)
        history.append(learned(params.values, toy_score(params.values)))


def test_a_conditional_parameter_learns_only_from_the_trials_it_applied_to():
    """momentum applied to 12 trials (good ones near 0.9); 30 sgd trials of no momentum
    ranked above them all do not count for it."""
    trials = [LearnedTrial({"optimizer": "sgd"}, (1.0, 1.0)) for _ in range(30)]
    trials += [
        LearnedTrial({"optimizer": "momentum", "momentum": repr(float(m))}, (1.0, -abs(m - 0.9)))
        for m in np.linspace(0.5, 0.99, 12)
    ]
    seen = observations(SPACE, trials)
    assert len(seen["momentum"]) == 12 and len(seen["optimizer"]) == 42
    good, _ = split(seen["momentum"])
    assert len(good) == good_count(12) and all(abs(v - 0.9) < 0.05 for v in good)
    values = [
        learned_value(SPACE["momentum"], seen["momentum"], np.random.default_rng(s))
        for s in range(20)
    ]
    assert statistics.median(values) > 0.8


def test_a_parameter_that_does_not_apply_has_no_value():
    history = [learned(v, toy_score(v)) for v in run_search(Sampling("random"), 30)]
    for number in range(30, 60):
        values = sampled_params(TPE, 3, 0, number, SPACE, history).values
        assert ("momentum" in values) == (values["optimizer"] == "momentum")


@pytest.mark.parametrize("seed", [0, 11])
def test_the_same_seed_and_trials_give_the_same_values(seed):
    history = [learned(v, toy_score(v)) for v in run_search(Sampling("random"), 25, seed)]
    first = sampled_params(TPE, seed, 0, 25, SPACE, history)
    again = sampled_params(TPE, seed, 0, 25, SPACE, list(history))
    assert first == again
    other = sampled_params(TPE, seed + 1, 0, 25, SPACE, history)
    assert other.values != first.values


def test_each_parameter_draws_from_its_own_stream():
    """Learning one more parameter leaves the other parameters' learned values as they were."""
    history = [learned(v, toy_score(v)) for v in run_search(Sampling("random"), 25)]
    smaller = SearchSpace(tuple(d for d in SPACE if d.name != "dropout"))
    full = sampled_params(TPE, 3, 0, 25, SPACE, history).values
    fewer = sampled_params(TPE, 3, 0, 25, smaller, history).values
    assert {n: v for n, v in full.items() if n != "dropout"} == fewer


def test_ties_in_rank_keep_the_order_given():
    obs = [Observation(i, (1.0, 0.5)) for i in range(20)]
    good, bad = split(obs)
    assert good == [0, 1] and bad == list(range(2, 20))


def test_a_parzen_estimator_samples_inside_its_range():
    estimator = Parzen.of([0.0, 0.05, 0.99], 0.0, 1.0)
    drawn = estimator.sample(np.random.default_rng(0), 500)
    assert drawn.min() >= 0.0 and drawn.max() <= 1.0
    density = np.exp(estimator.log_density(np.linspace(0, 1, 2001)))
    assert abs(density.mean() - 1.0) < 0.02  # a density over [0, 1]: it integrates to one


@pytest.mark.parametrize(("sampler", "batch"), [("gp", 10), ("tpe", 0)])
def test_an_unknown_sampler_or_a_batch_below_one_is_refused(sampler, batch):
    from hpsearch.errors import UsageError

    with pytest.raises(UsageError):
        Sampling(sampler, batch)


@pytest.mark.parametrize(("number", "start"), [(0, 0), (9, 0), (10, 10), (19, 10), (25, 20)])
def test_a_trial_learns_from_the_trials_before_its_batch(number, start):
    assert Sampling("tpe", 10).batch_start(number) == start
    assert Sampling("random", 10).batch_start(number) == 0


def test_a_batch_spreads_out_instead_of_piling_on_one_spot():
    """The trials of one batch learn from the same trials; each counts the batch's trials
    before it as bad ones, so their values spread more than if each ignored the others."""
    history = [learned(v, toy_score(v)) for v in run_search(Sampling("random"), 30)]
    batch = sampled_batch(Sampling("tpe", 10), 3, 0, range(30, 40), SPACE, history)
    alone = [sampled_params(Sampling("tpe", 10), 3, 0, n, SPACE, history) for n in range(30, 40)]
    assert batch[0] == alone[0]  # the first of a batch has nothing pending

    def spread(trials):
        return statistics.pstdev(math.log10(t.values["lr"]) for t in trials)

    assert spread(batch) > 1.5 * spread(alone)
    assert batch == sampled_batch(Sampling("tpe", 10), 3, 0, range(30, 40), SPACE, history)
