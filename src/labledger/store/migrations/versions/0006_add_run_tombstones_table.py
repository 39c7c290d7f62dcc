"""add run_tombstones: a deleted run leaves its id, project, status and seal behind

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 07:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run_tombstones",
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("project", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seal_hash", sa.String(length=64), nullable=True),
        sa.Column("seal_parts", sa.Text(), nullable=True),
        sa.Column("deleted_ms", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_run_tombstones")),
    )


def downgrade() -> None:
    op.drop_table("run_tombstones")
