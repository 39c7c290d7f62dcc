"""Every route of the OpenAPI document, called by every kind of caller, against one table
of who may call it.  A route the table does not list fails the test: adding a route means
deciding, here, who may use it.

Callers: anonymous, an expired, a revoked and a read-scoped token, the viewer, editor,
maintainer and owner of project ``alpha``, the owner of another project (``outsider``) and
a server admin.  An answer counts as refused when it is 401, 403, or a 404 that hides a
run or project the caller may not see; anything else (200, 201, 204, a 400, 404 or 409 of
the operation's own) means the door let the caller in.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from labledger.core.settings import Settings
from labledger.server.app import create_app
from tests.conftest import PG_URL, _pg_admin

from .conftest import World, built_world

# What a route needs, from least to most.
PUBLIC = "public"  # anyone, signed in or not
ANY_READ = "any_read"  # any valid credential (listings filter themselves)
ANY_WRITE = "any_write"  # any valid credential that may write (content-addressed uploads)
VIEWER, EDITOR, MAINTAINER, OWNER = "viewer", "editor", "maintainer", "owner"  # in alpha
SELF_READ, SELF_WRITE = "self_read", "self_write"  # the user itself (owner here) or an admin
ADMIN = "admin"

CALLERS = (
    "anonymous",
    "expired_token",
    "revoked_token",
    "read_token",
    "viewer",
    "editor",
    "maintainer",
    "owner",
    "outsider",
    "admin",
)
_RANK = {VIEWER: 1, EDITOR: 2, MAINTAINER: 3, OWNER: 4}
_HIDING = {"run_not_found", "project_not_found", "model_not_found", "lineage_node_not_found"}

BLOB = b"role table"
BLOB_DIGEST = hashlib.sha256(BLOB).hexdigest()
FRAME = bytes.fromhex(BLOB_DIGEST) + len(BLOB).to_bytes(8, "big") + BLOB


def allowed(need: str, caller: str) -> bool:
    """The table's verdict: may ``caller`` use a route that needs ``need``?"""
    if need == PUBLIC:
        return True
    if caller in ("anonymous", "expired_token", "revoked_token"):
        return False
    if caller == "admin":
        return True
    if caller == "read_token":  # the owner's, limited to reading
        return need in (ANY_READ, VIEWER, SELF_READ)
    if need in (ANY_READ, ANY_WRITE):
        return True
    if need in (SELF_READ, SELF_WRITE):
        return caller == "owner"
    if need == ADMIN or caller == "outsider":
        return False
    return _RANK[caller] >= _RANK[need]


Request = Callable[[World], dict[str, Any]]


def run_path(suffix: str = "", *, ended: bool = False) -> Callable[[World], str]:
    return lambda w: f"/api/v1/runs/{w.run(ended=ended)}{suffix}"


LAST_BLOB: dict[str, bytes] = {}


def upload(w: World) -> str:
    """A new upload of new content (the table shares one world: a finished upload of the
    same content would answer differently)."""
    blob = LAST_BLOB["blob"] = uuid.uuid4().bytes
    return w.system.artifacts.start_upload(hashlib.sha256(blob).hexdigest(), len(blob)).upload_id


def part_of_last_upload(_w: World) -> dict[str, Any]:
    blob = LAST_BLOB["blob"]
    digest = hashlib.sha256(blob).hexdigest()
    headers = {"Content-Type": "application/octet-stream", "X-Content-SHA256": digest}
    return {"content": blob, "headers": headers}


def token_of_owner(w: World) -> str:
    return w.system.tokens.create_token("owner", scope="read").token.id


def member(w: World) -> str:
    name = w.user()
    w.system.members.set_member("alpha", name, "viewer")
    return name


# (method, path template) -> (need, how to fill the path, request kwargs)
TABLE: dict[tuple[str, str], tuple[str, Callable[[World], str], Request]] = {}


def row(method: str, template: str, need: str, path: Any = None, **kwargs: Any) -> None:
    fill = path if callable(path) else (lambda _w, p=path or template: p)
    make: Request = kwargs.pop("make", None) or (lambda _w, kw=kwargs: dict(kw))
    TABLE[(method, template)] = (need, fill, make)


