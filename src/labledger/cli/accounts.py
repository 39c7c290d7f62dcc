"""``labledger users|tokens …`` and ``labledger projects create|members …``: operator
commands on the store a server serves (``--data-dir`` / ``--db-uri``; no server needed)."""

from __future__ import annotations

import json
from typing import Any

import click

from labledger.cli._common import operator_store, reports_errors, store_options
from labledger.core.ids import format_ms


def _table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Columns aligned to their widest cell."""
    cells = [[("-" if r.get(c) is None else str(r.get(c))) for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)))
    for row in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip())


def _when(ms: int | None) -> str | None:
    return None if ms is None else format_ms(ms)


# -- users --------------------------------------------------------------------------------
@click.group()
def users() -> None:
    """People and service accounts of a server."""


@users.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="A server admin: manages users, sees everything.")
@click.option("--service", is_flag=True, help="A service account (CI, a scheduler).")
@store_options
@reports_errors
def add_user(
    name: str, admin: bool, service: bool, data_dir: str | None, db_uri: str | None
) -> None:
    """Create user NAME (give it a token with `labledger tokens create NAME`)."""
    with operator_store(data_dir, db_uri) as store:
        user = store.users.add_user(name, admin=admin, service=service)
    click.echo(f"added {user.kind} {user.name}{' (admin)' if user.admin else ''}")


@users.command("ls")
@click.option("--json", "as_json", is_flag=True)
@store_options
@reports_errors
def list_users(as_json: bool, data_dir: str | None, db_uri: str | None) -> None:
    with operator_store(data_dir, db_uri) as store:
        found = [u.to_dict() for u in store.users.list_users()]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for u in found:
        u["created"] = _when(u["created_ms"])
        u["login"] = ",".join(k for k in ("has_password", "sso") if u[k]) or "token"
    _table(found, ["name", "kind", "admin", "disabled", "login", "created"])


@users.command("disable")
@click.argument("name")
@store_options
@reports_errors
def disable_user(name: str, data_dir: str | None, db_uri: str | None) -> None:
    """Disable NAME: its tokens and sessions stop working at once."""
    with operator_store(data_dir, db_uri) as store:
        store.users.disable_user(name)
    click.echo(f"disabled {name}")


@users.command("enable")
@click.argument("name")
@store_options
@reports_errors
def enable_user(name: str, data_dir: str | None, db_uri: str | None) -> None:
    with operator_store(data_dir, db_uri) as store:
        store.users.enable_user(name)
    click.echo(f"enabled {name}")


@users.command("passwd")
@click.argument("name")
@click.password_option(help="The new password (asked for when not given).")
@store_options
@reports_errors
def set_password(name: str, password: str, data_dir: str | None, db_uri: str | None) -> None:
    """Set NAME's password for the UI's login form (stored as an argon2id hash)."""
    with operator_store(data_dir, db_uri) as store:
        store.users.set_password(name, password)
    click.echo(f"password set for {name}")


@users.command("login-link")
@click.argument("name")
@click.option("--url", default=None, help="The server's address, to print a whole link.")
@store_options
@reports_errors
def login_link(name: str, url: str | None, data_dir: str | None, db_uri: str | None) -> None:
    """A one-time link that opens a UI session for NAME (prints the token alone, or the
    link with --url)."""
    with operator_store(data_dir, db_uri) as store:
        secret = store.logins.create_login_link(name)
    click.echo(f"{url.rstrip('/')}/api/v1/auth/link?token={secret}" if url else secret)


# -- tokens -------------------------------------------------------------------------------
@click.group()
def tokens() -> None:
    """API tokens: 256 random bits with the ll_ prefix, shown once, stored as a hash."""


@tokens.command("create")
@click.argument("user")
@click.option(
    "--scope", type=click.Choice(["read", "write", "admin"]), default="write", show_default=True
)
@click.option(
    "--expires-in",
    default="90d",
    show_default=True,
    help="Lifetime: 30m, 12h, 90d, 4w; 'never' for none.",
)
@click.option("--label", default=None, help="What the token is for (shown by ls).")
@store_options
@reports_errors
def create_token(
    user: str,
    scope: str,
    expires_in: str,
    label: str | None,
    data_dir: str | None,
    db_uri: str | None,
) -> None:
    """Create a token for USER and print it alone on stdout (it is not shown again)."""
    with operator_store(data_dir, db_uri) as store:
        new = store.tokens.create_token(
            user,
            scope=scope,
            expires_in=None if expires_in == "never" else expires_in,
            label=label,
        )
    click.echo(new.secret)


@tokens.command("ls")
@click.argument("user")
@click.option("--json", "as_json", is_flag=True)
@store_options
@reports_errors
def list_tokens(user: str, as_json: bool, data_dir: str | None, db_uri: str | None) -> None:
    with operator_store(data_dir, db_uri) as store:
        found = [t.to_dict() for t in store.tokens.list_tokens(user)]
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    for t in found:
        t["state"] = "revoked" if t["revoked_ms"] else "live"
        t["expires"], t["last_used"] = _when(t["expires_ms"]), _when(t["last_used_ms"])
    _table(found, ["id", "scope", "state", "label", "expires", "last_used"])


@tokens.command("revoke")
@click.argument("token_id")
@store_options
@reports_errors
def revoke_token(token_id: str, data_dir: str | None, db_uri: str | None) -> None:
    """Revoke a token by its id (from `labledger tokens ls`): refused from the next request."""
    with operator_store(data_dir, db_uri) as store:
        store.tokens.revoke_token(token_id)
    click.echo(f"revoked {token_id}")


# -- projects: creation and members -------------------------------------------------------
@click.command("create")
@click.argument("name")
@click.option("--owner", required=True, help="The user who owns it (manages its members).")
@store_options
@reports_errors
def create_project(name: str, owner: str, data_dir: str | None, db_uri: str | None) -> None:
    """Create an empty project NAME owned by OWNER."""
    with operator_store(data_dir, db_uri) as store:
        store.members.create_project(name, owner)
    click.echo(f"created {name}, owned by {owner}")


@click.group()
def members() -> None:
    """A project's members and their roles: viewer, editor, maintainer, owner."""


