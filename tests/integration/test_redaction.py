"""Credentials never reach the store, on every path params, tags and notes take.

The SDK redacts before anything is journaled or spooled (each public method, in embedded mode
and over HTTP to a real server process); the services redact again for clients that are not
the SDK (REST calls, the services on SQLite and PostgreSQL).  Each test makes its own
secrets, so a leak is traced to the path that let it through.  Every fake secret has a real
shape and is made up.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

import labledger as ll
from labledger.core.entities import Batch, RunCreate, RunStatus, RunUpdate
from labledger.core.errors import ParamConflictError
from labledger.sdk import spool as spool_module
from labledger.sdk import start as start_module
from labledger.sdk.journal import Journal
from labledger.sdk.spool import SpoolWriter
from labledger.sdk.transport import RESOURCES
from tests.conftest import ServerProcess, run_sync

R = "[REDACTED]"


@dataclass(frozen=True)
class Secrets:
    key: str  # under a secret name: api_key
    password: str  # nested: db.password
    url_password: str  # inside a connection URL under an innocent name
    token: str  # a GitHub token inside free text

    @classmethod
    def new(cls) -> Secrets:
        tag = uuid.uuid4().hex
        return cls(
            key=f"Key{tag[:20]}",
            password=f"Pw{tag[4:24]}",
            url_password=f"Url{tag[8:28]}",
            token=f"ghp_{tag}Tok9",
        )

    def all(self) -> tuple[str, ...]:
        return (self.key, self.password, self.url_password, self.token)

    def config(self) -> dict[str, Any]:
        return {
            "lr": 0.1,
            "api_key": self.key,
            "db": {"password": self.password, "host": "db"},
            "data_url": f"postgresql://ann:{self.url_password}@db/x",
            "hub": f"push with {self.token}",
        }

    def tags(self) -> dict[str, str]:
        return {
            "team": "vision",
            "api_key": self.key,
            "db.password": self.password,
            "data_url": f"postgresql://ann:{self.url_password}@db/x",
            "hub": f"push with {self.token}",
        }

    def notes(self) -> str:
        return (
            f"pushed with {self.token}; api_key={self.key}; "
            f"data at postgresql://ann:{self.url_password}@db/x"
        )


PARAMS_STORED = {
    "lr": "0.1",
    "api_key": R,
    "db.password": R,
    "db.host": "db",
    "data_url": f"postgresql://ann:{R}@db/x",
    "hub": f"push with {R}",
}
TAGS_STORED = {
    "team": "vision",
    "api_key": R,
    "db.password": R,
    "data_url": f"postgresql://ann:{R}@db/x",
    "hub": f"push with {R}",
}
NOTES_STORED = f"pushed with {R}; api_key={R}; data at postgresql://ann:{R}@db/x"


def assert_absent(secrets: Secrets, text: str | bytes, where: str) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in secrets.all():
        assert secret.encode() not in data, f"{secret!r} reached {where}"


def files_text(folder: Path) -> Iterator[tuple[Path, bytes]]:
    for path in sorted(folder.rglob("*")):
        try:
            if path.is_file():
                yield path, path.read_bytes()
        except FileNotFoundError:  # the sender removed it meanwhile
            continue


def assert_absent_from_files(secrets: Secrets, folder: Path) -> None:
    for path, data in files_text(folder):
        assert_absent(secrets, data, str(path))


@pytest.fixture
def written(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Everything the SDK journals, spools (records, frames, writer metadata) or hands to
    its transport, as text."""
    seen: list[str] = []
    journal_mapping = Journal.mapping
    spool_append = SpoolWriter.append
    write_json = spool_module._write_json

    def mapping(self: Journal, kind: int, data: dict[str, Any]) -> None:
        seen.append(json.dumps(data, default=str))
        journal_mapping(self, kind, data)

    def append(self: SpoolWriter, payload: bytes) -> Any:
        seen.append(payload.decode("utf-8", "replace"))
        return spool_append(self, payload)

    def meta(path: Path, data: dict[str, Any]) -> None:
        seen.append(json.dumps(data, default=str))
        write_json(path, data)

    monkeypatch.setattr(Journal, "mapping", mapping)
    monkeypatch.setattr(SpoolWriter, "append", append)
    monkeypatch.setattr(spool_module, "_write_json", meta)
    open_transport = start_module.open_transport
    monkeypatch.setattr(
        start_module,
        "open_transport",
        lambda settings, **kwargs: _Spy(open_transport(settings, **kwargs), seen),
    )
    return seen


