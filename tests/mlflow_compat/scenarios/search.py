"""Run search: 300 runs in one experiment and 5 in another, searched by metrics, params,
tags, status and run name (=, !=, IN, LIKE, ILIKE), ordered, paged with page tokens, across
experiments, and as ``mlflow.search_runs``' DataFrame.  Argument: a name prefix."""

from __future__ import annotations

import mlflow
from _common import attempt, emit, start
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunStatus

(prefix,) = start()
client = MlflowClient()
T = 1_700_000_000_000
N = 300
many = client.create_experiment(f"{prefix}-many")
other = client.create_experiment(f"{prefix}-other")
out: dict = {"many": many, "other": other, "ids": {}, "other_ids": {}}
for i in range(N):
    made = client.create_run(
        many,
        run_name=f"run-{i:03d}",
        start_time=T + i * 1000,
        tags={"grp": "even" if i % 2 == 0 else "odd", "Color": "Red" if i % 3 == 0 else "blue"},
    )
    rid = made.info.run_id
    client.log_batch(
        rid,
        metrics=[Metric("acc", i / N, T, 0), Metric("loss", (N - i) / 100, T, 0)],
        params=[Param("i", str(i))],
    )
    if i % 50 == 0:
        client.set_terminated(rid, RunStatus.to_string(RunStatus.FAILED), end_time=T + i * 1000 + 1)
    out["ids"][f"run-{i:03d}"] = rid
for j in range(5):
    made = client.create_run(other, run_name=f"other-{j}", start_time=T + 500_000 + j)
    client.log_metric(made.info.run_id, "acc", 1.0 + j, timestamp=T, step=0)
    out["other_ids"][f"other-{j}"] = made.info.run_id


def names(filter_string="", order_by=None, max_results=1000, experiments=(many,)):
    found = client.search_runs(
        list(experiments), filter_string, order_by=order_by, max_results=max_results
    )
    return [r.info.run_name for r in found]


def every_page(experiments, size, filter_string=""):
    pages, token = [], None
    while True:
        page = client.search_runs(
            list(experiments), filter_string, max_results=size, page_token=token
        )
        pages.append([r.info.run_id for r in page])
        token = page.token
        if not token:
            return pages


out["found"] = {
    "acc_gt": names("metrics.acc > 0.98", ["metrics.acc DESC"]),
    "loss_le": names("metrics.loss <= 0.05", ["metrics.loss ASC"]),
    "param_eq": names("params.i = '7'"),
    "param_in": names("params.i IN ('1', '2', '3')", ["params.i DESC"]),
    "param_ne_count": len(names("params.i != '7'")),
    "tag_odd": names("tags.grp = 'odd'"),
    "tag_like": names("tags.Color LIKE 'R%'"),
    "tag_like_case": names("tags.Color LIKE 'r%'"),
    "tag_ilike": names("tags.Color ILIKE 'red'"),
    "tag_not_like_count": len(names("tags.Color NOT LIKE 'R%'")),
    "status_failed": names("attributes.status = 'FAILED'", ["attributes.start_time ASC"]),
    "status_running_count": len(names("attributes.status = 'RUNNING'")),
    "run_name_tag": names("tags.mlflow.runName = 'run-042'"),
    "run_name_like": names("attributes.run_name LIKE 'run-29%'", ["attributes.run_name ASC"]),
    "run_name_ilike": names("tags.`mlflow.runName` ILIKE 'RUN-00%'", ["tags.mlflow.runName"]),
    "combined": names("metrics.acc < 0.05 and tags.grp = 'even' and params.i != '0'"),
    "top5": names("", ["metrics.acc DESC"], max_results=5),
    "default_order_first": names("", None, max_results=3),
    "start_time_asc": names("", ["attributes.start_time ASC"], max_results=3),
    "across": names("metrics.acc >= 0.99", ["metrics.acc DESC"], experiments=(many, other)),
    "across_names": names(
        "attributes.run_name LIKE '%4'", ["attributes.run_name ASC"], experiments=(many, other)
    ),
    "missing_metric": names("metrics.nope > 0"),
    "bad_order": attempt(lambda: names("", ["attributes.bogus DESC"])),
    "bad_max_results": attempt(lambda: names("", None, max_results=50_001)),
}
out["pages"] = every_page([many], 37)
out["pages_across"] = every_page([many, other], 50)
out["pages_filtered"] = every_page([many], 7, "tags.grp = 'odd' and metrics.acc > 0.8")

# mlflow.search_runs: a DataFrame of every run (the client pages on its own)
frame = mlflow.search_runs(
    experiment_ids=[many], filter_string="params.i IN ('1', '2')", order_by=["params.i ASC"]
)
out["frame_columns"] = sorted(frame.columns)
records = []
for row in frame.to_dict("records"):
    clean = {}
    for key, value in row.items():
        if key in ("start_time", "end_time"):
            value = None if value != value or value is None else int(value.timestamp() * 1000)
        clean[key] = value
    records.append(clean)
out["frame_records"] = records
out["frame_len_all"] = len(mlflow.search_runs(experiment_ids=[many]))
out["frame_by_name"] = mlflow.search_runs(experiment_names=[f"{prefix}-other"])[
    "tags.mlflow.runName"
].tolist()
listed = mlflow.search_runs(
    experiment_ids=[other], output_format="list", order_by=["metrics.acc ASC"]
)
out["list_output"] = [r.info.run_name for r in listed]
emit(out)
