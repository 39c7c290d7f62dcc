"""provenance: environments, datasets, seals, annotations, project requirements

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("writers", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("seal_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("sealed_ms", sa.BigInteger(), nullable=True))
    op.create_table(
        "run_environments",
        sa.Column("run_pk", sa.BigInteger(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_pk", name=op.f("pk_run_environments")),
    )
    op.create_table(
        "dataset_versions",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("files", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.BigInteger(), nullable=True),
        sa.Column("format", sa.String(length=32), nullable=True),
        sa.Column("schema", sa.Text(), nullable=True),
        sa.Column("first_seen_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_dataset_versions")),
    )
    op.create_table(
        "run_datasets",
        sa.Column("run_pk", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("role", sa.String(length=64), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_pk", "name", "role", name=op.f("pk_run_datasets")),
    )
    op.create_index(
        op.f("ix_run_datasets_project_id_digest"), "run_datasets", ["project_id", "digest"]
    )
    op.create_index(op.f("ix_run_datasets_project_id_name"), "run_datasets", ["project_id", "name"])
    op.create_table(
        "run_seals",
        sa.Column("run_pk", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("parts", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("run_pk", name=op.f("pk_run_seals")),
    )
    op.create_table(
        "run_annotations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_pk", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=260), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_annotations")),
    )
    op.create_index(op.f("ix_run_annotations_run_pk"), "run_annotations", ["run_pk"])
    op.create_table(
        "project_requirements",
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("field", sa.String(length=260), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "field", name=op.f("pk_project_requirements")),
    )


def downgrade() -> None:
    op.drop_table("project_requirements")
    op.drop_index(op.f("ix_run_annotations_run_pk"), table_name="run_annotations")
    op.drop_table("run_annotations")
    op.drop_table("run_seals")
    op.drop_index(op.f("ix_run_datasets_project_id_name"), table_name="run_datasets")
    op.drop_index(op.f("ix_run_datasets_project_id_digest"), table_name="run_datasets")
    op.drop_table("run_datasets")
    op.drop_table("dataset_versions")
    op.drop_table("run_environments")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("sealed_ms")
        batch.drop_column("seal_hash")
        batch.drop_column("writers")
