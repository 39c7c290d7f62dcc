"""capture_packages on this virtual environment and on synthetic site folders."""

from __future__ import annotations

import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import labledger
from labledger.sdk.capture.packages import capture_packages, normalize_name

REPO = Path(__file__).resolve().parents[2]


def dist_info(site: Path, folder: str, metadata: str, direct_url: object = None) -> Path:
    path = site / folder
    path.mkdir(parents=True)
    (path / "METADATA").write_text(metadata)
    (path / "RECORD").write_text("")
    if direct_url is not None:
        (path / "direct_url.json").write_text(json.dumps(direct_url))
    return path


@pytest.fixture(scope="module")
def captured() -> dict:
    return capture_packages()


def test_finds_pytest_with_its_version(captured):
    assert captured["packages"]["pytest"] == importlib.metadata.version("pytest")


def test_labledger_is_found_and_flagged_editable(captured):
    assert captured["packages"]["labledger"] == labledger.__version__
    direct = captured["direct_urls"]["labledger"]
    assert direct["editable"] is True
    assert direct["url"] == REPO.as_uri()
    # HEAD of this checkout when captured (others may have committed since)
    assert re.fullmatch("[0-9a-f]{40}", direct["git_commit"])
    check = ["git", "merge-base", "--is-ancestor", direct["git_commit"], "HEAD"]
    assert subprocess.run(check, cwd=REPO, capture_output=True).returncode == 0


def test_matches_importlib_metadata_for_the_whole_environment(captured):
    expected: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        expected.setdefault(normalize_name(dist.metadata["Name"]), dist.version)
    assert captured["packages"] == expected
    assert captured["count"] == len(expected)
    assert list(captured["packages"]) == sorted(captured["packages"])
    assert "error" not in captured


def test_python_facts(captured):
    python = captured["python"]
    assert python["executable"] == sys.executable
    assert python["version"].startswith(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert python["implementation"] == "CPython"
    assert python["virtualenv"] is (sys.prefix != sys.base_prefix)
    assert python["prefix"] == sys.prefix and python["base_prefix"] == sys.base_prefix


def test_result_is_json_ready(captured):
    assert json.loads(json.dumps(captured)) == captured


@pytest.mark.parametrize(
    ("name", "expected"),
    [("Foo.Bar_baz", "foo-bar-baz"), ("PyYAML", "pyyaml"), ("a--b__c", "a-b-c")],
)
def test_normalize_name(name, expected):
    assert normalize_name(name) == expected


def test_synthetic_site_folder(tmp_path):
    site, later = tmp_path / "site", tmp_path / "later"
    dist_info(site, "Foo_Bar-1.2.3.dist-info", "Metadata-Version: 2.1\nName: Foo_Bar\n")
    # a folder name that is not {name}-{version}: the headers are read instead
    dist_info(site, "odd-name-2.0.dist-info", "Name: odd-name\nVersion: 2.0rc1\n\nbody\n")
    legacy = site / "oldpkg.egg-info"
    legacy.mkdir()
    (legacy / "PKG-INFO").write_text("Metadata-Version: 1.0\nName: OldPkg\nVersion: 0.9\n")
    (site / "single-0.1-py3.11.egg-info").write_text("Name: single\nVersion: 0.1\n")
    (site / "notes.txt").write_text("not a distribution")
    dist_info(later, "foo_bar-9.9.dist-info", "Name: foo_bar\nVersion: 9.9\n")
    result = capture_packages([str(site), str(later), str(tmp_path / "missing")])
    assert result["packages"] == {
        "foo-bar": "1.2.3",  # the first on the path wins, like imports
        "odd-name": "2.0rc1",
        "oldpkg": "0.9",
        "single": "0.1",
    }
    assert result["count"] == 4 and result["direct_urls"] == {}


def test_direct_url_forms(tmp_path):
    site = tmp_path / "site"
    dist_info(
        site,
        "fromgit-0.1.dist-info",
        "",
        {
            "url": "https://user:tok3n@example.com/org/fromgit.git",
            "vcs_info": {"vcs": "git", "commit_id": "a" * 40, "requested_revision": "main"},
            "subdirectory": "python",
        },
    )
    dist_info(
        site,
        "fromzip-1.0.dist-info",
        "",
        {
            "url": "https://example.com/fromzip-1.0.tar.gz",
            "archive_info": {"hashes": {"sha256": "ab"}},
        },
    )
    dist_info(site, "localdir-3.0.dist-info", "", {"url": "file:///nowhere", "dir_info": {}})
    dist_info(site, "broken-1.0.dist-info", "")
    (site / "broken-1.0.dist-info" / "direct_url.json").write_text("{not json")
    result = capture_packages([str(site)])
    direct = result["direct_urls"]
    assert direct["fromgit"] == {
        "url": "https://example.com/org/fromgit.git",
        "editable": False,
        "vcs": "git",
        "commit_id": "a" * 40,
        "requested_revision": "main",
        "subdirectory": "python",
    }
    assert direct["fromzip"]["archive_hash"] == "sha256=ab"
    assert direct["localdir"] == {"url": "file:///nowhere", "editable": False, "git_commit": None}
    assert "error" in direct["broken"]
    assert result["packages"]["broken"] == "1.0"
    assert "tok3n" not in json.dumps(result)
