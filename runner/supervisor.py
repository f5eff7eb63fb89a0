"""Supervised child processes: started, their output prefixed with their name, restarted when they die."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

RESTART_DELAYS_S = (0.5, 1, 2, 5, 10)  # after 1, 2, 3... quick failures in a row
STOP_TIMEOUT_S = 20
_ECHO_LOCK = threading.Lock()  # one for every process, so that their lines never interleave


class Supervised:
    """One child process of the platform.

    Its output goes, line by line, to ``log_path`` and (when ``echo`` is given) to that stream as
    ``name | line``. ``address`` is where it listens, ``metrics_url`` its Prometheus metrics (if any).
    A watcher thread restarts it when it exits while the platform runs, waiting a little longer after
    each quick failure. ``healthy`` answers whether it serves.
    """

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_path: Path,
                 healthy: Callable[[], bool], address: str = "", echo: TextIO | None = None,
                 cwd: Path | None = None, metrics_url: str = "") -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_path
        self.address = address
        self.metrics_url = metrics_url
        self.restarts = 0
        self._healthy = healthy
        self._echo = echo
        self._cwd = cwd
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()  # a restart and a stop never cross
        self._process: subprocess.Popen[bytes] | None = None
        self._watcher: threading.Thread | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self) -> None:
        self._spawn()
        self._watcher = threading.Thread(target=self._watch, name=f"watch-{self.name}", daemon=True)
        self._watcher.start()

    def healthy(self) -> bool:
        return self._process is not None and self._process.poll() is None and self._healthy()

    def wait_healthy(self, timeout: float) -> None:
        """Block until the process serves; raises with the log's tail when it does not in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return
            time.sleep(0.2)
        raise TimeoutError(f"{self.name} was not healthy within {timeout:.0f} s; its log ends:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the process and its children (a gunicorn master and its workers), as a crash would;
        the watcher starts it again."""
        if self._process is not None:
            os.killpg(self._process.pid, signal.SIGKILL)

    def stop(self) -> None:
        """Stop for good: SIGTERM, then SIGKILL after STOP_TIMEOUT_S."""
        self._stopping.set()
        with self._lifecycle:
            process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return "(no log)"
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _spawn(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(self.command, env=self.env, cwd=self._cwd, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)  # Ctrl-C reaches the supervisor only
        threading.Thread(target=self._copy_output, args=(self._process,), name=f"log-{self.name}",
                         daemon=True).start()

    def _copy_output(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        with self.log_path.open("ab") as log:
            for line in process.stdout:
                log.write(line)
                log.flush()
                if self._echo is not None:
                    with _ECHO_LOCK:
                        self._echo.write(f"{self.name:<8} | {line.decode(errors='replace').rstrip()}\n")
                        self._echo.flush()

    def _watch(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            assert self._process is not None
            started = time.monotonic()
            code = self._process.wait()
            if self._stopping.is_set():
                return
            failures = failures + 1 if time.monotonic() - started < 30 else 1
            delay = RESTART_DELAYS_S[min(failures, len(RESTART_DELAYS_S)) - 1]
            self._say(f"exited with {code}; restarting in {delay} s")
            if self._stopping.wait(delay):
                return
            with self._lifecycle:
                if self._stopping.is_set():
                    return
                self.restarts += 1
                self._spawn()

    def _say(self, message: str) -> None:
        line = f"{self.name:<8} | [supervisor] {message}\n"
        with self.log_path.open("a") as log:
            log.write(line)
        stream = self._echo or sys.stderr
        with _ECHO_LOCK:
            stream.write(line)
            stream.flush()


def terminate_all(processes: list[Supervised]) -> None:
    """Stop ``processes`` in parallel (each may take a while to drain its requests)."""
    threads = [threading.Thread(target=process.stop) for process in processes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

