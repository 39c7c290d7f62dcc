"""The one error hierarchy.  Every error carries a stable ``error_code`` and an HTTP status.

The server maps these to ``{"error_code", "message", "details"}`` in exactly one place
(``server/errors.py``); the SDK's HTTP transport maps the body back to the same class.

::

    TrackerError (500 internal_error)
    ├── InvalidInputError (400 invalid_input)
    │   ├── InvalidQueryError (400 invalid_query)          details: position, line, column
    │   ├── MalformedBodyError (400 malformed_json)
    │   ├── LimitExceededError (400 limit_exceeded)
    │   ├── InvalidArtifactPathError (400 invalid_artifact_path)    details: field, path
    │   └── ChecksumMismatchError (400 checksum_mismatch)           a part or blob body
    ├── AuthenticationError (401 unauthenticated)        no credential, or not a valid one
    ├── PermissionDeniedError (403 permission_denied)    the caller may not do this
    ├── TooManyAttemptsError (429 too_many_attempts)     failed logins: wait, then retry
    ├── ForbiddenOriginError (403 origin_not_allowed)    a write from a foreign web page
    ├── BodyTooLargeError (413 body_too_large)           details: field, limit
    ├── UnsupportedMediaTypeError (415 unsupported_media_type)  details: expected
    ├── ArtifactCorruptedError (422 digest_mismatch)         details: digest, paths
    ├── NotFoundError (404 not_found)
    │   ├── RunNotFoundError (404 run_not_found)
    │   ├── ProjectNotFoundError (404 project_not_found)
    │   ├── MetricNotFoundError (404 metric_not_found)
    │   ├── ArtifactNotFoundError (404 artifact_not_found)
    │   ├── UploadNotFoundError (404 upload_not_found)
    │   ├── UserNotFoundError (404 user_not_found)
    │   └── TokenNotFoundError (404 token_not_found)
    ├── ConflictError (409 conflict)
    │   ├── ParamConflictError (409 param_conflict)
    │   ├── RunKeyConflictError (409 run_key_conflict)
    │   ├── RunStateError (409 run_not_active)
    │   ├── UploadIncompleteError (409 upload_incomplete)   details: missing_parts
    │   ├── ArtifactPendingError (409 artifact_pending)     its content is not stored yet
    │   ├── ArtifactChangedError (409 artifact_changed)     a file changed before upload
    │   ├── RunSealedError (409 run_sealed)                 the run ended and was sealed
    │   ├── RecordChangedError (409 record_changed)         will not seal a changed record
    │   ├── RunDeletedError (409 run_deleted)               the id belonged to a deleted run
    │   ├── EnvironmentConflictError (409 environment_conflict)  it is write-once
    │   ├── DatasetChangedError (409 dataset_changed)       details: name, expected, actual
    │   ├── UserExistsError (409 user_exists)
    │   └── LastOwnerError (409 last_owner)                 a project keeps one owner
    ├── SchemaOutdatedError (503 schema_outdated)
    ├── BlobStoreError (503 blob_store_unavailable)      the artifact store cannot be reached
    ├── TransportError (503 unavailable)                  raised by the SDK, never by a server
    ├── SpoolWriteError (500 spool_write_failed)          the SDK cannot write its local spool
    └── ReproduceError (400 reproduce_failed)             raised by `labledger reproduce`
"""

from __future__ import annotations

from typing import Any, ClassVar


class TrackerError(Exception):
    error_code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = details or {}

    def to_dict(self) -> dict[str, Any]:
        return {"error_code": self.error_code, "message": self.message, "details": self.details}


class InvalidInputError(TrackerError):
    error_code = "invalid_input"
    http_status = 400


class InvalidQueryError(InvalidInputError):
    error_code = "invalid_query"


class MalformedBodyError(InvalidInputError):
    error_code = "malformed_json"


class LimitExceededError(InvalidInputError):
    error_code = "limit_exceeded"


class InvalidArtifactPathError(InvalidInputError):
    error_code = "invalid_artifact_path"


class ChecksumMismatchError(InvalidInputError):
    error_code = "checksum_mismatch"


class AuthenticationError(TrackerError):
    """No credential was presented, or it is unknown, expired or revoked."""

    error_code = "unauthenticated"
    http_status = 401


class PermissionDeniedError(TrackerError):
    """The caller is known but may not do this (details: action, and the resource)."""

    error_code = "permission_denied"
    http_status = 403


class TooManyAttemptsError(TrackerError):
    """Too many failed logins for this user or address: refused for a while (details:
    retry_after_s)."""

    error_code = "too_many_attempts"
    http_status = 429


class ForbiddenOriginError(TrackerError):
    """A state-changing request sent by a web page of another origin (cross-site)."""

    error_code = "origin_not_allowed"
    http_status = 403


class BodyTooLargeError(TrackerError):
    error_code = "body_too_large"
    http_status = 413


