"""The artifact and upload routes through the real app (in-process, lifespan included)."""

from __future__ import annotations

import hashlib

import pytest

from labledger.core.limits import ARTIFACT_PART_SIZE

BINARY = {"Content-Type": "application/octet-stream"}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def run_id(api) -> str:
    return str(api.post("/api/v1/runs", json={"project": "p"}).json()["id"])


def declare(api, run_id: str, *items: dict) -> dict:
    r = api.post(f"/api/v1/runs/{run_id}/artifacts", json={"artifacts": list(items)})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_declare_upload_list_and_download(api, run_id):
    data = b"a,b\n1,2\n"
    body = declare(api, run_id, {"path": "eval/t.csv", "digest": sha(data), "size": len(data)})
    assert body["missing"] == [sha(data)]
    assert body["artifacts"][0]["state"] == "pending"
    assert body["artifacts"][0]["media_type"] == "text/csv"  # guessed from the name

    r = api.put(f"/api/v1/blobs/{sha(data)}", content=data, headers=BINARY)
    assert r.status_code == 200 and r.json() == {"digest": sha(data), "size": len(data)}

    listed = api.get(f"/api/v1/runs/{run_id}/artifacts", params={"path": "eval"}).json()
    assert [(a["path"], a["state"]) for a in listed["artifacts"]] == [("eval/t.csv", "stored")]

    r = api.get(f"/api/v1/runs/{run_id}/artifacts/files/eval/t.csv")
    assert r.status_code == 200
    assert r.content == data
    assert r.headers["x-content-sha256"] == sha(data)
    assert r.headers["content-type"].startswith("text/csv")
    assert r.headers["content-disposition"].startswith("inline")
    # uploads are untrusted: served on the UI's origin, they must never run as a page
    assert r.headers["content-security-policy"] == "sandbox"
    assert r.headers["x-content-type-options"] == "nosniff"

    r = api.get(
        f"/api/v1/runs/{run_id}/artifacts/files/eval/t.csv",
        params={"download": "true"},
        headers={"Range": "bytes=2-4"},
    )
    assert r.status_code == 206 and r.content == data[2:5]
    assert r.headers["content-disposition"].startswith("attachment")


def test_errors_name_what_is_wrong(api, run_id):
    d = sha(b"x")
    r = api.post(
        f"/api/v1/runs/{run_id}/artifacts",
        json={
            "artifacts": [
                {"path": "ok.txt", "digest": d, "size": 1},
                {"path": "../x", "digest": d, "size": 1},
            ]
        },
    )
    assert r.status_code == 400
    assert r.json()["error_code"] == "invalid_artifact_path"
    assert r.json()["details"] == {"field": "artifacts[1].path", "path": "../x"}
    assert api.get(f"/api/v1/runs/{run_id}/artifacts").json()["artifacts"] == []  # none written

    r = api.post(
        f"/api/v1/runs/{run_id}/artifacts",
        json={"artifacts": [{"path": "a", "digest": "ABC", "size": 1}]},
    )
    assert (r.status_code, r.json()["details"]["field"]) == (400, "artifacts[0].digest")
    r = api.post(
        f"/api/v1/runs/{run_id}/artifacts",
        json={"artifacts": [{"path": "a" * 1001, "digest": d, "size": 1}]},
    )
    assert r.status_code == 400 and r.json()["error_code"] == "limit_exceeded"
    assert r.json()["details"]["limit"] == 1000

    r = api.put(f"/api/v1/blobs/{sha(b'declared')}", content=b"other", headers=BINARY)
    assert (r.status_code, r.json()["error_code"]) == (422, "digest_mismatch")

    r = api.get(f"/api/v1/runs/{run_id}/artifacts/files/missing.txt")
    assert (r.status_code, r.json()["error_code"]) == (404, "artifact_not_found")
    r = api.get(f"/api/v1/runs/{'0' * 32}/artifacts")
    assert (r.status_code, r.json()["error_code"]) == (404, "run_not_found")

    declare(api, run_id, {"path": "later.bin", "digest": d, "size": 1})
    r = api.get(f"/api/v1/runs/{run_id}/artifacts/files/later.bin")
    assert (r.status_code, r.json()["error_code"]) == (409, "artifact_pending")


