"""A database written by release 0004 (schema revision 0004, searched parameters of every
kind), restored and upgraded, prints its report and exports byte for byte as that release
printed them. tests/releases/make_release_db_0004.sh made release-0004.sql and the goldens
release-0004-STUDY-report.json, -export.json and -export.csv beside it.

The report holds no value that depends on the time of reading: every trial of the dump has
finished, so none is judged stale, and no ETA or age is printed (the report was run twice on
the restored database, seconds apart, and came out the same), so nothing is normalised."""

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hpsearch.cli import app
from hpsearch.store.schema import HEAD_REVISION
from tests.support import RELEASES, searched_rows, special_columns

DATA = RELEASES
STUDIES = ["mixed", "book", "auto"]
COMMANDS = {
    "report.json": ["report", "{study}", "--json"],
    "export.json": ["export", "{study}", "--format", "json", "--epochs"],
    "export.csv": ["export", "{study}", "--format", "csv", "--epochs"],
}


def restored_release(tmp_path: Path) -> Path:
    """release-0004.sql in a new SQLite file, upgraded to the current schema."""
    db = tmp_path / "release-0004.db"
    with sqlite3.connect(db) as connection:
        connection.executescript((DATA / "release-0004.sql").read_text())
    connection.close()
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--db", str(db)])
    assert upgraded.exit_code == 0, upgraded.output
    return db


def printed(db: Path, study: str, output: str) -> str:
    args = [part.format(study=study) for part in COMMANDS[output]]
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_the_stored_database_was_written_at_revision_0004():
    """The dump stays the release's: remade by another revision, it tests nothing."""
    with sqlite3.connect(":memory:") as connection:
        connection.executescript((DATA / "release-0004.sql").read_text())
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        studies = [name for (name,) in connection.execute("SELECT name FROM studies ORDER BY id")]
    connection.close()
    assert revision == [("0004",)]
    assert studies == STUDIES


@pytest.mark.parametrize("output", list(COMMANDS))
@pytest.mark.parametrize("study", STUDIES)
def test_a_release_0004_database_prints_as_that_release_did_after_an_upgrade(
    tmp_path, study, output
):
    db = restored_release(tmp_path)
    golden = DATA / f"release-0004-{study}-{output}"
    assert printed(db, study, output) == golden.read_text()


def test_the_learning_rate_and_weight_decay_of_every_trial_and_round_survive_the_upgrade(
    tmp_path,
):
    """Revision 0005 drops the columns these two had of their own: the rows hold them all."""
    old_trials, old_rounds = special_columns((DATA / "release-0004.sql").read_text())
    assert (len(old_trials), len(old_rounds)) == (46, 6)
    assert searched_rows(restored_release(tmp_path)) == (old_trials, old_rounds)


def test_after_the_upgrade_every_release_study_trains_the_book_network_ranked_as_before(
    tmp_path,
):
    """Revision 0007: a release's studies take the book's network and metric, their trials
    no function's value, and the new table starts empty."""
    db = restored_release(tmp_path)
    with sqlite3.connect(db) as connection:
        studies = connection.execute(
            "SELECT DISTINCT objective, objective_settings, metric, direction FROM studies"
        ).fetchall()
        values = connection.execute(
            "SELECT count(*) FROM trials WHERE value IS NOT NULL OR best_value IS NOT NULL"
        ).fetchone()
        reports = connection.execute("SELECT count(*) FROM trial_metrics").fetchone()
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    connection.close()
    assert studies == [(None, None, "val_accuracy", "maximize")]
    assert values == (0,) and reports == (0,) and revision == (HEAD_REVISION,)
