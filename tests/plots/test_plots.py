import json
import struct
from pathlib import Path

import pytest
from matplotlib.patches import Rectangle
from typer.testing import CliRunner

from hpsearch import store
from hpsearch.cli import app
from hpsearch.errors import StudyNotFound, UsageError
from hpsearch.plots import figures, files, narrowing
from hpsearch.plots.data import Curve, FigureData, RoundRange, Score, TopK, figure_data
from hpsearch.plots.frame import DPI
from hpsearch.settings import StudySettings
from hpsearch.space.domains import FloatRange
from hpsearch.space.sampling import BOOK_SPACE
from hpsearch.store import FrozenTrial

# The stored study (tests/support.py): round 0 has 12 trials (9 completed, 2 diverged,
# 1 failed), round 1 has 6 (5 completed, 1 pruned), narrowed from round 0's top 3.
FINISHED = {None: 18, 0: 12, 1: 6}
RANKED = {None: 15, 0: 9, 1: 6}  # completed and pruned: the ones with curves panels
STATUSES = {
    None: {"completed": 14, "pruned": 1, "diverged": 2, "failed": 1},
    0: {"completed": 9, "diverged": 2, "failed": 1},
    1: {"completed": 5, "pruned": 1},
}

runner = CliRunner()


def data_of(stored, round_number=None, top=20) -> FigureData:
    with stored.factory() as session:
        study = store.get_study(session, stored.name)
        return figure_data(session, study, round_number=round_number, top=top)


def png_size(path: Path) -> tuple[int, int]:
    content = path.read_bytes()
    assert content[:8] == b"\x89PNG\r\n\x1a\n"
    assert content[12:16] == b"IHDR"
    return struct.unpack(">II", content[16:24])


def points(ax, gid: str) -> int:
    return sum(len(c.get_offsets()) for c in ax.collections if c.get_gid() == gid)


@pytest.mark.parametrize("round_number", [None, 0, 1])
def test_figure_data_holds_the_finished_trials_by_round_and_number(stored_study, round_number):
    data = data_of(stored_study, round_number)
    assert len(data.trials) == FINISHED[round_number]
    assert [(t.round, t.number) for t in data.trials] == sorted(
        (t.round, t.number) for t in data.trials
    )
    assert [r.number for r in data.rounds] == ([0, 1] if round_number is None else [round_number])


def test_the_best_trials_come_in_leaderboard_order_with_their_curves(stored_study):
    data = data_of(stored_study, top=4)
    with stored_study.factory() as session:
        board = store.leaderboard(session, store.get_study(session, "small"), top=4)
        expected = [(t.id, t.val_accuracy, t.epochs_run) for t in board]
    assert [(t.id, t.val_accuracy, len(t.val_curve)) for t in data.best] == expected
    assert all(len(t.train_curve) == len(t.val_curve) for t in data.best)


def test_the_top_k_are_the_trials_the_narrowing_used(stored_study):
    data = data_of(stored_study)
    with stored_study.factory() as session:
        round0 = store.get_round(session, store.get_study(session, "small"), 0)
        used = tuple(t.id for t in store.round_top(session, round0.id, 3, pruned=True))
    assert data.top_k == (TopK(parent=0, child=1, trial_ids=used),)
    assert data_of(stored_study, 0).top_k == data.top_k  # round 0 holds them
    assert data_of(stored_study, 1).top_k == ()  # round 1 was not narrowed from


@pytest.mark.parametrize(
    ("round_number", "top"), [(None, 20), (None, 4), (None, 1), (0, 20), (1, 5)]
)
def test_the_curves_figure_has_one_panel_per_best_trial(stored_study, round_number, top):
    fig = figures.curves_figure(data_of(stored_study, round_number, top))
    panels = fig.axes
    assert len(panels) == min(top, RANKED[round_number])
    assert all(ax.get_ylim() == (0, 1) for ax in panels)
    assert all([line.get_linestyle() for line in ax.lines] == ["-", "--"] for ax in panels)
    assert panels[0].get_title().startswith("#1  val acc")


