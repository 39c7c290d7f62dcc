"""The credentials file `labledger login URL` writes: one token per server, readable by
its owner only (mode 0600).  ``LABLEDGER_TOKEN`` wins over it when set."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

ENV = "LABLEDGER_CREDENTIALS_FILE"


def credentials_path() -> Path:
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "labledger" / "credentials.json"


def _server_key(url: str) -> str:
    return url.rstrip("/").lower()


def _load(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    servers = data.get("servers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        return {}
    return {k: v for k, v in servers.items() if isinstance(k, str) and isinstance(v, str)}


def token_for(url: str) -> str | None:
    """The token saved for the server at ``url``, if any."""
    return _load(credentials_path()).get(_server_key(url))


def save_token(url: str, token: str) -> Path:
    """Save ``token`` for ``url`` (replacing one saved before); the file is written whole,
    created with mode 0600 before any secret is in it, and moved into place."""
    path = credentials_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    servers = _load(path)
    servers[_server_key(url)] = token
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".credentials-")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as out:
            json.dump({"servers": servers}, out, indent=2)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
