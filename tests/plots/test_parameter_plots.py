import pytest
from matplotlib.collections import PathCollection
from matplotlib.container import BarContainer

from hpsearch import store
from hpsearch.plots.data import FigureData, figure_data
from hpsearch.plots.parameters import importance_figure, parameters_figure, slices_figure
from hpsearch.settings import StudySettings
from hpsearch.space.parameters import parse_spec
from hpsearch.space.sampling import make_space
from hpsearch.store.schema import open_store
from hpsearch.store.status import RANKED, TrialStatus

SPACE = ("optimizer=sgd,momentum,adam", "dropout=0:0.5", "hidden_layers=1:4")


STATUSES = [TrialStatus.COMPLETED] * 7 + [TrialStatus.PRUNED, TrialStatus.DIVERGED]


@pytest.fixture
def searched(tmp_path):
    """A study of 9 trials over lr, weight decay and three more parameters: 7 completed,
    1 pruned, 1 diverged."""
    factory = open_store(str(tmp_path / "p.db"), create=True)
    space = make_space((1e-4, 1e-1), (1e-8, 1e-4), {d.name: d for d in map(parse_spec, SPACE)})
    with factory.begin() as session:
        study = store.create_study(session, "p", 3, StudySettings())
        round_ = store.create_round(session, study, space, 9)
        for i, trial in enumerate(round_.trials):
            trial.status = STATUSES[i]
            trial.val_accuracy = 0.1 * i
            trial.best_val_accuracy = 0.1 * i + 0.05
    with factory() as session:
        return figure_data(session, store.get_study(session, "p"))


def test_parallel_coordinates_draw_a_line_per_completed_trial_and_an_axis_per_parameter(
    searched,
):
    fig = parameters_figure(searched)

    ax = fig.axes[0]
    (lines,) = [c for c in ax.collections if c.get_gid() == "trials"]
    trial_lines = lines.get_segments()
    assert len(trial_lines) == 8  # the diverged trial has no final accuracy to colour by
    assert all(line[:, 0].tolist() == [0, 1, 2, 3, 4] for line in trial_lines)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "lr", "weight decay", "optimizer", "dropout", "hidden layers",
    ]  # fmt: skip
    labels = {text.get_text() for text in ax.texts}
    assert {"sgd", "momentum", "adam"} <= labels  # a choice axis names its choices
    assert all(0 <= y <= 1 for line in trial_lines for y in line[:, 1])
    colors = lines.get_colors()  # by accuracy, the best drawn last: rising along the colormap
    assert len(colors) == 8 and colors[0].tolist() != colors[-1].tolist()


def test_slices_draw_a_panel_per_parameter_with_every_completed_trial(searched):
    fig = slices_figure(searched)

    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_xlabel() for ax in shown] == [
        "lr", "weight decay", "optimizer", "dropout", "hidden layers",
    ]  # fmt: skip
    for ax in shown:
        (points,) = [c for c in ax.collections if isinstance(c, PathCollection)]
        assert len(points.get_offsets()) == 8
    assert shown[0].get_xscale() == "log" and shown[3].get_xscale() == "linear"
    optimizer = [t.get_text() for t in shown[2].get_xticklabels()]
    assert optimizer == ["sgd", "momentum", "adam"]


def test_the_values_drawn_are_the_stored_ones(searched, tmp_path):
    with open_store(str(tmp_path / "p.db")).begin() as session:
        study = store.get_study(session, "p")
        stored = store.searched_trials(session, study, statuses=RANKED)
    assert [t.values for t in searched.searched] == [t.values for t in stored]
    assert len(stored) == 8  # the completed trials and the pruned one
    slices = slices_figure(searched)
    (points,) = [c for c in slices.axes[3].collections if isinstance(c, PathCollection)]
    assert sorted(points.get_offsets()[:, 0]) == sorted(t.values["dropout"] for t in stored)
    drawn = sorted(map(tuple, points.get_offsets()))
    assert drawn == sorted((t.values["dropout"], t.best_val_accuracy) for t in stored)  # best


def test_without_completed_trials_the_figures_say_so(searched):
    empty = FigureData(searched.study, (), (), (), (), space=searched.space, searched=())
    for draw in (parameters_figure, slices_figure):
        texts = [t.get_text() for ax in draw(empty).axes for t in ax.texts]
        assert texts == ["no completed or pruned trial yet"]


IMPORTANCE = {
    "method": "held-out permutation importance of a random forest",
    "trials": 30,
    "explained_r2": 0.71,
    "scores": {"dropout": 0.6, "lr": 0.3, "weight_decay": 0.1},
    "spread": {"dropout": 0.05, "lr": 0.2, "weight_decay": 0.01},
}


def bars(ax) -> tuple[list[str], list[float]]:
    """The bars' labels and lengths, top to bottom."""
    ticks = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    drawn = sorted(ax.patches, key=lambda bar: -ax.transData.transform(bar.get_xy())[1])
    return [ticks[round(b.get_y() + b.get_height() / 2)] for b in drawn], [
        b.get_width() for b in drawn
    ]


@pytest.mark.parametrize(
    "scores",
    [
        {"dropout": 0.6, "lr": 0.3, "weight_decay": 0.1},
        {"weight_decay": 0.1, "lr": 0.3, "dropout": 0.6},  # the order given does not matter
        {"lr": 0.7, "dropout": 0.2, "weight_decay": 0.1},
    ],
)
def test_the_importance_bars_run_from_the_highest_score_down(scores):
    fig = importance_figure("s", {**IMPORTANCE, "scores": scores})

    names, lengths = bars(fig.axes[0])
    ranked = sorted(scores, key=lambda name: -scores[name])
    assert names == [n.replace("_", " ") for n in ranked]
    assert lengths == pytest.approx([scores[n] for n in ranked])
    assert "30 completed or pruned trials" in fig.texts[0].get_text()  # the suptitle


def test_the_importance_spread_is_drawn_as_error_bars_when_there_is_one():
    with_spread = importance_figure("s", IMPORTANCE).axes[0]
    without = importance_figure("s", {k: v for k, v in IMPORTANCE.items() if k != "spread"})

    (container,) = [c for c in with_spread.containers if isinstance(c, BarContainer)]
    segments = container.errorbar.lines[2][0].get_segments()  # one per bar, top to bottom
    widths = [abs(seg[1][0] - seg[0][0]) / 2 for seg in segments]
    assert widths == pytest.approx([0.05, 0.2, 0.01])
    (plain,) = [c for c in without.axes[0].containers if isinstance(c, BarContainer)]
    assert plain.errorbar is None
