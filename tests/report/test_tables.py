"""Every table the command line prints, at 80 and 120 columns of a real terminal size:
no line wider than the terminal, no number cut (every cell parsed), columns left out
said under the table; piped, every table whole. The live display of a running round.
"""

from __future__ import annotations

import fcntl
import io
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from hpsearch import store
from hpsearch.cli import app
from hpsearch.report import numbers
from hpsearch.report.leaderboard import leaderboard_keys, leaderboard_table
from hpsearch.report.live import LiveLine, clock_text
from hpsearch.report.summaries import StudyReport, study_report, study_summary
from hpsearch.report.tables import (
    evaluations_table,
    rounds_table,
    samples_table,
    space_table,
    studies_table,
)
from hpsearch.space.sampling import make_space, trial_params
from hpsearch.store import FrozenTrial
from hpsearch.store.progress import RoundProgress
from hpsearch.store.schema import open_store
from hpsearch.store.status import TrialStatus
from tests.support import restored_release_0004

WIDTHS = [80, 120]
#: A whole number, an integer range, or a whole UTC time with its offset.
NUMBER = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?|\d+\.\.\d+|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00")
BORDERS = "┃│┏┓┗┛┡┩└┘┳┻╇┴━─ "


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    return restored_release_0004(tmp_path_factory.mktemp("release"))


def on_terminal(renderable, width: int) -> list[str]:
    """What a terminal ``width`` columns wide shows, as plain lines."""
    out = io.StringIO()
    Console(file=out, width=width, force_terminal=True, color_system=None).print(renderable)
    return out.getvalue().splitlines()


def cells(lines: list[str]) -> list[list[str]]:
    """The cells of each body row of a table's lines (between its ┡ and └ rules)."""
    start = next(i for i, line in enumerate(lines) if line.startswith("┡"))
    end = next(i for i, line in enumerate(lines) if line.startswith("└"))
    return [[c.strip() for c in line.strip("│").split("│")] for line in lines[start + 1 : end]]


def assert_whole(lines: list[str], width: int) -> None:
    """No line past the terminal, no cell cut, every number-like word a whole number."""
    assert all(len(line) <= width for line in lines), "\n".join(lines)
    assert "…" not in "\n".join(lines), "\n".join(lines)
    for row in cells(lines):
        for cell in row:
            for word in cell.replace("@", " ").split():
                if word.strip("([{")[:1].isdigit() and not re.fullmatch(r"[\d-]+(T[\d:]+)?", word):
                    assert NUMBER.fullmatch(word.strip(",:()[]{}")), (word, "\n".join(lines))


def reports(release: Path) -> dict[str, tuple[StudyReport, dict]]:
    """Each study's report and its summary (``hpsearch studies``'s row)."""
    factory = open_store(str(release), read_only=True)
    with factory() as session:
        found = {}
        for name in ("mixed", "book", "auto"):
            study = store.get_study(session, name)
            found[name] = (study_report(session, study), study_summary(session, study))
    return found


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("study", ["mixed", "book", "auto"])
def test_every_report_table_fits_the_terminal_and_cuts_no_number(release, study, width):
    report, summary = reports(release)[study]
    tables = [leaderboard_table(report), rounds_table(report), studies_table([summary])]
    if report.evaluations:
        tables.append(evaluations_table(report.evaluations))
    for table in tables:
        assert_whole(on_terminal(table, width), width)
    board = cells(on_terminal(leaderboard_table(report), width))
    for row, trial in zip(board, report.leaderboard, strict=True):
        assert numbers.accuracy(trial.val_accuracy) in row  # a cell of its own, whole


def test_at_80_columns_the_book_leaderboard_shows_each_number_whole(release):
    lines = on_terminal(leaderboard_table(reports(release)["book"][0]), 80)
    header = " ".join(lines[1:3])
    assert "lr" in header and "wd" in header and "val" in header
    first = cells(lines)[0]
    assert first[:2] == ["1", "33"] and "8.38e-3" in first and "done" in first
    assert "Left out at 80 columns: curve" in "\n".join(lines)


def test_at_120_columns_the_book_leaderboard_is_whole(release):
    lines = on_terminal(leaderboard_table(reports(release)["book"][0]), 120)
    assert "Left out" not in "\n".join(lines)
    assert "completed" in cells(lines)[0]


def test_the_leaderboard_marks_pruned_trials_and_says_how_narrow_takes_its_top_k(release):
    text = " ".join(
        " ".join(on_terminal(leaderboard_table(reports(release)["mixed"][0]), 120)).split()
    )
    assert "pruned" in text and "narrow takes a round's best completed trials" in text


