"""Doctor checks of the tracking target: a server over HTTP, or an embedded store."""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from labledger._version import __version__
from labledger.core.settings import Settings
from labledger.ops.checks import Check, Status, ok
from labledger.sdk.credentials import token_for
from labledger.store.database import display_uri

MAX_CLOCK_SKEW_MS = 5_000
SLOW_REQUEST_MS = 50.0
NETWORK_FILESYSTEMS = {"nfs", "nfs4", "cifs", "smb3", "smbfs", "fuse.sshfs", "9p", "afs"}


def check_target(settings: Settings, *, write: bool) -> list[Check]:
    checks = check_server(settings) if settings.is_remote else check_embedded(settings)
    if write and all(c.status is not Status.FAIL for c in checks):
        checks.append(check_round_trip(settings))
    elif write:
        checks.append(Check("write", Status.SKIP, "skipped: the target has problems above"))
    return checks


# -- a server over HTTP -------------------------------------------------------------------


def check_server(settings: Settings) -> list[Check]:
    import httpx

    url = settings.tracking_uri.rstrip("/")
    token = settings.token or token_for(settings.tracking_uri)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with httpx.Client(base_url=url, headers=headers, timeout=5.0) as http:
        try:
            sent = time.time_ns() // 1_000_000
            response = http.get("/healthz")
            received = time.time_ns() // 1_000_000
        except httpx.HTTPError as exc:
            return [
                Check(
                    "server",
                    Status.FAIL,
                    f"cannot reach {url}: {exc}",
                    "Start it with `labledger server` (or check the host, port and any proxy "
                    "in LABLEDGER_TRACKING_URI). Training scripts started now would fail at "
                    "ll.init(); LABLEDGER_MODE=fallback records into the spool instead and "
                    "`labledger sync` sends it later.",
                )
            ]
        health = _json(response)
        if response.status_code != 200 or "version" not in health:
            return [
                Check(
                    "server",
                    Status.FAIL,
                    f"{url}/healthz answered HTTP {response.status_code}, not a LabLedger server",
                    "Something else answers at this address (another service, or a proxy "
                    "error page). Check LABLEDGER_TRACKING_URI.",
                )
            ]
        checks = [ok("server", f"{url} answers (LabLedger {health['version']})")]
        checks.append(_version(str(health["version"])))
        checks.append(_clock(int(health["time_ms"]), (sent + received) / 2))
        checks.append(_latency(http))
        checks.append(_readiness(http))
        checks.append(_auth(http, settings))
    return checks


def _json(response: Any) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _version(server_version: str) -> Check:
    if server_version.split(".")[:2] == __version__.split(".")[:2]:
        return ok("version", f"client {__version__}, server {server_version}")
    return Check(
        "version",
        Status.WARN,
        f"client {__version__}, server {server_version}",
        "Client and server of different minor versions may disagree on the API; upgrade "
        "the older one.",
    )


def _clock(server_ms: int, local_ms: float) -> Check:
    skew = server_ms - local_ms
    if abs(skew) <= MAX_CLOCK_SKEW_MS:
        return ok("clock", f"server and client clocks agree within {abs(skew) / 1000:.1f} s")
    return Check(
        "clock",
        Status.WARN,
        f"the server's clock is {skew / 1000:+.1f} s off this machine's",
        "Points are stamped by the client and runs' heartbeats by the server: charts by "
        "wall time, run durations and the killed-run timeout will be off by this much. "
        "Run NTP (chrony or systemd-timesyncd) on both machines.",
    )


def _latency(http: Any) -> Check:
    times = []
    for _ in range(5):
        started = time.perf_counter()
        http.get("/healthz")
        times.append((time.perf_counter() - started) * 1000)
    median = statistics.median(times)
    if median <= SLOW_REQUEST_MS:
        return ok("latency", f"{median:.1f} ms per request on a kept-alive connection")
    return Check(
        "latency",
        Status.WARN,
        f"{median:.0f} ms per request on a kept-alive connection",
        "Every batch waits at least this long for its acknowledgement, so ingest slows "
        "down (log() itself does not wait). Look for a slow proxy or network between here "
        "and the server; a loopback server answers in about a millisecond.",
    )


