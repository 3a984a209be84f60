"""A database written by release 0005 (schema revision 0005, no conditional parameters),
restored and upgraded to the head revision, prints its report and exports byte for byte as
that release printed them, and keeps every stored value: its optimizer settings, sampled
for every trial then, read as they were stored. tests/releases/make_release_db_0005.sh
made release-0005.sql and the goldens release-0005-STUDY-report.json, -export.json and
-export.csv beside it (every trial finished: nothing in them depends on the time)."""

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hpsearch import store
from hpsearch.cli import app
from hpsearch.store.schema import open_store
from tests.support import RELEASES

STUDIES = ["noisy", "book"]
COMMANDS = {
    "report.json": ["report", "{study}", "--json"],
    "export.json": ["export", "{study}", "--format", "json", "--epochs"],
    "export.csv": ["export", "{study}", "--format", "csv", "--epochs"],
}


def _dump_rows(sql: str, table: str) -> int:
    return sum(line.startswith(f'INSERT INTO "{table}"') for line in sql.splitlines())


def restored_release(tmp_path: Path) -> Path:
    """release-0005.sql in a new SQLite file, upgraded to the current schema."""
    db = tmp_path / "release-0005.db"
    with sqlite3.connect(db) as connection:
        connection.executescript((RELEASES / "release-0005.sql").read_text())
    connection.close()
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--db", str(db)])
    assert upgraded.exit_code == 0, upgraded.output
    return db


def test_the_stored_database_was_written_at_revision_0005():
    with sqlite3.connect(":memory:") as connection:
        connection.executescript((RELEASES / "release-0005.sql").read_text())
        revision = connection.execute("SELECT version_num FROM alembic_version").fetchall()
        studies = [name for (name,) in connection.execute("SELECT name FROM studies ORDER BY id")]
    connection.close()
    assert revision == [("0005",)]
    assert studies == STUDIES


@pytest.mark.parametrize("output", list(COMMANDS))
@pytest.mark.parametrize("study", STUDIES)
def test_a_release_0005_database_prints_as_that_release_did_after_an_upgrade(
    tmp_path, study, output
):
    db = restored_release(tmp_path)
    args = [part.format(study=study) for part in COMMANDS[output]]
    result = CliRunner().invoke(app, [*args, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert result.stdout == (RELEASES / f"release-0005-{study}-{output}").read_text()


def test_the_upgrade_keeps_every_value_and_makes_nothing_conditional(tmp_path):
    dump = (RELEASES / "release-0005.sql").read_text()
    db = restored_release(tmp_path)
    with sqlite3.connect(db) as connection:
        params = connection.execute("SELECT count(*) FROM trial_params").fetchone()[0]
        conditions = connection.execute(
            "SELECT count(*) FROM round_domains WHERE condition_parent IS NOT NULL"
        ).fetchone()[0]
        momentum = connection.execute(
            "SELECT DISTINCT o.value_text FROM trial_params m JOIN trial_params o"
            " ON o.trial_id = m.trial_id AND o.name = 'optimizer' WHERE m.name = 'momentum'"
        ).fetchall()
    connection.close()
    assert params == _dump_rows(dump, "trial_params")
    assert conditions == 0
    assert {text for (text,) in momentum} == {"sgd", "momentum", "adam"}  # as stored then
    with open_store(str(db))() as session:
        rounds = store.get_study(session, "noisy").rounds
        assert all(domain.when is None for r in rounds for domain in store.round_space(r))


def test_narrowing_an_upgraded_study_keeps_its_parameters_unconditional(tmp_path):
    db = restored_release(tmp_path)
    result = CliRunner().invoke(
        app, ["narrow", "noisy", "--top-k", "3", "--dry-run", "--db", str(db)]
    )
    assert result.exit_code == 0, result.output
    assert "kept out" not in result.stdout and " if optimizer" not in result.stdout
