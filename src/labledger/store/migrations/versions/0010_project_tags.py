"""add project tags and a restorable deleted mark on projects (MLflow's experiment tags and
lifecycle, for the MLflow door), and MLflow 3's logged models

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 02:25:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        batch.add_column(sa.Column("deleted_ms", sa.BigInteger(), nullable=True))
    op.create_table(
        "project_tags",
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("project_id", "key"),
    )

    op.create_table(
        "logged_models",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("model_type", sa.String(length=250), nullable=False),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("tags", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(op.f("ix_logged_models_run_id"), "logged_models", ["run_id"])
    op.create_index(op.f("ix_logged_models_project_id"), "logged_models", ["project_id"])


def downgrade() -> None:
    op.drop_table("logged_models")
    op.drop_table("project_tags")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("deleted_ms")
