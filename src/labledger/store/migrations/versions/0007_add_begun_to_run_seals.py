"""add run_seals.begun: what a run held when it ended, written with the status change

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 07:31:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_seals") as batch:
        batch.add_column(sa.Column("begun", sa.Text(), nullable=True))
        batch.alter_column("parts", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM run_seals WHERE parts IS NULL")
    with op.batch_alter_table("run_seals") as batch:
        batch.alter_column("parts", existing_type=sa.Text(), nullable=False)
        batch.drop_column("begun")
