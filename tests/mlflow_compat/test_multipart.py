"""MLflow's multipart uploads through the artifact proxy: the real clients split a file into
parts PUT to the URLs the server hands out (the upload id in them is the credential), the
server joins them by digest; incomplete, foreign or replayed uploads store nothing."""

from __future__ import annotations

import hashlib
import uuid

import httpx
import pytest

import labledger as ll
from tests.mlflow_compat.conftest import VERSIONS

SMALL_PARTS = {
    "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
    "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": "1",
    "MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE": str(5 * 2**20),
}


@pytest.mark.parametrize("version", VERSIONS)
def test_a_file_in_parts_round_trips_byte_exact(mlflow, mlflow_server, version):
    seen = mlflow(version, "multipart", f"mpu{version}-{uuid.uuid4().hex[:6]}", env=SMALL_PARTS)
    assert len(seen["parts"]) == 5  # 23 MiB in parts of 5 MiB
    assert all("/api/2.0/mlflow-artifacts/mpu/parts/" in url for url in seen["parts"])
    assert seen["received"] == seen["sent"]
    with ll.Client(mlflow_server.url) as client:
        [entry] = client.list_artifacts(seen["run_id"])
        assert (entry.path, entry.digest, entry.size) == (
            "ckpt/weights.bin",
            seen["sent"],
            seen["size"],
        )


def _run(url: str) -> tuple[str, str]:
    run = ll.init(project=f"mpu-hostile-{uuid.uuid4().hex[:6]}", tracking_uri=url)
    run_id = run.id
    run.log_metric("x", 1.0)
    run.flush()
    exp = httpx.get(
        f"{url}/api/2.0/mlflow/experiments/get-by-name",
        params={"experiment_name": run.project},
    ).json()["experiment"]["experiment_id"]
    return run_id, f"{exp}/{run_id}/artifacts"


def test_incomplete_foreign_and_replayed_uploads_store_nothing(mlflow_server):
    url = mlflow_server.url
    run_id, location = _run(url)
    base = f"{url}/api/2.0/mlflow-artifacts/mpu"
    created = httpx.post(f"{base}/create/{location}", json={"path": "a.bin", "num_parts": 2})
    assert created.status_code == 200, created.text
    upload = created.json()
    [one, two] = upload["credentials"]
    put = httpx.put(one["url"], content=b"x" * 1000)
    assert put.status_code == 200
    assert put.headers["etag"].strip('"') == hashlib.sha256(b"x" * 1000).hexdigest()

    # completing without part 2 stores nothing
    parts = [{"part_number": 1, "etag": put.headers["etag"]}]
    done = httpx.post(
        f"{base}/complete/{location}",
        json={"path": "a.bin", "upload_id": upload["upload_id"], "parts": parts},
    )
    assert done.status_code == 400
    assert done.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    # a wrong ETag for a part stores nothing either
    httpx.put(two["url"], content=b"y")
    parts = [
        {"part_number": 1, "etag": put.headers["etag"]},
        {"part_number": 2, "etag": '"' + "0" * 64 + '"'},
    ]
    done = httpx.post(
        f"{base}/complete/{location}",
        json={"path": "a.bin", "upload_id": upload["upload_id"], "parts": parts},
    )
    assert done.status_code == 400, done.text
    # the id belongs to a.bin: completing another file with it is refused
    other = httpx.post(
        f"{base}/complete/{location}",
        json={"path": "b.bin", "upload_id": upload["upload_id"], "parts": parts[:1]},
    )
    assert other.status_code == 400
    with ll.Client(url) as client:
        assert client.list_artifacts(run_id) == []

    aborted = httpx.post(
        f"{base}/abort/{location}", json={"path": "a.bin", "upload_id": upload["upload_id"]}
    )
    assert aborted.status_code == 200
    replay = httpx.put(one["url"], content=b"z")
    assert replay.status_code == 404
    assert replay.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"

    for bad in ("nope", "A" * 43, "../../etc", "%2e%2e%2fetc"):
        r = httpx.put(f"{base}/parts/{bad}/1", content=b"z")
        assert r.status_code in (400, 404), (bad, r.status_code)
        assert "error_code" in r.json()
    for body in (
        {"path": "a.bin", "num_parts": 0},
        {"path": "a.bin", "num_parts": 10**9},
        {"path": "..", "num_parts": 1},
        {"num_parts": 1},
        {"path": 5, "num_parts": "x"},
    ):
        r = httpx.post(f"{base}/create/{location}", json=body)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    unknown_run = httpx.post(
        f"{base}/create/1/{'0' * 32}/artifacts", json={"path": "a.bin", "num_parts": 1}
    )
    assert unknown_run.status_code == 404
