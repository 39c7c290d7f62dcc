"""The interpreter and the installed distributions, for reproducing a run's environment.

Versions are read from the ``.dist-info`` folder names, which the wheel format makes
``{name}-{version}`` with both parts escaped to contain no ``-``: one ``os.scandir`` per
``sys.path`` entry and no file read per distribution. A folder whose name does not have
exactly that shape, and legacy ``.egg-info`` metadata, fall back to reading the ``Name`` and
``Version`` headers. ``importlib.metadata.distributions()`` parses every METADATA file
instead (57 ms for 106 distributions on the bench machine, so ~150 ms for 300).

Distributions installed from a URL, a local folder or editable (PEP 610 ``direct_url.json``)
are listed again under ``direct_urls`` with what reproducing them needs. Zipped eggs on
sys.path are not looked into.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from labledger.sdk.capture.git import find_repository, read_head, strip_url_password

_NORMALIZE_RE = re.compile(r"[-_.]+")


def normalize_name(name: str) -> str:
    """PEP 503 normalised project name: ``Foo.Bar_baz`` -> ``foo-bar-baz``."""
    return _NORMALIZE_RE.sub("-", name).lower()


def capture_packages(paths: Sequence[str] | None = None) -> dict[str, Any]:
    """``python`` (interpreter facts), ``packages`` (normalised name -> version, sorted by
    name; the first found on ``paths`` wins, as for imports), ``count``, ``direct_urls``
    (name -> ``url``, ``editable``, and when known ``vcs``, ``commit_id``,
    ``requested_revision``, ``subdirectory``, ``archive_hash``, ``git_commit``), and
    ``error`` when something could not be read. ``paths`` defaults to ``sys.path``. Never
    raises."""
    result: dict[str, Any] = {"python": {}, "packages": {}, "count": 0, "direct_urls": {}}
    errors: list[str] = []
    try:
        result["python"] = python_info()
    except Exception as exc:  # noqa: BLE001 - capture must never break init()
        errors.append(f"python: {exc!r}")
    try:
        packages, direct_urls = scan_distributions(sys.path if paths is None else paths, errors)
        result["packages"] = dict(sorted(packages.items()))
        result["count"] = len(packages)
        result["direct_urls"] = dict(sorted(direct_urls.items()))
    except Exception as exc:  # noqa: BLE001
        errors.append(f"distributions: {exc!r}")
    if errors:
        result["error"] = "; ".join(errors[:10])
    return result


def python_info() -> dict[str, Any]:
    return {
        "version": platform.python_version(),
        "implementation": platform.python_implementation(),
        "build": sys.version,
        "executable": sys.executable,
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "virtualenv": sys.prefix != sys.base_prefix,
        "conda": os.path.isdir(os.path.join(sys.prefix, "conda-meta")),
    }


def scan_distributions(
    paths: Sequence[str], errors: list[str]
) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """(name -> version, name -> direct URL facts) over the folders in ``paths``."""
    packages: dict[str, str] = {}
    direct_urls: dict[str, dict[str, Any]] = {}
    heads: dict[Path, str | None] = {}  # repository root -> HEAD, for editable installs
    for entry in dict.fromkeys(paths):  # a folder listed twice is scanned once
        try:
            items = sorted(os.scandir(entry or "."), key=lambda e: e.name)
        except OSError:
            continue  # missing folders and zip files
        for item in items:
            suffix = item.name.rpartition(".")[2]
            if suffix not in ("dist-info", "egg-info"):
                continue
            try:
                found = _name_version(item.path, item.name, suffix, item.is_dir())
                if found is None or found[0] in packages:
                    continue
                name, version = found
                packages[name] = version
                if suffix == "dist-info":
                    direct = read_direct_url(os.path.join(item.path, "direct_url.json"), heads)
                    if direct is not None:
                        direct_urls[name] = direct
            except Exception as exc:  # noqa: BLE001 - one broken folder spoils nothing else
                errors.append(f"{item.path}: {exc!r}")
    return packages, direct_urls


def _name_version(path: str, folder: str, suffix: str, is_dir: bool) -> tuple[str, str] | None:
    stem = folder[: -len(suffix) - 1]
    if suffix == "dist-info" and stem.count("-") == 1:
        name, version = stem.split("-")
        if name and version:
            return normalize_name(name), version
    if suffix == "dist-info":
        meta = os.path.join(path, "METADATA")
    else:  # legacy: a folder with PKG-INFO, or the metadata file itself
        meta = os.path.join(path, "PKG-INFO") if is_dir else path
    headers = read_metadata_headers(meta)
    if headers.get("name") and headers.get("version"):
        return normalize_name(headers["name"]), headers["version"]
    return None


def read_metadata_headers(path: str) -> dict[str, str]:
    """``name`` and ``version`` from a core-metadata file's headers (missing if unreadable)."""
    found: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip():
                    break  # the body (long description) starts here
                key, sep, value = line.partition(":")
                if sep and key.lower() in ("name", "version"):
                    found.setdefault(key.lower(), value.strip())
                    if len(found) == 2:
                        break
    except OSError:
        pass
    return found


def read_direct_url(
    path: str, heads: dict[Path, str | None] | None = None
) -> dict[str, Any] | None:
    """What PEP 610's ``direct_url.json`` says, or None when there is none. ``heads``
    caches the HEAD of each repository that holds a local folder install."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"error": f"unreadable direct_url.json: {exc!r}"}
    if not isinstance(data, dict):
        return {"error": "direct_url.json is not an object"}
    url = str(data.get("url", ""))
    out: dict[str, Any] = {"url": strip_url_password(url), "editable": False}
    dir_info, vcs_info = data.get("dir_info"), data.get("vcs_info")
    archive_info = data.get("archive_info")
    if isinstance(dir_info, dict):
        out["editable"] = bool(dir_info.get("editable", False))
    if isinstance(vcs_info, dict):
        for key in ("vcs", "commit_id", "requested_revision"):
            if key in vcs_info:
                out[key] = vcs_info[key]
    if isinstance(archive_info, dict):
        hashes = archive_info.get("hashes")
        if isinstance(hashes, dict) and hashes:
            algo = "sha256" if "sha256" in hashes else sorted(hashes)[0]
            out["archive_hash"] = f"{algo}={hashes[algo]}"
        elif isinstance(archive_info.get("hash"), str):
            out["archive_hash"] = archive_info["hash"]
    if isinstance(data.get("subdirectory"), str):
        out["subdirectory"] = data["subdirectory"]
    if isinstance(dir_info, dict) and url.startswith("file:"):
        out["git_commit"] = _local_git_commit(url, {} if heads is None else heads)
    return out


def _local_git_commit(url: str, heads: dict[Path, str | None]) -> str | None:
    """HEAD of the repository holding a local folder install, read from its files (its
    dirty state is not checked: that would cost a git call per editable install)."""
    repo = find_repository(Path(unquote(urlsplit(url).path)))
    if repo is None:
        return None
    if repo.root not in heads:
        heads[repo.root] = read_head(repo)[0]
    return heads[repo.root]
