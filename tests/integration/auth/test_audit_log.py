"""The audit log: every change recorded with its actor in the change's own transaction,
and a hash chain that ``audit verify`` checks — editing, deleting or inserting a row in the
database is reported, naming the first entry that was touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import delete, insert, select, update

from labledger.cli.main import cli
from labledger.core.entities import RunCreate, RunStatus, RunUpdate
from labledger.core.errors import InvalidInputError, PermissionDeniedError
from labledger.core.identity import SYSTEM
from labledger.services.tracker import Tracker
from labledger.store.tables import audit_log, run_tombstones

from .conftest import World


def entries(tracker: Tracker, **query: object) -> list[tuple[str, str, str]]:
    found = tracker.for_principal(SYSTEM).audit.list_entries(limit=1000, **query).entries
    return [(e.actor, e.action, e.target) for e in reversed(found)]


def test_every_change_of_a_run_is_recorded_with_who_made_it(world: World):
    run = world.call("editor", "POST", "/api/v1/runs", json={"project": "alpha", "name": "a"})
    run_id = run.json()["id"]
    world.call(
        "editor",
        "POST",
        f"/api/v1/runs/{run_id}/batches",
        json={"params": {"lr": "0.1"}, "tags": {"k": "v"}},
    )
    world.call(
        "editor",
        "POST",
        f"/api/v1/runs/{run_id}/batches",
        json={"metrics": {"m": {"steps": [1], "timestamps": [1], "values": [1.0]}}},
    )
    world.call("editor", "DELETE", f"/api/v1/runs/{run_id}/tags/k")
    world.call("editor", "PATCH", f"/api/v1/runs/{run_id}", json={"status": "finished"})
    world.call("editor", "PATCH", f"/api/v1/runs/{run_id}", json={"notes": "looked at it"})
    denied = world.call("editor", "DELETE", f"/api/v1/runs/{run_id}")
    assert denied.status_code == 403
    no_reason = world.call("maintainer", "DELETE", f"/api/v1/runs/{run_id}")
    assert no_reason.status_code == 400 and no_reason.json()["details"]["field"] == "reason"
    gone = world.call("maintainer", "DELETE", f"/api/v1/runs/{run_id}?reason=leaked%20data")
    assert gone.status_code == 204

    assert entries(world.tracker, run_id=run_id) == [
        ("editor", "run.create", f"run:{run_id}"),
        ("editor", "run.log", f"run:{run_id}"),  # params and tags; metrics alone are not
        ("editor", "run.delete_tag", f"run:{run_id}"),
        ("editor", "run.update", f"run:{run_id}"),
        ("editor", "run.seal", f"run:{run_id}")
        if False
        else ("editor", "run.annotate", f"run:{run_id}"),
        ("maintainer", "run.delete", f"run:{run_id}"),
    ]
    with world.tracker.db.read() as conn:
        stone = conn.execute(select(run_tombstones).where(run_tombstones.c.run_id == run_id)).one()
    assert stone.deleted_by == "maintainer" and stone.reason == "leaked data"
    assert stone.seal_hash is not None
    verified = world.call("viewer", "POST", f"/api/v1/runs/{run_id}/verify", json={})
    assert verified.status_code == 200, verified.text
    assert verified.json()["deleted"]["deleted_by"] == "maintainer"
    hidden = world.call("outsider", "POST", f"/api/v1/runs/{run_id}/verify", json={})
    assert hidden.status_code == 404  # another project's tombstone is not the outsider's
    assert hidden.json()["error_code"] == "run_not_found" and "alpha" not in hidden.text


def test_each_entry_holds_actor_address_request_id_and_the_previous_hash(world: World):
    world.call(
        "owner",
        "PUT",
        "/api/v1/projects/alpha/members/viewer",
        json={"role": "editor"},
        headers={"X-Request-ID": "req-123"},
    )
    found = world.system.audit.list_entries(project="alpha", limit=1).entries[0]
    assert (found.actor, found.action, found.target) == ("owner", "member.set", "project:alpha")
    assert found.details == {"user": "viewer", "role": "editor", "was": "viewer"}
    assert found.request_id == "req-123" and found.address == "testclient"
    with world.tracker.db.read() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).all()
    for before, after in zip(rows, rows[1:], strict=False):
        assert after.prev_hash == before.hash and after.seq == before.seq + 1


def test_a_refused_change_writes_no_entry_and_changes_nothing(world: World):
    before = world.system.audit.verify().head_seq
    for caller, method, path, body in [
        ("viewer", "POST", "/api/v1/runs", {"project": "alpha"}),
        ("editor", "PUT", "/api/v1/projects/alpha/members/viewer", {"role": "owner"}),
        ("outsider", "PUT", "/api/v1/projects/alpha/requirements", {"required": ["notes"]}),
        ("owner", "POST", "/api/v1/users", {"name": "mallory"}),
        ("anonymous", "POST", "/api/v1/runs", {"project": "alpha"}),
    ]:
        answer = world.call(caller, method, path, json=body)
        assert answer.status_code in (401, 403, 404), (caller, path, answer.text)
    assert world.system.audit.verify().head_seq == before
    assert world.system.members.list_members("alpha").to_dict()["members"][-1]["role"] == "viewer"


def test_the_audit_entry_and_its_change_commit_together(world: World, monkeypatch):
    """A change whose audit entry cannot be written is not made."""
    from labledger.store import audit as audit_repo

    def broken(conn, entry):  # noqa: ARG001
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit_repo, "append", broken)
    answer = world.call(
        "owner", "PUT", "/api/v1/projects/alpha/members/viewer", json={"role": "maintainer"}
    )
    assert answer.status_code == 500
    roles = {m.user: m.role for m in world.system.members.list_members("alpha").members}
    assert roles["viewer"] == "viewer"


def _tamper(tracker: Tracker, how: str) -> int:
    """Change the log in the database as an attacker with SQL access would; the entry
    that verify must name."""
    with tracker.db.write() as conn:
        rows = conn.execute(select(audit_log).order_by(audit_log.c.seq)).all()
        middle = rows[len(rows) // 2]
        if how == "edit":
            conn.execute(
                update(audit_log).where(audit_log.c.seq == middle.seq).values(actor="somebody else")
            )
            return int(middle.seq)
        if how == "delete":
            conn.execute(delete(audit_log).where(audit_log.c.seq == middle.seq))
            return int(middle.seq)
        if how == "delete_last":
            conn.execute(delete(audit_log).where(audit_log.c.seq == rows[-1].seq))
            return int(rows[-1].seq)
        if how == "insert":
            fake = {
                **rows[-1]._mapping,
                "seq": rows[-1].seq + 1,
                "prev_hash": rows[-1].hash,
                "action": "run.delete",
                "hash": "f" * 64,
            }
            conn.execute(insert(audit_log).values(**fake))
            return int(rows[-1].seq + 1)
        if how == "swap_details":
            conn.execute(
                update(audit_log)
                .where(audit_log.c.seq == middle.seq)
                .values(details='{"role":"owner"}')
            )
            return int(middle.seq)
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["edit", "delete", "delete_last", "insert", "swap_details"])
def test_verify_names_the_first_entry_altered_removed_or_inserted(world: World, how: str):
    for n in range(6):
        world.call("editor", "POST", "/api/v1/runs", json={"project": "alpha", "name": f"r{n}"})
    clean = world.system.audit.verify()
    assert clean.ok and clean.checked == clean.head_seq > 10
    seq = _tamper(world.tracker, how)
    report = world.system.audit.verify()
    assert not report.ok
    assert report.problem is not None and report.problem["seq"] == seq, report.problem
    expected = {
        "edit": "altered",
        "swap_details": "altered",
        "delete": "removed",
        "delete_last": "removed",
        "insert": "inserted",
    }[how]
    assert report.problem["kind"] == expected
    over_http = world.call("admin", "POST", "/api/v1/audit/verify", json={}).json()
    assert over_http["ok"] is False and over_http["problem"]["seq"] == seq


def test_cli_audit_verify_exits_1_on_a_tampered_store(tmp_path: Path):
    data = tmp_path / "store"
    runner = CliRunner()
    for args in (
        ["users", "add", "ana", "--admin"],
        ["users", "add", "bo"],
        ["projects", "create", "vision", "--owner", "ana"],
        ["projects", "members", "add", "vision", "bo", "--role", "editor"],
    ):
        result = runner.invoke(cli, [*args, "--data-dir", str(data)])
        assert result.exit_code == 0, result.output
    ok = runner.invoke(cli, ["audit", "verify", "--data-dir", str(data)])
    assert ok.exit_code == 0 and ok.output.startswith("ok: 4 entries"), ok.output
    listing = runner.invoke(cli, ["audit", "ls", "--data-dir", str(data), "--project", "vision"])
    assert "member.set" in listing.output and "operator:" in listing.output
    tracker = Tracker.open(f"sqlite:///{data / 'labledger.db'}")
    try:
        with tracker.db.write() as conn:
            conn.execute(update(audit_log).where(audit_log.c.seq == 3).values(target="user:x"))
    finally:
        tracker.close()
    broken = runner.invoke(cli, ["audit", "verify", "--data-dir", str(data)])
    assert broken.exit_code == 1
    assert "entry 3 was altered" in broken.output


def test_the_audit_log_is_read_by_whom_it_concerns(world: World):
    run_id = world.run()
    assert world.call("viewer", "GET", f"/api/v1/audit?run_id={run_id}").status_code == 200
    assert world.call("outsider", "GET", f"/api/v1/audit?run_id={run_id}").status_code == 404
    assert world.call("editor", "GET", "/api/v1/audit?project=alpha").status_code == 403
    assert world.call("maintainer", "GET", "/api/v1/audit?project=alpha").status_code == 200
    assert world.call("owner", "GET", "/api/v1/audit").status_code == 403
    page = world.call("admin", "GET", "/api/v1/audit?limit=2").json()
    assert len(page["entries"]) == 2 and page["next_page_token"]
    nxt = world.call("admin", "GET", f"/api/v1/audit?limit=2&page_token={page['next_page_token']}")
    assert nxt.json()["entries"][0]["seq"] == page["entries"][1]["seq"] - 1
    bad = world.call("admin", "GET", "/api/v1/audit?page_token=bm9wZQ")
    assert bad.status_code == 400 and bad.json()["details"]["field"] == "page_token"


def test_services_refuse_without_a_caller_when_auth_is_on(world: World):
    anonymous = world.tracker  # not bound: ANONYMOUS
    with pytest.raises(Exception) as err:
        anonymous.runs.create_run(RunCreate(project="alpha"))
    assert err.value.__class__.__name__ == "AuthenticationError"
    run_id = world.run(ended=True)
    viewer = world.tracker.for_principal(world.tracker.tokens.authenticate(world.tokens["viewer"]))
    with pytest.raises(PermissionDeniedError):
        viewer.runs.update_run(run_id, RunUpdate(status=RunStatus.FINISHED))
    with pytest.raises(PermissionDeniedError):
        viewer.runs.create_run(RunCreate(project="alpha"))
    with pytest.raises(InvalidInputError):
        world.system.runs.delete_run(run_id, reason="  ")


def test_the_embedded_store_audits_changes_as_the_os_user(tmp_path: Path):
    import getpass

    import labledger as ll

    run = ll.init(project="local", tracking_uri=str(tmp_path / "store"), config={"lr": 0.1})
    run.log({"loss": 1.0}, step=0)
    run.finish()
    tracker = Tracker.open(f"sqlite:///{tmp_path / 'store' / 'labledger.db'}")
    try:
        found = entries(tracker, run_id=run.id)
        assert found[0] == (f"operator:{getpass.getuser()}", "run.create", f"run:{run.id}")
        assert tracker.for_principal(SYSTEM).audit.verify().ok
    finally:
        tracker.close()
