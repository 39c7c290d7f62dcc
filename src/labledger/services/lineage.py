"""LineageService: the graph from data to production, walked from any node up and down.

Nodes: ``dataset:<digest>``, ``commit:<sha>``, ``environment:<digest>``, ``run:<id>``,
``blob:<digest>`` (a file a version is made of), ``version:<model>/<n>`` and
``deployment:<id>``.  Edges follow the data: a dataset and a commit feed a run, a run is
registered as a version made of blobs, a version is deployed.  The walk goes both ways from
the start, ``depth`` steps at most, and shows only what the caller may read.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from labledger.core.errors import InvalidInputError, LineageNodeNotFoundError
from labledger.core.identity import Action
from labledger.core.ids import is_valid_id
from labledger.core.registry import check_model_name
from labledger.services.model_access import RegistryGuarded
from labledger.store import aliases as alias_repo
from labledger.store import deployments as deploy_repo
from labledger.store import lineage as repo
from labledger.store import models as model_repo
from labledger.store import provenance as provenance_repo
from labledger.store.database import Connection

MAX_DEPTH = 10
MAX_NODES = 500
FAN_OUT = 200  # neighbours of one node shown at most (datasets used by thousands of runs)
_DIGEST = re.compile(r"[0-9a-f]{64}")
_VERSION_REF = re.compile(r"(?P<model>[^/@]+)(?:/(?P<version>\d+)|@(?P<alias>[A-Za-z_][\w-]*))")


@dataclass
class Lineage:
    root: str
    nodes: dict[str, dict[str, Any]] = field(default_factory=dict)
    edges: list[dict[str, str]] = field(default_factory=list)
    truncated: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "nodes": list(self.nodes.values()),
            "edges": self.edges,
            "truncated": self.truncated,
        }


class LineageService(RegistryGuarded):
    def lineage(self, node: str, depth: int = 4) -> Lineage:
        self.allow(Action.READ)
        if type(depth) is not int or not 1 <= depth <= MAX_DEPTH:
            raise InvalidInputError(
                f"depth must be from 1 to {MAX_DEPTH}, got {depth!r}",
                details={"field": "depth", "limit": MAX_DEPTH},
            )
        visible = self.visible_projects()
        with self.db.read() as conn:
            walk = _Walk(conn, visible)
            root = walk.resolve(node)
            graph = Lineage(root)
            graph.nodes[root] = walk.describe(root)
            queue: deque[tuple[str, int]] = deque([(root, 0)])
            seen_edges: set[tuple[str, str]] = set()
            while queue:
                current, level = queue.popleft()
                if level >= depth:
                    continue
                for source, target, relation in walk.neighbours(current):
                    other = target if source == current else source
                    if other not in graph.nodes:
                        if len(graph.nodes) >= MAX_NODES:
                            graph.truncated = True
                            continue
                        graph.nodes[other] = walk.describe(other)
                        queue.append((other, level + 1))
                    if (source, target) not in seen_edges:
                        seen_edges.add((source, target))
                        graph.edges.append({"from": source, "to": target, "relation": relation})
            graph.truncated = graph.truncated or walk.truncated
            # what the walk learned of each node (the start's details come from its edges)
            graph.nodes = {node: walk.describe(node) for node in graph.nodes}
        return graph


class _Walk:
    """Neighbours and descriptions of nodes, limited to the projects the caller may read."""

    def __init__(self, conn: Connection, visible: frozenset[str] | None) -> None:
        self.conn = conn
        self.visible = visible
        self.truncated = False
        self._info: dict[str, dict[str, Any]] = {}

    def _may(self, project: str) -> bool:
        return self.visible is None or project in self.visible

    def resolve(self, text: str) -> str:
        if not isinstance(text, str) or not text or len(text) > 600:
            raise InvalidInputError("node must be a text id", details={"field": "node"})
        kind, _, rest = text.partition(":")
        if not rest:
            kind, rest = self._guess(text), text
        if kind == "run" and is_valid_id(rest):
            run = repo.run_row(self.conn, rest)
            if run is not None and self._may(run["project"]):
                self._info[f"run:{rest}"] = {
                    "name": run["name"],
                    "status": run["status"],
                    "project": run["project"],
                }
                return f"run:{rest}"
        elif kind in ("dataset", "blob") and _DIGEST.fullmatch(rest):
            node = f"{kind}:{rest}"
            if self.neighbours(node):
                return node
        elif kind in ("version", "model"):
            found = self._version_ref(rest)
            if found is not None:
                return found
        elif kind == "deployment" and rest.isdigit():
            row = deploy_repo.get(self.conn, int(rest))
            version = repo.version_by_id(self.conn, row["version_id"]) if row else None
            if version is not None and self._may(version["project"]):
                return f"deployment:{rest}"
        raise LineageNodeNotFoundError(
            f"no lineage node {text!r} that you may read", details={"node": text}
        )

    def _guess(self, text: str) -> str:
        if is_valid_id(text):
            return "run"
        if _DIGEST.fullmatch(text):
            return "dataset" if repo.runs_using_dataset(self.conn, text, 1) else "blob"
        return "version"

    def _version_ref(self, text: str) -> str | None:
        m = _VERSION_REF.fullmatch(text)
        if m is None:
            return None
        name = check_model_name(m["model"])
        model = model_repo.find_model(self.conn, name)
        if model is None or not self._may(model["project"]):
            return None
        number = int(m["version"]) if m["version"] else None
        if m["alias"]:
            held = alias_repo.current(self.conn, model["id"], m["alias"])
            number = held["version"] if held else None
        if number is None or model_repo.find_version(self.conn, model["id"], number) is None:
            return None
        return f"version:{name}/{number}"

    def describe(self, node: str) -> dict[str, Any]:
        kind, _, key = node.partition(":")
        return {"id": node, "kind": kind, "label": _label(kind, key), **self._info.get(node, {})}

    def _note(self, node: str, **info: Any) -> str:
        self._info.setdefault(node, {}).update({k: v for k, v in info.items() if v is not None})
        return node

    def _capped(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if len(rows) >= FAN_OUT:
            self.truncated = True
        return rows

    def neighbours(self, node: str) -> list[tuple[str, str, str]]:
        """Edges (from, to, relation) touching ``node``."""
        kind, _, key = node.partition(":")
        conn = self.conn
        out: list[tuple[str, str, str]] = []
        if kind == "dataset":
            for r in self._capped(repo.runs_using_dataset(conn, key, FAN_OUT)):
                if self._may(r["project"]):
                    run = self._note(
                        f"run:{r['id']}", name=r["name"], status=r["status"], project=r["project"]
                    )
                    out.append((self._note(node, name=r["dataset"]), run, r["role"]))
        elif kind == "blob":
            for v in self._capped(repo.versions_with_blob(conn, key, FAN_OUT)):
                if self._may(v["project"]):
                    out.append((node, self._version_node(v), "file of"))
        elif kind == "run":
            out += self._run_edges(node, key)
        elif kind == "version":
            out += self._version_edges(node, key)
        elif kind == "deployment":
            row = deploy_repo.get(conn, int(key))
            version = repo.version_by_id(conn, row["version_id"]) if row else None
            if row is not None and version is not None and self._may(version["project"]):
                self._note(
                    node,
                    env=row["env"],
                    since_ms=row["time_ms"],
                    url=row["url"],
                    model=version["model"],
                    version=row["version"],
                )
                out.append((self._version_node(version), node, "deployed as"))
        return out

    def _version_node(self, v: dict[str, Any]) -> str:
        return self._note(
            f"version:{v['model']}/{v['version']}",
            model=v["model"],
            version=v["version"],
            run_id=v["run_id"],
            digest=v["digest"],
            path=v["path"],
        )

    def _run_edges(self, node: str, run_id: str) -> list[tuple[str, str, str]]:
        run = repo.run_row(self.conn, run_id)
        if run is None or not self._may(run["project"]):
            return []
        self._note(node, name=run["name"], status=run["status"], project=run["project"])
        out = []
        for d in provenance_repo.list_datasets(self.conn, run["pk"]):
            out.append(
                (
                    self._note(f"dataset:{d.digest}", name=d.name, uri=d.uri, rows=d.rows),
                    node,
                    d.role,
                )
            )
        env = provenance_repo.get_environment(self.conn, run["pk"])
        if env is not None:
            document, digest = env
            git = document.get("git") if isinstance(document.get("git"), dict) else None
            if git and git.get("commit"):
                commit = self._note(
                    f"commit:{git['commit']}", branch=git.get("branch"), dirty=git.get("dirty")
                )
                out.append((commit, node, "code"))
            out.append((self._note(f"environment:{digest}"), node, "environment"))
        for v in repo.versions_of_run(self.conn, run_id):
            if self._may(v["project"]):
                out.append((node, self._version_node(v), "registered as"))
        return out

    def _version_edges(self, node: str, ref: str) -> list[tuple[str, str, str]]:
        model, _, number = ref.rpartition("/")
        v = repo.version_row(self.conn, model, int(number)) if number.isdigit() else None
        if v is None or not self._may(v["project"]):
            return []
        self._version_node(v)
        out: list[tuple[str, str, str]] = []
        run = repo.run_row(self.conn, v["run_id"])
        if run is not None and self._may(run["project"]):
            run_node = self._note(
                f"run:{run['id']}", name=run["name"], status=run["status"], project=run["project"]
            )
            out.append((run_node, node, "registered as"))
        for f in model_repo.files_of(self.conn, v["id"])[:FAN_OUT]:
            out.append(
                (self._note(f"blob:{f['digest']}", path=f["path"], size=f["size"]), node, "file of")
            )
        for d in deploy_repo.by_version_ids(self.conn, [v["id"]])[:FAN_OUT]:
            dep = self._note(
                f"deployment:{d['id']}",
                env=d["env"],
                since_ms=d["time_ms"],
                url=d["url"],
                model=v["model"],
                version=d["version"],
            )
            out.append((node, dep, "deployed as"))
        return out


def _label(kind: str, key: str) -> str:
    if kind in ("dataset", "blob", "environment", "commit"):
        return f"{kind} {key[:12]}"
    if kind == "version":
        model, _, number = key.rpartition("/")
        return f"{model} v{number}"
    if kind == "run":
        return f"run {key[:8]}"
    return f"{kind} {key}"
