"""Which files a ``log_artifact`` call logs, under which paths: a file, or a folder walked
recursively with the symbolic-link rules (links inside the folder followed, links leading
outside skipped with a warning unless ``follow_symlinks=True``)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path

from labledger.core.artifact_validation import check_artifact_path
from labledger.core.errors import InvalidInputError

log = logging.getLogger("labledger.sdk")


Warn = Callable[[str], None]


def expand(
    local: str | os.PathLike[str],
    path: str | None,
    *,
    follow_symlinks: bool = False,
    warn: Warn | None = None,
) -> list[tuple[Path, str]]:
    """(file, logical path) pairs for a file or, recursively, a folder; paths validated.

    In a folder, symbolic links are followed when their target is inside the folder (see
    :func:`walk_folder`); ``follow_symlinks=True`` follows links leading outside it too.
    A file or folder named directly is taken even when it is a link.
    """
    source = Path(local)
    if source.is_dir():
        prefix = check_artifact_path("path", path, allow_empty=True) if path else ""
        pairs: list[tuple[Path, str]] = []
        for file, rel in walk_folder(source, follow_symlinks=follow_symlinks, warn=warn):
            logical = f"{prefix}/{rel}" if prefix else rel
            pairs.append((file, check_artifact_path("path", logical)))
        return pairs
    if not source.is_file():
        raise InvalidInputError(
            f"{source} is neither a file nor a folder", details={"field": "local_path"}
        )
    if path is None:
        logical = source.name
    else:
        logical = check_artifact_path("path", path, allow_empty=True)
        logical = f"{logical}/{source.name}" if logical else source.name
    return [(source, check_artifact_path("path", logical))]


def walk_folder(
    folder: Path, *, follow_symlinks: bool = False, warn: Warn | None = None
) -> list[tuple[Path, str]]:
    """(file, path relative to ``folder``) for every regular file under ``folder``: each
    folder's files by name, then its subfolders by name.

    Symbolic links (to files and to folders) are followed when their target resolves inside
    ``folder``: a repository may link one of its files or folders into another place.  A
    link leading outside (to ``~/.ssh/id_rsa``, say) is skipped with a warning unless
    ``follow_symlinks`` is true.  Skipped with a warning, always: broken links, a link to a
    folder that is being walked (a cycle), and what is not a regular file (sockets, FIFOs).
    Warnings go to ``warn`` (default: the ``labledger.sdk`` logger).
    """
    say: Warn = warn or log.warning
    root = folder.resolve()
    out: list[tuple[Path, str]] = []

    def visit(directory: Path, real: Path, rel: str, walking: frozenset[Path]) -> None:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            say(f"skipped folder {directory}: {exc.strerror or exc}")
            return
        folders: list[tuple[Path, Path, str]] = []
        for entry in entries:
            item = Path(entry.path)
            child = f"{rel}/{entry.name}" if rel else entry.name
            if entry.is_symlink():
                try:
                    target = item.resolve(strict=True)
                except FileNotFoundError:
                    say(f"skipped symlink {item}: its target does not exist (broken link)")
                    continue
                except (OSError, RuntimeError) as exc:  # a loop of links
                    say(f"skipped symlink {item}: it cannot be resolved ({exc})")
                    continue
                if not follow_symlinks and not target.is_relative_to(root):
                    say(
                        f"skipped symlink {item}: it leads outside {folder} (to {target}); "
                        "pass follow_symlinks=True to include what it points to"
                    )
                    continue
                if target.is_dir():
                    folders.append((item, target, child))
                elif target.is_file():
                    out.append((item, child))
                else:
                    say(f"skipped {item}: {target} is not a regular file")
            elif entry.is_dir(follow_symlinks=False):
                folders.append((item, real / entry.name, child))
            elif entry.is_file(follow_symlinks=False):
                out.append((item, child))
            else:
                say(f"skipped {item}: not a regular file")
        for item, target, child in folders:
            if target in walking:
                say(f"skipped {item}: it leads back to {target}, a folder being walked (a cycle)")
                continue
            visit(item, target, child, walking | {target})

    visit(folder, root, "", frozenset({root}))
    return out
