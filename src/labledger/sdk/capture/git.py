"""Git provenance: commit, branch, remote, dirty state and the uncommitted diff.

The repository is found and HEAD, the branch and the remotes are read from its files (loose
and packed refs, ``.git`` files of worktrees and submodules, ``config``), without a
subprocess. ``git`` itself runs at most twice: ``git status`` for the dirty state (and the
authoritative commit and branch), and ``git diff`` only when a tracked file changed. Both run
with ``GIT_OPTIONAL_LOCKS=0``, so capture never takes the index lock, and with a timeout.

Dirty means a tracked file differs from HEAD, staged or not (modified, added, deleted,
renamed, unmerged). Untracked files do not make a tree dirty and are not in the diff (``git
diff`` has no content for them); they are counted in ``untracked_count``, as ``git status``
lists them: a new directory counts once.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import threading
from pathlib import Path
from typing import Any, NamedTuple

GIT_TIMEOUT_S = 5.0
UNTRACKED_SAMPLE = 20  # untracked paths listed by name; all are counted
_SHA_RE = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_EMPTY_TREE = {  # what an unborn HEAD is diffed against
    "sha1": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "sha256": "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
}
_SECTION_RE = re.compile(r'\[\s*([A-Za-z0-9.-]+)(?:\s+"((?:[^"\\]|\\.)*)")?\s*\](.*)')


class Repository(NamedTuple):
    """Where a work tree's git data lives: ``git_dir`` holds its HEAD (a worktree's own
    folder under ``.git/worktrees/``), ``common_dir`` the refs and config they share."""

    root: Path
    git_dir: Path
    common_dir: Path


def find_repository(start: Path) -> Repository | None:
    """The innermost work tree containing ``start``, as git finds it (``.git`` folder or a
    ``gitdir:`` file); None outside any."""
    try:
        here = start.resolve()
    except (OSError, RuntimeError):
        return None
    for folder in (here, *here.parents):
        dot_git = folder / ".git"
        git_dir: Path | None = dot_git
        try:
            if dot_git.is_file():
                text = _read_text(dot_git) or ""
                git_dir = folder / text[7:].strip() if text.startswith("gitdir:") else None
            if git_dir is None or not (git_dir / "HEAD").is_file():
                continue
            git_dir = git_dir.resolve()
        except (OSError, RuntimeError):  # a folder we may not look into: git skips it too
            continue
        common = _read_text(git_dir / "commondir")
        common_dir = (git_dir / common).resolve() if common else git_dir
        return Repository(root=folder, git_dir=git_dir, common_dir=common_dir)
    return None


def read_head(repo: Repository) -> tuple[str | None, str | None]:
    """(commit, branch) from the files: commit None before the first commit, branch None
    when HEAD is detached."""
    head = _read_text(repo.git_dir / "HEAD") or ""
    if not head.startswith("ref:"):
        return (head if _SHA_RE.fullmatch(head) else None), None
    ref = head[4:].strip()
    branch = ref.removeprefix("refs/heads/") if ref.startswith("refs/heads/") else None
    return _resolve_ref(repo, ref), branch


def _resolve_ref(repo: Repository, ref: str) -> str | None:
    packed: dict[str, str] | None = None
    for _ in range(5):  # a symbolic ref may point at another one
        value = _read_text(repo.git_dir / ref) or _read_text(repo.common_dir / ref)
        if value is None:
            if packed is None:
                packed = _packed_refs(repo.common_dir)
            value = packed.get(ref)
        if value is None:
            return None
        if not value.startswith("ref:"):
            return value if _SHA_RE.fullmatch(value) else None
        ref = value[4:].strip()
    return None


def _packed_refs(common_dir: Path) -> dict[str, str]:
    refs: dict[str, str] = {}
    for line in (_read_text(common_dir / "packed-refs") or "").splitlines():
        if line and line[0] not in "#^":
            sha, _, name = line.partition(" ")
            refs[name.strip()] = sha
    return refs


def read_config(path: Path) -> list[tuple[str, str | None, str, str]]:
    """(section, subsection, key, value) entries of a git config file, in order; section and
    key lower-cased as git compares them. Includes are not followed."""
    entries: list[tuple[str, str | None, str, str]] = []
    section, subsection = "", None
    for raw in (_read_text(path) or "").splitlines():
        line = raw.strip()
        if line.startswith("["):
            match = _SECTION_RE.match(line)
            if not match:
                continue
            section, subsection = match[1].lower(), match[2]
            line = match[3].strip()
        if not line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        entries.append((section, subsection, key.strip().lower(), _config_value(value)))
    return entries


def _config_value(raw: str) -> str:
    out: list[str] = []
    quoted, i = False, 0
    while i < len(raw):
        char = raw[i]
        if char == '"':
            quoted = not quoted
        elif char == "\\" and i + 1 < len(raw):
            i += 1
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(raw[i], raw[i]))
        elif char in "#;" and not quoted:
            break
        else:
            out.append(char)
        i += 1
    return "".join(out).strip()


def strip_url_password(url: str) -> str:
    """Remove credentials from a URL: the whole userinfo of an http(s) URL (a token may be
    the user name there), only the password for other schemes (``ssh://git@host`` keeps
    ``git``). scp-like ``user@host:path`` and local paths cannot carry a password."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    end = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    userinfo, at, host = rest[:end].rpartition("@")
    if not at:
        return url
    user = userinfo.partition(":")[0]
    if scheme.lower().rpartition("+")[2] in ("http", "https") or not user:
        return f"{scheme}://{host}{rest[end:]}"
    return f"{scheme}://{user}@{host}{rest[end:]}"