class _Spy:
    """A run's transport, recording every call's arguments (of every resource part, as
    ``runs.log_batch(...)``): what leaves the process."""

    def __init__(self, inner: Any, seen: list[str], prefix: str = "") -> None:
        self._inner = inner
        self._seen = seen
        self._prefix = prefix

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not self._prefix and name in RESOURCES:
            return _Spy(attr, self._seen, f"{name}.")
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self._seen.append(f"{self._prefix}{name}{args!r}{kwargs!r}")
            return attr(*args, **kwargs)

        return call


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One server process for this module's HTTP tests (each test has its own secrets)."""
    proc = ServerProcess(tmp_path_factory.mktemp("redaction-server"))
    proc.start()
    yield proc
    proc.stop()


# -- the SDK: every public method, embedded and over HTTP -----------------------------------------


def _init(uri: str, **kwargs: Any) -> ll.Run:
    return ll.init(project="redaction", tracking_uri=uri, **kwargs)


def init_config(uri: str, s: Secrets) -> ll.Run:
    return _init(uri, config=s.config())


def init_tags(uri: str, s: Secrets) -> ll.Run:
    return _init(uri, tags=s.tags())


def init_notes(uri: str, s: Secrets) -> ll.Run:
    return _init(uri, notes=s.notes())


def start_run_config(uri: str, s: Secrets) -> ll.Run:  # the MLflow-style alias of init
    return ll.start_run(project="redaction", tracking_uri=uri, config=s.config())