J: dict[str, Any] = {}
row("GET", "/healthz", PUBLIC)
row("GET", "/readyz", PUBLIC)
row("GET", "/health", PUBLIC)
row("GET", "/metrics", ADMIN)
row("GET", "/api/v1/auth/session", PUBLIC)
row(
    "POST",
    "/api/v1/auth/login",
    PUBLIC,
    make=lambda w: {"json": {"user": w.fresh("nobody"), "password": "not it at all"}},
)
row("POST", "/api/v1/auth/link", PUBLIC, json={"token": "ll_" + "x" * 43})
row(
    "GET",
    "/api/v1/auth/link",
    PUBLIC,
    "/api/v1/auth/link?token=ll_nothing_here_at_all_xx",
    follow_redirects=False,
)
row("GET", "/api/v1/auth/oidc/start", PUBLIC, follow_redirects=False)  # 404: none configured
row(
    "GET",
    "/api/v1/auth/oidc/callback",
    PUBLIC,
    "/api/v1/auth/oidc/callback?code=c&state=s",
    follow_redirects=False,
)
row("POST", "/api/v1/auth/logout", ANY_READ, json={})
row("GET", "/api/v1/projects", ANY_READ)
row(
    "POST",
    "/api/v1/projects",
    ADMIN,
    make=lambda w: {"json": {"name": w.fresh("p"), "owner": "owner"}},
)
row("GET", "/api/v1/projects/{project}/keys", VIEWER, "/api/v1/projects/alpha/keys")
row("GET", "/api/v1/projects/{project}/members", VIEWER, "/api/v1/projects/alpha/members")
row(
    "PUT",
    "/api/v1/projects/{project}/members/{name}",
    OWNER,
    lambda w: f"/api/v1/projects/alpha/members/{w.user()}",
    json={"role": "viewer"},
)
row(
    "DELETE",
    "/api/v1/projects/{project}/members/{name}",
    OWNER,
    lambda w: f"/api/v1/projects/alpha/members/{member(w)}",
)
row(
    "PUT",
    "/api/v1/projects/{project}/default-role",
    OWNER,
    "/api/v1/projects/alpha/default-role",
    json={"role": None},
)
row("POST", "/api/v1/runs/search", VIEWER, json={"project": "alpha"})
row("POST", "/api/v1/runs/count", VIEWER, json={"project": "alpha"})
row("POST", "/api/v1/runs/validate-filter", ANY_READ, json={"filter": "params.a = '1'"})
row("POST", "/api/v1/runs/groups", VIEWER, json={"project": "alpha", "group_by": "tags.t"})
row("POST", "/api/v1/runs", EDITOR, json={"project": "alpha"})
row("GET", "/api/v1/runs/{run_id}", VIEWER, run_path())
row("PATCH", "/api/v1/runs/{run_id}", EDITOR, run_path(), json={"notes": "n"})
row("DELETE", "/api/v1/runs/{run_id}", MAINTAINER, run_path())
row("POST", "/api/v1/runs/{run_id}/heartbeat", EDITOR, run_path("/heartbeat"), json={})
row(
    "POST",
    "/api/v1/runs/{run_id}/batches",
    EDITOR,
    run_path("/batches"),
    json={"params": {"lr": "0.1"}},
)
row("DELETE", "/api/v1/runs/{run_id}/tags/{key}", EDITOR, run_path("/tags/t"))
row("GET", "/api/v1/runs/{run_id}/metrics", VIEWER, run_path("/metrics"))
row("GET", "/api/v1/runs/{run_id}/metrics/{key}/history", VIEWER, run_path("/metrics/loss/history"))
row("GET", "/api/v1/runs/{run_id}/artifacts", VIEWER, run_path("/artifacts"))
row(
    "POST",
    "/api/v1/runs/{run_id}/artifacts",
    EDITOR,
    run_path("/artifacts"),
    json={"artifacts": [{"path": "a.txt", "digest": BLOB_DIGEST, "size": len(BLOB)}]},
)
row("GET", "/api/v1/runs/{run_id}/checkpoints/latest", VIEWER, run_path("/checkpoints/latest"))
row("GET", "/api/v1/runs/{run_id}/artifacts/archive", VIEWER, run_path("/artifacts/archive"))
row(
    "GET",
    "/api/v1/runs/{run_id}/artifacts/files/{path}",
    VIEWER,
    run_path("/artifacts/files/a.txt"),
)
row(
    "PUT",
    "/api/v1/blobs/{digest}",
    ANY_WRITE,
    f"/api/v1/blobs/{BLOB_DIGEST}",
    content=BLOB,
    headers={"Content-Type": "application/octet-stream"},
)
row(
    "POST",
    "/api/v1/blobs",
    ANY_WRITE,
    content=FRAME,
    headers={"Content-Type": "application/octet-stream"},
)
row("POST", "/api/v1/uploads", ANY_WRITE, json={"digest": BLOB_DIGEST, "size": len(BLOB)})
row("GET", "/api/v1/uploads/{upload_id}", ANY_WRITE, lambda w: f"/api/v1/uploads/{upload(w)}")
row(
    "PUT",
    "/api/v1/uploads/{upload_id}/parts/{part_number}",
    ANY_WRITE,
    lambda w: f"/api/v1/uploads/{upload(w)}/parts/1",
    make=part_of_last_upload,
)
row(
    "POST",
    "/api/v1/uploads/{upload_id}/complete",
    ANY_WRITE,
    lambda w: f"/api/v1/uploads/{upload(w)}/complete",
    json={},
)
row("GET", "/api/v1/runs/{run_id}/environment", VIEWER, run_path("/environment"))
row("GET", "/api/v1/runs/{run_id}/datasets", VIEWER, run_path("/datasets"))
row("GET", "/api/v1/runs/{run_id}/annotations", VIEWER, run_path("/annotations"))
row("POST", "/api/v1/runs/{run_id}/seal", MAINTAINER, run_path("/seal", ended=True), json={})
row("POST", "/api/v1/runs/{run_id}/verify", VIEWER, run_path("/verify", ended=True), json={})
row("GET", "/api/v1/runs/{run_id}/completeness", VIEWER, run_path("/completeness"))
row("GET", "/api/v1/seals", ADMIN)
row("POST", "/api/v1/blobs/verify", ADMIN, json={})
row(
    "PUT",
    "/api/v1/projects/{project}/requirements",
    MAINTAINER,
    "/api/v1/projects/alpha/requirements",
    json={"required": ["params.lr"]},
)
row("GET", "/api/v1/projects/{project}/completeness", VIEWER, "/api/v1/projects/alpha/completeness")
row("GET", "/api/v1/users", ADMIN)
row("POST", "/api/v1/users", ADMIN, make=lambda w: {"json": {"name": w.fresh("new")}})
row("GET", "/api/v1/users/{name}", SELF_READ, "/api/v1/users/owner")
row(
    "POST",
    "/api/v1/users/{name}/disable",
    ADMIN,
    lambda w: f"/api/v1/users/{w.user()}/disable",
    json={},
)
row(
    "POST",
    "/api/v1/users/{name}/enable",
    ADMIN,
    lambda w: f"/api/v1/users/{w.user()}/enable",
    json={},
)
row(
    "PUT",
    "/api/v1/users/{name}/password",
    SELF_WRITE,
    "/api/v1/users/owner/password",
    json={"password": "a long enough password"},
)
row(
    "POST",
    "/api/v1/users/{name}/login-link",
    ADMIN,
    lambda w: f"/api/v1/users/{w.user()}/login-link",
    json={},
)
row("GET", "/api/v1/users/{name}/tokens", SELF_READ, "/api/v1/users/owner/tokens")
row(
    "POST",
    "/api/v1/users/{name}/tokens",
    SELF_WRITE,
    "/api/v1/users/owner/tokens",
    json={"scope": "read"},
)
row(
    "DELETE",
    "/api/v1/tokens/{token_id}",
    SELF_WRITE,
    lambda w: f"/api/v1/tokens/{token_of_owner(w)}",
)
row("GET", "/api/v1/audit", ADMIN)
row("POST", "/api/v1/audit/verify", ADMIN, json={})