def capture_git(
    cwd: Path, max_diff_bytes: int = 1_000_000
) -> tuple[dict[str, Any] | None, bytes | None]:
    """(info, diff) for the work tree containing ``cwd``; (None, None) outside one.

    ``info``: ``root``, ``commit`` (None before the first commit), ``branch`` (None when
    detached), ``remote_name`` and ``remote_url`` (origin, else the first remote; password
    removed), ``dirty``, ``changed_count``, ``untracked_count``, ``untracked_paths`` (the
    first 20), ``diff_bytes`` (size of the whole diff), ``diff_truncated``, and ``error``
    when a part could not be read (those fields are then None). ``diff``: staged and
    unstaged changes of tracked files against HEAD (``git diff --binary``; against the empty
    tree before the first commit), cut at a line boundary to ``max_diff_bytes``; b"" when
    clean, None when not captured. Never raises.
    """
    try:
        repo = find_repository(cwd)
        if repo is None:
            return None, None
        return _capture(repo, max(0, max_diff_bytes))
    except Exception as exc:  # noqa: BLE001 - capture must never break init()
        return {"error": f"git capture failed: {exc!r}"}, None


def _capture(repo: Repository, max_diff_bytes: int) -> tuple[dict[str, Any], bytes | None]:
    commit, branch = read_head(repo)
    config = read_config(repo.common_dir / "config")
    remotes: dict[str, str] = {}
    for section, name, key, value in config:
        if section == "remote" and name is not None and key == "url":
            remotes.setdefault(name, value)
    remote_name = "origin" if "origin" in remotes else next(iter(remotes), None)
    info: dict[str, Any] = {
        "root": str(repo.root),
        "commit": commit,
        "branch": branch,
        "remote_name": remote_name,
        "remote_url": strip_url_password(remotes[remote_name]) if remote_name else None,
        **dict.fromkeys(("dirty", "changed_count", "untracked_count", "untracked_paths")),
        "diff_bytes": None,
        "diff_truncated": False,
    }
    try:
        out = _run_git(repo, ["status", "--porcelain=v2", "--branch", "-z", "--no-renames"])
    except (OSError, subprocess.SubprocessError, GitError) as exc:
        info["error"] = f"git status: {_describe(exc)}"
        return info, None
    status = parse_status(out)
    oid, head = status.pop("head_oid"), status.pop("head_name")
    info.update(status)
    if oid == "(initial)":  # git knows best: also right for reftable repositories
        info["commit"] = None
    elif oid and _SHA_RE.fullmatch(oid):
        info["commit"] = oid
    if head:
        info["branch"] = None if head == "(detached)" else head
    info["dirty"] = info["changed_count"] > 0
    if not info["dirty"]:
        info["diff_bytes"] = 0
        return info, b""
    object_format = next(
        (v for s, _, k, v in config if s == "extensions" and k == "objectformat"), "sha1"
    )
    base = info["commit"] or _EMPTY_TREE.get(object_format.lower(), _EMPTY_TREE["sha1"])
    diff, total, error = _read_diff(repo, base, max_diff_bytes)
    info["diff_bytes"] = total
    info["diff_truncated"] = diff is not None and len(diff) < total
    if error:
        info["error"] = f"git diff: {error}"
    return info, diff