def _readiness(http: Any) -> Check:
    response = http.get("/readyz")
    body = _json(response)
    if response.status_code == 200:
        return ok("ready", f"database schema {body.get('schema')} and artifact store ready")
    if body.get("status") == "schema_outdated":
        return Check(
            "ready",
            Status.FAIL,
            f"the server's database schema is {body.get('schema')}, it needs {body.get('head')}",
            "Run `labledger db upgrade --db-uri <the server's database>` once (any replica's "
            "settings), then the server becomes ready; docs/operations.md has the procedure.",
        )
    if body.get("status") == "blob_store_unavailable":
        return Check(
            "ready",
            Status.FAIL,
            f"the server cannot use its artifact store: {body.get('artifact_store')}",
            "Uploads will wait in clients' spools until it works. Check the server's "
            "LABLEDGER_ARTIFACT_URI, LABLEDGER_S3_ENDPOINT_URL and credentials.",
        )
    return Check(
        "ready",
        Status.FAIL,
        f"the server is not ready: {body.get('database') or response.text[:200]}",
        "The server cannot reach its database. Check its LABLEDGER_DB_URI and that the "
        "database accepts connections from the server's host.",
    )


def _auth(http: Any, settings: Settings) -> Check:
    response = http.get("/api/v1/projects")
    if response.status_code in (401, 403):
        sent = settings.token or token_for(settings.tracking_uri)
        what = "rejected the token sent" if sent else "needs a token"
        return Check(
            "access",
            Status.FAIL,
            f"the server {what} (HTTP {response.status_code})",
            "Set LABLEDGER_TOKEN to a token the server accepts, or run `labledger login "
            f"{settings.tracking_uri}`; an admin creates one with `labledger tokens create`.",
        )
    if response.status_code != 200:
        return Check(
            "access", Status.FAIL, f"listing projects answered HTTP {response.status_code}"
        )
    return ok("access", f"the API answers ({len(response.json()['projects'])} projects)")


# -- an embedded store --------------------------------------------------------------------


def check_embedded(settings: Settings) -> list[Check]:
    from labledger.services.tracker import Tracker, db_uri_for
    from labledger.store.schema import is_known_revision

    checks = []
    uri = db_uri_for(settings)
    if uri.startswith("sqlite"):
        checks.append(_local_folder(settings.local_dir()))
    try:
        tracker = Tracker.open(
            uri,
            artifact_uri=settings.artifact_location(),
            s3_endpoint_url=settings.s3_endpoint_url,
            check_schema=False,
        )
    except Exception as exc:  # noqa: BLE001 - the doctor reports any failure
        return [*checks, Check("database", Status.FAIL, f"cannot open {display_uri(uri)}: {exc}")]
    try:
        try:
            current, head = tracker.schema_status()
        except Exception as exc:  # noqa: BLE001
            checks.append(
                Check(
                    "database",
                    Status.FAIL,
                    f"cannot read {display_uri(uri)}: {exc}",
                    "Check LABLEDGER_DB_URI (or the data folder) and that the database is up.",
                )
            )
        else:
            checks.append(_schema(uri, current, head, is_known_revision))
        try:
            tracker.blob_store.check()
            checks.append(ok("artifact store", f"{settings.artifact_location()} is writable"))
        except Exception as exc:  # noqa: BLE001
            checks.append(
                Check(
                    "artifact store",
                    Status.FAIL,
                    str(exc),
                    "Artifacts logged now wait in the spool until the store works. Check "
                    "LABLEDGER_ARTIFACT_URI, LABLEDGER_S3_ENDPOINT_URL and credentials.",
                )
            )
    finally:
        tracker.close()
    return checks


