"""add project_id to tags, for per-project tag key listing

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 07:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.add_column(sa.Column("project_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE tags SET project_id = (SELECT runs.project_id FROM runs WHERE runs.pk = tags.run_pk)"
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.alter_column("project_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_index(batch_op.f("ix_tags_project_id_key"), ["project_id", "key"])


def downgrade() -> None:
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_project_id_key"))
        batch_op.drop_column("project_id")
