"""PromotionService: aliases, their policies, approvals and history.

Promoting a version to an alias is judged on the server by the alias's policy
(``services/gates.py``) inside one transaction: the alias moves, or the refusal is recorded;
either way the decision, with every gate's result, goes to the alias's history and the audit
log, and a webhook event is queued.  An approval counts for one version, one alias and the
policy in force when it was given (changing the policy voids it); the user who asked for a
promotion cannot approve it, and the promoter's own approval never counts.  Rollback moves
the alias back to the version it pointed at before its last move.  Maintainers promote,
approve, roll back and set policies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from labledger.core.errors import (
    AliasNotFoundError,
    AlreadyApprovedError,
    ConflictError,
    GateFailedError,
    SelfApprovalError,
)
from labledger.core.identity import Action
from labledger.core.ids import now_ms
from labledger.core.registry import Policy, check_alias, load_policy_text, parse_policy
from labledger.core.validation import check_page_size, check_timestamp
from labledger.services import audit, webhooks
from labledger.services.gates import Candidate, GateResult, evaluate, failed
from labledger.services.model_access import RegistryGuarded
from labledger.store import aliases as repo
from labledger.store import models as model_repo
from labledger.store import provenance as provenance_repo
from labledger.store import runs as run_repo
from labledger.store.database import Connection


@dataclass(frozen=True, slots=True)
class Decision:
    model: str
    alias: str
    version: int
    from_version: int | None
    moved: bool
    gates: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "alias": self.alias,
            "version": self.version,
            "from_version": self.from_version,
            "moved": self.moved,
            "gates": self.gates,
        }


def _policy(conn: Connection, model_id: int, alias: str) -> tuple[Policy, str | None]:
    stored = repo.get_policy(conn, model_id, alias)
    if stored is None:
        return Policy(), None
    return parse_policy(stored["document"], alias=alias or None), stored["digest"]


def _candidate(conn: Connection, row: dict[str, Any]) -> Candidate:
    run = run_repo.load_by_pks(conn, [row["run_pk"]]).get(row["run_pk"])
    env = provenance_repo.get_environment(conn, row["run_pk"])
    datasets = provenance_repo.list_datasets(conn, row["run_pk"])
    return Candidate(row["version"], run, env[0] if env else None, datasets)


class PromotionService(RegistryGuarded):
    # -- policies -----------------------------------------------------------------------

    def set_policy(self, name: str, alias: str | None, text: str) -> dict[str, Any]:
        """Set the policy of ``alias`` (or the model's own, drift thresholds, for None)
        from YAML or JSON text."""
        model = self._model(Action.MAINTAIN, name)
        alias = check_alias(alias) if alias is not None else None
        policy = parse_policy(load_policy_text(text), alias=alias)

        def apply(conn: Connection) -> None:
            repo.set_policy(
                conn,
                model["id"],
                alias or "",
                policy.to_dict(),
                policy.digest,
                now_ms(),
                self.principal.name[:120],
            )
            audit.record(
                conn,
                self.principal,
                "model.policy.set",
                f"model:{model['name']}",
                project=model["project"],
                details={"alias": alias, "policy": policy.to_dict(), "digest": policy.digest},
            )

        self.db.run_write(apply)
        return {"alias": alias, "policy": policy.to_dict(), "digest": policy.digest}

    def policies(self, name: str) -> list[dict[str, Any]]:
        model = self._model(Action.READ, name)
        with self.db.read() as conn:
            rows = repo.all_policies(conn, model["id"])
        return [
            {
                "alias": r["alias"] or None,
                "policy": r["document"],
                "digest": r["digest"],
                "updated_ms": r["updated_ms"],
                "updated_by": r["updated_by"],
            }
            for r in rows
        ]

    # -- decisions ----------------------------------------------------------------------

    def check(self, name: str, version: int, alias: str) -> Decision:
        """What promoting would decide now, without moving anything or recording it."""
        model = self._model(Action.READ, name)
        alias = check_alias(alias)
        with self.db.read() as conn:
            row = self._version(conn, model, version)
            results = self._judge(conn, model, row, alias)
            holder = repo.current(conn, model["id"], alias)
        return Decision(
            model["name"],
            alias,
            row["version"],
            holder["version"] if holder else None,
            False,
            [r.to_dict() for r in results],
        )

    def _judge(
        self, conn: Connection, model: dict[str, Any], row: dict[str, Any], alias: str
    ) -> list[GateResult]:
        policy, digest = _policy(conn, model["id"], alias)
        holders: dict[str, Candidate | None] = {}
        for gate in policy.metrics:
            if gate.alias is not None and gate.alias not in holders:
                held = repo.current(conn, model["id"], gate.alias)
                holders[gate.alias] = (
                    _candidate(conn, model_repo.versions_by_id(conn, [held["version_id"]])[0])
                    if held
                    else None
                )
        approvers = [
            a["approver"]
            for a in repo.approvals_for(conn, model["id"], alias, row["id"])
            if a["policy_digest"] == (digest or Policy().digest)
        ]
        return evaluate(policy, _candidate(conn, row), holders, approvers, self.principal.name)

    def promote(self, name: str, version: int, alias: str) -> Decision:
        """Move ``alias`` to ``version`` if its policy allows; else record the refusal and
        raise GateFailedError (409, ``gate_failed``) naming every failed gate."""
        model = self._model(Action.MAINTAIN, name)
        alias = check_alias(alias)

        def apply(conn: Connection) -> Decision:
            model_repo.touch_model(conn, model["id"], now_ms())  # one decision at a time
            row = self._version(conn, model, version)
            holder = repo.current(conn, model["id"], alias)
            before = holder["version"] if holder else None
            if before == row["version"]:
                return Decision(model["name"], alias, row["version"], before, False, [])
            judged = self._judge(conn, model, row, alias)
            results = [r.to_dict() for r in judged]
            moved = not failed(judged)
            self._decide(conn, model, alias, "promote" if moved else "refuse", before, row, results)
            return Decision(model["name"], alias, row["version"], before, moved, results)

        decision: Decision = self.db.run_write(apply)
        if not decision.moved and decision.gates:
            refused = [g for g in decision.gates if not g["passed"]]
            raise GateFailedError(
                f"promotion of {decision.model} v{decision.version} to {alias!r} refused: "
                + "; ".join(f"{g['rule']}: {g['message']}" for g in refused),
                details={
                    "model": decision.model,
                    "alias": alias,
                    "version": decision.version,
                    "failed": refused,
                    "gates": decision.gates,
                },
            )
        return decision

    def _decide(
        self,
        conn: Connection,
        model: dict[str, Any],
        alias: str,
        kind: str,
        before: int | None,
        row: dict[str, Any] | None,
        results: list[dict[str, Any]],
    ) -> None:
        now = now_ms()
        to_version = row["version"] if row else None
        if kind in ("promote", "rollback") and row is not None:
            repo.point(conn, model["id"], alias, row["id"], row["version"], now)
        repo.add_event(
            conn,
            {
                "model_id": model["id"],
                "alias": alias,
                "time_ms": now,
                "actor": self.principal.name[:120],
                "actor_id": self.principal.user_id,
                "kind": kind,
                "from_version": before,
                "to_version": to_version,
                "gates": results,
            },
        )
        details = {"alias": alias, "from_version": before, "to_version": to_version}
        audit.record(
            conn,
            self.principal,
            f"model.alias.{kind}",
            f"model:{model['name']}",
            project=model["project"],
            run_id=row["run_id"] if row else None,
            details={**details, "failed": [g["rule"] for g in results if not g["passed"]]},
        )
        event = "alias.refused" if kind == "refuse" else "alias.moved"
        webhooks.emit(
            conn,
            model["project_id"],
            event,
            {"model": model["name"], "kind": kind, **details, "gates": results},
        )

    def approve(self, name: str, version: int, alias: str) -> dict[str, Any]:
        model = self._model(Action.MAINTAIN, name)
        alias = check_alias(alias)
        me = self.principal.name[:120]

        def apply(conn: Connection) -> dict[str, Any]:
            row = self._version(conn, model, version)
            now = now_ms()
            if me in repo.requesters(conn, model["id"], alias, row["version"]):
                raise SelfApprovalError(
                    f"{me} asked for v{row['version']} to become {alias!r} and cannot approve it",
                    details={"model": model["name"], "version": row["version"], "alias": alias},
                )
            _, digest = _policy(conn, model["id"], alias)
            digest = digest or Policy().digest
            added = repo.add_approval(
                conn,
                {
                    "model_id": model["id"],
                    "alias": alias,
                    "version_id": row["id"],
                    "approver": me,
                    "policy_digest": digest,
                    "time_ms": now,
                },
            )
            if not added:
                raise AlreadyApprovedError(
                    f"{me} already approved v{row['version']} for {alias!r}",
                    details={"model": model["name"], "version": row["version"], "alias": alias},
                )
            audit.record(
                conn,
                self.principal,
                "model.alias.approve",
                f"model:{model['name']}",
                project=model["project"],
                run_id=row["run_id"],
                details={"alias": alias, "version": row["version"], "policy_digest": digest},
            )
            return {
                "model": model["name"],
                "alias": alias,
                "version": row["version"],
                "approver": me,
            }

        result: dict[str, Any] = self.db.run_write(apply)
        return result

    def approvals(self, name: str, alias: str, version: int | None = None) -> list[dict[str, Any]]:
        model = self._model(Action.READ, name)
        alias = check_alias(alias)
        with self.db.read() as conn:
            version_id = self._version(conn, model, version)["id"] if version is not None else None
            _, digest = _policy(conn, model["id"], alias)
            rows = repo.approvals_for(conn, model["id"], alias, version_id)
            numbers = {v["id"]: v["version"] for v in model_repo.list_versions(conn, model["id"])}
        current = digest or Policy().digest
        return [
            {
                "model": model["name"],
                "alias": alias,
                "version": numbers.get(r["version_id"]),
                "approver": r["approver"],
                "time_ms": r["time_ms"],
                "valid": r["policy_digest"] == current,
            }
            for r in rows
        ]

    def rollback(self, name: str, alias: str) -> Decision:
        """Move ``alias`` back to the version it pointed at before its last move."""
        model = self._model(Action.MAINTAIN, name)
        alias = check_alias(alias)

        def apply(conn: Connection) -> Decision:
            model_repo.touch_model(conn, model["id"], now_ms())
            holder = repo.current(conn, model["id"], alias)
            moves = repo.moves(conn, model["id"], alias)
            previous = moves[0]["from_version"] if moves else None
            if holder is None or previous is None:
                raise ConflictError(
                    f"alias {alias!r} of {model['name']!r} has no previous version to roll back to",
                    details={"model": model["name"], "alias": alias},
                )
            row = model_repo.get_version(conn, model["id"], previous, model["name"])
            self._decide(conn, model, alias, "rollback", holder["version"], row, [])
            return Decision(model["name"], alias, previous, holder["version"], True, [])

        result: Decision = self.db.run_write(apply)
        return result

    def unset(self, name: str, alias: str) -> None:
        model = self._model(Action.MAINTAIN, name)
        alias = check_alias(alias)

        def apply(conn: Connection) -> None:
            holder = repo.current(conn, model["id"], alias)
            if holder is None:
                raise AliasNotFoundError(
                    f"model {model['name']!r} has no alias {alias!r}",
                    details={"model": model["name"], "alias": alias},
                )
            repo.unset(conn, model["id"], alias)
            self._decide(conn, model, alias, "unset", holder["version"], None, [])

        self.db.run_write(apply)

    # -- history ------------------------------------------------------------------------

    def history(
        self, name: str, alias: str | None = None, *, before: int | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        """Every decision on the model's aliases (or one alias), newest first."""
        model = self._model(Action.READ, name)
        alias = check_alias(alias) if alias is not None else None
        limit = check_page_size(limit)
        with self.db.read() as conn:
            return repo.events(conn, model["id"], alias, before_id=before, limit=limit)

    def holder_at(self, name: str, alias: str, at_ms: int | None = None) -> dict[str, Any]:
        """Which version ``alias`` pointed at, at ``at_ms`` (default now), and since when."""
        model = self._model(Action.READ, name)
        alias = check_alias(alias)
        at = check_timestamp("at", at_ms) if at_ms is not None else now_ms()
        with self.db.read() as conn:
            event = repo.holder_at(conn, model["id"], alias, at)
            version = event["to_version"] if event else None
            run_id = None
            if version is not None:
                found = model_repo.find_version(conn, model["id"], version)
                run_id = found["run_id"] if found else None
        return {
            "model": model["name"],
            "alias": alias,
            "at_ms": at,
            "version": version,
            "run_id": run_id,
            "since_ms": event["time_ms"] if event and version is not None else None,
            "moved_by": event["actor"] if event else None,
        }
