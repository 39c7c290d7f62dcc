"""An MLflow tracking server as a source, through its REST API (``/api/2.0/mlflow``) with
httpx: experiments and runs searched page by page, metric histories page by page, the
registry's models and versions; artifacts through the server's artifact proxy
(``/api/2.0/mlflow-artifacts/artifacts/…``) for ``mlflow-artifacts:`` runs, or read in place
when a run's artifact URI is a folder of this machine.

Credentials are MLflow's own variables: ``MLFLOW_TRACKING_TOKEN`` (a bearer token), or
``MLFLOW_TRACKING_USERNAME`` and ``MLFLOW_TRACKING_PASSWORD`` (basic auth).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlparse

import httpx

from labledger.core.errors import InvalidInputError, TrackerError, TransportError
from labledger.core.mlflow_records import (
    History,
    SourceExperiment,
    SourceModel,
    SourceRun,
    SourceVersion,
    sorted_history,
    status_name,
)
from labledger.ops.mlflow_import.source import (
    ArtifactFile,
    ArtifactsUnavailable,
    ArtifactTree,
    EmptyTree,
    LocalTree,
    MlflowSource,
    local_folder,
)

API = "/api/2.0/mlflow"
PROXY = "/api/2.0/mlflow-artifacts/artifacts"
PAGE = 1000
HISTORY_PAGE = 25_000
MAX_PAGES = 100_000  # a server that keeps answering with a page token is not followed forever
_NON_FINITE = {"nan": math.nan, "infinity": math.inf, "-infinity": -math.inf}


def _pairs(items: Any) -> dict[str, str]:
    """MLflow's ``[{"key": k, "value": v}]`` lists as a mapping."""
    out: dict[str, str] = {}
    for item in items or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = "" if item.get("value") is None else str(item["value"])
    return out


def _int(value: Any) -> int | None:
    """An int64 field (MLflow's JSON writes some as strings)."""
    try:
        return None if value in (None, "") else int(value)
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _NON_FINITE:
            return _NON_FINITE[lowered]
    return float(value)


