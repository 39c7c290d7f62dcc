"""``labledger login URL``: check a token against a server and save it for the SDK and CLI."""

from __future__ import annotations

import sys

import click

from labledger.cli._common import reports_errors
from labledger.core.errors import AuthenticationError


@click.command()
@click.argument("url")
@click.option(
    "--token-stdin",
    is_flag=True,
    help="Read the token from stdin (for scripts) instead of asking for it.",
)
@reports_errors
def login(url: str, token_stdin: bool) -> None:
    """Save a token for the server at URL (checked against it first) in the credentials file
    (mode 0600); runs and commands aimed at URL then send it.  LABLEDGER_TOKEN still wins."""
    from labledger.sdk.credentials import save_token
    from labledger.sdk.transport.http import HttpConnection

    if not url.startswith(("http://", "https://")):
        raise click.BadParameter("URL must start with http:// or https://", param_hint="URL")
    if token_stdin:
        token = sys.stdin.readline().strip()
    else:
        token = click.prompt("Token (from `labledger tokens create` or the UI)", hide_input=True)
    token = token.strip()
    connection = HttpConnection(url, token=token, timeout=15.0)
    try:
        session = connection.request("GET", "/api/v1/auth/session")
    finally:
        connection.close()
    if not session.get("auth"):
        click.echo(f"{url} does not ask for credentials (auth is off); saving the token anyway")
    elif not session.get("user"):
        raise AuthenticationError(
            f"{url} does not accept this token (unknown, expired or revoked); create one with "
            "`labledger tokens create USER` or on the UI's tokens page"
        )
    path = save_token(url, token)
    who = session.get("user") or "(auth off)"
    click.echo(f"logged in to {url} as {who}; token saved in {path}")
