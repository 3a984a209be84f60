"""Conditional parameters: the optimizers' own settings by default, any parameter on a
choice by ``if PARENT=A,B``; sampled, narrowed and told only where they apply."""

from pathlib import Path

import pytest

from hpsearch.errors import UsageError
from hpsearch.space.conditions import check_fixed_optimizer, optimizers_taking
from hpsearch.space.domains import Choice, Condition, FloatRange, described, from_columns
from hpsearch.space.narrowing import narrow
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import SearchSpace, make_space, trial_params
from hpsearch.space.space_file import read_space_file

OPTIMIZERS = "optimizer=sgd,momentum,nesterov,rmsprop,adam"


def _space(*specs: str) -> SearchSpace:
    return make_space((1e-6, 1e-2), (1e-8, 1e-4), {d.name: d for d in map(parse_spec, specs)})


def test_each_optimizer_setting_goes_to_the_optimizers_that_take_it():
    assert optimizers_taking("momentum") == ("momentum", "nesterov")
    assert optimizers_taking("decay_rate") == ("rmsprop",)
    assert optimizers_taking("beta1") == optimizers_taking("beta2") == ("adam",)


def test_the_optimizer_settings_are_conditional_on_the_optimizer_by_default():
    space = _space(OPTIMIZERS, "momentum=0.5:0.99", "decay_rate=0.9:0.999", "beta1=0.8:0.99")
    assert space["momentum"].when == Condition("optimizer", ("momentum", "nesterov"))
    assert space["decay_rate"].when == Condition("optimizer", ("rmsprop",))
    assert space["beta1"].when == Condition("optimizer", ("adam",))
    assert space["lr"].when is None and space["optimizer"].when is None


def test_a_trial_holds_only_the_settings_of_its_optimizer():
    space = _space(OPTIMIZERS, "momentum=0.5:0.99", "decay_rate=0.9:0.999", "beta1=0.8:0.99")
    own = {"sgd": set(), "momentum": {"momentum"}, "nesterov": {"momentum"}}
    own |= {"rmsprop": {"decay_rate"}, "adam": {"beta1"}}
    seen = set()
    for number in range(60):
        values = trial_params(1, 0, number, space).values
        seen.add(values["optimizer"])
        settings = set(values) - {"lr", "weight_decay", "optimizer"}
        assert settings == own[str(values["optimizer"])]
    assert seen == set(own)


def test_adding_a_conditional_parameter_changes_no_other_draw():
    plain = _space("optimizer=sgd,momentum,adam", "dropout=0:0.5")
    more = _space("optimizer=sgd,momentum,adam", "momentum=0.5:0.99", "dropout=0:0.5")
    for number in range(40):
        a, b = trial_params(9, 2, number, plain), trial_params(9, 2, number, more)
        assert a.seed == b.seed
        assert {k: v for k, v in b.values.items() if k != "momentum"} == a.values
        assert ("momentum" in b.values) == (b.values["optimizer"] == "momentum")


def test_a_parameter_that_does_not_apply_still_leaves_the_others_draws_alone():
    """The same parameter, conditional or not: the trials it applies to get the same value."""
    always = _space("optimizer=sgd,adam", "dropout=0:0.5")
    sometimes = _space("optimizer=sgd,adam", "dropout=0:0.5 if optimizer=adam")
    for number in range(30):
        a, b = trial_params(4, 0, number, always), trial_params(4, 0, number, sometimes)
        if b.values["optimizer"] == "adam":
            assert a.values == b.values
        else:
            assert "dropout" not in b.values
            assert {k: v for k, v in a.values.items() if k != "dropout"} == b.values


@pytest.mark.parametrize(
    ("spec", "when"),
    [
        ("dropout=0:0.5 if batchnorm=false", Condition("batchnorm", (False,))),
        ("momentum=0.5:0.99 if optimizer=momentum", Condition("optimizer", ("momentum",))),
        ("dropout=0:0.5  if  batchnorm=off", Condition("batchnorm", (False,))),
        ("batch_size=32,64 if optimizer=adam,sgd", Condition("optimizer", ("adam", "sgd"))),
    ],
)
def test_a_condition_is_written_after_the_domain(spec, when):
    domain = parse_spec(spec)
    assert domain.when == when
    assert parse_spec(spec.split(" if ")[0]) == domain.__class__(
        **{**domain.__dict__, "when": None}
    )


