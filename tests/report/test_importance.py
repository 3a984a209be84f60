import numpy as np
import pytest

from hpsearch.errors import UsageError
from hpsearch.report.importance import MIN_TRIALS, parameter_importance


def synthetic_trials(seed: int, n: int = 120):
    """lr drives accuracy (a peak at 1e-2), weight decay and the optimizer are noise."""
    rng = np.random.default_rng(seed)
    rows, accuracies = [], []
    for _ in range(n):
        lr = 10 ** rng.uniform(-6, -1)
        row = {
            "lr": lr,
            "weight_decay": 10 ** rng.uniform(-8, -4),
            "optimizer": str(rng.choice(["sgd", "momentum", "adam"])),
        }
        rows.append(row)
        accuracies.append(0.9 - 0.04 * (np.log10(lr) + 2) ** 2 + rng.normal(0, 0.01))
    return rows, accuracies


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_parameter_that_drives_accuracy_ranks_first(seed):
    rows, accuracies = synthetic_trials(seed)

    result = parameter_importance(rows, accuracies, seed=seed)

    assert list(result.scores)[0] == "lr"
    assert result.scores["lr"] > 0.9  # the noise parameters share the rest
    assert result.explained > 0.8
    assert sum(result.scores.values()) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_categorical_that_drives_accuracy_ranks_first(seed):
    rng = np.random.default_rng(seed)
    rows = [
        {"optimizer": str(rng.choice(["sgd", "momentum", "adam"])), "lr": 10 ** rng.uniform(-4, -2)}
        for _ in range(90)
    ]
    gain = {"sgd": 0.0, "momentum": 0.1, "adam": 0.2}
    accuracies = [0.6 + gain[r["optimizer"]] + rng.normal(0, 0.01) for r in rows]

    result = parameter_importance(rows, accuracies, seed=seed)

    assert list(result.scores) == ["optimizer", "lr"]
    assert result.scores["optimizer"] > 0.9


def test_the_spread_says_how_much_a_score_moves_between_held_out_groups():
    rows, accuracies = synthetic_trials(0, n=60)

    result = parameter_importance(rows, accuracies)

    assert list(result.spread) == list(result.scores)  # same parameters, same order
    assert all(value >= 0 for value in result.spread.values())
    assert result.spread["lr"] > 0  # five held-out groups never agree exactly
    assert result.spread["lr"] < result.scores["lr"]  # on the scores' scale, not raw R²


def test_pure_noise_is_explained_by_nothing():
    rng = np.random.default_rng(3)
    rows = [{"lr": rng.uniform(), "weight_decay": rng.uniform()} for _ in range(80)]
    accuracies = rng.normal(0.5, 0.05, size=80).tolist()

    result = parameter_importance(rows, accuracies)

    assert result.explained < 0.2


def test_the_same_trials_give_the_same_scores():
    rows, accuracies = synthetic_trials(4, n=40)

    assert parameter_importance(rows, accuracies) == parameter_importance(rows, accuracies)


def test_booleans_and_numbers_as_choices_are_columns_too():
    rng = np.random.default_rng(5)
    rows = [{"batchnorm": bool(rng.integers(2)), "batch_size": int(rng.choice([32, 64]))}
            for _ in range(60)]  # fmt: skip
    accuracies = [0.7 + 0.2 * r["batchnorm"] + rng.normal(0, 0.01) for r in rows]

    assert list(parameter_importance(rows, accuracies).scores)[0] == "batchnorm"


@pytest.mark.parametrize(
    ("n", "accuracy", "message"),
    [
        (MIN_TRIALS - 1, None, f"at least {MIN_TRIALS} completed or pruned trials"),
        (20, 0.5, "accuracies differ"),
    ],
)
def test_too_little_to_go_on_is_a_usage_error(n, accuracy, message):
    rows = [{"lr": float(i)} for i in range(n)]
    accuracies = [accuracy if accuracy is not None else i / n for i in range(n)]

    with pytest.raises(UsageError, match=message):
        parameter_importance(rows, accuracies)


@pytest.mark.parametrize("missing", ["sklearn", "sklearn.ensemble"])
def test_without_scikit_learn_importance_names_the_extra_in_one_line(
    stored_study, monkeypatch, missing
):
    """scikit-learn (with scipy) is the ``importance`` extra: without it, one line says so."""
    import sys

    from typer.testing import CliRunner

    from hpsearch.cli import app

    for name in [m for m in sys.modules if m == missing or m.startswith(f"{missing}.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # `import sklearn...` raises ImportError
    args = ["report", stored_study.name, "--importance", "--db", str(stored_study.db)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: importance needs scikit-learn, which is not installed: "
        "pip install 'hpsearch[importance]'\n"
    )


def conditional_trials(seed: int, n: int = 90):
    """momentum applies to the momentum trials only and drives their accuracy; elsewhere
    the optimizer alone (a fixed gain) and noise."""
    rng = np.random.default_rng(seed)
    rows, accuracies = [], []
    for _ in range(n):
        optimizer = str(rng.choice(["sgd", "momentum", "adam"]))
        row = {"lr": 10 ** rng.uniform(-4, -2), "optimizer": optimizer}
        accuracy = 0.7 + rng.normal(0, 0.005)
        if optimizer == "momentum":
            row["momentum"] = rng.uniform(0.5, 0.99)
            accuracy += 0.3 * (row["momentum"] - 0.5)
        rows.append(row)
        accuracies.append(accuracy)
    return rows, accuracies


def test_a_conditional_parameter_is_judged_only_on_the_trials_it_applied_to():
    rows, accuracies = conditional_trials(0)
    with_momentum = sum("momentum" in row for row in rows)

    result = parameter_importance(rows, accuracies)

    assert result.applied == {"lr": 90, "momentum": with_momentum, "optimizer": 90}
    assert list(result.scores)[:2] == ["optimizer", "lr"]  # the parameters of every trial
    assert result.scores["optimizer"] + result.scores["lr"] == pytest.approx(1.0)
    assert result.scores["momentum"] > 0.8  # on its own trials, it is what matters


def test_a_conditional_parameter_on_too_few_trials_gets_no_score_but_its_count():
    rows, accuracies = conditional_trials(1, n=40)
    few = [i for i, row in enumerate(rows) if "momentum" in row][MIN_TRIALS - 1 :]
    for i in few:  # leave it on fewer than MIN_TRIALS trials
        del rows[i]["momentum"]

    result = parameter_importance(rows, accuracies)

    assert "momentum" not in result.scores
    assert result.applied["momentum"] == MIN_TRIALS - 1
