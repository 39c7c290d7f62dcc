"""Settings from LABLEDGER_* environment variables, with keyword overrides."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest

from labledger.core.settings import DEFAULT_TRACKING_DIR, Settings

FULL_ENV = {
    "LABLEDGER_TRACKING_URI": "http://tracker:5000",
    "LABLEDGER_DB_URI": "sqlite:///x.db",
    "LABLEDGER_DATA_DIR": "/srv/labledger",
    "LABLEDGER_TOKEN": "secret-token",
    "LABLEDGER_SPOOL_DIR": "/tmp/spool",
    "LABLEDGER_SPOOL_FSYNC": "1",
    "LABLEDGER_PROJECT": "mnist",
}


def test_from_env_with_no_variables_gives_the_defaults():
    s = Settings.from_env({})
    assert s == Settings()
    assert (s.tracking_uri, s.project, s.spool_fsync) == (DEFAULT_TRACKING_DIR, "default", False)
    assert (s.db_uri, s.data_dir, s.token, s.spool_dir) == (None, None, None, None)


def test_from_env_reads_every_labledger_variable_from_the_given_dict():
    assert Settings.from_env(FULL_ENV) == Settings(
        tracking_uri="http://tracker:5000",
        db_uri="sqlite:///x.db",
        data_dir="/srv/labledger",
        token="secret-token",
        spool_dir="/tmp/spool",
        spool_fsync=True,
        project="mnist",
    )


def test_every_setting_has_a_documented_labledger_variable():
    envs = [f.metadata["env"] for f in fields(Settings)]
    assert all(e.startswith("LABLEDGER_") for e in envs)
    assert len(set(envs)) == len(envs)
    assert all(f.metadata["doc"] for f in fields(Settings))


def test_from_env_ignores_variables_without_the_prefix_and_empty_values():
    env = {"TRACKING_URI": "http://x", "LABLEDGER_TOKEN": "", "LABLEDGER_PROJECT": ""}
    assert Settings.from_env(env) == Settings()


def test_from_env_reads_os_environ_when_no_dict_is_given(monkeypatch):
    monkeypatch.setenv("LABLEDGER_PROJECT", "from-os")
    monkeypatch.delenv("LABLEDGER_TRACKING_URI", raising=False)
    assert Settings.from_env().project == "from-os"


def test_from_env_with_a_dict_does_not_read_os_environ(monkeypatch):
    monkeypatch.setenv("LABLEDGER_PROJECT", "from-os")
    assert Settings.from_env({}).project == "default"


def test_keyword_overrides_win_over_the_environment():
    s = Settings.from_env(FULL_ENV, tracking_uri="/data/runs", spool_fsync=False, project="p2")
    assert (s.tracking_uri, s.spool_fsync, s.project) == ("/data/runs", False, "p2")
    assert s.token == "secret-token"


def test_keyword_overrides_of_none_keep_the_environment_value():
    assert Settings.from_env(FULL_ENV, project=None, token=None).project == "mnist"


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "True", "yes", "YES", "on", "On"])
def test_from_env_parses_true_booleans(raw):
    assert Settings.from_env({"LABLEDGER_SPOOL_FSYNC": raw}).spool_fsync is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "no", "off"])
def test_from_env_parses_false_booleans(raw):
    assert Settings.from_env({"LABLEDGER_SPOOL_FSYNC": raw}).spool_fsync is False


def test_with_replaces_given_values_and_ignores_none():
    s = Settings(project="a").with_(project="b", token=None)
    assert (s.project, s.token) == ("b", None)


@pytest.mark.parametrize(
    ("uri", "remote"),
    [
        ("http://localhost:5000", True),
        ("https://tracker.example.com", True),
        (".labledger", False),
        ("/abs/runs", False),
        ("file:///abs/runs", False),
        ("httpdata/runs", False),
    ],
)
def test_is_remote_is_true_only_for_http_uris(uri, remote):
    assert Settings(tracking_uri=uri).is_remote is remote


def test_local_dir_resolves_a_relative_tracking_uri_against_the_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Settings(tracking_uri="runs").local_dir() == (tmp_path / "runs").resolve()
    assert Settings().local_dir() == (tmp_path / DEFAULT_TRACKING_DIR).resolve()


def test_local_dir_strips_a_file_scheme(tmp_path):
    assert Settings(tracking_uri=f"file://{tmp_path}/runs").local_dir() == tmp_path / "runs"


def test_local_dir_expands_the_home_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert Settings(tracking_uri="~/runs").local_dir() == tmp_path.resolve() / "runs"


def test_local_dir_prefers_the_data_dir_over_the_tracking_uri(tmp_path):
    s = Settings(tracking_uri=str(tmp_path / "a"), data_dir=str(tmp_path / "b"))
    assert s.local_dir() == tmp_path / "b"


def test_local_dir_is_absolute():
    assert Path(Settings().local_dir()).is_absolute()


def test_integer_settings_are_parsed_and_a_bad_one_names_its_variable():
    assert Settings.from_env({"LABLEDGER_UPLOAD_THREADS": "8"}).upload_threads == 8
    with pytest.raises(ValueError, match="LABLEDGER_UPLOAD_THREADS must be an integer"):
        Settings.from_env({"LABLEDGER_UPLOAD_THREADS": "many"})


def test_the_artifact_store_defaults_to_a_folder_inside_the_local_dir(tmp_path):
    assert Settings(data_dir=str(tmp_path)).artifact_location() == (tmp_path / "artifacts").as_uri()
    assert Settings(artifact_uri="s3://b/p").artifact_location() == "s3://b/p"