def test_a_conditional_parameter_on_a_chain_applies_when_every_parent_does():
    space = _space("batchnorm=true,false", "optimizer=sgd,adam if batchnorm=true",
                   "beta1=0.8:0.99")  # fmt: skip
    assert space["beta1"].when == Condition("optimizer", ("adam",))
    assert space.applied({"batchnorm": False, "optimizer": "adam", "beta1": 0.9}) == ["batchnorm"]
    values = {"lr": 1e-3, "batchnorm": True, "optimizer": "adam", "beta1": 0.9}
    assert space.applied(values) == ["lr", "batchnorm", "optimizer", "beta1"]
    assert space.only_applied({**values, "optimizer": "sgd"}) == {
        "lr": 1e-3, "batchnorm": True, "optimizer": "sgd"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("specs", "message"),
    [
        (("dropout=0:0.5 if batchnorm=false",), "batchnorm is not searched"),
        (("optimizer=sgd,adam if optimizer=adam",), "cannot depend on itself"),
        (("hidden_layers=1:3", "dropout=0:0.5 if hidden_layers=2"), "searched over choices"),
        (("optimizer=sgd,adam", "dropout=0:0.5 if optimizer=rmsprop"), "never applies"),
        (("optimizer=sgd,adam", "momentum=0.5:0.99"), "never applies"),
        (("dropout=0:0.5 if batchnorm=maybe",), "not a boolean"),
        (("dropout=0:0.5 if col-our=red",), "parameter name 'col-our'"),
        (("dropout=0:0.5 if batchnorm",), "write the condition as 'if PARENT=A,B'"),
        (("batchnorm=true,false", "momentum=0.5:0.99 if batchnorm=true"), "only the optimizer"),
        (("optimizer=sgd,adam", "beta1=0.8:0.99 if optimizer=sgd,adam"), "sgd takes no beta1"),
        (
            (
                "batchnorm=true,false if activation=relu",
                "activation=relu,sigmoid if batchnorm=true",
            ),
            "cycle: batchnorm -> activation -> batchnorm",
        ),
    ],
)
def test_a_condition_that_cannot_hold_is_one_clear_error(specs, message):
    with pytest.raises(UsageError, match=message):
        _space(*specs)


def test_an_optimizer_setting_of_a_fixed_optimizer_that_does_not_take_it_is_refused():
    space = _space("momentum=0.5:0.99")
    assert space["momentum"].when is None  # the optimizer is the study's: no condition
    check_fixed_optimizer("nesterov", space.domains)
    with pytest.raises(UsageError, match="not to the study's optimizer sgd"):
        check_fixed_optimizer("sgd", space.domains)


def test_a_condition_reads_back_from_its_stored_columns():
    domain = parse_spec("dropout=0:0.5 if batchnorm=false")
    row = domain.columns()
    assert row["condition_parent"] == "batchnorm" and row["condition_values"] == "[false]"
    assert from_columns("dropout", **row) == domain
    assert described(domain) == "[0, 0.5] linear if batchnorm=false"
    plain = FloatRange(1e-4, 1e-2, "lr")
    assert "condition_parent" not in plain.columns()
    assert from_columns("lr", **plain.columns(), condition_parent=None) == plain