def run_log_params(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    run.log_params(s.config())
    return run


def run_log_param(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    for key, value in s.config().items():
        run.log_param(key, value)
    return run


def run_log_config(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    run.log_config(s.config())
    return run


def run_set_tags(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    run.set_tags(s.tags())
    return run


def run_set_tag(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    for key, value in s.tags().items():
        run.set_tag(key, value)
    return run


def fluent_log_params(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    ll.log_params(s.config())
    return run


def fluent_log_param(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    for key, value in s.config().items():
        ll.log_param(key, value)
    return run


def fluent_set_tags(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    ll.set_tags(s.tags())
    return run


def fluent_set_tag(uri: str, s: Secrets) -> ll.Run:
    run = _init(uri)
    for key, value in s.tags().items():
        ll.set_tag(key, value)
    return run


PARAM_PATHS: dict[str, Callable[[str, Secrets], ll.Run]] = {
    "init(config=)": init_config,
    "start_run(config=)": start_run_config,
    "Run.log_params": run_log_params,
    "Run.log_param": run_log_param,
    "Run.log_config": run_log_config,
    "ll.log_params": fluent_log_params,
    "ll.log_param": fluent_log_param,
}
TAG_PATHS: dict[str, Callable[[str, Secrets], ll.Run]] = {
    "init(tags=)": init_tags,
    "Run.set_tags": run_set_tags,
    "Run.set_tag": run_set_tag,
    "ll.set_tags": fluent_set_tags,
    "ll.set_tag": fluent_set_tag,
}
PATHS = {**PARAM_PATHS, **TAG_PATHS, "init(notes=)": init_notes}


@pytest.fixture(params=["embedded", "http"])
def target(
    request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[str, Path, Callable[[str], list[str]]]:
    """(tracking URI, the folder holding the store, a function giving the API's answers
    about a run as text)."""
    if request.param == "embedded":
        folder = tmp_path / "store"

        def answers(run_id: str) -> list[str]:
            with ll.Client(str(folder)) as client:
                found = client.search_runs("redaction", f"id = '{run_id}'")
                return [
                    json.dumps(client.get_run(run_id).to_dict()),
                    json.dumps([r.to_dict() for r in found]),
                ]

        return str(folder), folder, answers
    server: ServerProcess = request.getfixturevalue("shared_server")

    def http_answers(run_id: str) -> list[str]:
        base = f"{server.url}/api/v1/runs"
        return [
            httpx.get(f"{base}/{run_id}").text,
            httpx.post(f"{base}/search", json={"project": "redaction"}).text,
        ]

    return server.url, server.data_dir, http_answers


@pytest.mark.parametrize("path", PATHS)
def test_sdk_never_journals_spools_sends_or_stores_a_secret(
    path: str,
    target: tuple[str, Path, Callable[[str], list[str]]],
    written: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    uri, store_folder, answers = target
    spool = tmp_path / "spool"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    s = Secrets.new()

    run = PATHS[path](uri, s)
    assert_absent_from_files(s, spool)  # the journal, right after the call
    run.flush()
    assert_absent_from_files(s, spool)  # the spooled frames
    run.finish()

    for text in written:
        assert_absent(s, text, "the journal, the spool or the transport")
    assert written, "the spy saw nothing: the test would prove nothing"
    assert any(t.startswith("runs.create_run(") for t in written), "the transport was not seen"
    for text in answers(run.id):
        assert_absent(s, text, "an API answer")
    assert_absent_from_files(s, store_folder)  # the database (and its WAL), blobs, logs
    with ll.Client(uri) as client:
        stored = client.get_run(run.id)
    if path in PARAM_PATHS:
        assert stored.params == PARAMS_STORED
        assert run.params == PARAMS_STORED
    elif path in TAG_PATHS:
        assert TAGS_STORED.items() <= stored.tags.items()
    else:
        assert stored.notes == NOTES_STORED


def test_an_offline_spool_holds_no_secret_and_sync_stores_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spool = tmp_path / "spool"
    store = tmp_path / "store"
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(spool))
    monkeypatch.setenv("LABLEDGER_MODE", "offline")
    s = Secrets.new()
    with _init(str(store), config=s.config(), tags=s.tags(), notes=s.notes()) as run:
        run.log_params({"more": {"api_key": s.key}})
        run.set_tags({"push": s.token})
        run.log({"loss": 0.5}, step=0)
    assert list(spool.rglob("*.log")), "the offline spool is where the run waits for sync"
    assert_absent_from_files(s, spool)  # writer metadata (the create spec), frames, journal

    result = run_sync(spool)
    assert result.returncode == 0, result.stderr
    assert_absent_from_files(s, store)
    with ll.Client(str(store)) as client:
        stored = client.get_run(run.id)
    assert stored.params == {**PARAMS_STORED, "more.api_key": R}
    assert stored.notes == NOTES_STORED and stored.tags["push"] == R


def test_resuming_with_the_same_secret_config_is_no_conflict_and_conflicts_still_raise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LABLEDGER_SPOOL_DIR", str(tmp_path / "spool"))
    uri = str(tmp_path / "store")
    s = Secrets.new()
    first = _init(uri, run_key="k", config=s.config())
    first.finish("failed")  # not sealed: a retry resumes it
    again = _init(uri, run_key="k", config=s.config())
    assert again.resumed and again.id == first.id
    again.log_params(s.config())  # the same secrets again: the same stored text
    again.log_params({"api_key": "another key"})  # secret-named: stored as [REDACTED] either way
    with pytest.raises(ParamConflictError, match="lr") as info:
        again.log_params({"lr": 0.2})
    assert_absent(s, str(info.value), "a conflict message")
    with pytest.raises(ParamConflictError) as info:  # a different URL: a different param
        again.log_params({"data_url": f"postgresql://bob:{s.url_password}@db/y"})
    assert_absent(s, json.dumps(info.value.details), "a conflict's details")
    again.finish()
    with ll.Client(uri) as client:
        assert client.get_run(first.id).params == PARAMS_STORED


# -- the server: REST calls from a client that is not the SDK -------------------------------------


def _batch(params: dict[str, str] | None = None, tags: dict[str, str] | None = None) -> dict:
    return {"batch_id": uuid.uuid4().hex, "params": params or {}, "tags": tags or {}}


def test_rest_create_batch_and_notes_are_redacted_by_the_server(shared_server):
    base = f"{shared_server.url}/api/v1/runs"
    s = Secrets.new()
    flat_config = {
        "lr": "0.1",
        "api_key": s.key,
        "db.password": s.password,
        "db.host": "db",
        "data_url": f"postgresql://ann:{s.url_password}@db/x",
        "hub": f"push with {s.token}",
    }
    answers: list[str] = []
    created = httpx.post(
        base,
        json={"project": "rest", "params": flat_config, "tags": s.tags(), "notes": s.notes()},
    )
    assert created.status_code == 201, created.text
    answers.append(created.text)
    run_id = created.json()["id"]
    other = Secrets.new()
    batch = httpx.post(
        f"{base}/{run_id}/batches",
        json=_batch(
            {"more.api_key": other.key, "more.url": f"https://u:{other.url_password}@h/"},
            {"later": other.token, "db.password": other.password},
        ),
    )
    assert batch.status_code == 200, batch.text
    third = Secrets.new()
    patched = httpx.patch(f"{base}/{run_id}", json={"notes": third.notes()})
    assert patched.status_code == 200, patched.text
    answers += [batch.text, patched.text, httpx.get(f"{base}/{run_id}").text]
    answers.append(httpx.post(f"{base}/search", json={"project": "rest"}).text)

    for secrets in (s, other, third):
        for text in answers:
            assert_absent(secrets, text, "an API answer")
        assert_absent_from_files(secrets, shared_server.data_dir)
    stored = httpx.get(f"{base}/{run_id}").json()
    assert stored["params"] == {
        **PARAMS_STORED,
        "more.api_key": R,
        "more.url": f"https://u:{R}@h/",
    }
    assert stored["tags"] == {**TAGS_STORED, "later": R}
    assert stored["notes"] == NOTES_STORED


def test_rest_redaction_is_idempotent_and_param_conflicts_still_found(shared_server):
    base = f"{shared_server.url}/api/v1/runs"
    s = Secrets.new()
    run_id = httpx.post(base, json={"project": "rest"}).json()["id"]
    raw = {"api_key": s.key, "data_url": f"postgresql://ann:{s.url_password}@db/x", "lr": "0.1"}
    first = httpx.post(f"{base}/{run_id}/batches", json=_batch(raw))
    assert first.status_code == 200, first.text
    # the same write again (a retry with another batch id), and what the SDK would send after
    # redacting it itself: the same stored text, so no conflict
    assert httpx.post(f"{base}/{run_id}/batches", json=_batch(raw)).status_code == 200
    redacted = {"api_key": R, "data_url": f"postgresql://ann:{R}@db/x", "lr": "0.1"}
    assert httpx.post(f"{base}/{run_id}/batches", json=_batch(redacted)).status_code == 200
    assert httpx.get(f"{base}/{run_id}").json()["params"] == redacted

    changed = httpx.post(
        f"{base}/{run_id}/batches",
        json=_batch({"data_url": f"postgresql://ann:{s.url_password}@db/other"}),
    )
    assert changed.status_code == 409 and changed.json()["error_code"] == "param_conflict"
    assert_absent(s, changed.text, "a conflict answer")
    assert f"postgresql://ann:{R}@db/other" in changed.text


def test_rest_sealed_run_annotations_are_redacted(shared_server):
    base = f"{shared_server.url}/api/v1/runs"
    s = Secrets.new()
    run_id = httpx.post(base, json={"project": "rest"}).json()["id"]
    assert httpx.patch(f"{base}/{run_id}", json={"status": "finished"}).status_code == 200
    notes = httpx.patch(f"{base}/{run_id}", json={"notes": s.notes()})
    assert notes.status_code == 200, notes.text
    tags = httpx.post(
        f"{base}/{run_id}/batches", json=_batch(tags={"annotation.review": f"ok {s.token}"})
    )
    assert tags.status_code == 200, tags.text
    listed = httpx.get(f"{base}/{run_id}/annotations")
    assert listed.status_code == 200, listed.text
    for text in (notes.text, tags.text, listed.text, httpx.get(f"{base}/{run_id}").text):
        assert_absent(s, text, "an API answer")
    assert_absent_from_files(s, shared_server.data_dir)
    assert httpx.get(f"{base}/{run_id}").json()["tags"]["annotation.review"] == f"ok {R}"


# -- the services, on SQLite and PostgreSQL -------------------------------------------------------


def store_text(tracker: Any) -> str:
    """Every row of every table, as text (the whole store, whichever database holds it)."""
    from sqlalchemy import select

    from labledger.store.tables import metadata

    parts: list[str] = []
    with tracker.db.read() as conn:
        for table in metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in conn.execute(select(table)))
    return "\n".join(parts)


def assert_absent_from_store(secrets: Secrets, tracker: Any, store_uri: str) -> None:
    assert_absent(secrets, store_text(tracker), "a table")
    if store_uri.startswith("sqlite:///"):
        db_file = Path(store_uri[len("sqlite:///") :])
        for path, data in files_text(db_file.parent):
            assert_absent(secrets, data, str(path))


def test_service_create_batch_and_update_redact(tracker, store_uri):
    s = Secrets.new()
    flat = {k: v for k, v in s.tags().items() if k != "team"}
    run, created = tracker.runs.create_run(
        RunCreate(project="svc", params={"lr": "0.1", **flat}, tags=s.tags(), notes=s.notes())
    )
    assert created
    other = Secrets.new()
    tracker.runs.log_batch(
        run.id,
        Batch(
            uuid.uuid4().hex,
            {},
            {"more.api_key": other.key, "more.hub": f"with {other.token}"},
            {"db.password": other.password, "url": f"https://u:{other.url_password}@h"},
        ),
    )
    third = Secrets.new()
    tracker.runs.update_run(run.id, RunUpdate(notes=third.notes()))
    stored = tracker.runs.get_run(run.id)
    assert stored.params == {
        "lr": "0.1",
        "api_key": R,
        "db.password": R,
        "data_url": f"postgresql://ann:{R}@db/x",
        "hub": f"push with {R}",
        "more.api_key": R,
        "more.hub": f"with {R}",
    }
    assert stored.tags == {**TAGS_STORED, "url": f"https://u:{R}@h"}
    assert stored.notes == NOTES_STORED
    for secrets in (s, other, third):
        assert_absent(secrets, json.dumps(stored.to_dict()), "the service's answer")
        assert_absent_from_store(secrets, tracker, store_uri)


def test_service_redaction_keeps_write_once_params_idempotent(tracker, store_uri):
    s = Secrets.new()
    raw = {"api_key": s.key, "data_url": f"postgresql://ann:{s.url_password}@db/x"}
    run, _ = tracker.runs.create_run(RunCreate(project="svc", run_key="k", params=raw))
    again, created = tracker.runs.create_run(RunCreate(project="svc", run_key="k", params=raw))
    assert not created and again.id == run.id  # resumed, the same params: no conflict
    batch = Batch("b-1", {}, raw, {})
    assert not tracker.runs.log_batch(run.id, batch).duplicate
    assert tracker.runs.log_batch(run.id, batch).duplicate  # the retry is recognised
    tracker.runs.log_batch(run.id, Batch("b-2", {}, tracker.runs.get_run(run.id).params, {}))
    with pytest.raises(ParamConflictError) as info:
        tracker.runs.log_batch(
            run.id, Batch("b-3", {}, {"data_url": f"postgresql://ann:{s.url_password}@db/y"}, {})
        )
    assert_absent(s, str(info.value) + json.dumps(info.value.details), "a conflict")
    tracker.runs.update_run(run.id, RunUpdate(status=RunStatus.FINISHED))
    assert tracker.runs.get_run(run.id).seal_hash is not None
    assert_absent_from_store(s, tracker, store_uri)
