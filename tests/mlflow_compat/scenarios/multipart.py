"""A large file through MLflow's multipart proxy upload (forced small: parts of 5 MiB), and
back.  Args: <prefix>.  Prints the part URLs the client used and the digests."""

from __future__ import annotations

import hashlib
import os
import tempfile

import mlflow
from _common import emit, start
from mlflow.store.artifact import http_artifact_repo

[prefix] = start()
used: list[str] = []
original = http_artifact_repo.HttpArtifactRepository._upload_part


def spy(credential, local_file, size, start_byte):  # type: ignore[no-untyped-def]
    used.append(credential.url)
    return original(credential, local_file, size, start_byte)


http_artifact_repo.HttpArtifactRepository._upload_part = staticmethod(spy)
folder = tempfile.mkdtemp()
source = os.path.join(folder, "weights.bin")
data = os.urandom(23 * 2**20 + 123)
with open(source, "wb") as f:
    f.write(data)
mlflow.set_experiment(f"{prefix}-mpu")
with mlflow.start_run() as run:
    mlflow.log_artifact(source, "ckpt")
back = mlflow.artifacts.download_artifacts(
    f"runs:/{run.info.run_id}/ckpt/weights.bin", dst_path=tempfile.mkdtemp()
)
with open(back, "rb") as f:
    got = hashlib.sha256(f.read()).hexdigest()
emit(
    {
        "run_id": run.info.run_id,
        "parts": used,
        "sent": hashlib.sha256(data).hexdigest(),
        "received": got,
        "size": len(data),
    }
)
