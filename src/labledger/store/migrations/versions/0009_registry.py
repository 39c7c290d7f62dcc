"""add the model registry: registered models and versions with their files and tags,
aliases and their history, policies, approvals, deployments, reference profiles, drift
points and alerts, webhooks and their delivery outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 22:08:05.322737
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alias_events",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("to_version", sa.Integer(), nullable=True),
        sa.Column("gates", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alias_events")),
    )
    with op.batch_alter_table("alias_events", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alias_events_model_id_alias_time_ms"),
            ["model_id", "alias", "time_ms"],
            unique=False,
        )

    op.create_table(
        "approvals",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("approver", sa.String(length=120), nullable=False),
        sa.Column("policy_digest", sa.String(length=64), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint(
            "model_id",
            "alias",
            "version_id",
            "approver",
            "policy_digest",
            name=op.f("uq_approvals_model_id_alias_version_id_approver_policy_digest"),
        ),
    )
    op.create_table(
        "deployments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("env", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deployments_model_id_env_time_ms"),
            ["model_id", "env", "time_ms"],
            unique=False,
        )
        batch_op.create_index(batch_op.f("ix_deployments_version_id"), ["version_id"], unique=False)

    op.create_table(
        "drift_alerts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("env", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.Column("features", sa.Text(), nullable=False),
        sa.Column("thresholds", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_alerts")),
    )
    with op.batch_alter_table("drift_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_drift_alerts_model_id_env_time_ms"),
            ["model_id", "env", "time_ms"],
            unique=False,
        )

    op.create_table(
        "drift_points",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("env", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("time_ms", sa.BigInteger(), nullable=False),
        sa.Column("feature", sa.String(length=250), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.Column("psi", sa.Float(precision=53), nullable=False),
        sa.Column("ks", sa.Float(precision=53), nullable=True),
        sa.Column("alert", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drift_points")),
    )
    with op.batch_alter_table("drift_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_drift_points_model_id_env_time_ms"),
            ["model_id", "env", "time_ms"],
            unique=False,
        )

    op.create_table(
        "model_aliases",
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("moved_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "alias", name=op.f("pk_model_aliases")),
    )
    with op.batch_alter_table("model_aliases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_aliases_version_id"), ["version_id"], unique=False
        )

    op.create_table(
        "model_policies",
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("alias", sa.String(length=64), nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "alias", name=op.f("pk_model_policies")),
    )
    op.create_table(
        "model_tags",
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("model_id", "key", name=op.f("pk_model_tags")),
    )
    op.create_table(
        "model_versions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("model_id", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("run_pk", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.String(length=32), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_model_versions")),
        sa.UniqueConstraint("model_id", "version", name=op.f("uq_model_versions_model_id_version")),
    )
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_model_versions_created_ms"), ["created_ms"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_model_versions_run_id"), ["run_id"], unique=False)

    op.create_table(
        "reference_profiles",
        sa.Column("run_pk", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column("feature", sa.String(length=250), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("run_pk", "name", "feature", name=op.f("pk_reference_profiles")),
    )
    op.create_table(
        "version_files",
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "path", name=op.f("pk_version_files")),
    )
    with op.batch_alter_table("version_files", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_version_files_digest"), ["digest"], unique=False)

    op.create_table(
        "version_tags",
        sa.Column("version_id", sa.BigInteger(), nullable=False),
        sa.Column("key", sa.String(length=250), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("version_id", "key", name=op.f("pk_version_tags")),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("webhook_id", sa.String(length=32), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_ms", sa.BigInteger(), nullable=False),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("sent_ms", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhook_deliveries")),
    )
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_state_next_attempt_ms"),
            ["state", "next_attempt_ms"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_webhook_deliveries_webhook_id_id"), ["webhook_id", "id"], unique=False
        )

    op.create_table(
        "webhooks",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("secret", sa.String(length=100), nullable=False),
        sa.Column("events", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_webhooks")),
    )
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhooks_project_id"), ["project_id"], unique=False)

    op.create_table(
        "registered_models",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("name", sa.String(length=250), nullable=False),
        sa.Column(
            "project_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_ms", sa.BigInteger(), nullable=False),
        sa.Column("updated_ms", sa.BigInteger(), nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["project_id"], ["projects.id"], name=op.f("fk_registered_models_project_id_projects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registered_models")),
        sa.UniqueConstraint("name", name=op.f("uq_registered_models_name")),
    )
    with op.batch_alter_table("registered_models", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_registered_models_project_id"), ["project_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("registered_models", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_registered_models_project_id"))

    op.drop_table("registered_models")
    with op.batch_alter_table("webhooks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhooks_project_id"))

    op.drop_table("webhooks")
    with op.batch_alter_table("webhook_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_webhook_id_id"))
        batch_op.drop_index(batch_op.f("ix_webhook_deliveries_state_next_attempt_ms"))

    op.drop_table("webhook_deliveries")
    op.drop_table("version_tags")
    with op.batch_alter_table("version_files", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_version_files_digest"))

    op.drop_table("version_files")
    op.drop_table("reference_profiles")
    with op.batch_alter_table("model_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_versions_run_id"))
        batch_op.drop_index(batch_op.f("ix_model_versions_created_ms"))

    op.drop_table("model_versions")
    op.drop_table("model_tags")
    op.drop_table("model_policies")
    with op.batch_alter_table("model_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_model_aliases_version_id"))

    op.drop_table("model_aliases")
    with op.batch_alter_table("drift_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drift_points_model_id_env_time_ms"))

    op.drop_table("drift_points")
    with op.batch_alter_table("drift_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_drift_alerts_model_id_env_time_ms"))

    op.drop_table("drift_alerts")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deployments_version_id"))
        batch_op.drop_index(batch_op.f("ix_deployments_model_id_env_time_ms"))

    op.drop_table("deployments")
    op.drop_table("approvals")
    with op.batch_alter_table("alias_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alias_events_model_id_alias_time_ms"))

    op.drop_table("alias_events")