def test_multipart_parts_are_checked_and_resumable(api):
    data = bytes(range(256)) * ((ARTIFACT_PART_SIZE + 1000) // 256)
    digest = sha(data)
    r = api.post("/api/v1/uploads", json={"digest": digest, "size": len(data)})
    session = r.json()
    assert (session["part_count"], session["parts"], session["stored"]) == (2, [], False)
    uid = session["upload_id"]
    part1, part2 = data[:ARTIFACT_PART_SIZE], data[ARTIFACT_PART_SIZE:]

    r = api.put(f"/api/v1/uploads/{uid}/parts/2", content=part2, headers=BINARY)
    assert r.status_code == 422 and r.json()["details"]["field"] == "X-Content-SHA256"
    r = api.put(
        f"/api/v1/uploads/{uid}/parts/2",
        content=part2,
        headers={**BINARY, "X-Content-SHA256": sha(b"no")},
    )
    assert (r.status_code, r.json()["error_code"]) == (400, "checksum_mismatch")
    r = api.put(
        f"/api/v1/uploads/{uid}/parts/2",
        content=part2,
        headers={**BINARY, "X-Content-SHA256": sha(part2)},
    )
    assert r.status_code == 204
    r = api.post(f"/api/v1/uploads/{uid}/complete", json={})
    assert (r.status_code, r.json()["error_code"]) == (409, "upload_incomplete")
    assert r.json()["details"]["missing_parts"] == [1]

    assert api.get(f"/api/v1/uploads/{uid}").json()["parts"] == [2]
    again = api.post("/api/v1/uploads", json={"digest": digest, "size": len(data)}).json()
    assert (again["upload_id"], again["parts"]) == (uid, [2])

    r = api.put(
        f"/api/v1/uploads/{uid}/parts/1",
        content=part1,
        headers={**BINARY, "X-Content-SHA256": sha(part1)},
    )
    assert r.status_code == 204
    done = api.post(f"/api/v1/uploads/{uid}/complete", json={}).json()
    assert done["stored"] is True and done["upload_id"] is None
    r = api.get(f"/api/v1/uploads/{uid}")
    assert (r.status_code, r.json()["error_code"]) == (404, "upload_not_found")

    too_big = b"x" * (ARTIFACT_PART_SIZE + 1)
    r = api.put(f"/api/v1/blobs/{sha(too_big)}", content=too_big, headers=BINARY)
    assert (r.status_code, r.json()["error_code"]) == (413, "body_too_large")


def test_deleting_a_run_removes_it_and_its_manifest(api, run_id):
    data = b"bytes"
    declare(api, run_id, {"path": "f.bin", "digest": sha(data), "size": len(data)})
    api.put(f"/api/v1/blobs/{sha(data)}", content=data, headers=BINARY)
    assert api.delete(f"/api/v1/runs/{run_id}").status_code == 204
    assert api.get(f"/api/v1/runs/{run_id}").status_code == 404
    assert api.get(f"/api/v1/runs/{run_id}/artifacts").status_code == 404
    assert api.delete(f"/api/v1/runs/{run_id}").status_code == 404


def test_latest_checkpoint(api, run_id):
    assert api.get(f"/api/v1/runs/{run_id}/checkpoints/latest").json() == {"checkpoint": None}
    d = sha(b"c")
    declare(
        api,
        run_id,
        {"path": "checkpoints/step-5/m.pt", "digest": d, "size": 1, "step": 5},
        {"path": "checkpoints/step-50/m.pt", "digest": d, "size": 1, "step": 50},
    )
    # only a checkpoint that can be downloaded counts
    assert api.get(f"/api/v1/runs/{run_id}/checkpoints/latest").json() == {"checkpoint": None}
    api.put(f"/api/v1/blobs/{d}", content=b"c", headers=BINARY)
    cp = api.get(f"/api/v1/runs/{run_id}/checkpoints/latest").json()["checkpoint"]
    assert (cp["path"], cp["step"]) == ("checkpoints/step-50/m.pt", 50)


def frame(data: bytes, digest: str | None = None) -> bytes:
    import struct

    return struct.pack(">32sQ", bytes.fromhex(digest or sha(data)), len(data)) + data


def test_many_small_blobs_in_one_request_all_or_nothing(api, run_id):
    blobs = [f"file {i}".encode() for i in range(20)]
    declare(
        api,
        run_id,
        *({"path": f"s/{i}.txt", "digest": sha(b), "size": len(b)} for i, b in enumerate(blobs)),
    )
    bad = b"".join(frame(b) for b in blobs[:10]) + frame(b"liar", sha(b"truth"))
    r = api.post("/api/v1/blobs", content=bad, headers=BINARY)
    assert (r.status_code, r.json()["error_code"]) == (422, "digest_mismatch")
    states = {a["state"] for a in api.get(f"/api/v1/runs/{run_id}/artifacts").json()["artifacts"]}
    assert states == {"pending"}  # not one of the good ten was stored

    r = api.post("/api/v1/blobs", content=frame(blobs[0])[:-1], headers=BINARY)
    assert (r.status_code, r.json()["details"]["field"]) == (400, "body")

    r = api.post("/api/v1/blobs", content=b"".join(frame(b) for b in blobs), headers=BINARY)
    assert r.json() == {"blobs": 20, "bytes": sum(map(len, blobs))}
    states = {a["state"] for a in api.get(f"/api/v1/runs/{run_id}/artifacts").json()["artifacts"]}
    assert states == {"stored"}


def test_a_folder_comes_as_one_tar_with_digests(api, run_id):
    import io
    import tarfile

    files = {"eval/a.txt": b"alpha", "eval/deep/b.bin": bytes(1000), "other.txt": b"x"}
    declare(api, run_id, *({"path": p, "digest": sha(b), "size": len(b)} for p, b in files.items()))
    for data in files.values():
        api.put(f"/api/v1/blobs/{sha(data)}", content=data, headers=BINARY)
    declare(api, run_id, {"path": "eval/pending.bin", "digest": sha(b"later"), "size": 5})

    r = api.get(f"/api/v1/runs/{run_id}/artifacts/archive", params={"path": "eval"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-tar"
    assert r.headers["x-artifacts-pending"] == "1"
    assert "eval.tar" in r.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(r.content), mode="r|") as tar:
        got = {}
        for member in tar:
            got[member.name] = (
                tar.extractfile(member).read(),
                member.pax_headers["LABLEDGER.sha256"],
            )
    assert got == {
        "a.txt": (b"alpha", sha(b"alpha")),
        "deep/b.bin": (bytes(1000), sha(bytes(1000))),
    }
    r = api.get(f"/api/v1/runs/{run_id}/artifacts/archive", params={"path": "nothing"})
    assert (r.status_code, r.json()["error_code"]) == (404, "artifact_not_found")
