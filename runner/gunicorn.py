"""The one gunicorn command line of the api and admin servers, used by ``make run`` (runner.platform),
the tests (tests/support) and the container images (``python -m runner.gunicorn api``).

api runs one process with many threads, so that its face indexes are held once per server (scale
out with more servers); admin runs two processes of four threads.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runner.allocator import with_fixed_mmap_threshold

CONFIG = "python:runner.gunicorn_config"


@dataclass(frozen=True)
class WebServer:
    application: str
    workers: int
    threads: int
    holds_uploads: bool  # then glibc's mmap threshold is fixed (runner.allocator)


SERVERS = {
    "api": WebServer("api.app:create_app()", workers=1, threads=16, holds_uploads=True),
    "admin": WebServer("admin.app:create_app()", workers=2, threads=4, holds_uploads=False),
}


def gunicorn_command(server: str, bind: str | None = None, *, workers: int | None = None,
                     graceful_timeout_s: int = 10) -> list[str]:
    """The command that serves ``server`` ("api" or "admin") on ``bind`` (``host:port``; None: gunicorn's
    own choice, which is ``0.0.0.0:$PORT`` when PORT is set). ``workers`` overrides the server's count."""
    chosen = SERVERS[server]
    command = [str(Path(sys.executable).with_name("gunicorn")), "--config", CONFIG, "--worker-class", "gthread",
               "--workers", str(workers or chosen.workers), "--threads", str(chosen.threads),
               "--graceful-timeout", str(graceful_timeout_s)]
    if bind is not None:
        command += ["--bind", bind]
    return [*command, chosen.application]


def server_environment(server: str, environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` for ``server``'s gunicorn: with glibc's mmap threshold fixed where it holds uploads."""
    return with_fixed_mmap_threshold(environment) if SERVERS[server].holds_uploads else dict(environment)


def main(argv: list[str] | None = None) -> None:
    """``python -m runner.gunicorn api|admin``: replace this process with the server's gunicorn."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] not in SERVERS:
        sys.exit(f"usage: python -m runner.gunicorn {'|'.join(SERVERS)}")
    command = gunicorn_command(args[0])
    os.execve(command[0], command, server_environment(args[0], os.environ))


if __name__ == "__main__":
    main()
