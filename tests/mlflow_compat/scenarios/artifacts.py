"""Artifacts through MLflow's artifact proxy: log_artifact, log_artifacts (folders),
log_dict, log_text, a 30 MB random file byte for byte, listing (root and folders),
downloading a file and a folder, and what a finished (sealed) run refuses.  Arguments:
the experiment name and a scratch folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import mlflow
from _common import attempt, emit, start
from mlflow import MlflowClient

name, scratch = start()
work = Path(scratch)
client = MlflowClient()
mlflow.set_experiment(name)
out: dict = {}


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree(root: Path) -> dict[str, list]:
    """Every file under ``root``: relative path -> [size, sha256]."""
    return {
        p.relative_to(root).as_posix(): [p.stat().st_size, sha256(p)]
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def listing(run_id: str, path: str | None = None) -> list[list]:
    return [[f.path, f.is_dir, f.file_size] for f in client.list_artifacts(run_id, path)]


src = work / "src"
(src / "sub" / "deep").mkdir(parents=True)
(src / "top.txt").write_text("top level\n")
(src / "sub" / "mid.csv").write_text("a,b\n1,2\n")
(src / "sub" / "deep" / "leaf.bin").write_bytes(bytes(range(256)) * 4)
(work / "single.txt").write_text("hello artifacts\n")
big = work / "big.bin"
with open(big, "wb") as f:
    for _ in range(30):
        f.write(os.urandom(1 << 20))
out["big_sha256"] = sha256(big)
out["big_size"] = big.stat().st_size
out["sent_tree"] = tree(src)
out["single_sha256"] = sha256(work / "single.txt")
for folder in ("down-tree", "down-big", "down-all", "down-missing"):
    (work / folder).mkdir()  # MLflow 2 downloads only into an existing folder

with mlflow.start_run(run_name="with-artifacts") as active:
    rid = active.info.run_id
    out["artifact_uri"] = mlflow.get_artifact_uri()
    mlflow.log_artifact(str(work / "single.txt"))
    mlflow.log_artifacts(str(src), artifact_path="tree")
    mlflow.log_dict({"lr": 0.1, "layers": [64, 32]}, "cfg/config.json")
    mlflow.log_dict({"lr": 0.1, "layers": [64, 32]}, "cfg/config.yaml")
    mlflow.log_text("naïve café ✓\n", "notes/readme.txt")
    mlflow.log_artifact(str(big), artifact_path="big")
    mlflow.log_text("first", "again.txt")
    mlflow.log_text("second, longer", "again.txt")  # a path logged again: the new bytes
    out["listing_running"] = listing(rid)
out["run_id"] = rid
out["status"] = client.get_run(rid).info.status

out["list_root"] = listing(rid)
out["list_tree"] = listing(rid, "tree")
out["list_sub"] = listing(rid, "tree/sub")
out["list_cfg"] = listing(rid, "cfg")
out["list_missing"] = listing(rid, "no-such-folder")
out["dict"] = mlflow.artifacts.load_dict(f"runs:/{rid}/cfg/config.json")
out["yaml_text"] = mlflow.artifacts.load_text(f"runs:/{rid}/cfg/config.yaml")
out["text"] = mlflow.artifacts.load_text(f"runs:/{rid}/notes/readme.txt")
out["again"] = mlflow.artifacts.load_text(f"runs:/{rid}/again.txt")
got_tree = mlflow.artifacts.download_artifacts(
    run_id=rid, artifact_path="tree", dst_path=str(work / "down-tree")
)
out["got_tree"] = tree(Path(got_tree))
got_big = client.download_artifacts(rid, "big/big.bin", str(work / "down-big"))
out["got_big"] = [Path(got_big).stat().st_size, sha256(Path(got_big))]
got_all = mlflow.artifacts.download_artifacts(
    artifact_uri=f"runs:/{rid}/", dst_path=str(work / "down-all")
)
out["got_all"] = {k: v for k, v in tree(Path(got_all)).items() if not k.startswith("big/")}
out["missing_file"] = attempt(
    lambda: client.download_artifacts(rid, "nope.txt", str(work / "down-missing"))
)
# the run is finished, so sealed: no new file
out["sealed_upload"] = attempt(lambda: client.log_artifact(rid, str(work / "single.txt"), "late"))
out["after_sealed"] = listing(rid)
emit(out)
