"""Whether the run is in a container, and which one and which image where that can be found.

Signals, each cheap (a few small files, no subprocess):

- ``/.dockerenv`` (Docker), ``/run/.containerenv`` (Podman; it names the container, the image
  and the image id unless the container was started without that information);
- ``/proc/self/cgroup``: ids in ``docker-<id>.scope``, ``/docker/<id>``, ``libpod-<id>``,
  ``cri-containerd-<id>``, ``crio-<id>``, ``/actions_job/<id>``, ``/kubepods/.../pod<uid>``;
- ``/proc/self/mountinfo``: the source of the ``/etc/hostname``, ``/etc/hosts`` and
  ``/etc/resolv.conf`` bind mounts (``/var/lib/docker/containers/<id>/``, Podman's
  ``overlay-containers/<id>/``, the kubelet's ``pods/<uid>/``); other mounts are ignored
  because a Docker host sees its containers' mounts too;
- Kubernetes: ``KUBERNETES_SERVICE_HOST``; the pod from ``POD_NAME`` or ``HOSTNAME``, the
  namespace from ``POD_NAMESPACE`` or the service account's namespace file, the node from
  ``NODE_NAME`` (the usual downward-API names);
- the ``container`` variable that Podman and systemd-nspawn set to the engine's name;
- the image from the first set of ``IMAGE_ENV_VARS`` and its digest from ``DIGEST_ENV_VARS``
  (or from an ``image@sha256:<digest>`` reference).

Docker does not tell a container its image: set ``LABLEDGER_CONTAINER_IMAGE`` (for example
``ENV LABLEDGER_CONTAINER_IMAGE=...`` at build time, or ``-e`` with the digest at run time).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

IMAGE_ENV_VARS = (
    "LABLEDGER_CONTAINER_IMAGE",  # ours; the one to set
    "CONTAINER_IMAGE",
    "CI_JOB_IMAGE",  # GitLab CI: the image the job runs in
)
DIGEST_ENV_VARS = ("LABLEDGER_CONTAINER_IMAGE_DIGEST", "CONTAINER_IMAGE_DIGEST", "IMAGE_DIGEST")
K8S_NAMESPACE_FILE = "var/run/secrets/kubernetes.io/serviceaccount/namespace"

_ID = r"([0-9a-f]{64})"
_CGROUP_IDS = (  # (pattern, runtime), most specific first
    (re.compile(rf"libpod-(?:conmon-)?{_ID}"), "podman"),
    (re.compile(rf"cri-containerd-{_ID}"), "containerd"),
    (re.compile(rf"crio-(?:conmon-)?{_ID}"), "cri-o"),
    (re.compile(rf"docker-{_ID}\.scope"), "docker"),
    (re.compile(rf"/docker/{_ID}"), "docker"),
    (re.compile(rf"/actions_job/{_ID}"), "docker"),
    (re.compile(rf"/kubepods[^:]*/{_ID}"), None),
    (re.compile(rf"/ecs/[^/]+/{_ID}"), "ecs"),
)
_MOUNT_IDS = (
    (re.compile(rf"/docker/containers/{_ID}/"), "docker"),
    (re.compile(rf"/overlay-containers/{_ID}/userdata"), "podman"),
    (re.compile(rf"/nerdctl/.*/containers/[^/]+/{_ID}/"), "containerd"),
)
_CONTAINER_MOUNT_POINTS = ("/etc/hostname", "/etc/hosts", "/etc/resolv.conf")
_POD_UID = re.compile(
    r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})"
)
_KUBELET_POD = re.compile(r"/kubelet/pods/([0-9a-f-]{36})/")
_DIGEST = re.compile(r"(sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})")


def capture_container(
    env: Mapping[str, str] | None = None,
    proc_root: Path = Path("/proc"),
    root: Path = Path("/"),
) -> dict[str, Any] | None:
    """None when nothing suggests a container; otherwise ``in_container`` (True),
    ``runtime`` (docker, podman, containerd, cri-o, ecs, or the ``container`` variable's
    value; None if unknown), ``container_id``, ``name``, ``image``, ``image_digest``
    (``sha256:...``), ``image_id``, ``image_source`` (where the image came from),
    ``kubernetes`` (``pod_name``, ``namespace``, ``pod_uid``, ``node_name``; None outside
    it), ``signals`` (what was found), and ``error`` if a file could not be read. Never
    raises."""
    try:
        return _capture(os.environ if env is None else env, proc_root, root)
    except Exception as exc:  # noqa: BLE001 - capture must never break init()
        return {"in_container": None, "error": f"container capture failed: {exc!r}"}


def _capture(env: Mapping[str, str], proc_root: Path, root: Path) -> dict[str, Any] | None:
    info: dict[str, Any] = {"in_container": True}
    info.update(dict.fromkeys(("runtime", "container_id", "name", "image", "image_digest")))
    info.update(image_id=None, image_source=None, kubernetes=None)
    signals: list[str] = []
    errors: list[str] = []

    def found(signal: str, runtime: str | None = None, container_id: str | None = None) -> None:
        signals.append(signal)
        info["runtime"] = info["runtime"] or runtime
        info["container_id"] = info["container_id"] or container_id

    containerenv = _read(root / "run/.containerenv", errors)
    if containerenv is not None:
        fields = parse_containerenv(containerenv)
        found("/run/.containerenv", "podman", fields.get("id"))
        info["name"] = fields.get("name")
        info["image_id"] = fields.get("imageid")
        if fields.get("image"):
            _set_image(info, fields["image"], "/run/.containerenv")
    cgroup = _read(proc_root / "self/cgroup", errors)
    pod_uids = []
    if cgroup:
        runtime, container_id, pod_uid = parse_cgroup(cgroup)
        if container_id or pod_uid:
            found("cgroup", runtime, container_id)
        pod_uids.append(pod_uid)
    mountinfo = _read(proc_root / "self/mountinfo", errors)
    if mountinfo:
        runtime, container_id, pod_uid = parse_mountinfo(mountinfo)
        if container_id or pod_uid:
            found("mountinfo", runtime, container_id)
        pod_uids.append(pod_uid)
    if (root / ".dockerenv").exists():
        found("/.dockerenv", "docker")
    if env.get("container"):
        found("env:container", env["container"])
    pod_uid = next((uid for uid in pod_uids if uid), None)
    if env.get("KUBERNETES_SERVICE_HOST") or pod_uid:
        if env.get("KUBERNETES_SERVICE_HOST"):
            signals.append("env:KUBERNETES_SERVICE_HOST")
        namespace = env.get("POD_NAMESPACE") or _read(root / K8S_NAMESPACE_FILE, errors)
        info["kubernetes"] = {
            "pod_name": env.get("POD_NAME") or env.get("HOSTNAME"),
            "namespace": namespace or None,
            "pod_uid": pod_uid,
            "node_name": env.get("NODE_NAME"),
        }
    for var in IMAGE_ENV_VARS:
        if env.get(var):
            signals.append(f"env:{var}")
            _set_image(info, env[var], f"env:{var}", override=True)
            break
    digests = (_digest_in(env.get(var, "")) for var in DIGEST_ENV_VARS)
    info["image_digest"] = next((d for d in digests if d), None) or info["image_digest"]
    if not signals:
        return None
    info["signals"] = signals
    if errors:
        info["error"] = "; ".join(errors)
    return info


def parse_containerenv(text: str) -> dict[str, str]:
    """``key="value"`` lines of Podman's /run/.containerenv."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key:
            fields[key.strip()] = value.strip().strip('"')
    return fields