class RestSource(MlflowSource):
    def __init__(self, url: str) -> None:
        parsed = urlparse(url)
        if not parsed.hostname:
            raise InvalidInputError(f"--from {url!r} names no host", details={"field": "from"})
        self.base = url.rstrip("/")
        self.description = parsed._replace(
            netloc=parsed.hostname + (f":{parsed.port}" if parsed.port else "")
        ).geturl()
        headers = {"User-Agent": "labledger-import"}
        auth: httpx.BasicAuth | None = None
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        user = os.environ.get("MLFLOW_TRACKING_USERNAME")
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif user:
            auth = httpx.BasicAuth(user, os.environ.get("MLFLOW_TRACKING_PASSWORD", ""))
        self.http = httpx.Client(
            base_url=self.base,
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(120.0, connect=10.0),
        )
        self._check()

    def close(self) -> None:
        self.http.close()

    # -- requests -------------------------------------------------------------------------
    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"cannot reach the MLflow server at {self.description}: {exc}",
                details={"field": "from"},
            ) from None
        if response.status_code >= 400:
            raise self._refusal(response, path)
        try:
            body = response.json()
        except ValueError:
            raise InvalidInputError(
                f"{self.description}{path} did not answer JSON: is it an MLflow tracking server?",
                details={"field": "from"},
            ) from None
        if not isinstance(body, dict):
            raise InvalidInputError(
                f"{self.description}{path} answered {type(body).__name__}, not an object",
                details={"field": "from"},
            )
        return body

    def _refusal(self, response: httpx.Response, path: str) -> TrackerError:
        try:
            body = response.json()
        except ValueError:
            body = {}
        code = body.get("error_code", "") if isinstance(body, dict) else ""
        message = body.get("message", "") if isinstance(body, dict) else ""
        text = f"{code}: {message}" if code else response.text[:200].strip()
        where = f"the MLflow server at {self.description} answered {response.status_code}"
        if response.status_code in (401, 403):
            return TransportError(
                f"{where} ({text}) to {path}: set MLFLOW_TRACKING_TOKEN, or "
                "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD",
                details={"field": "from"},
            )
        # a refusal or a failure of one request: the import goes on with the next record
        error = TrackerError if response.status_code >= 500 else InvalidInputError
        return error(f"{where} to {path}: {text}", details={"field": "from"})

    def _check(self) -> None:
        """One cheap request first, so that a wrong URL fails before any work."""
        try:
            self._call("POST", f"{API}/experiments/search", json={"max_results": 1})
        except InvalidInputError as exc:
            raise InvalidInputError(
                f"--from {self.description}: not an MLflow tracking server ({exc.message})",
                details={"field": "from"},
            ) from None

    def _pages(self, method: str, path: str, field: str, query: dict[str, Any]) -> Iterator[Any]:
        token: str | None = None
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            page = dict(query, page_token=token) if token else dict(query)
            if method == "GET":
                body = self._call(method, path, params=page)
            else:
                body = self._call(method, path, json=page)
            yield from body.get(field) or []
            token = body.get("next_page_token") or None
            if token is None or token in seen:
                return
            seen.add(token)

    # -- tracking -------------------------------------------------------------------------
    def experiments(self) -> list[SourceExperiment]:
        query = {"max_results": PAGE, "view_type": "ALL"}
        return [
            SourceExperiment(
                id=str(e.get("experiment_id")),
                name=str(e.get("name", "")),
                deleted=e.get("lifecycle_stage", "active") != "active",
                artifact_location=e.get("artifact_location"),
                tags=_pairs(e.get("tags")),
            )
            for e in self._pages("POST", f"{API}/experiments/search", "experiments", query)
        ]

    def runs(self, experiment: SourceExperiment) -> Iterator[SourceRun]:
        query = {
            "experiment_ids": [experiment.id],
            "run_view_type": "ALL",
            "max_results": PAGE,
            "order_by": ["attributes.start_time ASC"],
        }
        for item in self._pages("POST", f"{API}/runs/search", "runs", query):
            info, data = item.get("info") or {}, item.get("data") or {}
            tags = _pairs(data.get("tags"))
            keys = {m["key"] for m in data.get("metrics") or [] if isinstance(m, dict)}
            run_id = str(info.get("run_id") or info.get("run_uuid") or "")
            yield SourceRun(
                id=run_id,
                experiment_id=experiment.id,
                name=str(info.get("run_name") or tags.get("mlflow.runName") or ""),
                status=status_name(info.get("status", "RUNNING")),
                start_ms=_int(info.get("start_time")),
                end_ms=_int(info.get("end_time")),
                user=info.get("user_id") or None,
                deleted=info.get("lifecycle_stage", "active") != "active",
                artifact_uri=info.get("artifact_uri"),
                params=_pairs(data.get("params")),
                tags=tags,
                metric_keys=tuple(sorted(k for k in keys if isinstance(k, str))),
            )

    def history(self, run: SourceRun, key: str) -> History:
        query = {"run_id": run.id, "metric_key": key, "max_results": HISTORY_PAGE}
        points = []
        for m in self._pages("GET", f"{API}/metrics/get-history", "metrics", query):
            try:
                points.append(
                    (
                        int(m.get("step") or 0),
                        max(int(m.get("timestamp") or 0), 0),
                        _float(m.get("value")),
                    )
                )
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"run {run.id}: metric {key!r} has a point that is not a number: {m!r}",
                    details={"field": "metrics"},
                ) from None
        return sorted_history(points)

    # -- artifacts ------------------------------------------------------------------------
    def artifacts(self, run: SourceRun) -> ArtifactTree:
        uri = run.artifact_uri or ""
        if uri.startswith("mlflow-artifacts:"):
            location = urlparse(uri).path.strip("/")
            return ProxyTree(self, location)
        folder = local_folder(uri)
        if folder is not None and folder.is_dir():
            return LocalTree(folder)
        try:
            listed = self._call("GET", f"{API}/artifacts/list", params={"run_id": run.id})
        except TransportError:
            raise
        except TrackerError as exc:
            raise ArtifactsUnavailable(
                f"its artifact URI {uri!r} is not a folder on this machine, and the server "
                f"could not list it: {exc.message}"
            ) from None
        if not listed.get("files"):
            return EmptyTree()
        raise ArtifactsUnavailable(
            f"its artifact URI {uri!r} is neither MLflow's artifact proxy nor a folder on "
            "this machine"
        )

    # -- registry -------------------------------------------------------------------------
    def models(self) -> list[SourceModel]:
        out = []
        query = {"max_results": PAGE}
        for m in self._pages("GET", f"{API}/registered-models/search", "registered_models", query):
            name = str(m.get("name", ""))
            aliases = {
                str(a.get("alias")): v
                for a in m.get("aliases") or []
                if isinstance(a, dict) and (v := _int(a.get("version"))) is not None
            }
            out.append(
                SourceModel(
                    name=name,
                    description=m.get("description") or "",
                    tags=_pairs(m.get("tags")),
                    aliases=aliases,
                    versions=tuple(self._versions(name)),
                )
            )
        return out

    def _versions(self, name: str) -> list[SourceVersion]:
        quote_char = "'" if "'" not in name else '"'
        query = {"filter": f"name = {quote_char}{name}{quote_char}", "max_results": PAGE}
        found = []
        for v in self._pages("GET", f"{API}/model-versions/search", "model_versions", query):
            number = _int(v.get("version"))
            if number is None or v.get("name") != name:
                continue
            found.append(
                SourceVersion(
                    model=name,
                    version=number,
                    run_id=v.get("run_id") or None,
                    source=str(v.get("source") or ""),
                    description=v.get("description") or "",
                    stage=str(v.get("current_stage") or "None"),
                    tags=_pairs(v.get("tags")),
                )
            )
        return sorted(found, key=lambda v: v.version)


class ProxyTree:
    """A run's files behind the server's artifact proxy, at ``location``
    (``<experiment>/<run>/artifacts``)."""

    def __init__(self, source: RestSource, location: str) -> None:
        self.source = source
        self.location = location

    def files(self) -> Iterator[ArtifactFile]:
        yield from self._walk("")

    def _walk(self, folder: str) -> Iterator[ArtifactFile]:
        path = f"{self.location}/{folder}".rstrip("/")
        listed = self.source._call("GET", PROXY, params={"path": path})
        entries = sorted(listed.get("files") or [], key=lambda f: str(f.get("path", "")))
        for entry in entries:
            name = str(entry.get("path", "")).rsplit("/", 1)[-1]
            if not name or name in (".", ".."):
                continue
            rel = f"{folder}/{name}" if folder else name
            if entry.get("is_dir"):
                yield from self._walk(rel)
            else:
                yield ArtifactFile(rel, _int(entry.get("file_size")))

    def local_path(self, path: str) -> Path | None:  # noqa: ARG002 - never on this machine
        return None

    def download(self, path: str, dest: Path) -> None:
        url = f"{PROXY}/{quote(self.location)}/{quote(path)}"
        try:
            with self.source.http.stream("GET", url) as response:
                if response.status_code >= 400:
                    response.read()
                    raise self.source._refusal(response, url)
                with open(dest, "wb") as out:
                    for chunk in response.iter_bytes(1 << 20):
                        out.write(chunk)
        except httpx.HTTPError as exc:
            raise TransportError(
                f"cannot download {path!r} from {self.source.description}: {exc}",
                details={"field": "from"},
            ) from None
