"""a training function's test evaluation: its test metrics, and no sample counts

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:10:00.000000

``hpsearch evaluate`` runs a training function's own test evaluation (the function's
``test`` hook) when the study trains one. What it measures is a JSON object of named
metrics in ``evaluations.test_metrics`` (NULL for the book network's evaluations, as
every one before); such an evaluation has no ``train_samples`` or ``test_samples``
of hpsearch's to tell, so those columns may now be NULL. Nothing stored changes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.alter_column("train_samples", existing_type=sa.Integer(), nullable=True)
        batch.alter_column("test_samples", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("test_metrics", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("evaluations") as batch:
        batch.drop_column("test_metrics")
        batch.alter_column("test_samples", existing_type=sa.Integer(), nullable=False)
        batch.alter_column("train_samples", existing_type=sa.Integer(), nullable=False)