def parse_cgroup(text: str) -> tuple[str | None, str | None, str | None]:
    """(runtime, container id, Kubernetes pod uid) from /proc/self/cgroup."""
    runtime, container_id, pod_uid = None, None, None
    for line in text.splitlines():
        path = line.split(":", 2)[-1]
        if pod_uid is None and (match := _POD_UID.search(path)):
            pod_uid = match[1].replace("_", "-")
        if container_id is None:
            for pattern, name in _CGROUP_IDS:
                if match := pattern.search(path):
                    runtime, container_id = name, match[1]
                    break
    return runtime, container_id, pod_uid


def parse_mountinfo(text: str) -> tuple[str | None, str | None, str | None]:
    """(runtime, container id, pod uid) from the sources of a container's /etc bind mounts
    in /proc/self/mountinfo."""
    runtime, container_id, pod_uid = None, None, None
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 5 or fields[4] not in _CONTAINER_MOUNT_POINTS:
            continue
        source = fields[3]
        if pod_uid is None and (match := _KUBELET_POD.search(source)):
            pod_uid = match[1]
        if container_id is None:
            for pattern, name in _MOUNT_IDS:
                if match := pattern.search(source):
                    runtime, container_id = name, match[1]
                    break
    return runtime, container_id, pod_uid


def parse_image_reference(reference: str) -> tuple[str, str | None]:
    """(reference, digest) for ``repo[:tag][@sha256:<hex>]``; the digest None if absent."""
    reference = reference.strip()
    _, at, digest = reference.rpartition("@")
    if at and _DIGEST.fullmatch(digest):
        return reference, digest
    return reference, None


def _set_image(info: dict[str, Any], reference: str, source: str, override: bool = False) -> None:
    if info["image"] and not override:
        return
    info["image"], digest = parse_image_reference(reference)
    info["image_source"] = source
    if digest:
        info["image_digest"] = digest


def _digest_in(value: str) -> str | None:
    """``sha256:<hex>`` in a digest variable's value (``<hex>`` alone means sha256)."""
    if match := _DIGEST.search(value):
        return match[1]
    value = value.strip()
    return f"sha256:{value}" if re.fullmatch(r"[0-9a-f]{64}", value) else None


def _read(path: Path, errors: list[str]) -> str | None:
    """The file's text; None when it does not exist (an error noted if it cannot be read)."""
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as exc:
        errors.append(f"{path}: {exc.strerror or exc!r}")
        return None
