"""Symbolic links in a folder logged with ``log_artifact`` (and ``labledger artifacts put``).

Links inside the folder are followed; a link leading outside it (a repository carrying a link
to a key file) is skipped with a warning naming it, and its target's bytes never reach the
blob store, unless ``follow_symlinks=True``.  Broken links and cycles are skipped with a
warning.  Real links in temporary folders, on the embedded store.
"""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

import labledger as ll
from labledger.cli.main import cli


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``out/`` (the folder logged: ``a.txt``, ``data/x.bin``) beside files it must not leak:
    ``secret.key`` and ``outside/creds.txt``, each holding bytes unique to the test."""
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    # one upload thread: these tests log the same content under several paths, and two
    # threads declaring a content while the other publishes it can be refused ("size is 5
    # but content … has 0 bytes": known_sizes reads the put lease's size 0), a race that is
    # not what these tests are about
    monkeypatch.setenv("LABLEDGER_UPLOAD_THREADS", "1")
    out = tmp_path / "out"
    (out / "data").mkdir(parents=True)
    (out / "a.txt").write_bytes(b"alpha")
    (out / "data" / "x.bin").write_bytes(b"x-bytes")
    (tmp_path / "secret.key").write_bytes(b"KEY-" + uuid.uuid4().hex.encode())
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "creds.txt").write_bytes(b"CREDS-" + uuid.uuid4().hex.encode())
    return tmp_path


def outside_bytes(work: Path) -> list[bytes]:
    return [(work / "secret.key").read_bytes(), (work / "outside" / "creds.txt").read_bytes()]


def log_folder(
    work: Path, caplog: pytest.LogCaptureFixture, **kwargs: bool
) -> tuple[list[str], dict[str, bytes], list[str]]:
    """Log ``out/`` to a run on the embedded store: (paths log_artifact returned, what the
    store holds by path, the warnings)."""
    store = str(work / "store")
    with caplog.at_level(logging.WARNING, logger="labledger.sdk"):
        with ll.init(project="links", tracking_uri=store) as run:
            paths = run.log_artifact(work / "out", **kwargs)
    with ll.Client(store) as client:
        stored = {}
        for entry in client.list_artifacts(run.id):
            with client.open_artifact(run.id, entry.path) as f:
                stored[entry.path] = f.read()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    return paths, stored, warnings


def assert_not_stored(work: Path, data: list[bytes]) -> None:
    """Bytes appear in no file of the store (database, blobs) nor of the spool."""
    for folder in (work / "store", work / "spool"):
        for path in folder.rglob("*"):
            if path.is_file():
                content = path.read_bytes()
                for item in data:
                    assert item not in content, f"{item!r} reached {path}"


BASE = {"a.txt": b"alpha", "data/x.bin": b"x-bytes"}


def test_a_file_link_inside_the_folder_is_followed(work, caplog):
    os.symlink("a.txt", work / "out" / "link.txt")
    os.symlink("../a.txt", work / "out" / "data" / "up.txt")
    paths, stored, warnings = log_folder(work, caplog)
    assert stored == {**BASE, "link.txt": b"alpha", "data/up.txt": b"alpha"}
    assert sorted(paths) == sorted(stored)
    assert warnings == []


def test_a_folder_link_inside_the_folder_is_followed(work, caplog):
    os.symlink("data", work / "out" / "alias", target_is_directory=True)
    paths, stored, warnings = log_folder(work, caplog)
    assert stored == {**BASE, "alias/x.bin": b"x-bytes"}
    assert warnings == []


def test_a_file_link_leading_outside_is_skipped_with_a_warning(work, caplog):
    os.symlink(work / "secret.key", work / "out" / "id_rsa")  # absolute
    os.symlink("../../secret.key", work / "out" / "data" / "key.pem")  # relative
    os.symlink("id_rsa", work / "out" / "chain")  # inside, to a link that leads outside
    paths, stored, warnings = log_folder(work, caplog)
    assert stored == BASE and sorted(paths) == sorted(BASE)
    assert len(warnings) == 3
    for name in ("id_rsa", "key.pem", "chain"):
        [message] = [w for w in warnings if f"/{name}:" in w]
        assert "leads outside" in message and "follow_symlinks=True" in message
    assert_not_stored(work, outside_bytes(work))


def test_a_folder_link_leading_outside_is_skipped_with_a_warning(work, caplog):
    os.symlink(work / "outside", work / "out" / "ext", target_is_directory=True)
    paths, stored, warnings = log_folder(work, caplog)
    assert stored == BASE
    [message] = warnings
    assert "ext" in message and "leads outside" in message
    assert_not_stored(work, outside_bytes(work))


def test_link_cycles_end_with_a_warning_and_each_file_once(work, caplog):
    os.symlink("..", work / "out" / "data" / "parent", target_is_directory=True)
    os.symlink(".", work / "out" / "self", target_is_directory=True)
    os.symlink("loop-b", work / "out" / "loop-a")  # two links naming each other
    os.symlink("loop-a", work / "out" / "loop-b")
    paths, stored, warnings = log_folder(work, caplog)
    assert stored == BASE
    cycles = [w for w in warnings if "a cycle" in w]
    assert len(cycles) == 2 and any("parent" in w for w in cycles)
    assert any("self" in w for w in cycles)
    unresolved = [w for w in warnings if "cannot be resolved" in w]
    assert len(unresolved) == 2


def test_a_broken_link_is_skipped_with_a_warning(work, caplog):
    os.symlink("missing.txt", work / "out" / "dangling")
    paths, stored, warnings = log_folder(work, caplog)
    assert stored == BASE
    [message] = warnings
    assert "dangling" in message and "broken" in message


def test_follow_symlinks_takes_links_leading_outside(work, caplog):
    os.symlink(work / "secret.key", work / "out" / "id_rsa")
    os.symlink(work / "outside", work / "out" / "ext", target_is_directory=True)
    os.symlink("nowhere", work / "out" / "dangling")  # still skipped
    key, creds = outside_bytes(work)
    paths, stored, warnings = log_folder(work, caplog, follow_symlinks=True)
    assert stored == {**BASE, "id_rsa": key, "ext/creds.txt": creds}
    [message] = warnings
    assert "dangling" in message


def test_log_checkpoint_takes_follow_symlinks_too(work, caplog):
    os.symlink(work / "secret.key", work / "out" / "id_rsa")
    store = str(work / "store")
    with caplog.at_level(logging.WARNING, logger="labledger.sdk"):
        with ll.init(project="links", tracking_uri=store) as run:
            skipped = run.log_checkpoint(work / "out", step=1)
            taken = run.log_checkpoint(work / "out", step=2, follow_symlinks=True)
    assert "checkpoints/step-1/id_rsa" not in skipped
    assert "checkpoints/step-2/id_rsa" in taken
    assert any("id_rsa" in r.getMessage() for r in caplog.records)


def test_artifacts_put_skips_outside_links_unless_asked(work):
    os.symlink(work / "secret.key", work / "out" / "id_rsa")
    store = str(work / "store")
    run = ll.init(project="links", tracking_uri=store)
    run.finish("failed")  # ended but not sealed: it still takes artifacts
    base = ["artifacts", "put", run.id, str(work / "out"), "--tracking-uri", store]

    result = CliRunner().invoke(cli, [*base, "--path", "plain"])
    assert result.exit_code == 0, result.output
    assert "warning: skipped symlink" in result.output and "id_rsa" in result.output
    assert "uploaded 2 files" in result.output
    assert_not_stored(work, outside_bytes(work)[:1])

    result = CliRunner().invoke(cli, [*base, "--path", "all", "--follow-symlinks"])
    assert result.exit_code == 0, result.output
    assert "uploaded 3 files" in result.output and "warning" not in result.output
    with ll.Client(store) as client:
        paths = {e.path for e in client.list_artifacts(run.id)}
    assert "all/id_rsa" in paths and "plain/id_rsa" not in paths
