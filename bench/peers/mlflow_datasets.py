"""MLflow side of bench/datasets.py: what its dataset digests cover (run in MLflow's venv)."""

import json
import os
import sys
import time

import mlflow.data
import pandas as pd
from mlflow.data.dataset_source_registry import resolve_dataset_source
from mlflow.data.meta_dataset import MetaDataset

csv, scratch = sys.argv[1], sys.argv[2]
probe = os.path.join(scratch, "probe.csv")
digests = []
for text in ("a,b\n1,2\n", "a,b\n3,4\n5,6\n"):  # the file's content changes
    with open(probe, "w") as f:
        f.write(text)
    t0 = time.perf_counter()
    source = resolve_dataset_source(probe)
    digests.append(MetaDataset(source=source).digest)
    meta_s = time.perf_counter() - t0
df = pd.read_csv(csv, nrows=20_000)


def pandas_digest(row):
    changed = df.copy()
    if row is not None:
        changed.iloc[row, 1] += 1.0
    return mlflow.data.from_pandas(changed, source=csv).digest


t0 = time.perf_counter()
base = pandas_digest(None)
pandas_s = time.perf_counter() - t0
print(
    "RESULT "
    + json.dumps(
        {
            "meta": digests,
            "meta_s": meta_s,
            "source_type": type(source).__name__,
            "pandas": {
                "base": base,
                "row_5000": pandas_digest(5_000),
                "row_15000": pandas_digest(15_000),
            },
            "pandas_s": pandas_s,
        }
    )
)