def parse_status(out: bytes) -> dict[str, Any]:
    """Fields of ``git status --porcelain=v2 --branch -z`` output."""
    fields: dict[str, Any] = {"head_oid": None, "head_name": None}
    changed, untracked = 0, []
    records = iter(out.split(b"\0"))
    for record in records:
        kind = record[:2]
        if record.startswith(b"# branch.oid "):
            fields["head_oid"] = record[13:].decode("ascii", "replace")
        elif record.startswith(b"# branch.head "):
            fields["head_name"] = record[14:].decode("utf-8", "replace")
        elif kind in (b"1 ", b"u "):
            changed += 1
        elif kind == b"2 ":  # renamed or copied: the original path is the next record
            changed += 1
            next(records, None)
        elif kind == b"? ":
            untracked.append(record[2:].decode("utf-8", "replace"))
    fields["changed_count"] = changed
    fields["untracked_count"] = len(untracked)
    fields["untracked_paths"] = untracked[:UNTRACKED_SAMPLE]
    return fields


class GitError(Exception):
    pass


def _popen_args(repo: Repository, args: list[str]) -> dict[str, Any]:
    """The command and options of every git call: explicit repository (GIT_DIR in the
    environment does not apply), no optional locks, no prompts, no stdin."""
    cmd = ["git", "--git-dir", str(repo.git_dir), "--work-tree", str(repo.root), *args]
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "GIT_TERMINAL_PROMPT": "0"}
    return {"args": cmd, "env": env, "cwd": repo.root, "stdin": subprocess.DEVNULL}


def _run_git(repo: Repository, args: list[str]) -> bytes:
    proc = subprocess.run(**_popen_args(repo, args), capture_output=True, timeout=GIT_TIMEOUT_S)
    if proc.returncode != 0:
        raise GitError(proc.stderr.decode("utf-8", "replace").strip() or f"exit {proc.returncode}")
    out: bytes = proc.stdout
    return out


def _read_diff(repo: Repository, base: str, cap: int) -> tuple[bytes | None, int, str | None]:
    """(diff cut to ``cap`` bytes at a line boundary, size of the whole diff, error).  The
    output is streamed, so a huge diff is counted, not held in memory."""
    args = ["diff", "--binary", "--no-color", "--no-ext-diff", "--no-textconv"]
    args += ["--src-prefix=a/", "--dst-prefix=b/", base, "--"]
    try:
        proc = subprocess.Popen(
            **_popen_args(repo, args), stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    except OSError as exc:
        return None, 0, _describe(exc)
    timed_out = threading.Event()

    def kill() -> None:
        timed_out.set()
        with contextlib.suppress(OSError):
            proc.kill()

    timer = threading.Timer(GIT_TIMEOUT_S, kill)
    timer.start()
    kept, total = bytearray(), 0
    try:
        assert proc.stdout is not None and proc.stderr is not None
        while chunk := proc.stdout.read(1 << 16):
            if len(kept) <= cap:
                kept += chunk[: cap + 1 - len(kept)]
            total += len(chunk)
        stderr = proc.stderr.read()
        returncode = proc.wait()
    finally:
        timer.cancel()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    if timed_out.is_set():
        return _cut(bytes(kept), cap), total, f"timed out after {GIT_TIMEOUT_S:g} s (partial)"
    if returncode != 0:
        return None, total, stderr.decode("utf-8", "replace").strip() or f"exit {returncode}"
    return _cut(bytes(kept), cap), total, None


def _cut(data: bytes, cap: int) -> bytes:
    if len(data) <= cap:
        return data
    end = data.rfind(b"\n", 0, cap)
    return data[: end + 1] if end >= 0 else data[:cap]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, FileNotFoundError):
        return "git executable not found"
    if isinstance(exc, subprocess.TimeoutExpired):
        return f"timed out after {GIT_TIMEOUT_S:g} s"
    return str(exc) or type(exc).__name__


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except (OSError, ValueError):
        return None
