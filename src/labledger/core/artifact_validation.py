"""Checks for artifact paths, digests and manifest entries (see docs/artifacts.md#paths)."""

from __future__ import annotations

import mimetypes
import re
from typing import Any

from labledger.core import limits
from labledger.core.entities import ArtifactEntry, ArtifactState
from labledger.core.errors import InvalidArtifactPathError, InvalidInputError, LimitExceededError
from labledger.core.validation import check_step, check_str, check_timestamp

_DIGEST_RE = re.compile(r"[0-9a-f]{64}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
# type/subtype with optional parameters (RFC 9110): tokens or quoted strings, and nothing
# a header could be split with (no CR, LF or other control characters)
_TOKEN = r"[\w.+-]+"
_MEDIA_TYPE_RE = re.compile(
    rf'{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|"[^"\x00-\x1f\x7f]*"))*', re.ASCII
)
DEFAULT_MEDIA_TYPE = "application/octet-stream"

# Python's built-in table only (the machine's /etc/mime.types would make the answer depend
# on the host: it calls .pt a "snesdev page table"), plus types ML outputs often have.
_MEDIA_TYPES = mimetypes.MimeTypes()
for _ext, _type in {
    ".log": "text/plain",
    ".md": "text/markdown",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".toml": "application/toml",
    ".jsonl": "application/x-ndjson",
    ".ndjson": "application/x-ndjson",
    ".tsv": "text/tab-separated-values",
    ".parquet": "application/vnd.apache.parquet",
    ".webp": "image/webp",
}.items():
    _MEDIA_TYPES.add_type(_type, _ext)


def media_type_for(path: str) -> str:
    """The media type of an artifact path, by extension; octet-stream when unknown."""
    guessed, _ = _MEDIA_TYPES.guess_type(path, strict=False)
    return guessed or DEFAULT_MEDIA_TYPE


def _bad_path(field: str, path: str, why: str) -> InvalidArtifactPathError:
    return InvalidArtifactPathError(
        f"{field} {path!r} is not a valid artifact path: {why}",
        details={"field": field, "path": path},
    )


def check_artifact_path(field: str, path: object, *, allow_empty: bool = False) -> str:
    """A relative, '/'-separated path without '.', '..', empty segments or control chars.

    ``allow_empty`` admits "" (the root) for listing and downloading whole trees; a trailing
    '/' is then ignored (after the length is checked: the limit is on what was sent).
    """
    if not isinstance(path, str):
        raise InvalidInputError(
            f"{field} must be a string, got {type(path).__name__}", details={"field": field}
        )
    if allow_empty:
        _check_path_length(field, path)
        path = path.rstrip("/")
        if not path:
            return ""
    if not path:
        raise _bad_path(field, path, "it is empty")
    _check_path_length(field, path)
    if _CONTROL_RE.search(path):
        raise _bad_path(field, path, "it contains NUL or another control character")
    if "\\" in path:
        raise _bad_path(field, path, "use '/' as the separator, not '\\'")
    if path.startswith("/"):
        raise _bad_path(field, path, "it must be relative, not absolute")
    for segment in path.split("/"):
        if segment in ("", ".", ".."):
            raise _bad_path(field, path, f"it has an empty, '.' or '..' segment ({segment!r})")
        if len(segment) > limits.MAX_ARTIFACT_SEGMENT:
            raise LimitExceededError(
                f"{field} has a segment of {len(segment)} characters; "
                f"the limit is {limits.MAX_ARTIFACT_SEGMENT}",
                details={"field": field, "limit": limits.MAX_ARTIFACT_SEGMENT, "path": path},
            )
    return path


def _check_path_length(field: str, path: str) -> None:
    if len(path) > limits.MAX_ARTIFACT_PATH:
        raise LimitExceededError(
            f"{field} is {len(path)} characters; the limit is {limits.MAX_ARTIFACT_PATH}",
            details={"field": field, "limit": limits.MAX_ARTIFACT_PATH, "path": path[:100]},
        )


def is_digest(value: object) -> bool:
    """A SHA-256 digest as LabLedger writes them: 64 lowercase hex characters."""
    return isinstance(value, str) and _DIGEST_RE.fullmatch(value) is not None


def check_digest(field: str, digest: object) -> str:
    if not isinstance(digest, str) or not _DIGEST_RE.fullmatch(digest):
        raise InvalidInputError(
            f"{field} must be a SHA-256 digest (64 lowercase hex characters), got {digest!r}",
            details={"field": field},
        )
    return digest


def check_size(field: str, size: object) -> int:
    if type(size) is not int or size < 0:
        raise InvalidInputError(
            f"{field} must be a non-negative integer, got {size!r}", details={"field": field}
        )
    if size > limits.MAX_ARTIFACT_SIZE:
        raise LimitExceededError(
            f"{field} is {size} bytes; the limit is {limits.MAX_ARTIFACT_SIZE}",
            details={"field": field, "limit": limits.MAX_ARTIFACT_SIZE},
        )
    return size


def check_media_type(field: str, value: object) -> str:
    text = check_str(field, value, limits.MAX_MEDIA_TYPE)
    if not _MEDIA_TYPE_RE.fullmatch(text):
        raise InvalidInputError(
            f"{field} {text!r} is not a media type like 'text/plain'", details={"field": field}
        )
    return text


def parse_artifact_entries(items: object) -> list[ArtifactEntry]:
    """Entries a client declares for a run, as wire objects or as ``ArtifactEntry`` (the
    embedded SDK), checked alike; a bad one rejects the whole request.  State and creation
    time are the server's: whatever an entry says of them is ignored."""
    if not isinstance(items, list):
        raise InvalidInputError("artifacts must be a list", details={"field": "artifacts"})
    if len(items) > limits.MAX_ARTIFACTS_PER_REQUEST:
        raise LimitExceededError(
            f"artifacts has {len(items)} entries; the limit is {limits.MAX_ARTIFACTS_PER_REQUEST}",
            details={"field": "artifacts", "limit": limits.MAX_ARTIFACTS_PER_REQUEST},
        )
    out: dict[str, ArtifactEntry] = {}
    for i, item in enumerate(items):
        if isinstance(item, ArtifactEntry):
            item = _declared(item)
        if not isinstance(item, dict):
            raise InvalidInputError(
                f"artifacts[{i}] must be an object", details={"field": f"artifacts[{i}]"}
            )
        out[check_artifact_path(f"artifacts[{i}].path", item.get("path"))] = _entry(i, item)
    return list(out.values())  # the last entry for a path wins, as a later log would


def _declared(entry: ArtifactEntry) -> dict[str, Any]:
    """The fields of an entry a client declares, as a wire object would carry them."""
    fields = entry.to_dict()
    return {k: fields[k] for k in _DECLARED if fields[k] is not None}


_DECLARED = ("path", "digest", "size", "media_type", "mtime_ms", "step")


def _entry(i: int, item: dict[str, Any]) -> ArtifactEntry:
    prefix = f"artifacts[{i}]"
    unknown = sorted(set(item) - set(_DECLARED))
    if unknown:
        raise InvalidInputError(
            f"{prefix} has unknown fields {unknown}", details={"field": f"{prefix}.{unknown[0]}"}
        )
    media_type = item.get("media_type")
    mtime = item.get("mtime_ms")
    step = item.get("step")
    if media_type is None:
        media_type = media_type_for(item["path"])
    return ArtifactEntry(
        path=item["path"],
        digest=check_digest(f"{prefix}.digest", item.get("digest")),
        size=check_size(f"{prefix}.size", item.get("size")),
        media_type=DEFAULT_MEDIA_TYPE
        if media_type is None
        else check_media_type(f"{prefix}.media_type", media_type),
        mtime_ms=None if mtime is None else check_timestamp(f"{prefix}.mtime_ms", mtime),
        step=None if step is None else check_step(f"{prefix}.step", step),
        state=ArtifactState.PENDING,
    )
