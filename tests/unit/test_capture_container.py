"""capture_container on sample cgroup, mountinfo and containerenv files in tmp_path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from labledger.sdk.capture.container import (
    capture_container,
    parse_cgroup,
    parse_image_reference,
    parse_mountinfo,
)

CID = "4f1c8e0b2b0b" + "a" * 52
IMAGE_ID = "9" * 64
DIGEST = "sha256:" + "d" * 64
POD_UID = "0b8ac3e7-1c2d-4e5f-9a8b-7c6d5e4f3a2b"

DOCKER_CGROUP_V1 = f"""\
12:memory:/docker/{CID}
11:cpu,cpuacct:/docker/{CID}
1:name=systemd:/docker/{CID}
"""

DOCKER_MOUNTINFO_V2 = f"""\
590 480 0:55 / / rw,relatime master:1 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X
612 590 254:1 /var/lib/docker/containers/{CID}/resolv.conf /etc/resolv.conf rw - ext4 /dev/vda1 rw
613 590 254:1 /var/lib/docker/containers/{CID}/hostname /etc/hostname rw - ext4 /dev/vda1 rw
"""

DOCKER_HOST_MOUNTINFO = f"""\
25 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw
700 25 0:70 / /var/lib/docker/containers/{CID}/mounts/shm rw shared:300 - tmpfs shm rw
"""

K8S_CGROUP = (
    "11:memory:/kubepods.slice/kubepods-burstable.slice/"
    f"kubepods-burstable-pod{POD_UID.replace('-', '_')}.slice/cri-containerd-{CID}.scope\n"
)

K8S_MOUNTINFO = f"""\
900 880 254:1 /var/lib/kubelet/pods/{POD_UID}/etc-hosts /etc/hosts rw - ext4 /dev/vda1 rw
901 880 254:1 /var/lib/containerd/io.containerd.grpc.v1.cri/sandboxes/{"e" * 64}/hostname \
/etc/hostname rw - ext4 /dev/vda1 rw
"""

CONTAINERENV = f"""\
engine="podman-4.3.1"
name="trainer"
id="{CID}"
image="quay.io/org/train@{DIGEST}"
imageid="{IMAGE_ID}"
rootless=1
"""


def make_root(tmp_path: Path, files: dict[str, str]) -> tuple[Path, Path]:
    root = tmp_path / "root"
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    root.mkdir(exist_ok=True)
    return root / "proc", root


def test_nothing_container_like_returns_none(tmp_path):
    proc, root = make_root(tmp_path, {"proc/self/cgroup": "0::/user.slice/session-2.scope\n"})
    assert capture_container(env={}, proc_root=proc, root=root) is None


def test_docker_cgroup_v1(tmp_path):
    proc, root = make_root(tmp_path, {"proc/self/cgroup": DOCKER_CGROUP_V1, ".dockerenv": ""})
    info = capture_container(env={}, proc_root=proc, root=root)
    assert info is not None
    assert info["in_container"] is True
    assert (info["runtime"], info["container_id"]) == ("docker", CID)
    assert info["signals"] == ["cgroup", "/.dockerenv"]
    assert info["image"] is None and info["kubernetes"] is None
    assert json.loads(json.dumps(info)) == info


def test_docker_cgroup_v2_private_namespace_uses_mountinfo(tmp_path):
    proc, root = make_root(
        tmp_path, {"proc/self/cgroup": "0::/\n", "proc/self/mountinfo": DOCKER_MOUNTINFO_V2}
    )
    info = capture_container(env={}, proc_root=proc, root=root)
    assert info is not None
    assert (info["runtime"], info["container_id"], info["signals"]) == (
        "docker",
        CID,
        ["mountinfo"],
    )


def test_docker_host_seeing_its_containers_mounts_is_not_a_container(tmp_path):
    proc, root = make_root(tmp_path, {"proc/self/mountinfo": DOCKER_HOST_MOUNTINFO})
    assert capture_container(env={}, proc_root=proc, root=root) is None


def test_systemd_docker_scope_and_github_actions_job():
    assert parse_cgroup(f"0::/system.slice/docker-{CID}.scope\n") == ("docker", CID, None)
    assert parse_cgroup(f"4:memory:/actions_job/{CID}\n") == ("docker", CID, None)
    assert parse_cgroup(f"0::/machine.slice/libpod-{CID}.scope\n") == ("podman", CID, None)
    assert parse_cgroup(f"0::/kubepods/besteffort/pod{POD_UID}/crio-{CID}\n") == (
        "cri-o",
        CID,
        POD_UID,
    )


def test_kubernetes_pod(tmp_path):
    proc, root = make_root(
        tmp_path,
        {
            "proc/self/cgroup": K8S_CGROUP,
            "proc/self/mountinfo": K8S_MOUNTINFO,
            "var/run/secrets/kubernetes.io/serviceaccount/namespace": "ml-team",
        },
    )
    env = {"KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "trainer-7d9f-abcde"}
    info = capture_container(env=env, proc_root=proc, root=root)
    assert info is not None
    assert (info["runtime"], info["container_id"]) == ("containerd", CID)
    assert info["kubernetes"] == {
        "pod_name": "trainer-7d9f-abcde",
        "namespace": "ml-team",
        "pod_uid": POD_UID,
        "node_name": None,
    }
    assert "env:KUBERNETES_SERVICE_HOST" in info["signals"]


def test_kubelet_mount_gives_the_pod_uid_but_not_the_sandbox_as_container():
    assert parse_mountinfo(K8S_MOUNTINFO) == (None, None, POD_UID)


def test_downward_api_variables_win(tmp_path):
    proc, root = make_root(tmp_path, {})
    env = {
        "KUBERNETES_SERVICE_HOST": "10.0.0.1",
        "HOSTNAME": "h",
        "POD_NAME": "p",
        "POD_NAMESPACE": "ns",
        "NODE_NAME": "node-3",
    }
    info = capture_container(env=env, proc_root=proc, root=root)
    assert info is not None and info["kubernetes"] == {
        "pod_name": "p",
        "namespace": "ns",
        "pod_uid": None,
        "node_name": "node-3",
    }


def test_podman_containerenv_names_container_and_image(tmp_path):
    proc, root = make_root(tmp_path, {"run/.containerenv": CONTAINERENV})
    info = capture_container(env={"container": "podman"}, proc_root=proc, root=root)
    assert info is not None
    assert info["runtime"] == "podman" and info["container_id"] == CID
    assert info["name"] == "trainer"
    assert info["image"] == f"quay.io/org/train@{DIGEST}"
    assert info["image_digest"] == DIGEST
    assert info["image_id"] == IMAGE_ID
    assert info["image_source"] == "/run/.containerenv"
    assert info["signals"] == ["/run/.containerenv", "env:container"]


def test_empty_containerenv_still_means_podman(tmp_path):
    proc, root = make_root(tmp_path, {"run/.containerenv": ""})
    info = capture_container(env={}, proc_root=proc, root=root)
    assert info is not None and info["runtime"] == "podman" and info["container_id"] is None


def test_image_from_our_variable_with_digest(tmp_path):
    proc, root = make_root(tmp_path, {".dockerenv": ""})
    ref = f"ghcr.io/org/train:1.2@{DIGEST}"
    env = {"LABLEDGER_CONTAINER_IMAGE": ref, "CONTAINER_IMAGE": "other:1"}
    info = capture_container(env=env, proc_root=proc, root=root)
    assert info is not None
    assert (info["image"], info["image_digest"]) == (ref, DIGEST)
    assert info["image_source"] == "env:LABLEDGER_CONTAINER_IMAGE"


def test_image_and_a_separate_bare_digest(tmp_path):
    proc, root = make_root(tmp_path, {})
    env = {"CONTAINER_IMAGE": "registry:5000/train:latest", "IMAGE_DIGEST": "d" * 64}
    info = capture_container(env=env, proc_root=proc, root=root)
    assert info is not None
    assert info["image"] == "registry:5000/train:latest"
    assert info["image_digest"] == DIGEST
    assert info["signals"] == ["env:CONTAINER_IMAGE"]


@pytest.mark.parametrize(
    ("reference", "digest"),
    [
        (f"repo@{DIGEST}", DIGEST),
        (f"host:5000/a/b:tag@{DIGEST}", DIGEST),
        ("host:5000/a/b:tag", None),
        ("repo@sha256:short", None),
        ("python:3.11", None),
    ],
)
def test_parse_image_reference(reference, digest):
    assert parse_image_reference(reference) == (reference, digest)


def test_unreadable_file_is_an_error_note_not_a_crash(tmp_path):
    proc, root = make_root(tmp_path, {".dockerenv": ""})
    (proc / "self" / "cgroup").mkdir(parents=True)  # a folder where a file is expected
    info = capture_container(env={}, proc_root=proc, root=root)
    assert info is not None and info["runtime"] == "docker"
    assert "cgroup" in info["error"]
