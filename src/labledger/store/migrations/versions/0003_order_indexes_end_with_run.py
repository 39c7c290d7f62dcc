"""order indexes end with the run, so ordering by a metric or param needs no sort of ties

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 08:30:00
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("latest_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_latest_metrics_project_id_key_id_value")
        batch_op.create_index(
            "ix_latest_metrics_project_id_key_id_value_run_pk",
            ["project_id", "key_id", "value", "run_pk"],
        )
    with op.batch_alter_table("params", schema=None) as batch_op:
        batch_op.drop_index("ix_params_project_id_key_value_num")
        batch_op.create_index(
            "ix_params_project_id_key_value_num_run_pk",
            ["project_id", "key", "value_num", "run_pk"],
        )


def downgrade() -> None:
    with op.batch_alter_table("params", schema=None) as batch_op:
        batch_op.drop_index("ix_params_project_id_key_value_num_run_pk")
        batch_op.create_index(
            "ix_params_project_id_key_value_num", ["project_id", "key", "value_num"]
        )
    with op.batch_alter_table("latest_metrics", schema=None) as batch_op:
        batch_op.drop_index("ix_latest_metrics_project_id_key_id_value_run_pk")
        batch_op.create_index(
            "ix_latest_metrics_project_id_key_id_value", ["project_id", "key_id", "value"]
        )