@pytest.mark.parametrize("round_number", [None, 0, 1])
def test_the_narrowing_figure_draws_every_finished_trial_and_each_round(stored_study, round_number):
    data = data_of(stored_study, round_number)
    fig = figures.narrowing_figure(data)
    ax = fig.axes[0]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    drawn = {status: points(ax, status) for status in narrowing.MARKERS}
    assert {s: n for s, n in drawn.items() if n} == STATUSES[round_number]
    assert sum(drawn.values()) == FINISHED[round_number]
    assert len([p for p in ax.patches if isinstance(p, Rectangle)]) == len(data.rounds)
    assert points(ax, "top-k") == (0 if round_number == 1 else 3)
    assert fig.axes[1].get_ylabel() == "final validation accuracy"  # the colour bar


@pytest.mark.parametrize("round_number", [None, 0, 1])
def test_the_history_figure_marks_the_rounds(stored_study, round_number):
    data = data_of(stored_study, round_number)
    ax = figures.history_figure(data).axes[0]
    assert len([p for p in ax.patches if p.get_gid() == "round"]) == len(data.rounds)
    best_so_far = ax.lines[0].get_ydata()
    assert len(best_so_far) == FINISHED[round_number]
    assert best_so_far[-1] == pytest.approx(data.best[0].val_accuracy)


def test_save_figures_writes_pngs_of_the_figures_size(stored_study, tmp_path):
    data = data_of(stored_study)
    paths = files.save_figures(data, tmp_path / "figures")
    assert [p.name for p in paths] == [
        "small-curves.png",
        "small-narrowing.png",
        "small-history.png",
        "small-parameters.png",
        "small-slices.png",
    ]
    for path, draw in zip(paths, figures.FIGURES.values(), strict=True):
        width, height = draw(data).get_size_inches() * DPI
        assert png_size(path) == (round(width), round(height))


@pytest.mark.parametrize(("fmt", "magic"), [("svg", b"<?xml"), ("pdf", b"%PDF-")])
def test_save_figures_writes_vector_formats(stored_study, tmp_path, fmt, magic):
    paths = files.save_figures(data_of(stored_study, 1), tmp_path, fmt)
    assert [p.name for p in paths] == [f"small-round1-{kind}.{fmt}" for kind in figures.FIGURES]
    assert all(p.read_bytes().startswith(magic) for p in paths)


def test_save_figures_refuses_an_unknown_format(stored_study, tmp_path):
    with pytest.raises(UsageError, match="png, svg, pdf"):
        files.save_figures(data_of(stored_study), tmp_path, "gif")


def test_a_study_without_finished_trials_cannot_be_plotted(stored_study):
    with stored_study.factory.begin() as session:
        study = store.create_study(session, "fresh", 1, StudySettings())
        store.create_round(session, study, BOOK_SPACE, 3)
    with pytest.raises(UsageError, match="no finished trials"), stored_study.factory() as session:
        figure_data(session, store.get_study(session, "fresh"))


@pytest.mark.parametrize(
    ("error", "name", "round_number"), [(StudyNotFound, "nope", None), (UsageError, "small", 2)]
)
def test_figure_data_refuses_an_unknown_study_or_round(stored_study, error, name, round_number):
    with pytest.raises(error), stored_study.factory() as session:
        figure_data(session, store.get_study(session, name), round_number=round_number)


