"""capture_system / capture_process: parsers on sample text, files from tmp_path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from labledger.sdk.capture import system
from labledger.sdk.capture.system import (
    capture_gpus,
    capture_process,
    capture_system,
    cgroup_limits,
    parse_cpuinfo,
    parse_meminfo,
    parse_nvidia_smi,
    parse_os_release,
)

NVIDIA_SMI_OUTPUT = """\
NVIDIA A100-SXM4-80GB, 81920 MiB, 535.104.05
NVIDIA GeForce RTX 3090, 24576 MiB, 535.104.05
"""

CPUINFO_X86 = """\
processor\t: 0
vendor_id\t: GenuineIntel
model\t\t: 85
model name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz
flags\t\t: fpu vme

processor\t: 1
model name\t: Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz
"""

CPUINFO_ARM_BOARD = """\
processor\t: 0
BogoMIPS\t: 108.00
CPU implementer\t: 0x41
CPU part\t: 0xd08

Hardware\t: BCM2835
Model\t\t: Raspberry Pi 4 Model B Rev 1.4
"""

MEMINFO = "MemTotal:       24684092 kB\nMemFree:        1000 kB\n"

OS_RELEASE = """\
PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME='Debian GNU/Linux'
VERSION_ID="12"
# a comment
ID=debian
"""


def fake_which(*_args: object, **_kwargs: object) -> str:
    return "/usr/bin/nvidia-smi"


def write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# -- nvidia-smi --------------------------------------------------------------------------------
def test_parse_nvidia_smi_rows():
    assert parse_nvidia_smi(NVIDIA_SMI_OUTPUT) == [
        {"name": "NVIDIA A100-SXM4-80GB", "memory_mib": 81920, "driver": "535.104.05"},
        {"name": "NVIDIA GeForce RTX 3090", "memory_mib": 24576, "driver": "535.104.05"},
    ]


def test_parse_nvidia_smi_without_units_not_available_and_commas_in_names():
    text = "Tesla T4, 15360, 470.57.02\nWeird, Inc. GPU, [N/A], [N/A]\n\ngarbage\n"
    assert parse_nvidia_smi(text) == [
        {"name": "Tesla T4", "memory_mib": 15360, "driver": "470.57.02"},
        {"name": "Weird, Inc. GPU", "memory_mib": None, "driver": None},
    ]


def test_parse_nvidia_smi_empty_output():
    assert parse_nvidia_smi("") == []


def test_no_nvidia_smi_on_path_means_no_gpus(tmp_path):
    assert capture_gpus(path=str(tmp_path)) == ([], None)


def test_nvidia_smi_is_queried_and_parsed(monkeypatch):
    calls = []

    def fake_run(cmd, **kwargs):
        calls.append((cmd, kwargs))
        return subprocess.CompletedProcess(cmd, 0, NVIDIA_SMI_OUTPUT, "")

    monkeypatch.setattr(system.shutil, "which", fake_which)
    monkeypatch.setattr(system.subprocess, "run", fake_run)
    gpus, error = capture_gpus()
    assert error is None and [g["name"] for g in gpus] == [
        "NVIDIA A100-SXM4-80GB",
        "NVIDIA GeForce RTX 3090",
    ]
    cmd, kwargs = calls[0]
    assert cmd == [
        "/usr/bin/nvidia-smi",
        "--query-gpu=name,memory.total,driver_version",
        "--format=csv,noheader",
    ]
    assert kwargs["timeout"] == system.NVIDIA_SMI_TIMEOUT_S


def test_nvidia_smi_failure_or_timeout_is_an_error_note(monkeypatch):
    monkeypatch.setattr(system.shutil, "which", fake_which)

    def failing(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 9, "NVIDIA-SMI has failed: no driver\n", "")

    monkeypatch.setattr(system.subprocess, "run", failing)
    assert capture_gpus() == ([], "nvidia-smi exited 9: NVIDIA-SMI has failed: no driver")

    def hanging(cmd, **kwargs):
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(system.subprocess, "run", hanging)
    gpus, error = capture_gpus()
    assert gpus == [] and error is not None and "timed out" in error


# -- parsers -----------------------------------------------------------------------------------
def test_parse_cpuinfo_x86_and_arm_board():
    assert parse_cpuinfo(CPUINFO_X86) == "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"
    assert parse_cpuinfo(CPUINFO_ARM_BOARD) == "BCM2835"
    assert parse_cpuinfo("processor\t: 0\n") is None


def test_parse_meminfo_in_bytes():
    assert parse_meminfo(MEMINFO) == 24684092 * 1024
    assert parse_meminfo("MemFree: 1 kB\n") is None


def test_parse_os_release_strips_quotes_and_comments():
    fields = parse_os_release(OS_RELEASE)
    assert fields["PRETTY_NAME"] == "Debian GNU/Linux 12 (bookworm)"
    assert fields["NAME"] == "Debian GNU/Linux"
    assert fields["VERSION_ID"] == "12" and fields["ID"] == "debian"
    assert not any(k.startswith("#") for k in fields)


# -- cgroup limits -----------------------------------------------------------------------------
def test_cgroup_v2_limits_of_the_process_group_and_its_parents(tmp_path):
    write(tmp_path, "proc/self/cgroup", "0::/kubepods/pod1/ctr\n")
    write(tmp_path, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    write(tmp_path, "sys/fs/cgroup/kubepods/pod1/ctr/cpu.max", "150000 100000\n")
    write(tmp_path, "sys/fs/cgroup/kubepods/pod1/ctr/memory.max", "max\n")
    write(tmp_path, "sys/fs/cgroup/kubepods/pod1/memory.max", "4294967296\n")
    assert cgroup_limits(tmp_path) == {"cpu_quota": 1.5, "memory_limit_bytes": 4294967296}


def test_cgroup_v2_unlimited(tmp_path):
    write(tmp_path, "proc/self/cgroup", "0::/\n")
    write(tmp_path, "sys/fs/cgroup/cgroup.controllers", "cpu memory\n")
    write(tmp_path, "sys/fs/cgroup/cpu.max", "max 100000\n")
    assert cgroup_limits(tmp_path) == {"cpu_quota": None, "memory_limit_bytes": None}


def test_cgroup_v1_limits(tmp_path):
    write(tmp_path, "proc/self/cgroup", "4:memory:/docker/abc\n2:cpu,cpuacct:/docker/abc\n")
    write(tmp_path, "sys/fs/cgroup/cpu/cpu.cfs_quota_us", "200000\n")
    write(tmp_path, "sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n")
    write(tmp_path, "sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n")
    write(tmp_path, "sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "1073741824\n")
    assert cgroup_limits(tmp_path) == {"cpu_quota": 2.0, "memory_limit_bytes": 1073741824}


def test_no_cgroup_files(tmp_path):
    assert cgroup_limits(tmp_path) == {"cpu_quota": None, "memory_limit_bytes": None}


# -- capture_system / capture_process ----------------------------------------------------------
def test_capture_system_reads_files_under_root(tmp_path, monkeypatch):
    monkeypatch.setattr(system.sys, "platform", "linux")
    write(tmp_path, "proc/cpuinfo", CPUINFO_X86)
    write(tmp_path, "proc/meminfo", MEMINFO)
    write(tmp_path, "etc/os-release", OS_RELEASE)
    info = capture_system(root=tmp_path, path=str(tmp_path))
    assert info["cpu_model"] == "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"
    assert info["memory_bytes"] == 24684092 * 1024
    assert (info["distro"], info["os_release"]) == ("Debian GNU/Linux 12 (bookworm)", "12")
    assert info["gpus"] == []
    assert "error" not in info


def test_capture_system_on_this_machine_is_json_ready():
    info = capture_system()
    assert json.loads(json.dumps(info)) == info
    assert info["cpu_count"] == os.cpu_count()
    assert isinstance(info["machine"], str) and info["machine"]
    for key in ("os", "kernel", "platform", "hostname", "memory_bytes", "gpus", "cpu_usable"):
        assert key in info


def test_capture_system_turns_failures_into_an_error_note(monkeypatch):
    def broken() -> str:
        raise OSError("no uname here")

    monkeypatch.setattr(system.platform, "machine", broken)
    info = capture_system()
    assert info["machine"] is None
    assert "machine: OSError('no uname here')" in info["error"]


def test_capture_process(monkeypatch, tmp_path):
    script = tmp_path / "train.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--lr", "0.1", "--token=abc"])
    info = capture_process()
    assert info["argv"] == [str(script), "--lr", "0.1", "--token=abc"]
    assert info["entry_point"] == os.path.realpath(script)
    assert (info["pid"], info["cwd"]) == (os.getpid(), os.getcwd())
    assert info["executable"] == sys.executable
    assert json.loads(json.dumps(info)) == info


def test_capture_process_for_python_c(monkeypatch):
    monkeypatch.setattr(sys, "argv", ["-c"])
    assert capture_process()["entry_point"] == "-c"
    monkeypatch.setattr(sys, "argv", [""])
    assert capture_process()["entry_point"] is None
