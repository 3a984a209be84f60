"""trial attempt and auto options

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 19:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempt", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.add_column(sa.Column("auto_rounds", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("auto_trials", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("auto_top_k", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("auto_pruner", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("auto_min_improvement", sa.Double(), nullable=True))
    # a trial claimed before this revision was claimed once (at least)
    op.execute("UPDATE trials SET attempt = 1 WHERE status <> 'pending'")


def downgrade() -> None:
    with op.batch_alter_table("studies", schema=None) as batch_op:
        batch_op.drop_column("auto_min_improvement")
        batch_op.drop_column("auto_pruner")
        batch_op.drop_column("auto_top_k")
        batch_op.drop_column("auto_trials")
        batch_op.drop_column("auto_rounds")
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_column("attempt")
