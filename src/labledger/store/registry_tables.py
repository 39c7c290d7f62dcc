"""The registry's tables (on the shared metadata of ``store/tables.py``): registered models and
versions, aliases with their history, policies and approvals, deployments, reference
profiles and production drift, and the webhook outbox.  Changes need an Alembic revision.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from labledger.store.metadata import PkInt, metadata

registered_models = Table(
    "registered_models",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("name", String(250), nullable=False, unique=True),
    Column("project_id", PkInt, ForeignKey("projects.id"), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("created_by", String(120), nullable=False),
    Index(None, "project_id"),
)

model_tags = Table(
    "model_tags",
    metadata,
    Column("model_id", BigInteger, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("model_id", "key"),
)

# A version is pinned by the digests of its path's files when it was registered
# (``version_files``; ``digest``: the hash of that list).
model_versions = Table(
    "model_versions",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_pk", BigInteger, nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("path", String(1000), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("description", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("created_by", String(120), nullable=False),
    UniqueConstraint("model_id", "version"),
    Index(None, "run_id"),
    Index(None, "created_ms"),
)

# Blob GC keeps every digest named here, whatever became of the run's own manifest.
version_files = Table(
    "version_files",
    metadata,
    Column("version_id", BigInteger, nullable=False),
    Column("path", String(1000), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    PrimaryKeyConstraint("version_id", "path"),
    Index(None, "digest"),
)

version_tags = Table(
    "version_tags",
    metadata,
    Column("version_id", BigInteger, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("version_id", "key"),
)

model_aliases = Table(
    "model_aliases",
    metadata,
    Column("model_id", BigInteger, nullable=False),
    Column("alias", String(64), nullable=False),
    Column("version_id", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("moved_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("model_id", "alias"),
    Index(None, "version_id"),
)

# Every decision on an alias: promote, refuse, rollback, unset; with the gates' results.
alias_events = Table(
    "alias_events",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, nullable=False),
    Column("alias", String(64), nullable=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("kind", String(16), nullable=False),
    Column("from_version", Integer, nullable=True),
    Column("to_version", Integer, nullable=True),
    Column("gates", Text, nullable=False),  # JSON list of gate results
    Index(None, "model_id", "alias", "time_ms"),
)

# A model's policies: one per alias; alias '' is the model's own (drift thresholds).
model_policies = Table(
    "model_policies",
    metadata,
    Column("model_id", BigInteger, nullable=False),
    Column("alias", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("updated_by", String(120), nullable=False),
    PrimaryKeyConstraint("model_id", "alias"),
)

# An approval counts for one version, one alias and the policy it was given under.
approvals = Table(
    "approvals",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, nullable=False),
    Column("alias", String(64), nullable=False),
    Column("version_id", BigInteger, nullable=False),
    Column("approver", String(120), nullable=False),
    Column("policy_digest", String(64), nullable=False),
    Column("time_ms", BigInteger, nullable=False),
    UniqueConstraint("model_id", "alias", "version_id", "approver", "policy_digest"),
)

deployments = Table(
    "deployments",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, nullable=False),
    Column("env", String(64), nullable=False),
    Column("version_id", BigInteger, nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("url", Text, nullable=True),
    Column("note", Text, nullable=True),
    Column("time_ms", BigInteger, nullable=False),
    Column("actor", String(120), nullable=False),
    Index(None, "model_id", "env", "time_ms"),
    Index(None, "version_id"),
)

# A run's reference profiles: binned histograms and statistics, never rows (core/drift.py).
reference_profiles = Table(
    "reference_profiles",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("name", String(250), nullable=False),
    Column("feature", String(250), nullable=False),
    Column("profile", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_pk", "name", "feature"),
)

# One row per feature per production batch (window) of a deployment.
drift_points = Table(
    "drift_points",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, nullable=False),
    Column("env", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("feature", String(250), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("psi", Float(53), nullable=False),
    Column("ks", Float(53), nullable=True),
    Column("alert", Boolean, nullable=False),
    Index(None, "model_id", "env", "time_ms"),
)

drift_alerts = Table(
    "drift_alerts",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("model_id", BigInteger, nullable=False),
    Column("env", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("run_id", String(32), nullable=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("features", Text, nullable=False),  # JSON {feature: {psi, ks, count}}
    Column("thresholds", Text, nullable=False),  # JSON {psi, ks}
    Index(None, "model_id", "env", "time_ms"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("project_id", BigInteger, nullable=False),
    Column("url", Text, nullable=False),
    Column("secret", String(100), nullable=False),  # signs deliveries; shown once
    Column("events", Text, nullable=False),  # JSON list
    Column("created_ms", BigInteger, nullable=False),
    Column("created_by", String(120), nullable=False),
    Index(None, "project_id"),
)

# The outbox: written in the transaction of the event, sent at least once by the sender.
webhook_deliveries = Table(
    "webhook_deliveries",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("webhook_id", String(32), nullable=False),
    Column("event", String(64), nullable=False),
    Column("payload", Text, nullable=False),
    Column("state", String(16), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_ms", BigInteger, nullable=False),
    Column("last_status", Integer, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("sent_ms", BigInteger, nullable=True),
    Index(None, "state", "next_attempt_ms"),
    Index(None, "webhook_id", "id"),
)
