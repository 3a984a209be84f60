"""training functions: a study's objective, its metric and direction, named metrics

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 17:30:00.000000

A study may train a function of the user's instead of the book's network:
``studies.objective`` names it (``module:function``; NULL, as every study before,
is the book's network), ``studies.objective_settings`` holds its fixed settings (a
JSON object), ``studies.metric`` and ``studies.direction`` the metric its trials
are ranked by (the book's: ``val_accuracy``, ``maximize``). Such a function's
reports are ``trial_metrics`` rows, one per trial, epoch and name; its trials'
ranking values are ``trials.value`` and ``trials.best_value``. Nothing stored
changes: the new columns of existing rows take the book's defaults or NULL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("studies") as batch:
        batch.add_column(sa.Column("objective", sa.String(length=300), nullable=True))
        batch.add_column(sa.Column("objective_settings", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("metric", sa.String(length=50), nullable=False, server_default="val_accuracy")
        )
        batch.add_column(
            sa.Column("direction", sa.String(length=10), nullable=False, server_default="maximize")
        )
    with op.batch_alter_table("trials") as batch:
        batch.add_column(sa.Column("value", sa.Double(), nullable=True))
        batch.add_column(sa.Column("best_value", sa.Double(), nullable=True))
    op.create_table(
        "trial_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trial_id", "epoch", "name"),
    )


def downgrade() -> None:
    op.drop_table("trial_metrics")
    with op.batch_alter_table("trials") as batch:
        batch.drop_column("best_value")
        batch.drop_column("value")
    with op.batch_alter_table("studies") as batch:
        batch.drop_column("direction")
        batch.drop_column("metric")
        batch.drop_column("objective_settings")
        batch.drop_column("objective")
