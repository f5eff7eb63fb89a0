"""The README's quick start, run as written: `make run`, then the block of commands in another shell."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest

from runner.platform import free_port
from tests.support.database import fresh_database
from tests.support.paths import PROJECT_ROOT, lfw_image

QUICK_START = re.compile(r"<!-- quick-start:[^>]*-->\s*```sh\n(.*?)```", re.DOTALL)
RUNNING = "Likeness is running at"


@pytest.fixture
def make_run(tmp_path) -> Iterator[tuple[int, dict[str, str], subprocess.Popen]]:
    """`make run` on a free port with a database of its own, as a user starts it in a terminal."""
    port = free_port()
    with fresh_database() as url:
        env = {**os.environ, "PORT": str(port), "RUN_DIR": str(tmp_path / "var"), "DATABASE_URL": url}
        output = (tmp_path / "make-run.log").open("w+")
        process = subprocess.Popen(["make", "--no-print-directory", "run"], cwd=PROJECT_ROOT, env=env,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_for_line(output, process, RUNNING, timeout=300)
            yield port, env, process
        finally:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGINT)  # Ctrl-C in the terminal
                process.wait(timeout=60)
            output.seek(0)
            log = output.read()
            output.close()
    assert "Stopped." in log, f"make run did not stop cleanly:\n{log[-3000:]}"
    assert re.search(r"^api-1 +\| ", log, re.MULTILINE), f"make run showed no log line named api-1:\n{log[-3000:]}"


def _wait_for_line(output, process: subprocess.Popen, line: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output.seek(0)
        if line in output.read():
            return
        assert process.poll() is None, f"make run exited with {process.returncode}"
        time.sleep(0.5)
    raise AssertionError(f"make run did not print {line!r} within {timeout} s")


def test_the_readme_quick_start_recognises_alice(make_run) -> None:
    port, env, _ = make_run
    block = QUICK_START.search((PROJECT_ROOT / "README.md").read_text())
    assert block, "README.md has no quick-start block"
    commands = (block.group(1).replace("localhost:8000", f"localhost:{port}")
                .replace("alice-1.jpg", str(lfw_image("Jacques_Chirac", 1)))
                .replace("alice-2.jpg", str(lfw_image("Jacques_Chirac", 2))))
    run = subprocess.run(["bash", "-euo", "pipefail", "-c", commands], cwd=PROJECT_ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    recognised = json.loads(run.stdout[run.stdout.rindex('{\n  "result"'):])
    best = recognised["result"][0]["subjects"][0]
    assert best["subject"] == "Alice" and best["similarity"] > 0.5
