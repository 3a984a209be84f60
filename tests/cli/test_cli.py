import json
import os
import sqlite3
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from hpsearch.settings import StudySettings
from tests.support import TINY_SEARCH


def stored(db_path, query):
    with sqlite3.connect(db_path) as connection:
        return connection.execute(query).fetchall()


def accuracies(db_path):
    return stored(
        db_path,
        "SELECT r.number, t.number, lr.value_num, wd.value_num, t.seed, t.status,"
        " t.val_accuracy, t.train_accuracy, t.best_epoch FROM trials t"
        " JOIN rounds r ON r.id = t.round_id"
        " JOIN trial_params lr ON lr.trial_id = t.id AND lr.name = 'lr'"
        " JOIN trial_params wd ON wd.trial_id = t.id AND wd.name = 'weight_decay'"
        " ORDER BY r.number, t.number",
    )


def epoch_rows(db_path):
    return stored(
        db_path,
        "SELECT trial_id, epoch, train_accuracy, val_accuracy, train_loss, val_loss"
        " FROM epoch_metrics ORDER BY trial_id, epoch",
    )


def test_start_narrow_report_end_to_end_with_two_workers(cli, db_path):
    result = cli("start", "demo", "--trials", "6", "--workers", "2", "--pruner", "none",
                 *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Best trials of demo" in result.stdout
    # every trial was claimed by a worker process, never by this one
    workers = stored(db_path, "SELECT DISTINCT worker FROM trials")
    assert len(workers) == 2  # each claims a trial before any trains: both ran trials
    assert all(not w.endswith(f":{os.getpid()}") for (w,) in workers)
    # every epoch of every trial reached the store
    assert stored(db_path, "SELECT count(*) FROM epoch_metrics") == [(18,)]
    assert stored(db_path, "SELECT DISTINCT status FROM trials") == [("completed",)]

    result = cli("narrow", "demo", "--top-k", "3", "--trials", "4", "--workers", "2", "-q",
                 "--no-verify")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "lr            [0.001, 0.1] ->" in result.stdout
    rounds = stored(
        db_path,
        "SELECT r.number, r.n_trials, r.top_k, d.low, d.high FROM rounds r"
        " JOIN round_domains d ON d.round_id = r.id AND d.name = 'lr' ORDER BY r.number",
    )
    assert [r[:3] for r in rounds] == [(0, 6, None), (1, 4, 3)]
    top3 = stored(
        db_path,
        "SELECT p.value_num FROM trials t JOIN rounds r ON r.id = t.round_id"
        " JOIN trial_params p ON p.trial_id = t.id AND p.name = 'lr' WHERE r.number = 0"
        " ORDER BY t.val_accuracy DESC, t.best_val_accuracy DESC, t.number LIMIT 3",
    )
    assert all(rounds[1][3] <= lr <= rounds[1][4] for (lr,) in top3)
    assert 1e-3 <= rounds[1][3] < rounds[1][4] <= 1e-1

    result = cli("report", "demo", "--json", "--top", "5")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [r["round"] for r in report["rounds"]] == [0, 1]
    assert [r["statuses"] for r in report["rounds"]] == [{"completed": 6}, {"completed": 4}]
    board = report["leaderboard"]
    assert len(board) == 5 and [row["rank"] for row in board] == [1, 2, 3, 4, 5]
    values = [row["val_accuracy"] for row in board]
    assert values == sorted(values, reverse=True)
    assert all(len(row["val_curve"]) == 3 for row in board)
    assert max(values) > 0.5  # the tiny data is learnable: far above chance (0.1)

    result = cli("report", "demo", "--round", "1")
    assert result.exit_code == 0 and "Rounds" in result.stdout
    result = cli("studies", "--json")
    assert json.loads(result.stdout)[0] | {"created_at": None} == {
        "name": "demo", "created_at": None, "rounds": 2, "trials": 10,
        "completed": 10, "best_val_accuracy": max(values),
    }  # fmt: skip


#: The columns that say when and by whom, not what: the only ones allowed to differ.
WHEN_AND_WHO = {
    "studies": {"created_at"},
    "rounds": {"created_at"},
    "trials": {"worker", "started_at", "heartbeat_at", "finished_at"},
    "epoch_metrics": {"seconds", "id"},  # ids number the writes in the order they came
    "trial_params": set(),
    "round_domains": set(),
}
ORDER = {"epoch_metrics": "trial_id, epoch", "trial_params": "trial_id, name"}


def every_stored_value(db_path):
    """Every column of every table but those of WHEN_AND_WHO, row by row."""
    tables = {}
    with sqlite3.connect(db_path) as connection:
        for table, leave_out in WHEN_AND_WHO.items():
            info = connection.execute(f"PRAGMA table_info({table})").fetchall()
            columns = [row[1] for row in info if row[1] not in leave_out]
            assert len(columns) == len(info) - len(leave_out)  # each left-out column exists
            order = ORDER.get(table, "id")
            rows = connection.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY {order}")
            tables[table] = (columns, rows.fetchall())
    return tables


def test_results_do_not_depend_on_the_number_of_workers(cli, db_path, tmp_path):
    for db, workers in ((db_path, 1), (tmp_path / "other.db", 2)):
        result = cli("start", "a", "--trials", "8", "--workers", workers, "--db", db,
                     "--search", "optimizer=sgd,momentum,adam", "--search", "hidden_size=10:30",
                     "--search", "dropout=0:0.3", "--pruner", "none", *TINY_SEARCH)  # fmt: skip
        assert result.exit_code == 0, result.output
        result = cli("narrow", "a", "-k", "3", "--trials", "6", "--workers", workers, "--db", db,
                     "-q", "--no-verify")  # fmt: skip
        assert result.exit_code == 0, result.output
    trials_by_worker = stored(
        tmp_path / "other.db", "SELECT worker, count(*) FROM trials GROUP BY worker"
    )
    # each worker claims a trial before any trains (6 and 8 trials, 2 workers) ...
    assert len(trials_by_worker) == 4  # ... so both workers of each round ran trials
    assert all(count >= 1 for _, count in trials_by_worker)  # ... each ran trials
    one, two = every_stored_value(db_path), every_stored_value(tmp_path / "other.db")
    assert one == two
    assert "best_val_accuracy" in one["trials"][0] and "epochs_run" in one["trials"][0]
    special = [c for c in one["rounds"][0] + one["trials"][0] if c.startswith(("lr", "weight_"))]
    assert special == []  # the learning rate and weight decay only as rows
    assert len(one["epoch_metrics"][1]) == 14 * 3 and len(one["rounds"][1]) == 2
    assert len(one["trial_params"][1]) == 14 * 5 and len(one["round_domains"][1]) == 2 * 5


def test_dry_run_shows_ranges_and_changes_nothing(cli, db_path):
    assert cli("start", "d", "--trials", "3", "--workers", "1", *TINY_SEARCH).exit_code == 0
    before = stored(db_path, "SELECT * FROM rounds")
    result = cli("narrow", "d", "-k", "2", "--dry-run", "--snap")
    assert result.exit_code == 0, result.output
    assert "Round 0 top-2" in result.stdout and "->" in result.stdout
    assert stored(db_path, "SELECT * FROM rounds") == before


def test_db_upgrade_creates_and_reports(cli, db_path):
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "from revision empty" in result.stdout
    result = cli("db", "upgrade")
    assert result.exit_code == 0 and "up to date" in result.stdout


def test_python_dash_m_runs_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "hpsearch", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "start" in out.stdout and "narrow" in out.stdout and "report" in out.stdout


def test_version_prints_the_installed_version_without_the_command_line(monkeypatch, capsys):
    from importlib.metadata import version

    import hpsearch
    from hpsearch import launch
    from hpsearch.cli import app

    assert hpsearch.__version__ == version("hpsearch")
    result = CliRunner().invoke(app, ["--version"])
    assert (result.exit_code, result.stdout) == (0, f"hpsearch {version('hpsearch')}\n")
    # the program answers before it imports the command line, and starts no server
    monkeypatch.setattr(sys, "argv", ["hpsearch", "--version"])
    monkeypatch.setattr("hpsearch.cli.main", lambda: pytest.fail("command line imported"))
    monkeypatch.setattr(launch.forkserver, "prepare", lambda: pytest.fail("server started"))
    launch.main()
    assert capsys.readouterr().out == f"hpsearch {version('hpsearch')}\n"


def test_the_version_of_a_source_tree_not_installed(monkeypatch):
    from importlib.metadata import PackageNotFoundError

    from hpsearch import version

    def not_installed(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr(version, "version", not_installed)
    assert version.package_version() == version.UNKNOWN == "0+unknown"


def test_shell_completion_script_and_completions():
    # the shell named, as typer's own tests do: detecting it reads the parent processes,
    # which under a test runner need not include a shell at all
    env = dict(
        os.environ,
        PYTHONPATH=os.pathsep.join(sys.path),
        _TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION="1",
    )
    program = [sys.executable, "-m", "hpsearch"]
    script = subprocess.run(
        [*program, "--show-completion", "bash"], capture_output=True, text=True, env=env
    )
    assert script.returncode == 0, script.stderr
    assert "_HPSEARCH_COMPLETE=complete_bash" in script.stdout
    assert "complete -o default -F _hpsearch_completion hpsearch" in script.stdout
    # what the script runs: the program, told by the variable to complete the words
    words = {"_HPSEARCH_COMPLETE": "complete_bash", "COMP_WORDS": "hpsearch st", "COMP_CWORD": "1"}
    completed = subprocess.run([*program], capture_output=True, text=True, env={**env, **words})
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["start", "studies"]


def test_the_command_line_loads_no_web_server_figures_or_downloads():
    """Every command imports the whole command line: the dashboard's Flask, the figures'
    matplotlib, scikit-learn and urllib's download code load only where they are used."""
    heavy = ("flask", "werkzeug", "jinja2", "matplotlib", "sklearn", "http.client")
    script = f"import sys, hpsearch.cli; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_a_weight_init_standard_deviation_end_to_end(cli, db_path):
    args = [a if a != "1e-1" else "1" for a in TINY_SEARCH]  # std 0.01 learns slowly at lr 0.1
    result = cli("start", "std", "--trials", "2", "--workers", "1", "--weight-init", "0.01", *args)
    assert result.exit_code == 0, result.output
    assert stored(db_path, "SELECT weight_init FROM studies") == [("0.01",)]
    assert stored(db_path, "SELECT DISTINCT status FROM trials") == [("completed",)]
    assert stored(db_path, "SELECT count(*) FROM epoch_metrics") == [(6,)]
    settings = StudySettings(weight_init="0.01", hidden=(400,))
    network = settings.network(784, 10, 0.0, np.random.default_rng(0))
    assert network.params["W1"].std() == pytest.approx(0.01, rel=0.02)  # not He's 0.05
    result = cli("report", "std", "--json")
    assert json.loads(result.stdout)["study"]["weight_init"] == "0.01"


def test_a_fashion_mnist_study_reads_its_own_files(cli, db_path, tiny_mnist, monkeypatch):
    monkeypatch.delenv("HPSEARCH_DATA_DIR")  # MNIST cannot be found: only Fashion-MNIST can
    monkeypatch.setenv("XDG_CACHE_HOME", str(db_path.parent / "empty-cache"))
    monkeypatch.setenv("HPSEARCH_FASHION_DATA_DIR", str(tiny_mnist))

    result = cli("start", "fashion", "--dataset", "fashion-mnist", "--trials", "2",
                 "--workers", "1", "--pruner", "none", *TINY_SEARCH)  # fmt: skip

    assert result.exit_code == 0, result.output
    assert stored(db_path, "SELECT dataset FROM studies") == [("fashion-mnist",)]
    assert stored(db_path, "SELECT count(*) FROM trials WHERE status = 'completed'") == [(2,)]
    report = json.loads(cli("report", "fashion", "--json").stdout)
    assert report["study"]["dataset"] == "fashion-mnist"
    assert cli("evaluate", "fashion", "--no-verify").exit_code == 0  # its test set, too
    assert stored(db_path, "SELECT test_samples FROM evaluations") == [(100,)]


def test_report_importance_prints_a_table_and_json(stored_study, monkeypatch):
    from typer.testing import CliRunner

    from hpsearch.cli import app

    monkeypatch.setenv("HPSEARCH_DB", str(stored_study.db))
    runner = CliRunner()

    table = runner.invoke(app, ["report", "small", "--importance"])
    data = json.loads(runner.invoke(app, ["report", "small", "--importance", "--json"]).stdout)
    too_few = runner.invoke(app, ["report", "small", "--importance", "--round", "1"])

    assert table.exit_code == 0, table.output
    assert "Parameter importance (15 trials)" in table.stdout
    assert set(data["importance"]["scores"]) == {"lr", "weight_decay"}
    assert too_few.exit_code == 1
    assert too_few.stderr.strip() == (
        "Error: importance needs at least 10 completed or pruned trials, got 6"
    )


def test_report_importance_plot_draws_the_scores_it_prints(searched_study, tmp_path):
    from typer.testing import CliRunner

    from hpsearch.cli import app

    figure = tmp_path / "importance.svg"
    args = ["report", "wide", "--db", str(searched_study.db), "--importance-plot", str(figure)]
    result = CliRunner().invoke(app, [*args, "--json"])

    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)["importance"]["scores"]  # implied --importance
    assert list(scores)[0] == "dropout"  # it drives the accuracy of the stored trials
    assert result.stderr.split() == [str(figure)]
    text = figure.read_text()
    assert text.startswith("<?xml")
    places = [text.index(f"<!-- {name.replace('_', ' ')} -->") for name in scores]
    assert places == sorted(places)  # the labels are drawn top down in the scores' order


@pytest.mark.parametrize(
    ("name", "extra", "message"),
    [
        ("importance.gif", [], "Error: cannot tell the image format of"),
        ("missing/importance.png", [], "Error: cannot write"),
        ("importance.png", ["--round", "1"], "Error: importance needs at least 10 completed"),
    ],
)
def test_report_importance_plot_refuses_what_it_cannot_draw(
    searched_study, tmp_path, name, extra, message
):
    from typer.testing import CliRunner

    from hpsearch.cli import app

    figure = tmp_path / name
    args = ["report", "wide", "--db", str(searched_study.db), "--importance-plot", str(figure)]
    result = CliRunner().invoke(app, [*args, *extra])

    assert result.exit_code == 1
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(message)
    assert result.stdout == ""
    assert list(tmp_path.rglob("importance.*")) == []


def test_plot_writes_the_importance_figure_when_there_are_enough_trials(searched_study, tmp_path):
    from typer.testing import CliRunner

    from hpsearch.cli import app

    args = ["plot", "wide", "--db", str(searched_study.db), "--out", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "--format", "svg"])

    assert result.exit_code == 0, result.output
    assert result.stdout.split()[-1] == str(tmp_path / "wide-importance.svg")
    assert (tmp_path / "wide-importance.svg").read_text().startswith("<?xml")
    assert result.stderr == ""


