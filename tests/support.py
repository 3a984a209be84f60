"""Helpers the tests share, imported as ``from support import ...``."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def special_columns(dump: str) -> tuple[dict, dict]:
    """The columns a release before 0005 kept the learning rate and weight decay in:
    each trial's ``(lr, weight_decay)`` and each round's four range ends, by id."""
    with sqlite3.connect(":memory:") as connection:
        connection.executescript(dump)
        trials = connection.execute("SELECT id, lr, weight_decay FROM trials").fetchall()
        rounds = connection.execute(
            "SELECT id, lr_low, lr_high, weight_decay_low, weight_decay_high FROM rounds"
        ).fetchall()
    connection.close()
    return {i: tuple(v) for i, *v in trials}, {i: tuple(v) for i, *v in rounds}


def searched_rows(db: Path) -> tuple[dict, dict]:
    """The same values as :func:`special_columns` returns, read from the rows of ``db``."""
    with sqlite3.connect(db) as connection:
        trials = connection.execute(
            "SELECT t.id, lr.value_num, wd.value_num FROM trials t"
            " JOIN trial_params lr ON lr.trial_id = t.id AND lr.name = 'lr'"
            " JOIN trial_params wd ON wd.trial_id = t.id AND wd.name = 'weight_decay'"
        ).fetchall()
        rounds = connection.execute(
            "SELECT r.id, lr.low, lr.high, wd.low, wd.high FROM rounds r"
            " JOIN round_domains lr ON lr.round_id = r.id AND lr.name = 'lr'"
            " JOIN round_domains wd ON wd.round_id = r.id AND wd.name = 'weight_decay'"
            " WHERE lr.kind = 'float' AND lr.log AND wd.kind = 'float' AND wd.log"
        ).fetchall()
    connection.close()
    return {i: tuple(v) for i, *v in trials}, {i: tuple(v) for i, *v in rounds}


def set_value(trial, name: str, value) -> None:
    """Give ``trial`` (an ORM row, in a session) ``value`` for parameter ``name``."""
    from hpsearch.space.domains import format_value, value_number

    (row,) = [param for param in trial.params if param.name == name]
    row.value_num, row.value_text = value_number(value), format_value(value)


def stored_value(trial, name: str):
    """``trial``'s stored number for parameter ``name`` (an ORM row, in a session)."""
    (row,) = [param for param in trial.params if param.name == name]
    return row.value_num


def domain(round_, name: str):
    """The stored domain row of parameter ``name`` in ``round_`` (an ORM row)."""
    (row,) = [row for row in round_.domains if row.name == name]
    return row


def restored_release_0004(folder: Path) -> Path:
    """tests/data/release-0004.sql in a new SQLite file in ``folder``, upgraded to the
    current schema: three finished studies (``mixed`` searches seven parameters)."""
    from typer.testing import CliRunner

    from hpsearch.cli import app

    db = folder / "release-0004.db"
    dump = Path(__file__).parent / "data" / "release-0004.sql"
    with sqlite3.connect(db) as connection:
        connection.executescript(dump.read_text())
    connection.close()
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--db", str(db)])
    assert upgraded.exit_code == 0, upgraded.output
    return db
