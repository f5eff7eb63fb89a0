"""The machine a benchmark ran on: CPU, cores, memory, OS and the versions that matter for speed."""

from __future__ import annotations

import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("onnxruntime", "onnxruntime-gpu", "numpy", "opencv-python-headless", "faiss-cpu", "grpcio", "flask",
            "gunicorn", "insightface", "pgserver")
NGINX = "/usr/sbin/nginx"


def _cpuinfo(field: str) -> str | None:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        key, _, value = line.partition(":")
        if key.strip() == field:
            return value.strip()
    return None


def _cpu_model() -> str:
    name = _cpuinfo("model name") or platform.processor()
    return f"{name} (family {_cpuinfo('cpu family')}, model {_cpuinfo('model')})"


def _os_name() -> str:
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip('"')
    return platform.system()


def _nginx_version() -> str | None:
    try:
        answer = subprocess.run([NGINX, "-v"], capture_output=True, text=True, timeout=10)
    except OSError:
        return None
    return answer.stderr.strip().removeprefix("nginx version: ") or None


def _hypervisor() -> str | None:
    return "virtual machine" if "hypervisor" in (_cpuinfo("flags") or "").split() else None


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def machine_info() -> dict[str, object]:
    """What the report names as the machine; load averages show how busy it was (other work on it)."""
    return {
        "cpu": _cpu_model(), "cores": os.cpu_count(), "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "os": _os_name(), "kernel": platform.release(), "virtualisation": _hypervisor(),
        "python": platform.python_version(), "nginx": _nginx_version(), "packages": package_versions(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
    }
