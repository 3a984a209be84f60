import io
import re

from rich.console import Console

from hpsearch import store
from hpsearch.report.leaderboard import leaderboard_table, sparkline
from hpsearch.report.summaries import study_report, study_summary
from hpsearch.report.tables import (
    crowding_note,
    evaluations_table,
    rounds_table,
    studies_table,
)


def rendered(table) -> str:
    out = io.StringIO()
    Console(file=out, width=200).print(table)
    return out.getvalue()


def test_the_tables_show_the_report(stored_study):
    with stored_study.factory() as session:
        study = store.get_study(session, "small")
        report = study_report(session, study, top=3)
        summary = study_summary(session, study)
    board = rendered(leaderboard_table(report))
    assert board.count("host:42") == 0 and all(
        str(trial.id) in board for trial in report.leaderboard
    )
    rounds = rendered(rounds_table(report))
    assert "12: 9 completed, 2 diverged, 1 failed" in rounds
    assert "6: 5 completed, 1 pruned" in rounds
    assert "small" in rendered(studies_table([summary]))


def test_an_evaluation_that_diverged_shows_its_status_instead_of_an_accuracy():
    row = {"trial": 3, "lr": 0.1, "weight_decay": 1e-6, "epochs": 5, "train_samples": 400,
           "train_accuracy": None, "test_accuracy": None, "status": "diverged", "seconds": 1.0,
           "created_at": "2024-05-01T12:00:00"}  # fmt: skip
    text = rendered(evaluations_table([row, row | {"status": "completed", "test_accuracy": 0.9}]))
    assert "diverged" in text and "0.9000" in text


def test_crowding_note_and_sparkline():
    assert crowding_note(None) is None
    note = crowding_note({"round": 1, "top_k": 3, "edges": {"lr": ["high"]}})
    assert "top-3 trials of round 1 crowd the high edge of lr" in note
    assert len(sparkline([0.1, 0.5, 0.9], width=3)) == 3


def test_the_crowding_notes_command_runs(stored_study, monkeypatch):
    """The note names the study and the top-k, so the command it prints is one that works."""
    import re
    import shlex

    from typer.testing import CliRunner

    from hpsearch.cli import app
    from hpsearch.report import summaries

    crowded = {"round": 1, "top_k": 3, "edges": {"lr": ["high"]}}
    monkeypatch.setattr(summaries, "crowding", lambda session, study: crowded)
    db = ["--db", str(stored_study.db)]
    shown = CliRunner().invoke(app, ["report", stored_study.name, *db], env={"COLUMNS": "400"})
    assert shown.exit_code == 0, shown.output
    (command,) = re.findall(r"`(hpsearch narrow [^`]+)`", shown.stdout)
    assert command == f"hpsearch narrow {stored_study.name} --top-k 3 --expand"
    program, *args = shlex.split(command)
    result = CliRunner().invoke(app, [*args, *db, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Round 1 top-3" in result.stdout


def test_printed_times_carry_their_utc_offset(stored_study):
    """Tables print the stored UTC times with +00:00; the stored values and the JSON and
    CSV exports (their golden files) keep them as they are."""
    from typer.testing import CliRunner

    from hpsearch.cli import app
    from hpsearch.report.tables import utc_time

    assert utc_time("2026-12-06T12:00:00") == "2026-12-06T12:00:00+00:00"
    assert utc_time(None) == "-"
    result = CliRunner().invoke(app, ["studies", "--db", str(stored_study.db)])
    assert result.exit_code == 0, result.output
    assert re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00", result.stdout)
    data = CliRunner().invoke(app, ["studies", "--json", "--db", str(stored_study.db)])
    assert "+00:00" not in data.stdout
