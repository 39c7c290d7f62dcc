"""capture_git against real repositories made with the real ``git`` in tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from labledger.sdk.capture import git as capture_module
from labledger.sdk.capture.git import (
    capture_git,
    find_repository,
    read_head,
    strip_url_password,
)

GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=GIT_ENV, capture_output=True, text=True, check=True
    )
    return proc.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with two commits on ``main``."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    (root / "train.py").write_text("lr = 0.1\n")
    git(root, "add", "train.py")
    git(root, "commit", "-q", "-m", "first")
    (root / "README").write_text("hello\n")
    git(root, "add", "README")
    git(root, "commit", "-q", "-m", "second")
    return root


def test_clean_repo_reports_commit_branch_and_no_diff(repo):
    info, diff = capture_git(repo)
    assert info is not None
    assert info["commit"] == git(repo, "rev-parse", "HEAD")
    assert len(info["commit"]) == 40
    assert info["branch"] == "main"
    assert info["root"] == str(repo.resolve())
    assert info["dirty"] is False
    assert info["changed_count"] == 0
    assert info["untracked_count"] == 0
    assert (info["diff_bytes"], info["diff_truncated"], diff) == (0, False, b"")
    assert info["remote_url"] is None
    assert "error" not in info


def test_clean_repo_runs_git_once(repo, monkeypatch):
    calls: list[list[str]] = []
    real_run = subprocess.run

    def counting_run(*args, **kwargs):
        calls.append(kwargs.get("args") or args[0])
        return real_run(*args, **kwargs)

    monkeypatch.setattr(capture_module.subprocess, "run", counting_run)
    capture_git(repo)
    assert len(calls) == 1
    assert "status" in calls[0]


def test_subdirectory_finds_the_work_tree_root(repo):
    sub = repo / "src" / "pkg"
    sub.mkdir(parents=True)
    info, _ = capture_git(sub)
    assert info is not None and info["root"] == str(repo.resolve())


def test_modified_tracked_file_is_dirty_and_the_diff_restores_it(repo, tmp_path):
    (repo / "train.py").write_text("lr = 0.01\nepochs = 3\n")
    info, diff = capture_git(repo)
    assert info is not None and diff is not None
    assert info["dirty"] is True and info["changed_count"] == 1
    assert b"+lr = 0.01" in diff
    assert info["diff_bytes"] == len(diff) and info["diff_truncated"] is False
    copy = tmp_path / "copy"
    git(tmp_path, "clone", "-q", str(repo), str(copy))
    subprocess.run(["git", "apply", "-"], cwd=copy, input=diff, check=True, env=GIT_ENV)
    assert (copy / "train.py").read_text() == "lr = 0.01\nepochs = 3\n"


def test_staged_new_file_is_dirty_and_in_the_diff(repo):
    (repo / "model.py").write_text("layers = 4\n")
    git(repo, "add", "model.py")
    info, diff = capture_git(repo)
    assert info is not None and diff is not None
    assert info["dirty"] is True
    assert b"new file mode" in diff and b"+layers = 4" in diff


def test_staged_and_unstaged_changes_are_both_in_the_diff(repo):
    (repo / "train.py").write_text("lr = 0.2\n")
    git(repo, "add", "train.py")
    (repo / "README").write_text("changed\n")
    info, diff = capture_git(repo)
    assert info is not None and diff is not None
    assert info["changed_count"] == 2
    assert b"+lr = 0.2" in diff and b"+changed" in diff


def test_untracked_files_are_counted_but_not_dirty(repo):
    (repo / "notes.txt").write_text("scratch\n")
    (repo / "data").mkdir()
    (repo / "data" / "a.csv").write_text("1\n")
    (repo / "data" / "b.csv").write_text("2\n")
    info, diff = capture_git(repo)
    assert info is not None
    assert info["dirty"] is False
    assert info["untracked_count"] == 2  # a new directory counts once, as git status shows it
    assert sorted(info["untracked_paths"]) == ["data/", "notes.txt"]
    assert diff == b""


def test_detached_head_has_no_branch(repo):
    first = git(repo, "rev-parse", "HEAD~1")
    git(repo, "checkout", "-q", "--detach", first)
    info, _ = capture_git(repo)
    assert info is not None
    assert info["branch"] is None
    assert info["commit"] == first
    assert read_head(find_repository(repo)) == (first, None)  # type: ignore[arg-type]


def test_repository_without_commits(tmp_path):
    root = tmp_path / "fresh"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    info, diff = capture_git(root)
    assert info is not None
    assert (info["commit"], info["branch"], info["dirty"]) == (None, "main", False)
    assert diff == b""
    (root / "a.py").write_text("x = 1\n")
    git(root, "add", "a.py")
    info, diff = capture_git(root)
    assert info is not None and diff is not None
    assert info["commit"] is None and info["dirty"] is True
    assert b"+x = 1" in diff
    assert "error" not in info


def test_packed_refs_are_read_from_the_files(repo):
    head = git(repo, "rev-parse", "HEAD")
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert read_head(find_repository(repo)) == (head, "main")  # type: ignore[arg-type]


def test_remote_password_is_removed(repo):
    git(repo, "remote", "add", "origin", "https://alice:s3cret@example.com/team/repo.git")
    info, _ = capture_git(repo)
    assert info is not None
    assert info["remote_name"] == "origin"
    assert info["remote_url"] == "https://example.com/team/repo.git"
    assert "s3cret" not in str(info)


def test_first_remote_is_used_without_origin(repo):
    git(repo, "remote", "add", "upstream", "ssh://git:pw@example.com/team/repo.git")
    git(repo, "remote", "add", "zfork", "git@example.com:me/repo.git")
    info, _ = capture_git(repo)
    assert info is not None
    assert (info["remote_name"], info["remote_url"]) == (
        "upstream",
        "ssh://git@example.com/team/repo.git",
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://user:pw@host/r.git", "https://host/r.git"),
        ("https://ghp_token@host/r.git", "https://host/r.git"),
        ("git+https://u:p@ss@host:8443/r?x=1", "git+https://host:8443/r?x=1"),
        ("ssh://git:pw@host:22/r.git", "ssh://git@host:22/r.git"),
        ("ssh://git@host/r.git", "ssh://git@host/r.git"),
        ("git@github.com:org/r.git", "git@github.com:org/r.git"),
        ("/srv/git/r.git", "/srv/git/r.git"),
        ("file:///srv/git/r.git", "file:///srv/git/r.git"),
        ("https://host/path@v1", "https://host/path@v1"),
    ],
)
def test_strip_url_password(url, expected):
    assert strip_url_password(url) == expected


def test_diff_cap_truncates_at_a_line_boundary_and_flags_it(repo):
    (repo / "big.txt").write_text("".join(f"line {i}\n" for i in range(5000)))
    git(repo, "add", "big.txt")
    _, full = capture_git(repo)
    info, diff = capture_git(repo, max_diff_bytes=1000)
    assert info is not None and diff is not None and full is not None
    assert info["diff_truncated"] is True
    assert info["diff_bytes"] == len(full) > 1000
    assert 0 < len(diff) <= 1000 and diff.endswith(b"\n")
    assert full.startswith(diff)


def test_not_a_repository_returns_none(tmp_path):
    assert capture_git(tmp_path) == (None, None)


def test_worktree_reports_its_own_branch_and_state(repo, tmp_path):
    wt = tmp_path / "wt"
    git(repo, "worktree", "add", "-q", "-b", "experiment", str(wt))
    (wt / "train.py").write_text("lr = 0.5\n")
    git(repo, "remote", "add", "origin", "https://example.com/r.git")
    info, diff = capture_git(wt)
    assert info is not None and diff is not None
    assert info["root"] == str(wt.resolve())
    assert info["branch"] == "experiment"
    assert info["commit"] == git(repo, "rev-parse", "HEAD")
    assert info["remote_url"] == "https://example.com/r.git"  # the shared config
    assert info["dirty"] is True and b"+lr = 0.5" in diff
    assert read_head(find_repository(wt)) == (info["commit"], "experiment")  # type: ignore[arg-type]
    main_info, _ = capture_git(repo)
    assert main_info is not None and main_info["dirty"] is False


def test_git_file_pointing_elsewhere(tmp_path):
    root, store = tmp_path / "work", tmp_path / "store.git"
    git(tmp_path, "init", "-q", "-b", "main", f"--separate-git-dir={store}", str(root))
    (root / "a.txt").write_text("a\n")
    git(root, "add", "a.txt")
    git(root, "commit", "-q", "-m", "a")
    assert (root / ".git").is_file()
    info, _ = capture_git(root)
    assert info is not None
    assert (info["commit"], info["branch"]) == (git(root, "rev-parse", "HEAD"), "main")
    assert info["root"] == str(root.resolve())


def test_without_git_executable_files_still_give_commit_and_branch(repo, monkeypatch, tmp_path):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    head = git(repo, "rev-parse", "HEAD")
    monkeypatch.setenv("PATH", str(empty))
    info, diff = capture_git(repo)
    assert info is not None
    assert (info["commit"], info["branch"], info["dirty"]) == (head, "main", None)
    assert "git executable not found" in info["error"]
    assert diff is None