def _schema(uri: str, current: str | None, head: str, known: Any) -> Check:
    where = display_uri(uri)
    if current is None:
        return ok("database", f"{where} is empty; its tables are created on first use")
    if current == head:
        return ok("database", f"{where} at schema {current} (current)")
    if not known(current):
        return Check(
            "database",
            Status.FAIL,
            f"{where} is at schema {current}, from a newer LabLedger (this one knows {head})",
            "Upgrade this LabLedger installation; an older one cannot use the database.",
        )
    return Check(
        "database",
        Status.FAIL,
        f"{where} is at schema {current}; this LabLedger needs {head}",
        "Run `labledger db upgrade` (with the same LABLEDGER_DB_URI or data folder). Back "
        "the database up first; docs/operations.md has the procedure.",
    )


def _local_folder(folder: Path) -> Check:
    probe = folder if folder.exists() else folder.parent
    if probe.exists() and not os.access(probe, os.W_OK):
        return Check(
            "data folder",
            Status.FAIL,
            f"{folder} is not writable by this user",
            "The embedded store writes its database, spool and artifacts there.",
        )
    fs = _filesystem_type(probe)
    if fs in NETWORK_FILESYSTEMS:
        return Check(
            "data folder",
            Status.WARN,
            f"{folder} is on a network filesystem ({fs})",
            "SQLite's locking is unreliable over network filesystems, so concurrent writers "
            "can corrupt the store. Use a local disk, or a server on PostgreSQL for a team.",
        )
    return ok("data folder", f"{folder} ({fs or 'local disk'})")


def _filesystem_type(path: Path) -> str | None:
    """The type of the mount holding ``path`` (from /proc/self/mounts), None elsewhere."""
    try:
        lines = Path("/proc/self/mounts").read_text().splitlines()
    except OSError:
        return None
    best, kind = "", None
    target = str(path.resolve())
    for line in lines:
        parts = line.split()
        if len(parts) < 3:
            continue
        mount = parts[1].replace("\\040", " ")
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) > len(best):
            best, kind = mount, parts[2]
    return kind


# -- a real write, read back and removed --------------------------------------------------


def check_round_trip(settings: Settings) -> Check:
    """Create a run, log a metric and a file, read both back and delete the run."""
    import labledger as ll

    started = time.perf_counter()
    step = "creating a run"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            probe = Path(tmp) / "doctor.txt"
            probe.write_bytes(os.urandom(4096))
            run = ll.init(
                project="labledger-doctor", name="doctor", tracking_uri=settings.tracking_uri
            )
            try:
                step = "logging"
                for i in range(100):
                    run.log({"doctor/probe": float(i)}, step=i)
                run.log_artifact(probe)
                step = "finishing (sending the points and the file)"
                run.finish()
                with ll.Client(settings.tracking_uri) as client:
                    step = "reading the points back"
                    history = client.get_metric_history(run.id, "doctor/probe")
                    if history.total_points != 100:
                        raise RuntimeError(f"{history.total_points} of 100 points came back")
                    step = "reading the file back"
                    with client.open_artifact(run.id, "doctor.txt") as f:
                        if f.read() != probe.read_bytes():
                            raise RuntimeError("the file came back different")
                    step = "deleting the probe run"
                    client.delete_run(run.id, reason="labledger doctor --write: its probe run")
            except BaseException:
                run.finish("failed")
                raise
    except Exception as exc:  # noqa: BLE001 - the doctor reports any failure
        return Check(
            "write",
            Status.FAIL,
            f"the write test failed while {step}: {exc}",
            "Reads work but writes do not: look at the server's log (or the error above) "
            "for the database or artifact store refusing the write.",
        )
    elapsed = time.perf_counter() - started
    return ok(
        "write", f"created a run, stored 100 points and a file, read both back ({elapsed:.1f} s)"
    )