@pytest.mark.parametrize(
    ("args", "names", "skipped"),
    [
        ([], [f"small-{kind}.png" for kind in [*figures.FIGURES, "importance"]], ""),
        (["--round", "0", "--format", "svg", "--top", "3"],
         [f"small-round0-{kind}.svg" for kind in figures.FIGURES],
         "No small-round0-importance: importance needs at least 10 completed or pruned"
         " trials, got 9\n"),
    ],
)  # fmt: skip
def test_plot_command_writes_the_figures_and_prints_their_paths(
    stored_study, tmp_path, args, names, skipped
):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["plot", "small", "--db", str(stored_study.db), "--out", str(out), *args]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.split() == [str(out / name) for name in names]
    assert sorted(p.name for p in out.iterdir()) == sorted(names)
    assert result.stderr == skipped


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["nope"], 1, "Error: no study named 'nope'"),
        (["small", "--round", "5"], 1, "Error: study 'small' has no round 5"),
        (["small", "--format", "gif"], 2, "gif"),
    ],
)
def test_plot_command_reports_mistakes(stored_study, tmp_path, args, code, message):
    result = runner.invoke(
        app, ["plot", *args, "--db", str(stored_study.db), "--out", str(tmp_path)]
    )
    assert result.exit_code == code
    assert message in result.stderr
    assert not list(tmp_path.glob("*.png"))


@pytest.mark.parametrize("as_json", [False, True])
def test_report_plot_writes_the_figures_beside_the_leaderboard(stored_study, tmp_path, as_json):
    args = ["report", "small", "--db", str(stored_study.db), "--top", "3", "--plot"]
    args += ["--plot-dir", str(tmp_path)]
    result = runner.invoke(app, args + (["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    paths = [str(tmp_path / f"small-{kind}.png") for kind in [*figures.FIGURES, "importance"]]
    assert all(Path(path).is_file() for path in paths)
    if as_json:  # stdout stays valid JSON; the paths go to stderr
        assert json.loads(result.stdout)["study"]["name"] == "small"
        assert result.stderr.split() == paths
    else:
        assert "Best trials of small" in result.stdout
        assert result.stdout.split()[-len(paths) :] == paths


LOST_SPACE = (FloatRange(1e-4, 1.0, "lr"), FloatRange(1e-8, 1e-4, "weight_decay"))


def test_the_figures_draw_from_plain_records_even_without_a_completed_trial():
    lost = [
        FrozenTrial(i, 0, i, status, {"lr": 10.0**-i, "weight_decay": 1e-6})
        for i, status in enumerate(["diverged", "diverged", "failed"], start=1)
    ]
    data = FigureData(
        "lost", tuple(lost), (), (RoundRange(0, {d.name: d for d in LOST_SPACE}),), ()
    )
    curves = figures.curves_figure(data)
    assert [text.get_text() for text in curves.axes[0].texts] == ["no completed trials"]
    ax = figures.narrowing_figure(data).axes[0]
    assert (points(ax, "diverged"), points(ax, "failed"), points(ax, "completed")) == (2, 1, 0)
    history = figures.history_figure(data).axes[0]
    assert all(value != value for value in history.lines[0].get_ydata())  # no best: NaN


def test_a_minimised_metric_draws_its_lowest_so_far_and_its_own_curves():
    losses = [3.0, 5.0, 1.5, 2.0]
    trials = tuple(
        FrozenTrial(i, 0, i, "completed", {"lr": 1e-3}, value=loss, best_value=loss)
        for i, loss in enumerate(losses, start=1)
    )
    curve = Curve((4.0, 1.5), (3.5, 1.0))
    data = FigureData(
        "fn", trials, trials[2:3], (RoundRange(0, {d.name: d for d in LOST_SPACE}),), (),
        score=Score("val_loss", minimize=True, book=False), curves={3: curve},
    )  # fmt: skip
    history = figures.history_figure(data).axes[0]
    assert list(history.lines[0].get_ydata()) == [3.0, 3.0, 1.5, 1.5]  # the lowest so far
    assert history.get_ylabel() == "val loss"
    panel = figures.curves_figure(data).axes[0]
    assert [list(line.get_ydata()) for line in panel.lines] == [[4.0, 1.5], [3.5, 1.0]]
    assert "val loss 1.5" in panel.get_title()
