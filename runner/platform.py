"""The whole platform on one machine: database, migrations, core and api servers, admin, the gateway.

`make run`, the end-to-end tests and the benchmarks all start it through :class:`LocalPlatform`.
Internal servers listen on free ports of 127.0.0.1; only the gateway listens on ``port``.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import grpc
import requests
from grpc_health.v1 import health_pb2, health_pb2_grpc

from common.config import PROJECT_ROOT, load_settings
from db.engine import database_url, stop_embedded_server
from db.migrate import upgrade
from runner.allocator import TWO_ARENAS, with_fixed_mmap_threshold
from runner.gateway import GatewaySettings, nginx_command, write_config
from runner.gunicorn import gunicorn_command, server_environment
from runner.supervisor import Supervised, terminate_all

START_TIMEOUT_S = 240


@dataclass
class PlatformOptions:
    """What to run: ``env`` holds extra settings for every process (e.g. ``{"LOG_LEVEL": "DEBUG"}``)."""

    port: int = 8000
    core_servers: int = 1
    api_servers: int = 1
    database_url: str | None = None  # None: the embedded PostgreSQL under run_dir/pgdata
    run_dir: Path = PROJECT_ROOT / "var"
    env: dict[str, str] = field(default_factory=dict)
    echo: bool = True  # print every process's output, prefixed with its name


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_ok(url: str) -> bool:
    """Whether ``url`` answers 200 (certificates unchecked: these are the platform's own servers)."""
    try:
        return requests.get(url, timeout=2, verify=False).status_code == 200
    except requests.RequestException:
        return False


def grpc_serving(address: str) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            answer = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(service=""), timeout=2)
        except grpc.RpcError:
            return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


class LocalPlatform:
    """Start with :meth:`start` (or ``with``), which returns once every part is healthy; :meth:`stop` ends
    every process and, for the embedded database, PostgreSQL too (its data stays for the next start)."""

    def __init__(self, options: PlatformOptions | None = None) -> None:
        self.options = options or PlatformOptions()
        self.processes: dict[str, Supervised] = {}
        self.database_url = ""
        self._gateway: GatewaySettings | None = None

    @property
    def url(self) -> str:
        scheme = self._gateway.scheme if self._gateway else "http"
        return f"{scheme}://127.0.0.1:{self.options.port}"

    def __enter__(self) -> "LocalPlatform":
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> None:
        try:
            self.database_url = database_url(self.options.database_url, self._pgdata)
            upgrade(self.database_url)
            self._start_processes()
            deadline = time.monotonic() + START_TIMEOUT_S
            for process in self.processes.values():
                process.wait_healthy(max(1.0, deadline - time.monotonic()))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        gateway = [self.processes["gateway"]] if "gateway" in self.processes else []
        terminate_all(gateway)  # first, so that no new request arrives
        terminate_all([process for process in self.processes.values() if process not in gateway])
        if not self.options.database_url:
            stop_embedded_server(self._pgdata)  # a no-op when it does not run

    @property
    def _pgdata(self) -> Path:
        return self.options.run_dir / "pgdata"

    def _start_processes(self) -> None:
        options = self.options
        logs = options.run_dir / "logs"
        # glibc's memory arenas limited (runner.allocator); a value in the environment wins.
        base_env = {**TWO_ARENAS, **os.environ, **options.env, "DATABASE_URL": self.database_url}
        base_env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # each gunicorn server gets a folder of its own below
        echo: TextIO | None = sys.stdout if options.echo else None

        def add(name: str, command: list[str], env: dict[str, str], healthy: Callable[[], bool], address: str,
                metrics_url: str = "") -> None:
            self.processes[name] = Supervised(name, command, env, logs / f"{name}.log", healthy, address, echo,
                                              cwd=PROJECT_ROOT, metrics_url=metrics_url)

        cores = [f"127.0.0.1:{free_port()}" for _ in range(options.core_servers)]
        for number, address in enumerate(cores, 1):
            metrics_port = free_port()
            env = {**base_env, "PORT": address.rsplit(":", 1)[1], "METRICS_PORT": str(metrics_port),
                   "PROCESSES_PER_HOST": str(options.core_servers)}
            add(f"core-{number}", [sys.executable, "-m", "core"], env, lambda a=address: grpc_serving(a), address,
                f"http://127.0.0.1:{metrics_port}/metrics")

        apis = [f"127.0.0.1:{free_port()}" for _ in range(options.api_servers)]
        for number, address in enumerate(apis, 1):
            env = {**base_env, "PORT": address.rsplit(":", 1)[1], "PYTHON_URL": ",".join(cores),
                   "PROMETHEUS_MULTIPROC_DIR": str(options.run_dir / "metrics" / f"api-{number}")}
            add(f"api-{number}", gunicorn_command("api", address), server_environment("api", env),
                lambda a=address: http_ok(f"http://{a}/ready"), address, f"http://{address}/metrics")

        admin = f"127.0.0.1:{free_port()}"
        env = {**base_env, "PORT": admin.rsplit(":", 1)[1], "PYTHON_URL": ",".join(cores), "PROXY_COUNT": "1",
               "PROMETHEUS_MULTIPROC_DIR": str(options.run_dir / "metrics" / "admin"),
               "API_URLS": ",".join(f"http://{address}" for address in apis)}
        add("admin", gunicorn_command("admin", admin), server_environment("admin", env),
            lambda: http_ok(f"http://{admin}/admin/ready"), admin, f"http://{admin}/admin/metrics")

        gateway_env = {**base_env, "PORT": str(options.port), "API_UPSTREAM": ",".join(apis),
                       "ADMIN_UPSTREAM": admin, "STATE_DIR": str(options.run_dir / "gateway")}
        self._gateway = load_settings(GatewaySettings, gateway_env)
        gateway = f"127.0.0.1:{options.port}"
        add("gateway", nginx_command(write_config(self._gateway)), with_fixed_mmap_threshold(base_env),
            lambda: http_ok(f"{self.url}/health/gateway"), gateway)

        for process in self.processes.values():
            process.start()