@members.command("add")
@click.argument("project")
@click.argument("user")
@click.option(
    "--role", type=click.Choice(["viewer", "editor", "maintainer", "owner"]), required=True
)
@store_options
@reports_errors
def add_member(
    project: str, user: str, role: str, data_dir: str | None, db_uri: str | None
) -> None:
    """Add USER to PROJECT with ROLE (or change its role)."""
    with operator_store(data_dir, db_uri) as store:
        store.members.set_member(project, user, role)
    click.echo(f"{user} is {role} of {project}")


@members.command("rm")
@click.argument("project")
@click.argument("user")
@store_options
@reports_errors
def remove_member(project: str, user: str, data_dir: str | None, db_uri: str | None) -> None:
    with operator_store(data_dir, db_uri) as store:
        store.members.remove_member(project, user)
    click.echo(f"{user} removed from {project}")


@members.command("ls")
@click.argument("project")
@click.option("--json", "as_json", is_flag=True)
@store_options
@reports_errors
def list_members(project: str, as_json: bool, data_dir: str | None, db_uri: str | None) -> None:
    with operator_store(data_dir, db_uri) as store:
        found = store.members.list_members(project).to_dict()
    if as_json:
        click.echo(json.dumps(found, indent=2))
        return
    rows = [{**m, "added": _when(m["added_ms"])} for m in found["members"]]
    _table(rows, ["user", "kind", "role", "added"])
    if found["default_role"]:
        click.echo(f"every signed-in user: {found['default_role']}")


@members.command("default")
@click.argument("project")
@click.argument("role", type=click.Choice(["viewer", "editor", "none"]))
@store_options
@reports_errors
def default_role(project: str, role: str, data_dir: str | None, db_uri: str | None) -> None:
    """Give every signed-in user ROLE in PROJECT (none: members only)."""
    with operator_store(data_dir, db_uri) as store:
        store.members.set_default_role(project, None if role == "none" else role)
    click.echo(f"every signed-in user of {project}: {role}")
