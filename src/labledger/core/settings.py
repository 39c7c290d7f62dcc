"""Settings: environment variables with the LABLEDGER_ prefix, overridable by arguments.

Nothing is read at import time; call ``Settings.from_env()``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_TRACKING_DIR = ".labledger"


@dataclass(frozen=True, slots=True)
class Settings:
    """Every setting; each field's metadata holds its environment variable and doc."""

    tracking_uri: str = field(
        default=DEFAULT_TRACKING_DIR,
        metadata={
            "env": "LABLEDGER_TRACKING_URI",
            "doc": "Where the SDK and CLI record runs: a folder (embedded store) or http(s)://.",
        },
    )
    db_uri: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_DB_URI",
            "doc": "SQLAlchemy URL of the metadata database for a server (sqlite:///… or "
            "postgresql+psycopg://…); default: SQLite inside the data directory.",
        },
    )
    data_dir: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_DATA_DIR",
            "doc": "Data directory of a server: holds labledger.db and artifacts by default.",
        },
    )
    token: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_TOKEN",
            "doc": "API token the SDK sends to a server (Authorization: Bearer).",
        },
    )
    spool_dir: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_SPOOL_DIR",
            "doc": "Where the SDK keeps its append-only spool; default: <store>/spool for a "
            "folder tracking URI, ~/.cache/labledger/spool for a server.",
        },
    )
    spool_fsync: bool = field(
        default=False,
        metadata={
            "env": "LABLEDGER_SPOOL_FSYNC",
            "doc": "fsync the spool after every batch (survives power loss, slower). Without it "
            "the spool survives a crash of the process, and is fsynced on flush/finish.",
        },
    )
    artifact_uri: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_ARTIFACT_URI",
            "doc": "Blob store of a server or embedded store: file:///folder or "
            "s3://bucket/prefix; default: the artifacts folder inside the data directory.",
        },
    )
    s3_endpoint_url: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_S3_ENDPOINT_URL",
            "doc": "Endpoint of an S3-compatible service (MinIO, Ceph, moto) for s3:// "
            "artifact URIs; credentials come from boto3's usual chain (AWS_* variables, files).",
        },
    )
    upload_threads: int = field(
        default=4,
        metadata={
            "env": "LABLEDGER_UPLOAD_THREADS",
            "doc": "Background threads the SDK uses to hash and upload artifacts.",
        },
    )
    heartbeat_timeout_s: int = field(
        default=600,
        metadata={
            "env": "LABLEDGER_HEARTBEAT_TIMEOUT_S",
            "doc": "A server marks runs `killed` (ended at their last heartbeat) when no writer "
            "has sent a batch or heartbeat for this many seconds; 0 turns it off. The SDK "
            "sends a heartbeat every 30 s while a run is open.",
        },
    )
    spool_errors: str = field(
        default="raise",
        metadata={
            "env": "LABLEDGER_SPOOL_ERRORS",
            "doc": "raise: a spool that cannot be written (disk full, permissions) raises "
            "SpoolWriteError at the next log() call; warn: only log a warning. Either way the "
            "records stay in memory (bounded) and the write is retried: nothing is dropped.",
        },
    )
    capture: str = field(
        default="all",
        metadata={
            "env": "LABLEDGER_CAPTURE",
            "doc": "What ll.init() records about the run's origin: all (default), none, parts "
            "from git, packages, system, container, ci, process (e.g. git,system), or all "
            "with some left out (all,-packages). Secrets are redacted first.",
        },
    )
    ci_run_key: bool = field(
        default=True,
        metadata={
            "env": "LABLEDGER_CI_RUN_KEY",
            "doc": "In CI (GitHub Actions, GitLab CI, Jenkins, Buildkite, CircleCI, Azure "
            "Pipelines), a run without run_key gets commit + pipeline + job + run name as its "
            "key, so a retried job resumes its run. false turns this off.",
        },
    )
    reproduction_of: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_REPRODUCTION_OF",
            "doc": "Set by `labledger reproduce` for the rerun: the new run is tagged "
            "labledger.reproduction_of=<run id> and ignores run_key (so it never resumes the "
            "original).",
        },
    )
    mode: str = field(
        default="online",
        metadata={
            "env": "LABLEDGER_MODE",
            "doc": "online: ll.init() needs the target; offline: record into the spool only, "
            "`labledger sync` creates the runs later with the same ids; fallback: go offline "
            "when the target cannot be reached at ll.init().",
        },
    )
    allowed_origins: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_ALLOWED_ORIGINS",
            "doc": "Web origins besides the server's own that may send state-changing "
            "requests (comma-separated, e.g. https://notebooks.example.org). A write whose "
            "Origin header names any other site is refused with 403 origin_not_allowed.",
        },
    )
    auth: bool = field(
        default=True,
        metadata={
            "env": "LABLEDGER_AUTH",
            "doc": "A server asks every request for a credential (token or UI session) and "
            "applies project roles. false (`labledger server --auth off`) is accepted only "
            "when the server listens on loopback.",
        },
    )
    oidc_issuer: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_OIDC_ISSUER",
            "doc": "OpenID Connect provider for UI logins (its issuer URL; discovery at "
            "/.well-known/openid-configuration). Users are created on first login.",
        },
    )
    oidc_client_id: str | None = field(
        default=None,
        metadata={"env": "LABLEDGER_OIDC_CLIENT_ID", "doc": "Client id at the OIDC provider."},
    )
    oidc_client_secret: str | None = field(
        default=None,
        metadata={
            "env": "LABLEDGER_OIDC_CLIENT_SECRET",
            "doc": "Client secret at the OIDC provider.",
        },
    )
    project: str = field(
        default="default",
        metadata={
            "env": "LABLEDGER_PROJECT",
            "doc": "Project used by ll.init() when none is given.",
        },
    )

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(f.metadata["env"])
            if raw is None or raw == "":
                continue
            if f.type == "bool":
                values[f.name] = raw.lower() in ("1", "true", "yes", "on")
            elif f.type == "int":
                try:
                    values[f.name] = int(raw)
                except ValueError:
                    raise ValueError(
                        f"{f.metadata['env']} must be an integer, got {raw!r}"
                    ) from None
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def origins(self) -> frozenset[str]:
        """``allowed_origins`` as a set of ``scheme://host[:port]`` strings."""
        raw = self.allowed_origins or ""
        return frozenset(o.strip().rstrip("/").lower() for o in raw.split(",") if o.strip())

    @property
    def is_remote(self) -> bool:
        return self.tracking_uri.startswith(("http://", "https://"))

    def local_dir(self) -> Path:
        """The folder of an embedded store (tracking URI or data dir), as an absolute path."""
        raw = self.data_dir if self.data_dir else self.tracking_uri
        if raw.startswith("file://"):
            raw = raw[len("file://") :]
        return Path(raw).expanduser().resolve()

    def artifact_location(self) -> str:
        """The blob store URI: the setting, or file:// <local dir>/artifacts."""
        if self.artifact_uri:
            return self.artifact_uri
        return (self.local_dir() / "artifacts").as_uri()
