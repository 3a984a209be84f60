"""a round's sampler and its batch

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 21:00:00.000000

A round samples its trials at random (``random``, as every round before) or learns
from the trials before each one (``tpe``): ``rounds.sampler`` names it, and
``rounds.sampler_batch`` holds its batch, the number of trials that learn from the same
earlier ones. Nothing stored changes: every existing round reads as ``random``.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.add_column(
            sa.Column("sampler", sa.String(length=20), nullable=False, server_default="random")
        )
        batch.add_column(
            sa.Column("sampler_batch", sa.Integer(), nullable=False, server_default="10")
        )


def downgrade() -> None:
    with op.batch_alter_table("rounds") as batch:
        batch.drop_column("sampler_batch")
        batch.drop_column("sampler")
