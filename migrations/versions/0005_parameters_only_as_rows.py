"""parameters only as rows: lr and weight decay columns dropped

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 02:40:00.000000

The learning rate and weight decay were kept twice: as columns (``trials.lr``,
``trials.weight_decay``, ``rounds.lr_low`` ... ``rounds.weight_decay_high``,
``evaluations.lr``, ``evaluations.weight_decay``) and, since 0004, as
``trial_params`` and ``round_domains`` rows like every other parameter. The rows
stay; the columns go. A trial or round that lacks its rows (none written by
hpsearch does) gets them from the columns first, so no value is lost; an
evaluation's values are its trial's rows.

The columns are dropped with ``ALTER TABLE ... DROP COLUMN`` (SQLite 3.35 and
later, PostgreSQL), not by copying the tables: on SQLite, with foreign keys on,
dropping a table to copy it would delete the rows that refer to it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hpsearch.errors import StoreError

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAMES = ("lr", "weight_decay")
COLUMNS = {
    "rounds": ("lr_low", "lr_high", "weight_decay_low", "weight_decay_high"),
    "trials": ("lr", "weight_decay"),
    "evaluations": ("lr", "weight_decay"),
}


def _missing_params(connection: sa.Connection) -> list[dict[str, object]]:
    rows = connection.execute(
        sa.text(
            "SELECT t.id, t.lr, t.weight_decay FROM trials t WHERE "
            "(SELECT count(*) FROM trial_params p WHERE p.trial_id = t.id "
            "AND p.name IN ('lr', 'weight_decay')) < 2 ORDER BY t.id"
        )
    ).all()
    have = {
        (trial_id, name)
        for trial_id, name in connection.execute(
            sa.text("SELECT trial_id, name FROM trial_params WHERE name IN ('lr', 'weight_decay')")
        )
    }
    return [
        {"trial_id": trial_id, "name": name, "value_num": float(value),
         "value_text": repr(float(value))}
        for trial_id, lr, weight_decay in rows
        for name, value in zip(NAMES, (lr, weight_decay), strict=True)
        if (trial_id, name) not in have
    ]  # fmt: skip


def _missing_domains(connection: sa.Connection) -> list[dict[str, object]]:
    rounds = connection.execute(
        sa.text("SELECT id, lr_low, lr_high, weight_decay_low, weight_decay_high FROM rounds")
    ).all()
    have = {
        (round_id, name)
        for round_id, name in connection.execute(
            sa.text("SELECT round_id, name FROM round_domains WHERE name IN ('lr', 'weight_decay')")
        )
    }
    rows = []
    for round_id, lr_low, lr_high, wd_low, wd_high in rounds:
        for position, (name, low, high) in enumerate(
            (("lr", lr_low, lr_high), ("weight_decay", wd_low, wd_high))
        ):
            if (round_id, name) in have:
                continue
            rows.append(
                {"round_id": round_id, "position": -2 + position, "name": name, "kind": "float",
                 "log": True, "low": low, "high": high, "choices": None,
                 "spec": f"[{low:.3g}, {high:.3g}]"}
            )  # fmt: skip
    return rows


def upgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "sqlite":
        version = tuple(int(part) for part in connection.dialect.dbapi.sqlite_version.split("."))
        if version < (3, 35):
            found = connection.dialect.dbapi.sqlite_version
            raise StoreError(
                f"upgrading to revision 0005 needs SQLite 3.35 or later, found {found}"
            )
    meta = sa.MetaData()
    params = sa.Table("trial_params", meta, autoload_with=connection)
    domains = sa.Table("round_domains", meta, autoload_with=connection)
    if missing := _missing_params(connection):
        op.bulk_insert(params, missing)
    if missing := _missing_domains(connection):
        op.bulk_insert(domains, missing)
    for table, columns in COLUMNS.items():
        for column in columns:
            op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")


def downgrade() -> None:
    for table, columns in COLUMNS.items():
        for column in columns:
            op.add_column(table, sa.Column(column, sa.Double(), nullable=True))
    for name in NAMES:
        op.execute(
            f"UPDATE trials SET {name} = (SELECT p.value_num FROM trial_params p "
            f"WHERE p.trial_id = trials.id AND p.name = '{name}')"
        )
        op.execute(
            f"UPDATE evaluations SET {name} = (SELECT p.value_num FROM trial_params p "
            f"WHERE p.trial_id = evaluations.trial_id AND p.name = '{name}')"
        )
        for bound in ("low", "high"):
            op.execute(
                f"UPDATE rounds SET {name}_{bound} = (SELECT d.{bound} FROM round_domains d "
                f"WHERE d.round_id = rounds.id AND d.name = '{name}')"
            )
