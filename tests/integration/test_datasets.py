"""Datasets: digests as sha256sum computes them, folders by manifest, CSV facts, the same
content as one version, expected digests, search by dataset, and bad input refused."""

from __future__ import annotations

import hashlib
import subprocess

import pytest

import labledger as ll
from labledger.sdk.datasets import describe, file_digest, folder_digest


def test_file_digest_is_sha256sum(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(bytes(range(256)) * 70_000)  # 17.9 MB: several 8 MiB blocks
    digest, size = file_digest(path)
    expected = subprocess.run(["sha256sum", str(path)], capture_output=True, text=True).stdout
    assert digest == expected.split()[0] and size == path.stat().st_size


def test_folder_digest_is_the_manifest_and_ignores_where_the_folder_is(tmp_path):
    for root in (tmp_path / "a", tmp_path / "elsewhere" / "b"):
        (root / "sub").mkdir(parents=True)
        (root / "x.txt").write_bytes(b"x")
        (root / "sub" / "y.txt").write_bytes(b"yy")
    digest, size, files = folder_digest(tmp_path / "a")
    assert (size, files) == (3, 2)
    assert folder_digest(tmp_path / "elsewhere" / "b")[0] == digest
    manifest = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {len(data)}  {rel}\n"
        for rel, data in (("sub/y.txt", b"yy"), ("x.txt", b"x"))
    )
    assert digest == hashlib.sha256(manifest.encode()).hexdigest()
    (tmp_path / "a" / "sub" / "y.txt").write_bytes(b"yz")
    assert folder_digest(tmp_path / "a")[0] != digest


def test_csv_rows_and_schema(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text('id,text,label\n1,hello,0\n2,"a, b",1\n3,last,0')  # no final newline
    ref = describe(path, name=None, role="training")
    assert (ref.name, ref.format, ref.rows) == ("train.csv", "csv", 3)
    assert ref.schema == [("id", "string"), ("text", "string"), ("label", "string")]
    assert ref.uri == path.resolve().as_uri()


def test_parquet_rows_and_schema_come_from_the_footer(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "train.parquet"
    pq.write_table(pa.table({"id": [1, 2, 3], "text": ["a", "b", "c"]}), path)
    ref = describe(path, name="train", role="training")
    assert (ref.format, ref.rows) == ("parquet", 3)
    assert ref.schema == [("id", "int64"), ("text", "string")]
    assert ref.digest == file_digest(path)[0]
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    broken = describe(tmp_path / "broken.parquet", name=None, role="training")
    assert (broken.format, broken.rows, broken.schema) == ("parquet", None, None)


def test_logging_datasets_and_searching_by_them(tmp_path):
    store = str(tmp_path / "store")
    data = tmp_path / "train.csv"
    data.write_text("a\n1\n2\n")
    digest = hashlib.sha256(data.read_bytes()).hexdigest()
    with ll.init(project="p", name="one", tracking_uri=store) as run1:
        ref = run1.log_dataset(data, name="train", role="training")
        run1.log_dataset(data, name="train", role="training")  # again: the same version
    with ll.init(project="p", name="two", tracking_uri=store) as run2:
        run2.log_dataset(data, name="holdout", role="validation")
    with ll.init(project="p", name="three", tracking_uri=store):
        pass
    assert ref.digest == digest and ref.rows == 2
    with ll.Client(store) as client:
        [stored] = client.list_datasets(run1.id)
        assert stored == ref
        by_digest = {r.name for r in client.search_runs("p", f"datasets.digest = '{digest}'")}
        assert by_digest == {"one", "two"}
        assert [r.name for r in client.search_runs("p", "datasets.name = 'train'")] == ["one"]
        assert [r.name for r in client.search_runs("p", "datasets.role = 'validation'")] == ["two"]
        assert {r.name for r in client.search_runs("p", "datasets.name IS NULL")} == {"three"}
        with pytest.raises(ll.InvalidQueryError, match="unknown dataset field 'size'"):
            client.search_runs("p", "datasets.size > 3")
        with pytest.raises(ll.InvalidQueryError, match="cannot order by datasets.name"):
            client.search_runs("p", None, ["datasets.name"])


def test_expected_digest_fails_fast_when_the_data_changed(tmp_path):
    data = tmp_path / "train.csv"
    data.write_text("a\n1\n")
    good = hashlib.sha256(data.read_bytes()).hexdigest()
    with ll.init(project="p", tracking_uri=str(tmp_path / "store")) as run:
        assert run.log_dataset(data, expected_digest=good).digest == good
        data.write_text("a\n2\n")
        with pytest.raises(ll.DatasetChangedError) as info:
            run.log_dataset(data, expected_digest=good)
        assert info.value.details["expected"] == good
        assert info.value.details["actual"] == hashlib.sha256(b"a\n2\n").hexdigest()
        with pytest.raises(ll.InvalidInputError, match="does not exist"):
            run.log_dataset(tmp_path / "missing.csv")


def test_the_api_refuses_bad_dataset_records_naming_the_field(api):
    run = api.post("/api/v1/runs", json={"project": "p"}).json()
    good = {"name": "train", "role": "training", "uri": "s3://b/k", "digest": "a" * 64, "size": 1}
    cases = [
        ({**good, "digest": "xyz"}, "datasets[0].digest"),
        ({**good, "role": "train ing"}, "datasets[0].role"),
        ({**good, "size": -1}, "datasets[0].size"),
        ({**good, "extra": 1}, "datasets[0].extra"),
        ({k: v for k, v in good.items() if k != "uri"}, "datasets[0].uri"),
    ]
    for bad, field in cases:
        r = api.post(f"/api/v1/runs/{run['id']}/batches", json={"datasets": [good, bad]})
        assert r.status_code == 400, r.text
        assert r.json()["details"]["field"] == field.replace("[0]", "[1]")
    assert api.get(f"/api/v1/runs/{run['id']}/datasets").json() == {
        "datasets": []
    }  # nothing half-written
    r = api.post(f"/api/v1/runs/{run['id']}/batches", json={"datasets": [good] * 101})
    assert r.status_code == 400 and r.json()["details"] == {"field": "datasets", "limit": 100}
    changed = {**good, "digest": "b" * 64}
    assert (
        api.post(f"/api/v1/runs/{run['id']}/batches", json={"datasets": [good]}).status_code == 200
    )
    r = api.post(f"/api/v1/runs/{run['id']}/batches", json={"datasets": [changed]})
    assert r.status_code == 409 and r.json()["error_code"] == "dataset_changed"