# -- the registry: models live in alpha; editors register, maintainers promote and deploy
def model_path(suffix: str = "", **made: bool) -> Callable[[World], str]:
    return lambda w: f"/api/v1/models/{w.model(**made)}{suffix}"


row(
    "POST",
    "/api/v1/models",
    EDITOR,
    make=lambda w: {"json": {"name": w.fresh("m"), "project": "alpha"}},
)
row("GET", "/api/v1/models", ANY_READ)
row("POST", "/api/v1/registry/search", ANY_READ, json={"filter": "run.metrics.loss > 0"})
row("GET", "/api/v1/models/{model}", VIEWER, model_path())
row("PATCH", "/api/v1/models/{model}", EDITOR, model_path(), json={"description": "d"})
row("DELETE", "/api/v1/models/{model}", MAINTAINER, model_path())
row("PUT", "/api/v1/models/{model}/tags", EDITOR, model_path("/tags"), json={"tags": {"a": "b"}})
row("DELETE", "/api/v1/models/{model}/tags/{key}", EDITOR, model_path("/tags/a"))
row(
    "POST",
    "/api/v1/models/{model}/versions",
    EDITOR,
    model_path("/versions"),
    make=lambda w: {"json": {"run_id": w.run(), "path": "none"}},  # 404 artifact_not_found
)
row("GET", "/api/v1/models/{model}/versions", VIEWER, model_path("/versions"))
row("GET", "/api/v1/models/{model}/versions/{version}", VIEWER, model_path("/versions/1"))
row(
    "PATCH",
    "/api/v1/models/{model}/versions/{version}",
    EDITOR,
    model_path("/versions/1"),
    json={"description": "d"},
)
row("DELETE", "/api/v1/models/{model}/versions/{version}", MAINTAINER, model_path("/versions/1"))
row(
    "PUT",
    "/api/v1/models/{model}/versions/{version}/tags",
    EDITOR,
    model_path("/versions/1/tags"),
    json={"tags": {"a": "b"}},
)
row(
    "DELETE",
    "/api/v1/models/{model}/versions/{version}/tags/{key}",
    EDITOR,
    model_path("/versions/1/tags/a"),
)
row("GET", "/api/v1/models/{model}/policies", VIEWER, model_path("/policies"))
row(
    "PUT",
    "/api/v1/models/{model}/policies/{alias}",
    MAINTAINER,
    model_path("/policies/champion"),
    json={"policy": "approvals: 1"},
)
row(
    "PUT",
    "/api/v1/models/{model}/policy",
    MAINTAINER,
    model_path("/policy"),
    json={"policy": "drift: {psi: 0.3}"},
)
row("GET", "/api/v1/models/{model}/aliases/{alias}", VIEWER, model_path("/aliases/champion"))
row(
    "DELETE",
    "/api/v1/models/{model}/aliases/{alias}",
    MAINTAINER,
    model_path("/aliases/champion", alias=True),
)
row(
    "POST",
    "/api/v1/models/{model}/aliases/{alias}/promote",
    MAINTAINER,
    model_path("/aliases/champion/promote"),
    json={"version": 1},
)
row(
    "POST",
    "/api/v1/models/{model}/aliases/{alias}/check",
    VIEWER,
    model_path("/aliases/champion/check"),
    json={"version": 1},
)
row(
    "POST",
    "/api/v1/models/{model}/aliases/{alias}/approvals",
    MAINTAINER,
    model_path("/aliases/champion/approvals"),
    json={"version": 1},
)
row(
    "GET",
    "/api/v1/models/{model}/aliases/{alias}/approvals",
    VIEWER,
    model_path("/aliases/champion/approvals"),
)
row(
    "POST",
    "/api/v1/models/{model}/aliases/{alias}/rollback",
    MAINTAINER,
    model_path("/aliases/champion/rollback", alias=True),  # 409: nothing before it
    json={},
)
row("GET", "/api/v1/models/{model}/history", VIEWER, model_path("/history"))
row(
    "POST",
    "/api/v1/models/{model}/deployments",
    MAINTAINER,
    model_path("/deployments"),
    json={"version": 1, "env": "prod"},
)
row("GET", "/api/v1/models/{model}/deployments", VIEWER, model_path("/deployments"))
row("GET", "/api/v1/models/{model}/environments", VIEWER, model_path("/environments"))
row(
    "GET",
    "/api/v1/models/{model}/deployments/{env}",
    VIEWER,
    model_path("/deployments/prod", deploy=True),
)
row(
    "POST",
    "/api/v1/models/{model}/deployments/{env}/telemetry",
    EDITOR,
    model_path("/deployments/prod/telemetry", deploy=True, reference=True),
    json={"data": {"x": [1.0, 2.0, 9.0]}},
)
row(
    "GET",
    "/api/v1/models/{model}/deployments/{env}/drift",
    VIEWER,
    model_path("/deployments/prod/drift"),
)
row("GET", "/api/v1/models/{model}/alerts", VIEWER, model_path("/alerts"))
row(
    "PUT",
    "/api/v1/runs/{run_id}/references/{name}",
    EDITOR,
    run_path("/references/inputs"),
    json={"data": {"x": [1.0, 2.0]}},
)
row("GET", "/api/v1/runs/{run_id}/references", VIEWER, run_path("/references"))
row("GET", "/api/v1/lineage", VIEWER, lambda w: f"/api/v1/lineage?node=version:{w.model()}/1")


