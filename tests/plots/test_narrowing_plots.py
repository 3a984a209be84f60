import numpy as np
import pytest
from matplotlib.patches import Rectangle
from typer.testing import CliRunner

from hpsearch import store
from hpsearch.cli import app
from hpsearch.errors import UsageError
from hpsearch.plots.data import FigureData, RoundRange, figure_data
from hpsearch.plots.narrowing import MARKERS, narrowing_figure
from hpsearch.space.domains import FloatRange, IntRange
from hpsearch.store import FrozenTrial

# tests/support.py's searched_study "wide": 14 finished trials in two rounds (12
# completed, 1 diverged, 1 failed) over lr, weight decay, optimizer, dropout, hidden layers.
FINISHED = 14
runner = CliRunner()


def data_of(stored, axes, round_number=None) -> FigureData:
    with stored.factory() as session:
        study = store.get_study(session, stored.name)
        return figure_data(session, study, round_number=round_number, axes=axes)


def drawn_points(ax) -> list[tuple[float, float]]:
    """The (x, y) of every trial marker (top-k rings left out)."""
    statuses = {str(status) for status in MARKERS}
    return [
        (float(x), float(y))
        for c in ax.collections
        if c.get_gid() in statuses
        for x, y in c.get_offsets()
    ]


def rectangles(ax) -> list[Rectangle]:
    return [p for p in ax.patches if isinstance(p, Rectangle)]


@pytest.mark.parametrize(
    ("axes", "labels", "scales"),
    [
        (("dropout", "hidden_layers"), ("dropout", "hidden layers"), ("linear", "linear")),
        (("lr", "dropout"), ("learning rate", "dropout"), ("log", "linear")),
        (("hidden_layers", "weight_decay"), ("hidden layers", "weight decay"), ("linear", "log")),
        (("weight_decay", "lr"), ("weight decay", "learning rate"), ("log", "log")),
    ],
)
def test_the_scatter_shows_the_chosen_parameters_of_every_finished_trial(
    searched_study, axes, labels, scales
):
    data = data_of(searched_study, axes)
    ax = narrowing_figure(data).axes[0]

    assert (ax.get_xlabel(), ax.get_ylabel()) == labels
    assert (ax.get_xscale(), ax.get_yscale()) == scales
    with searched_study.factory() as session:
        values = store.trial_values(session, [t.id for t in data.trials])
    stored = sorted((float(v[axes[0]]), float(v[axes[1]])) for v in values.values())
    assert len(stored) == FINISHED
    assert np.array(sorted(drawn_points(ax))) == pytest.approx(np.array(stored))


@pytest.mark.parametrize("axes", [("dropout", "hidden_layers"), ("lr", "dropout")])
def test_each_round_is_a_rectangle_of_its_domains(searched_study, axes):
    data = data_of(searched_study, axes)
    boxes = rectangles(narrowing_figure(data).axes[0])

    assert len(boxes) == len(data.rounds) == 2
    for box, round_ in zip(boxes, data.rounds, strict=True):
        x, y = (round_.domains[name] for name in axes)
        assert isinstance(x, FloatRange | IntRange) and isinstance(y, FloatRange | IntRange)
        assert box.get_xy() == pytest.approx((x.low, y.low))
        assert (box.get_width(), box.get_height()) == pytest.approx(
            (x.high - x.low, y.high - y.low)
        )
    assert boxes[1].get_width() < boxes[0].get_width()  # round 1's dropout is narrowed


def test_the_top_k_are_ringed_where_their_values_are(searched_study):
    data = data_of(searched_study, ("dropout", "hidden_layers"))
    ax = narrowing_figure(data).axes[0]

    (rings,) = [c for c in ax.collections if c.get_gid() == "top-k"]
    by_id = {t.id: t for t in data.trials}
    (top,) = data.top_k
    expected = [
        (by_id[i].values["dropout"], by_id[i].values["hidden_layers"]) for i in top.trial_ids
    ]
    assert np.asarray(rings.get_offsets()) == pytest.approx(np.array(expected, dtype=float))


def test_a_round_that_did_not_search_a_parameter_draws_no_rectangle():
    dropout = FloatRange(0.0, 0.5, "dropout", False)
    lr = FloatRange(1e-4, 1e-1, "lr")
    trials = tuple(
        FrozenTrial(i, i // 2, i, "completed", {"lr": 1e-3, "dropout": 0.1 * i}, 0.5)
        for i in range(4)
    )
    rounds = (
        RoundRange(0, {"lr": lr, "dropout": dropout}),
        RoundRange(1, {"lr": lr}),  # dropout fixed
    )
    data = FigureData("fixed", trials, (), rounds, (), axes=("dropout", "lr"))

    ax = narrowing_figure(data).axes[0]

    assert len(rectangles(ax)) == 1
    assert len(drawn_points(ax)) == 4


@pytest.mark.parametrize(
    ("axes", "message"),
    [
        (("dropout", "nonsense"), "does not search 'nonsense'"),
        (("momentum", "lr"), "study 'wide' does not search 'momentum'"),
        (("optimizer", "lr"), "'optimizer' is a choice"),
        (("lr", "lr"), "two different parameters, got 'lr' twice"),
    ],
)
def test_figure_data_refuses_axes_the_figure_cannot_draw(searched_study, axes, message):
    with pytest.raises(UsageError, match=message):
        data_of(searched_study, axes)


def test_plot_draws_the_chosen_pair_beside_the_other_figures(searched_study, tmp_path):
    out = tmp_path / "out"
    args = ["plot", "wide", "--db", str(searched_study.db), "--out", str(out)]
    result = runner.invoke(app, [*args, "--x", "dropout", "--y", "hidden_layers", "--round", "0"])

    assert result.exit_code == 0, result.output
    names = ["curves", "narrowing-dropout-hidden_layers", "history", "parameters", "slices"]
    assert result.stdout.split() == [str(out / f"wide-round0-{name}.png") for name in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"wide-round0-{n}.png" for n in names)
    assert result.stderr.strip() == (  # round 0 alone has too few for the importance
        "No wide-round0-importance: importance needs at least 10 completed or pruned trials, got 8"
    )


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--x", "nonsense"], "Error: study 'wide' does not search 'nonsense'"),
        (["--y", "momentum"], "Error: study 'wide' does not search 'momentum'"),
        (["--x", "optimizer"], "Error: 'optimizer' is a choice"),
        (["--x", "lr", "--y", "lr"], "Error: the narrowing figure needs two different parameters"),
    ],
)
def test_plot_refuses_a_pair_it_cannot_draw_and_writes_nothing(
    searched_study, tmp_path, option, message
):
    out = tmp_path / "out"
    args = ["plot", "wide", "--db", str(searched_study.db), "--out", str(out), *option]
    result = runner.invoke(app, args)

    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)
    assert result.stdout == ""
    assert not out.exists()
