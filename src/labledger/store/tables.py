"""Table definitions (SQLAlchemy Core).  Changes here need an Alembic revision.

Metric rows are compact: integer run and key ids, no repeated strings.  NaN is stored as
NULL (SQLite cannot store NaN) and read back as NaN; values are otherwise never NULL.
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

# the registry's tables (store/registry_tables.py) join the same metadata: importing this
# module gives every table
from labledger.store import registry_tables as _registry_tables  # noqa: F401
from labledger.store.metadata import PkInt as PkInt
from labledger.store.metadata import metadata as metadata

projects = Table(
    "projects",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("name", String(250), nullable=False, unique=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("default_role", String(16), nullable=True),  # every signed-in user's role here
    Column("deleted_ms", BigInteger, nullable=True),  # MLflow's "deleted" experiment, restorable
)

# MLflow 3's logged models: a model's files live with its run (artifacts under
# models/<id>/); this row holds what MLflow keeps beside them.
logged_models = Table(
    "logged_models",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("run_id", String(32), nullable=False),
    Column("project_id", PkInt, ForeignKey("projects.id"), nullable=False),
    Column("name", String(250), nullable=False),
    Column("model_type", String(250), nullable=False),
    Column("status", String(40), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("updated_ms", BigInteger, nullable=False),
    Column("params", Text, nullable=False),  # canonical JSON object
    Column("tags", Text, nullable=False),  # canonical JSON object
    Index(None, "run_id"),
    Index(None, "project_id"),
)

# A project's tags (MLflow's experiment tags).
project_tags = Table(
    "project_tags",
    metadata,
    Column("project_id", PkInt, ForeignKey("projects.id"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    PrimaryKeyConstraint("project_id", "key"),
)

runs = Table(
    "runs",
    metadata,
    Column("pk", PkInt, primary_key=True, autoincrement=True),
    Column("id", String(32), nullable=False, unique=True),
    Column("project_id", PkInt, ForeignKey("projects.id"), nullable=False),
    Column("name", String(250), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_ms", BigInteger, nullable=False),
    Column("end_ms", BigInteger, nullable=True),
    Column("user_name", String(250), nullable=True),
    Column("parent_id", String(32), nullable=True),
    Column("group_name", String(250), nullable=True),
    Column("notes", Text, nullable=True),
    Column("run_key", String(500), nullable=True),
    Column("heartbeat_ms", BigInteger, nullable=True),
    Column("writers", Integer, nullable=False, server_default="0"),  # open SDK sessions
    Column("seal_hash", String(64), nullable=True),  # set once, when the run ends
    Column("sealed_ms", BigInteger, nullable=True),
    UniqueConstraint("project_id", "run_key"),
    Index(None, "project_id", "start_ms"),
    Index(None, "parent_id"),
)

metric_keys = Table(
    "metric_keys",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("name", String(250), nullable=False, unique=True),
)

metric_points = Table(
    "metric_points",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("key_id", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("value", Float(53), nullable=True),
    Index(None, "run_pk", "key_id", "step"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("key_id", BigInteger, nullable=False),
    Column("project_id", BigInteger, nullable=False),
    Column("step", BigInteger, nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("value", Float(53), nullable=True),
    PrimaryKeyConstraint("run_pk", "key_id"),
    # ordered by value then run: "order by metric, page" reads this index and nothing else
    Index(None, "project_id", "key_id", "value", "run_pk"),
)

params = Table(
    "params",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    Column("value_num", Float(53), nullable=True),
    Column("project_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_pk", "key"),
    Index(None, "project_id", "key", "value_num", "run_pk"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("key", String(250), nullable=False),
    Column("value", Text, nullable=False),
    Column("project_id", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_pk", "key"),
    Index(None, "project_id", "key"),
)

ingested_batches = Table(
    "ingested_batches",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("batch_id", String(200), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_pk", "batch_id"),
)

# -- artifacts -------------------------------------------------------------------------------
# A run's manifest: logical path -> content.  state: pending until the blob is stored.
artifacts = Table(
    "artifacts",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("path", String(1000), nullable=False),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(200), nullable=False),
    Column("mtime_ms", BigInteger, nullable=True),
    Column("step", BigInteger, nullable=True),
    Column("state", String(8), nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_pk", "path"),
    Index(None, "digest"),
)

# Stored, verified blobs.  last_ref_ms: last time a manifest entry pointed at it (GC grace).
blobs = Table(
    "blobs",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    Column("last_ref_ms", BigInteger, nullable=False),
)

# Resumable multipart uploads, one per content while it is being uploaded.
uploads = Table(
    "uploads",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("digest", String(64), nullable=False, unique=True),
    Column("size", BigInteger, nullable=False),
    Column("part_size", BigInteger, nullable=False),
    Column("store_state", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

upload_parts = Table(
    "upload_parts",
    metadata,
    Column("upload_id", String(32), nullable=False),
    Column("part_number", Integer, nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    PrimaryKeyConstraint("upload_id", "part_number"),
)


# -- provenance ------------------------------------------------------------------------------
# The environment captured at init: one canonical JSON document per run, write-once.
run_environments = Table(
    "run_environments",
    metadata,
    Column("run_pk", BigInteger, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("document", Text, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
)

# Dataset versions: one row per content digest, whoever logged it.
dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("files", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=True),
    Column("format", String(32), nullable=True),
    Column("schema", Text, nullable=True),  # JSON: [[column, type], ...]
    Column("first_seen_ms", BigInteger, nullable=False),
)

# A run's use of a dataset version under a name and role (training, validation, …).
run_datasets = Table(
    "run_datasets",
    metadata,
    Column("run_pk", BigInteger, nullable=False),
    Column("name", String(250), nullable=False),
    Column("role", String(64), nullable=False),
    Column("uri", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("project_id", BigInteger, nullable=False),
    Column("created_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("run_pk", "name", "role"),
    Index(None, "project_id", "digest"),
    Index(None, "project_id", "name"),
)

# What a seal covered: each part's digest, so verify can name the part that changed.
run_seals = Table(
    "run_seals",
    metadata,
    Column("run_pk", BigInteger, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("parts", Text, nullable=True),  # JSON: {part: digest}; NULL until hashed
    # JSON: the parts that are quick to compute, and a summary of the metric history, taken
    # in the transaction that ended the run: an interrupted seal is completed only if the
    # record still matches them
    Column("begun", Text, nullable=True),
)

# Deleted runs: the id is never reused, and a sealed run's seal outlives it.
run_tombstones = Table(
    "run_tombstones",
    metadata,
    Column("run_id", String(32), primary_key=True),
    Column("project", String(250), nullable=False),
    Column("status", String(16), nullable=False),
    Column("seal_hash", String(64), nullable=True),
    Column("seal_parts", Text, nullable=True),  # JSON, as run_seals.parts
    Column("deleted_ms", BigInteger, nullable=False),
    Column("reason", Text, nullable=True),
    Column("deleted_by", String(100), nullable=True),  # the actor, from the audit log
)

# Changes a sealed run may still take (annotation tags, notes), each one recorded.
run_annotations = Table(
    "run_annotations",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("run_pk", BigInteger, nullable=False),
    Column("field", String(260), nullable=False),  # "notes" or "tags.<key>"
    Column("old_value", Text, nullable=True),
    Column("new_value", Text, nullable=True),
    Column("changed_ms", BigInteger, nullable=False),
    Index(None, "run_pk"),
)

# Fields a project requires of its runs (metadata completeness).
project_requirements = Table(
    "project_requirements",
    metadata,
    Column("project_id", BigInteger, nullable=False),
    Column("field", String(260), nullable=False),
    PrimaryKeyConstraint("project_id", "field"),
)


# -- who did what: users, their tokens and sessions, project roles, the audit log ----------
users = Table(
    "users",
    metadata,
    Column("id", PkInt, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # user | service
    Column("is_admin", Boolean, nullable=False, server_default="0"),
    Column("disabled_ms", BigInteger, nullable=True),
    Column("password_hash", Text, nullable=True),  # argon2id; NULL: no password login
    Column("oidc_subject", String(500), nullable=True, unique=True),  # issuer + sub
    Column("created_ms", BigInteger, nullable=False),
)

# API tokens, one-time login links and UI sessions; only a SHA-256 of each secret is kept.
tokens = Table(
    "tokens",
    metadata,
    Column("id", String(32), primary_key=True),  # public, for ls and revoke
    Column("user_id", PkInt, ForeignKey("users.id"), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),  # api | login | session
    Column("scope", String(16), nullable=False),  # read | write | admin
    Column("label", String(200), nullable=True),
    Column("created_ms", BigInteger, nullable=False),
    Column("expires_ms", BigInteger, nullable=True),
    Column("last_used_ms", BigInteger, nullable=True),
    Column("revoked_ms", BigInteger, nullable=True),
    Index(None, "user_id"),
)

project_members = Table(
    "project_members",
    metadata,
    Column("project_id", PkInt, ForeignKey("projects.id"), nullable=False),
    Column("user_id", PkInt, ForeignKey("users.id"), nullable=False),
    Column("role", String(16), nullable=False),  # viewer | editor | maintainer | owner
    Column("added_ms", BigInteger, nullable=False),
    PrimaryKeyConstraint("project_id", "user_id"),
    Index(None, "user_id"),
)

# Every change, one row each, chained by hash (core/audit_chain.py).  ``seq`` is given by
# the single row of audit_head, which every audited transaction updates (and so locks).
audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("time_ms", BigInteger, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("actor_id", BigInteger, nullable=True),
    Column("action", String(64), nullable=False),
    Column("target", String(600), nullable=False),
    Column("project", String(250), nullable=True),
    Column("run_id", String(32), nullable=True),
    Column("details", Text, nullable=False),  # JSON
    Column("request_id", String(64), nullable=True),
    Column("address", String(64), nullable=True),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Index(None, "project", "seq"),
    Index(None, "run_id", "seq"),
    Index(None, "actor", "seq"),
)

audit_head = Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

# Bumped in the transaction of every change that can take access away (a token revoked, a
# user disabled, a role changed): server processes cache credentials and roles and drop
# them when they see it move (services/access_cache.py).
auth_generation = Table(
    "auth_generation",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("generation", BigInteger, nullable=False),
)