def webhook(w: World) -> str:
    """A new webhook of alpha (the ones before it removed: a project holds 20 at most)."""
    for hook in w.system.webhooks.list_hooks("alpha"):
        w.system.webhooks.delete(hook.id)
    return w.system.webhooks.create("alpha", "http://127.0.0.1:9/hook").id


row(
    "POST",
    "/api/v1/projects/{project}/webhooks",
    OWNER,
    "/api/v1/projects/alpha/webhooks",
    make=lambda w: {"json": {"url": "http://127.0.0.1:9/hook"}} if webhook(w) else {},
)
row("GET", "/api/v1/projects/{project}/webhooks", OWNER, "/api/v1/projects/alpha/webhooks")
row("DELETE", "/api/v1/webhooks/{webhook_id}", OWNER, lambda w: f"/api/v1/webhooks/{webhook(w)}")
row(
    "GET",
    "/api/v1/webhooks/{webhook_id}/deliveries",
    OWNER,
    lambda w: f"/api/v1/webhooks/{webhook(w)}/deliveries",
)
row(
    "POST",
    "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
    OWNER,
    lambda w: f"/api/v1/webhooks/{webhook(w)}/deliveries/1/replay",  # 404: none yet
    json={},
)


def operations() -> list[tuple[str, str]]:
    doc = create_app(Settings()).openapi()
    return sorted((m.upper(), p) for p, ops in doc["paths"].items() for m in ops)


