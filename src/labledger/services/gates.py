"""Promotion gates: a policy (``core/registry.py``) judged against a candidate version, the
versions other aliases point at, and the approvals given.  Every gate is judged (not only up
to the first failure) so that a refusal names all that is missing, with the values compared.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from labledger.core.entities import DatasetRef, Run
from labledger.core.registry import MetricGate, Policy
from labledger.services.completeness import missing_fields


@dataclass(frozen=True, slots=True)
class Candidate:
    """What the gates look at of one version: its number, run, environment and datasets."""

    version: int
    run: Run | None
    environment: dict[str, Any] | None
    datasets: list[DatasetRef]


@dataclass(frozen=True, slots=True)
class GateResult:
    gate: str  # require | metrics | approvals | clean_commit | sealed
    rule: str
    passed: bool
    message: str
    actual: Any = None
    expected: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "rule": self.rule,
            "passed": self.passed,
            "message": self.message,
            "actual": _json_number(self.actual),
            "expected": _json_number(self.expected),
        }


def _json_number(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)  # "nan", "inf": JSON has no such numbers
    return value


def evaluate(
    policy: Policy,
    candidate: Candidate,
    holders: dict[str, Candidate | None],
    approvers: list[str],
    requester: str,
) -> list[GateResult]:
    results = [_require(field, candidate) for field in policy.require]
    results += [_metric(gate, candidate, holders) for gate in policy.metrics]
    if policy.approvals:
        counted = sorted({a for a in approvers if a != requester})
        results.append(
            GateResult(
                "approvals",
                f"approvals: {policy.approvals}",
                len(counted) >= policy.approvals,
                f"{len(counted)} of {policy.approvals} approvals from others than {requester}"
                + (f" ({', '.join(counted)})" if counted else ""),
                actual=counted,
                expected=policy.approvals,
            )
        )
    if policy.clean_commit:
        results.append(_clean_commit(candidate))
    if policy.sealed:
        sealed = candidate.run is not None and candidate.run.seal_hash is not None
        results.append(
            GateResult(
                "sealed",
                "sealed: true",
                sealed,
                "the source run is sealed" if sealed else "the source run is not sealed yet",
                actual=sealed,
                expected=True,
            )
        )
    return results


def failed(results: list[GateResult]) -> list[GateResult]:
    return [r for r in results if not r.passed]


def _require(field: str, candidate: Candidate) -> GateResult:
    run = candidate.run
    head, _, rest = field.partition(".")
    if run is None:
        ok = False
    elif head == "datasets" and rest:  # by name or by role (training, validation, ...)
        ok = any(d.name == rest or d.role == rest for d in candidate.datasets)
    else:
        ok = not missing_fields([field], run, candidate.environment, candidate.datasets)
    return GateResult(
        "require",
        f"require: {field}",
        ok,
        f"{field} is present" if ok else f"{field} is missing from the source run",
        actual=ok,
        expected=True,
    )


def _metric(
    gate: MetricGate, candidate: Candidate, holders: dict[str, Candidate | None]
) -> GateResult:
    value = candidate.run.metrics.get(gate.metric) if candidate.run else None
    if value is None:
        return GateResult(
            "metrics",
            gate.text,
            False,
            f"v{candidate.version} has no metric {gate.metric!r}",
            expected=gate.text,
        )
    if gate.number is not None:
        right = gate.number
        ok = gate.compare(value, right)
        return GateResult(
            "metrics",
            gate.text,
            ok,
            f"{gate.metric} is {value!r}, needs {gate.op} {right!r}",
            actual=value,
            expected=right,
        )
    assert gate.alias is not None and gate.other is not None
    holder = holders.get(gate.alias)
    if holder is None:
        return GateResult(
            "metrics",
            gate.text,
            True,
            f"{gate.alias} points at no version yet: nothing to compare with",
            actual=value,
        )
    other = holder.run.metrics.get(gate.other) if holder.run else None
    if other is None:
        return GateResult(
            "metrics",
            gate.text,
            False,
            f"{gate.alias} (v{holder.version}) has no metric {gate.other!r} to compare with",
            actual=value,
        )
    right = other + gate.offset
    ok = gate.compare(value, right)
    return GateResult(
        "metrics",
        gate.text,
        ok,
        f"{gate.metric} is {value!r}, needs {gate.op} {right!r} ({gate.alias} v{holder.version} "
        f"{gate.other} {other!r}{_offset(gate.offset)})",
        actual=value,
        expected=right,
    )


def _offset(offset: float) -> str:
    if not offset:
        return ""
    return f" + {offset!r}" if offset > 0 else f" - {-offset!r}"


def _clean_commit(candidate: Candidate) -> GateResult:
    git = (candidate.environment or {}).get("git")
    if not isinstance(git, dict) or not git.get("commit"):
        ok, message, actual = False, "no git commit was captured for the source run", None
    elif git.get("dirty"):
        count = git.get("changed_count")
        ok, actual = False, True
        message = f"the source run's tree had uncommitted changes ({count} files)"
    else:
        ok, message, actual = (
            True,
            f"commit {str(git['commit'])[:12]} with no uncommitted diff",
            False,
        )
    return GateResult(
        "clean_commit", "clean_commit: true", ok, message, actual=actual, expected=False
    )
