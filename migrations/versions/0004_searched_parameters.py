"""searched parameters: round_domains and trial_params

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 20:00:00.000000

Every round's learning-rate and weight-decay ranges become round_domains rows, and
every trial's lr and weight decay trial_params rows, so that all searched
parameters of any study read alike. The columns they come from stay.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    domains = op.create_table(
        "round_domains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("log", sa.Boolean(), nullable=True),
        sa.Column("low", sa.Double(), nullable=True),
        sa.Column("high", sa.Double(), nullable=True),
        sa.Column("choices", sa.Text(), nullable=True),
        sa.Column("spec", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "name"),
    )
    params = op.create_table(
        "trial_params",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value_num", sa.Double(), nullable=True),
        sa.Column("value_text", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trial_id", "name"),
    )
    connection = op.get_bind()
    rounds = connection.execute(
        sa.text("SELECT id, lr_low, lr_high, weight_decay_low, weight_decay_high FROM rounds")
    ).all()
    domain_rows = [
        {
            "round_id": round_id, "position": position, "name": name, "kind": "float",
            "log": True, "low": low, "high": high, "choices": None,
            "spec": f"[{low:.3g}, {high:.3g}]",
        }
        for round_id, lr_low, lr_high, wd_low, wd_high in rounds
        for position, (name, low, high) in enumerate(
            (("lr", lr_low, lr_high), ("weight_decay", wd_low, wd_high))
        )
    ]  # fmt: skip
    if domain_rows:
        op.bulk_insert(domains, domain_rows)
    trials = connection.execute(sa.text("SELECT id, lr, weight_decay FROM trials ORDER BY id"))
    param_rows = [
        {"trial_id": trial_id, "name": name, "value_num": value, "value_text": repr(value)}
        for trial_id, lr, weight_decay in trials
        for name, value in (("lr", float(lr)), ("weight_decay", float(weight_decay)))
    ]
    if param_rows:
        op.bulk_insert(params, param_rows)


def downgrade() -> None:
    op.drop_table("trial_params")
    op.drop_table("round_domains")
