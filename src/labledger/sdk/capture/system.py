"""The machine and the process a run starts in.

Read from ``/proc``, ``/sys``, ``/etc/os-release`` and the ``os`` and ``platform`` modules; the
only subprocess is ``nvidia-smi``, run only when it is on PATH (and torch is never imported).
File locations hang off ``root`` so tests can feed sample files.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

NVIDIA_SMI_TIMEOUT_S = 3.0
NVIDIA_SMI_ARGS = ("--query-gpu=name,memory.total,driver_version", "--format=csv,noheader")
_CPU_MODEL_KEYS = ("model name", "hardware", "cpu model", "model")
_T = TypeVar("_T")


def capture_system(*, root: Path = Path("/"), path: str | None = None) -> dict[str, Any]:
    """``os``, ``os_release``, ``os_version``, ``distro``, ``kernel``, ``platform``,
    ``machine``, ``cpu_model``, ``cpu_count`` (logical), ``cpu_usable`` (this process's
    affinity), ``cpu_quota`` (CPUs allowed by a cgroup limit), ``memory_bytes`` (total),
    ``memory_limit_bytes`` (cgroup limit), ``hostname``, ``user``, ``gpus`` (``name``,
    ``memory_mib``, ``driver`` per GPU from ``nvidia-smi``; [] without one),
    ``cuda_visible_devices``, and ``error`` naming what could not be read. ``root`` relocates
    /proc, /sys and /etc; ``path`` is the PATH searched for nvidia-smi. Never raises."""
    errors: list[str] = []
    linux = sys.platform.startswith("linux")
    distro: dict[str, str] = _try(errors, "os-release", lambda: read_os_release(root), {})
    info: dict[str, Any] = {
        "os": _try(errors, "os", platform.system, None),
        "os_release": distro.get("VERSION_ID") or _try(errors, "release", _os_release, None),
        "os_version": _try(errors, "version", platform.version, None),
        "distro": distro.get("PRETTY_NAME") or distro.get("NAME"),
        "kernel": _try(errors, "kernel", platform.release, None),
        "platform": _try(errors, "platform", platform.platform, None),
        "machine": _try(errors, "machine", platform.machine, None),
        "cpu_model": _try(errors, "cpu model", lambda: _cpu_model(root, linux), None),
        "cpu_count": os.cpu_count(),
        "cpu_usable": _try(errors, "affinity", _cpu_usable, None),
        "memory_bytes": _try(errors, "memory", lambda: _memory_total(root), None),
        "hostname": _try(errors, "hostname", platform.node, None) or None,
        "user": _try(errors, "user", _user, None),
    }
    limits: dict[str, Any] = _try(errors, "cgroup", lambda: cgroup_limits(root), {})
    info["cpu_quota"] = limits.get("cpu_quota")
    info["memory_limit_bytes"] = limits.get("memory_limit_bytes")
    gpus, gpu_error = capture_gpus(path)
    info["gpus"] = gpus
    info["cuda_visible_devices"] = os.environ.get("CUDA_VISIBLE_DEVICES")
    if gpu_error:
        errors.append(gpu_error)
    if errors:
        info["error"] = "; ".join(errors)
    return info


def capture_process() -> dict[str, Any]:
    """``argv`` (as given: redaction is the aggregator's job), ``cwd``, ``pid``, ``ppid``,
    ``executable``, ``entry_point`` (``sys.argv[0]`` resolved to an absolute path; "-c" for
    ``python -c``, None interactively), ``module`` (for ``python -m``), ``notebook`` (an
    IPython kernel is loaded), and ``error``. Never raises."""
    errors: list[str] = []
    argv = [str(a) for a in getattr(sys, "argv", [])]
    main_spec = getattr(sys.modules.get("__main__"), "__spec__", None)
    return {
        "argv": argv,
        "cwd": _try(errors, "cwd", os.getcwd, None),
        "pid": os.getpid(),
        "ppid": _try(errors, "ppid", os.getppid, None),
        "executable": sys.executable or None,
        "entry_point": _try(errors, "entry point", lambda: _entry_point(argv), None),
        "module": getattr(main_spec, "name", None),
        "notebook": "ipykernel" in sys.modules,
        **({"error": "; ".join(errors)} if errors else {}),
    }


def _entry_point(argv: list[str]) -> str | None:
    first = argv[0] if argv else ""
    if first in ("", "-"):
        return None
    if first == "-c":
        return first
    return os.path.realpath(first)


# -- GPUs ------------------------------------------------------------------------------------
def capture_gpus(path: str | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """(GPUs, error) from ``nvidia-smi`` when it is on ``path`` (default PATH); ([], None)
    when it is not."""
    exe = shutil.which("nvidia-smi", path=path)
    if exe is None:
        return [], None
    try:
        proc = subprocess.run(
            [exe, *NVIDIA_SMI_ARGS],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return [], f"nvidia-smi: timed out after {NVIDIA_SMI_TIMEOUT_S:g} s"
    except (OSError, subprocess.SubprocessError) as exc:
        return [], f"nvidia-smi: {exc!r}"
    if proc.returncode != 0:
        said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        return [], f"nvidia-smi exited {proc.returncode}: {said[-1] if said else ''}".strip()
    return parse_nvidia_smi(proc.stdout), None


def parse_nvidia_smi(text: str) -> list[dict[str, Any]]:
    """Rows of ``--query-gpu=name,memory.total,driver_version --format=csv,noheader``
    (with or without ``nounits``): ``name``, ``memory_mib`` (None if not reported),
    ``driver``."""
    gpus = []
    for line in text.splitlines():
        parts = [p.strip() for p in line.rsplit(",", 2)]  # a name may contain commas
        if len(parts) != 3 or not parts[0]:
            continue
        name, memory, driver = parts
        gpus.append({"name": name, "memory_mib": _mib(memory), "driver": _reported(driver)})
    return gpus


def _mib(text: str) -> int | None:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(MiB|GiB|MB|GB)?", text.strip())
    if not match:
        return None
    value = float(match[1]) * (1024 if match[2] in ("GiB", "GB") else 1)
    return round(value)


def _reported(text: str) -> str | None:
    return None if not text or text.startswith("[") else text  # "[N/A]", "[Not Supported]"


# -- files ---------------------------------------------------------------------------------
def read_os_release(root: Path) -> dict[str, str]:
    for rel in ("etc/os-release", "usr/lib/os-release"):
        try:
            return parse_os_release((root / rel).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return {}


def parse_os_release(text: str) -> dict[str, str]:
    """KEY=value lines of os-release(5), quotes removed."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.strip().partition("=")
        if sep and key and not key.startswith("#"):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
                value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
            fields[key] = value
    return fields


def parse_cpuinfo(text: str) -> str | None:
    """The CPU model from /proc/cpuinfo: ``model name`` (x86), else ``Hardware``, ``cpu
    model`` or ``Model`` (ARM boards, MIPS)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        key = key.strip().lower()
        if sep and key in _CPU_MODEL_KEYS and value.strip():
            found.setdefault(key, value.strip())
            if key == "model name":
                break
    return next((found[k] for k in _CPU_MODEL_KEYS if k in found), None)


def parse_meminfo(text: str) -> int | None:
    """MemTotal from /proc/meminfo, in bytes."""
    for line in text.splitlines():
        if line.startswith("MemTotal:"):
            fields = line.split()
            unit = 1024 if len(fields) > 2 and fields[2].lower() == "kb" else 1
            return int(fields[1]) * unit
    return None


def cgroup_limits(root: Path) -> dict[str, Any]:
    """``cpu_quota`` (CPUs, may be fractional) and ``memory_limit_bytes`` of this process's
    cgroup and its ancestors, cgroup v2 or v1; None where unlimited or unknown."""
    try:
        lines = (root / "proc/self/cgroup").read_text().splitlines()
    except OSError:
        return {"cpu_quota": None, "memory_limit_bytes": None}
    paths: dict[str, str] = {}
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        for controller in controllers.split(",") if controllers else [""]:
            paths.setdefault(controller, path.strip())
    base = root / "sys/fs/cgroup"
    cpus, memory = [], []
    if "" in paths and (base / "cgroup.controllers").is_file():  # v2, unified
        for folder in _cgroup_folders(base, paths[""]):
            cpus.append(_v2_cpu(_read(folder / "cpu.max")))
            memory.append(_int_or_none(_read(folder / "memory.max")))
    for folder in _cgroup_folders(base / "cpu", paths.get("cpu")):  # v1
        quota, period = _int_or_none(_read(folder / "cpu.cfs_quota_us")), None
        if quota is not None and quota > 0:
            period = _int_or_none(_read(folder / "cpu.cfs_period_us"))
        cpus.append(quota / period if quota and period else None)
    for folder in _cgroup_folders(base / "memory", paths.get("memory")):
        limit = _int_or_none(_read(folder / "memory.limit_in_bytes"))
        memory.append(limit if limit is not None and limit < 1 << 60 else None)
    cpu_limits = [c for c in cpus if c is not None]
    memory_limits = [m for m in memory if m is not None]
    return {
        "cpu_quota": min(cpu_limits) if cpu_limits else None,
        "memory_limit_bytes": min(memory_limits) if memory_limits else None,
    }


def _cgroup_folders(base: Path, path: str | None) -> list[Path]:
    """The process's cgroup folder and its parents up to the mount point (inside a
    container the mount point is already the process's own group)."""
    if path is None or not base.is_dir():
        return []
    parts = [p for p in path.split("/") if p and p not in (".", "..")]
    return [base.joinpath(*parts[:n]) for n in range(len(parts), -1, -1)]


def _v2_cpu(text: str | None) -> float | None:
    quota, _, period = (text or "").partition(" ")
    if not quota or quota == "max" or not period.strip().isdigit():
        return None
    return int(quota) / int(period) if quota.isdigit() and int(period) else None


def _int_or_none(text: str | None) -> int | None:
    return int(text) if text and text.lstrip("-").isdigit() else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text().strip()
    except OSError:
        return None


def _cpu_model(root: Path, linux: bool) -> str | None:
    if linux:
        text = _read(root / "proc/cpuinfo")
        return parse_cpuinfo(text) if text else None
    return platform.processor() or None  # elsewhere; on Linux it forks `uname -p`


def _memory_total(root: Path) -> int | None:
    text = _read(root / "proc/meminfo")
    total = parse_meminfo(text) if text else None
    if total is None and hasattr(os, "sysconf") and root == Path("/"):
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return total


def _cpu_usable() -> int | None:
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity is not None else None


def _os_release() -> str | None:
    if sys.platform == "darwin":
        return platform.mac_ver()[0] or None
    return platform.release() or None


def _user() -> str | None:
    import getpass

    return getpass.getuser()


def _try(errors: list[str], label: str, fn: Callable[[], _T], default: _T) -> _T:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - capture must never break init()
        errors.append(f"{label}: {exc!r}")
        return default