#: A tiny search long enough for both pruners to decide (asha's rungs: 2 and 8).
PRUNED_SEARCH = ["--trials", "12", "--epochs", "16", *TINY_SEARCH[2:]]


@pytest.mark.parametrize("pruner", ["median", "asha"])
def test_a_pruned_round_stores_the_same_results_with_one_two_or_three_workers(
    cli, tmp_path, pruner
):
    stored_values = {}
    for workers in (1, 2, 3):
        db = tmp_path / f"{workers}.db"
        result = cli("start", "p", "--workers", workers, "--db", db, "--pruner", pruner,
                     *PRUNED_SEARCH)  # fmt: skip
        assert result.exit_code == 0, result.output
        ran = stored(db, "SELECT count(DISTINCT worker) FROM trials")
        assert ran == [(workers,)]  # 12 trials: each worker claims one before any trains
        stored_values[workers] = every_stored_value(db)
    pruned = stored(tmp_path / "1.db", "SELECT count(*) FROM trials WHERE status = 'pruned'")
    assert pruned[0][0] >= 2  # the pruner did stop trials
    assert stored_values[1] == stored_values[2] == stored_values[3]


def test_json_summaries_of_start_narrow_auto_and_evaluate(cli, db_path):
    """With --json, standard output is one JSON document, the report's (as `report --json`)
    or the evaluations' rows; the messages for people go to standard error."""
    result = cli("start", "j", "--trials", "4", "--workers", "1", "--json", *TINY_SEARCH)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["study"]["name"] == "j" and len(report["leaderboard"]) == 4
    assert {"rank", "trial", "round", "val_accuracy", "status"} <= set(report["leaderboard"][0])
    assert [r["round"] for r in report["rounds"]] == [0]

    result = cli("narrow", "j", "-k", "2", "--trials", "2", "-w", "1", "-q", "--no-verify",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert [r["round"] for r in json.loads(result.stdout)["rounds"]] == [0, 1]
    assert "Round 0 top-2" in result.stderr

    result = cli("auto", "a", "--trials", "4", "--rounds", "1", "-k", "2", "-w", "1", "--json",
                 *TINY_SEARCH)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["study"]["name"] == "a"
    assert "Stopped:" in result.stderr

    result = cli("evaluate", "j", "--no-verify", "--json")
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert {"trial", "test_accuracy", "train_samples", "epochs", "created_at"} <= set(row)
    again = cli("evaluate", "j", "--json")  # the stored result, again as JSON
    assert json.loads(again.stdout) == [row] and "already used" in again.stderr
