"""Resident memory (RSS) of each of the platform's processes, at rest and sampled under load."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import psutil

from runner.platform import LocalPlatform

SAMPLE_INTERVAL_S = 0.25
MB = 1024 * 1024


def process_ids(platform: LocalPlatform) -> dict[str, int]:
    """Name -> pid of every platform process, PostgreSQL's postmaster included when it is embedded."""
    pids = {name: process.pid for name, process in platform.processes.items() if process.pid}
    postmaster = Path(platform.options.run_dir) / "pgdata" / "postmaster.pid"
    if platform.options.database_url is None and postmaster.exists():
        pids["postgres"] = int(postmaster.read_text().split()[0])
    return pids


def tree_rss_mb(pid: int) -> float:
    """RSS of a process and all its children (gunicorn workers, nginx workers, PostgreSQL backends),
    in MB; pages shared between them are counted once per process."""
    return _tree_mb(pid, lambda process: process.memory_info().rss)


def tree_pss_mb(pid: int) -> float:
    """PSS of a process and all its children, in MB: each page shared between them is divided among those that
    map it, so the sum counts it once (PostgreSQL's shared buffers, in every backend's RSS that touched them)."""
    return _tree_mb(pid, lambda process: process.memory_full_info().pss)


def _tree_mb(pid: int, measure: Callable[[psutil.Process], int]) -> float:
    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += measure(process)
        except psutil.NoSuchProcess:
            continue
    return round(total / MB, 1)


def snapshot(platform: LocalPlatform, measure: Callable[[int], float] = tree_rss_mb) -> dict[str, float]:
    """Name -> memory in MB (``measure``: tree_rss_mb or tree_pss_mb) of every platform process."""
    return {name: measure(pid) for name, pid in process_ids(platform).items()}


class PeakSampler:
    """Samples every process's RSS in the background; ``peaks`` holds the highest seen per process."""

    def __init__(self, platform: LocalPlatform) -> None:
        self.platform = platform
        self.peaks: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> "PeakSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while True:
            for name, rss in snapshot(self.platform).items():
                self.peaks[name] = max(rss, self.peaks.get(name, 0.0))
            if self._stop.wait(SAMPLE_INTERVAL_S):
                return
