"""conditional parameters: a round's domain may say when its parameter applies

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 17:00:00.000000

``round_domains`` gains ``condition_parent`` and ``condition_values`` (a JSON list): a
parameter with a condition applies only to the trials whose ``condition_parent`` took one
of ``condition_values``; a trial it does not apply to has no ``trial_params`` row for it.
Both columns are NULL for an unconditional parameter, so every round stored before this
revision reads as it did: each of its parameters applies to every trial.

The columns are added with ``ALTER TABLE ... ADD COLUMN``, not by copying the table. A
downgrade drops them, and refuses while a round holds a condition: revision 0005 has no
way to say that a parameter applied to only some trials.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hpsearch.errors import StoreError

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("round_domains", sa.Column("condition_parent", sa.String(50), nullable=True))
    op.add_column("round_domains", sa.Column("condition_values", sa.Text(), nullable=True))


def downgrade() -> None:
    held = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM round_domains WHERE condition_parent IS NOT NULL")
    )
    if held:
        raise StoreError(
            f"{held} round domain(s) hold a condition, which revision 0005 cannot keep: "
            "not downgraded"
        )
    op.execute("ALTER TABLE round_domains DROP COLUMN condition_values")
    op.execute("ALTER TABLE round_domains DROP COLUMN condition_parent")