def test_chosen_columns_come_in_their_order(release):
    report = reports(release)["mixed"][0]
    lines = on_terminal(leaderboard_table(report, ["trial", "dropout", "val_accuracy"]), 80)
    assert [c.split() for c in cells(lines)[0]] == [["12"], ["0.102"], ["0.8250"]]
    assert "Left out" not in "\n".join(lines)


def test_the_evaluation_shows_its_test_accuracy_whole_at_80_columns(release):
    rows = reports(release)["mixed"][0].evaluations
    lines = on_terminal(evaluations_table(rows), 80)
    assert_whole(lines, 80)
    assert numbers.accuracy(rows[0]["test_accuracy"]) in "\n".join(lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_dry_runs_tables_fit(width):
    space = make_space((1e-6, 1e-2), (1e-8, 1e-4), {})
    sampled = [trial_params(0, 0, i, space) for i in range(5)]
    for table in (space_table(space), samples_table(space, sampled)):
        assert_whole(on_terminal(table, width), width)


def test_piped_every_table_is_whole(release):
    """Not on a terminal: every column in full, whatever the width."""
    result = CliRunner().invoke(app, ["report", "mixed", "--db", str(release)])
    assert result.exit_code == 0, result.output
    header = result.stdout.splitlines()[2]
    for column in ("rank", "round", "weight decay", "hidden layers", "validation curve"):
        assert column in header
    assert "Left out" not in result.stdout and "…" not in result.stdout


def test_columns_choose_the_leaderboard_and_an_unknown_one_is_one_error_line(release):
    runner = CliRunner()
    chosen = runner.invoke(app, ["report", "book", "--columns", "trial,lr", "--db", str(release)])
    assert chosen.exit_code == 0, chosen.output
    assert "┃ trial ┃      lr ┃" in chosen.stdout
    wrong = runner.invoke(app, ["report", "book", "--columns", "lr,foo", "--db", str(release)])
    assert wrong.exit_code == 1
    assert wrong.stderr.strip().splitlines() == [
        "Error: unknown column 'foo' for the leaderboard: choose from "
        + ", ".join(leaderboard_keys(["lr", "weight_decay"]))
    ]


def test_report_through_a_real_80_column_terminal(release):
    """``hpsearch report`` on a pty whose size is set to 24x80: the layout it reads."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    process = subprocess.Popen(
        [sys.executable, "-m", "hpsearch", "report", "book", "--db", str(release)],
        stdin=follower, stdout=follower, stderr=follower, env=env | {"TERM": "dumb"},
    )  # fmt: skip
    os.close(follower)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        output += chunk
    os.close(leader)
    assert process.wait() == 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output.decode()).replace("\r", "")
    lines = text.splitlines()
    assert "Left out at 80 columns" in text
    assert_whole(lines[: next(i for i, x in enumerate(lines) if x.startswith("└")) + 1], 80)


def snapshot(running: list[tuple[int, int]]) -> RoundProgress:
    """Round 0 with its running trials of (id, epochs run)."""
    counts = {"completed": 4, "pruned": 7, "diverged": 1, "running": len(running), "pending": 84}
    trials = [
        FrozenTrial(trial_id, 0, number, TrialStatus.RUNNING, epochs_run=epochs)
        for number, (trial_id, epochs) in enumerate(running)
    ]
    return RoundProgress(0, 100, counts, 0.825, trials)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_live_display_labels_its_fields_and_names_trials_by_id(width):
    now = [100.0]
    line = LiveLine("book round 0", clock=lambda: now[0])
    line.update(snapshot([(581, 4), (582, 2), (590, 1), (604, 0)]))
    now[0] += 62
    lines = on_terminal(line, width)
    assert len(lines) == 2 and all(len(text) <= width for text in lines)
    assert "12/100 trials" in lines[0] and "0:01:02 elapsed" in lines[0]
    assert f"{clock_text(62 / 12 * 88)} left" in lines[0]  # 62 s for 12 trials: 88 more
    assert lines[1].startswith("best val acc 0.8250  pruned 7  diverged 1  running 581 (epoch 4)")
    shown = re.findall(r"(\d+) \(epoch", lines[1])
    more = re.search(r"\+(\d+) more", lines[1])
    assert len(shown) + (int(more.group(1)) if more else 0) == 4


def test_the_live_display_before_any_trial_finished():
    line = LiveLine("s round 1", clock=lambda: 0.0)
    lines = on_terminal(line, 80)
    assert "0/0 trials" in lines[0] and "-:--:-- left" in lines[0]
    assert lines[1] == "best val acc -  pruned 0  diverged 0"