def test_a_space_file_makes_parameters_conditional(tmp_path: Path):
    path = tmp_path / "space.toml"
    path.write_text(
        'optimizer = ["sgd", "momentum", "adam"]\n'
        "batchnorm = [true, false]\n"
        'momentum = { low = 0.5, high = 0.99, if = "optimizer=momentum" }\n'
        "dropout = { low = 0, high = 0.5, log = false, if = { batchnorm = false } }\n"
        'hidden_layers = { low = 1, high = 3, if = { optimizer = ["sgd", "adam"] } }\n'
        'beta1 = "0.8:0.99 if optimizer=adam"\n'
    )
    domains = {d.name: d for d in read_space_file(path)}
    assert domains["momentum"].when == Condition("optimizer", ("momentum",))
    assert domains["dropout"].when == Condition("batchnorm", (False,))
    assert domains["hidden_layers"].when == Condition("optimizer", ("sgd", "adam"))
    assert domains["beta1"].when == Condition("optimizer", ("adam",))


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("dropout = { low = 0, high = 0.5, if = 3 }", "not a number"),
        ("dropout = { low = 0, high = 0.5, if = { a = 1, b = 2 } }", "of several parents"),
        ("dropout = { low = 0, high = 0.5, if = { batchnorm = [1, true] } }", "mix"),
    ],
)
def test_a_bad_condition_in_a_space_file_is_one_clear_error(tmp_path: Path, entry, message):
    path = tmp_path / "space.toml"
    path.write_text(entry + "\n")
    with pytest.raises(UsageError, match=message):
        read_space_file(path)


def _top(*rows: dict) -> list[dict]:
    return [{"lr": 1e-3, "weight_decay": 1e-6, **row} for row in rows]


def test_a_conditional_range_narrows_from_the_top_trials_it_applied_to_only():
    space = _space("optimizer=sgd,momentum,adam", "momentum=0.5:0.99")
    top = _top(
        {"optimizer": "momentum", "momentum": 0.8},
        {"optimizer": "adam"},
        {"optimizer": "momentum", "momentum": 0.85},
        {"optimizer": "sgd"},
    )
    result = narrow(space, top)
    widen = 0.1 * (0.99 - 0.5)  # a linear range widens by a tenth of its parent's width
    new = result.space["momentum"]
    assert (new.low, new.high) == pytest.approx((0.8 - widen, 0.85 + widen))
    assert result.space["momentum"].when == space["momentum"].when  # the condition stays
    assert result.applied == {"momentum": 2} and not result.removed


def test_a_dropped_branch_takes_its_dependants_out_of_the_new_round():
    space = _space(
        "optimizer=sgd,momentum,adam", "momentum=0.5:0.99", "beta1=0.8:0.99",
        "dropout=0:0.5 if optimizer=adam", "hidden_layers=1:3 if optimizer=momentum",
    )  # fmt: skip
    top = _top({"optimizer": "adam", "beta1": 0.9, "dropout": 0.1},
               {"optimizer": "sgd"})  # fmt: skip
    result = narrow(space, top)
    assert result.space["optimizer"] == Choice(("sgd", "adam"), "optimizer")
    assert result.space.names == ["lr", "weight_decay", "optimizer", "beta1", "dropout"]
    assert result.removed == {
        "momentum": "optimizer kept none of momentum, nesterov (top-2)",
        "hidden layers": "optimizer kept none of momentum (top-2)",
    }


def test_a_parameter_none_of_the_top_trials_used_is_kept_out_and_so_are_its_dependants():
    space = SearchSpace(
        (
            FloatRange(1e-4, 1e-2, "lr"),
            Choice((True, False), "batchnorm"),
            Choice(("sgd", "adam"), "optimizer", Condition("batchnorm", (True,))),
            FloatRange(0.8, 0.99, "beta1", False, Condition("optimizer", ("adam",))),
        )
    )
    result = narrow(space, [{"lr": 1e-3, "batchnorm": False}, {"lr": 2e-3, "batchnorm": False}])
    assert result.space.names == ["lr", "batchnorm"]
    assert result.removed == {
        "optimizer": "batchnorm kept none of true (top-2)",
        "beta1": "optimizer, which it depends on, is kept out",
    }
    # rows that lack a value where its condition held (none hpsearch writes) count as unused
    result = narrow(space, [{"lr": 1e-3, "batchnorm": True}, {"lr": 2e-3, "batchnorm": True}])
    assert result.removed["optimizer"] == "none of the top-2 trials used it"