class UnsupportedMediaTypeError(TrackerError):
    error_code = "unsupported_media_type"
    http_status = 415


class ArtifactCorruptedError(TrackerError):
    """Bytes whose SHA-256 is not the one declared: never stored, never handed out."""

    error_code = "digest_mismatch"
    http_status = 422


class NotFoundError(TrackerError):
    error_code = "not_found"
    http_status = 404


class RunNotFoundError(NotFoundError):
    error_code = "run_not_found"


class ProjectNotFoundError(NotFoundError):
    error_code = "project_not_found"


class MetricNotFoundError(NotFoundError):
    error_code = "metric_not_found"


class ArtifactNotFoundError(NotFoundError):
    error_code = "artifact_not_found"


class UploadNotFoundError(NotFoundError):
    error_code = "upload_not_found"


class UserNotFoundError(NotFoundError):
    error_code = "user_not_found"


class TokenNotFoundError(NotFoundError):
    error_code = "token_not_found"


class ModelNotFoundError(NotFoundError):
    error_code = "model_not_found"


class ModelVersionNotFoundError(NotFoundError):
    error_code = "model_version_not_found"


class AliasNotFoundError(NotFoundError):
    error_code = "alias_not_found"


class DeploymentNotFoundError(NotFoundError):
    error_code = "deployment_not_found"


class ReferenceNotFoundError(NotFoundError):
    """A deployed version's run has no reference profile to compare production with."""

    error_code = "reference_not_found"


class LineageNodeNotFoundError(NotFoundError):
    error_code = "lineage_node_not_found"


class LoggedModelNotFoundError(NotFoundError):
    error_code = "logged_model_not_found"


class WebhookNotFoundError(NotFoundError):
    error_code = "webhook_not_found"


class ConflictError(TrackerError):
    error_code = "conflict"
    http_status = 409


class ParamConflictError(ConflictError):
    error_code = "param_conflict"


class RunKeyConflictError(ConflictError):
    error_code = "run_key_conflict"


class RunStateError(ConflictError):
    error_code = "run_not_active"


class UploadIncompleteError(ConflictError):
    error_code = "upload_incomplete"


class ArtifactPendingError(ConflictError):
    error_code = "artifact_pending"


class ArtifactChangedError(ConflictError):
    error_code = "artifact_changed"


class RunSealedError(ConflictError):
    error_code = "run_sealed"


class RecordChangedError(ConflictError):
    """Sealing refused: the record changed since the run ended, or cannot be shown not to."""

    error_code = "record_changed"


class RunDeletedError(ConflictError):
    """A run id that belonged to a deleted run (ids are never reused)."""

    error_code = "run_deleted"


class EnvironmentConflictError(ConflictError):
    error_code = "environment_conflict"


class DatasetChangedError(ConflictError):
    error_code = "dataset_changed"


class UserExistsError(ConflictError):
    error_code = "user_exists"


class LastOwnerError(ConflictError):
    """Removing or demoting the last owner of a project would leave nobody to manage it."""

    error_code = "last_owner"


class ProjectExistsError(ConflictError):
    error_code = "project_exists"


class ModelExistsError(ConflictError):
    error_code = "model_exists"


class GateFailedError(ConflictError):
    """A promotion the alias's policy refuses; ``details["gates"]`` names every gate."""

    error_code = "gate_failed"


class VersionInUseError(ConflictError):
    """A version an alias points at, or an environment serves, cannot be deleted."""

    error_code = "version_in_use"


class AlreadyApprovedError(ConflictError):
    error_code = "already_approved"


class SelfApprovalError(ConflictError):
    """The user who asked for a promotion cannot approve it."""

    error_code = "self_approval"


class BlobStoreError(TrackerError):
    error_code = "blob_store_unavailable"
    http_status = 503


class SchemaOutdatedError(TrackerError):
    error_code = "schema_outdated"
    http_status = 503


class TransportError(TrackerError):
    error_code = "unavailable"
    http_status = 503


class SpoolWriteError(TrackerError):
    """The SDK could not write its journal, spool or artifact spool (a full disk, a
    read-only folder); raised in the training thread by the spool policy."""

    error_code = "spool_write_failed"
    http_status = 500


class ReproduceError(TrackerError):
    error_code = "reproduce_failed"
    http_status = 400


def _all_subclasses(cls: type[TrackerError]) -> list[type[TrackerError]]:
    out = [cls]
    for sub in cls.__subclasses__():
        out.extend(_all_subclasses(sub))
    return out


def error_class_for(code: str) -> type[TrackerError]:
    """Reverse map used by the SDK: error_code -> class (TrackerError if unknown)."""
    for cls in _all_subclasses(TrackerError):
        if cls.error_code == code:
            return cls
    return TrackerError


def error_from_body(body: dict[str, Any]) -> TrackerError:
    cls = error_class_for(str(body.get("error_code", "")))
    details = body.get("details")
    return cls(str(body.get("message", "")), details=details if isinstance(details, dict) else {})
