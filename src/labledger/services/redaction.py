"""Credentials are never stored, whoever sends them.

The SDK redacts config, params, tags and notes before they leave the training process; these
functions apply the same rules (``labledger.core.secrets``) again in the services, for
clients that are not the SDK (curl, scripts, other SDKs).  The rules are idempotent, so what
the SDK already redacted is stored unchanged, and deterministic, so a retried write is the
same write (write-once params stay idempotent; a conflict is still a conflict).

Run names, groups, users and run keys are identifiers, not secret-bearing fields, and are
stored as sent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from labledger.core.entities import Batch, RunCreate, RunUpdate
from labledger.core.secrets import redact_fields, redact_value
from labledger.core.validation import check_params, check_tags


def _fields(values: Any) -> Any:
    # anything but a mapping is left for validation to refuse
    return redact_fields(values) if isinstance(values, Mapping) and values else values


def _text(value: Any) -> Any:
    return redact_value(value) if isinstance(value, str) and value else value


def redact_create(spec: RunCreate) -> RunCreate:
    """A run's params, tags and notes as they may be stored (validated afterwards)."""
    if not (spec.params or spec.tags or spec.notes):
        return spec
    return dataclasses.replace(
        spec, params=_fields(spec.params), tags=_fields(spec.tags), notes=_text(spec.notes)
    )


def redact_batch(batch: Batch) -> Batch:
    """A batch's params and tags as they may be stored (metrics are numbers; the environment
    was redacted where it was captured)."""
    if not (batch.params or batch.tags):
        return batch
    params, tags = _fields(batch.params), _fields(batch.tags)
    if params == batch.params and tags == batch.tags:
        return batch
    # "[REDACTED]" can be longer than what it replaced: the limits hold for what is stored
    return dataclasses.replace(
        batch, params=check_params("params", params), tags=check_tags("tags", tags)
    )


def redact_update(change: RunUpdate) -> RunUpdate:
    """Notes as they may be stored (validated afterwards)."""
    if not change.notes:
        return change
    return dataclasses.replace(change, notes=_text(change.notes))
