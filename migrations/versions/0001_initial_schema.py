"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 03:15:20.790196
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "studies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("dataset", sa.String(length=50), nullable=False),
        sa.Column("train_size", sa.Integer(), nullable=True),
        sa.Column("val_fraction", sa.Double(), nullable=False),
        sa.Column("epochs", sa.Integer(), nullable=False),
        sa.Column("batch_size", sa.Integer(), nullable=False),
        sa.Column("hidden_sizes", sa.String(length=200), nullable=False),
        sa.Column("activation", sa.String(length=20), nullable=False),
        sa.Column("weight_init", sa.String(length=20), nullable=False),
        sa.Column("optimizer", sa.String(length=20), nullable=False),
        sa.Column("batchnorm", sa.Boolean(), nullable=False),
        sa.Column("dropout", sa.Double(), nullable=False),
        sa.Column("dtype", sa.String(length=10), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("study_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("lr_low", sa.Double(), nullable=False),
        sa.Column("lr_high", sa.Double(), nullable=False),
        sa.Column("weight_decay_low", sa.Double(), nullable=False),
        sa.Column("weight_decay_high", sa.Double(), nullable=False),
        sa.Column("n_trials", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("top_k", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["rounds.id"],
        ),
        sa.ForeignKeyConstraint(["study_id"], ["studies.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("study_id", "number"),
    )
    op.create_table(
        "trials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("lr", sa.Double(), nullable=False),
        sa.Column("weight_decay", sa.Double(), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("worker", sa.String(length=200), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("heartbeat_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("epochs_run", sa.Integer(), nullable=False),
        sa.Column("val_accuracy", sa.Double(), nullable=True),
        sa.Column("best_val_accuracy", sa.Double(), nullable=True),
        sa.Column("best_epoch", sa.Integer(), nullable=True),
        sa.Column("train_accuracy", sa.Double(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["rounds.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "number"),
    )
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_trials_round_id"), ["round_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_trials_status"), ["status"], unique=False)

    op.create_table(
        "epoch_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("trial_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("train_accuracy", sa.Double(), nullable=False),
        sa.Column("val_accuracy", sa.Double(), nullable=False),
        sa.Column("train_loss", sa.Double(), nullable=False),
        sa.Column("val_loss", sa.Double(), nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.ForeignKeyConstraint(["trial_id"], ["trials.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("trial_id", "epoch"),
    )


def downgrade() -> None:
    op.drop_table("epoch_metrics")
    with op.batch_alter_table("trials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trials_status"))
        batch_op.drop_index(batch_op.f("ix_trials_round_id"))

    op.drop_table("trials")
    op.drop_table("rounds")
    op.drop_table("studies")