def test_every_route_has_a_row_and_every_row_a_route():
    ops = set(operations())
    assert ops - set(TABLE) == set(), "routes nobody decided access for"
    assert set(TABLE) - ops == set(), "rows for routes that no longer exist"


def refused(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    if response.status_code == 404:
        return response.json().get("error_code") in _HIDING
    return False


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def shared_world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """One world per backend for the whole table: every row makes what it changes afresh
    (a new user, model, run or token), so the rows do not see each other's work, and the
    table runs in minutes instead of building 400 worlds."""
    folder = tmp_path_factory.mktemp("role-table")
    if request.param == "sqlite":
        with built_world(f"sqlite:///{folder / 'labledger.db'}", folder) as w:
            yield w
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = _pg_admin()
    admin.execute(f'CREATE SCHEMA "{schema}"')
    try:
        with built_world(f"{PG_URL}?options=-csearch_path%3D{schema}", folder) as w:
            yield w
    finally:
        admin.execute(f'DROP SCHEMA "{schema}" CASCADE')
        admin.close()


@pytest.mark.parametrize("op", sorted(TABLE), ids=lambda op: f"{op[0]} {op[1]}")
def test_every_caller_gets_what_the_table_says(shared_world: World, op: tuple[str, str]):
    world = shared_world
    need, fill, make = TABLE[op]
    method = op[0]
    answers = {}
    for caller in CALLERS:
        response = world.call(caller, method, fill(world), **make(world))
        assert response.status_code < 500, (caller, response.status_code, response.text)
        answers[caller] = response
        expect = allowed(need, caller)
        got = not refused(response)
        if need == PUBLIC:  # the route's own answer, the same for everyone
            continue
        assert got == expect, (
            f"{caller}: expected {'allowed' if expect else 'refused'}, got "
            f"{response.status_code} {response.text[:300]}"
        )
        if caller in ("anonymous", "expired_token", "revoked_token"):
            assert response.status_code == 401
            assert response.json()["error_code"] == "unauthenticated"
    if need == PUBLIC:
        statuses = {c: r.status_code for c, r in answers.items()}
        assert len(set(statuses.values())) == 1, statuses
