"""Starts real embedding servers (python -m core) on free ports, for tests and benchmarks."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from proto import core_pb2, core_pb2_grpc
from runner.platform import free_port

from tests.support.paths import MODELS_DIR
from tests.support.processes import LoggedProcess


class CoreProcess(LoggedProcess):
    """One `python -m core` process; ``stub`` calls it over a real gRPC socket."""

    def __init__(self, log_path: Path, **settings: object) -> None:
        if not MODELS_DIR.is_dir():
            raise RuntimeError(f"The model files are expected in {MODELS_DIR} (../shared/models beside the project)")
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        metrics_port = free_port()
        self.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"
        env = {**os.environ, "PORT": str(self.port), "MODELS_DIR": str(MODELS_DIR), "FETCH_MISSING_MODELS": "false",
               "METRICS_PORT": str(metrics_port)}
        env.update({name.upper(): str(value) for name, value in settings.items()})
        super().__init__([sys.executable, "-m", "core"], env, log_path)
        self.channel = grpc.insecure_channel(self.address, options=[("grpc.max_receive_message_length", 64 << 20),
                                                                    ("grpc.max_send_message_length", 64 << 20)])
        self.stub = core_pb2_grpc.FaceServiceStub(self.channel)
        self.health = health_pb2_grpc.HealthStub(self.channel)

    def health_status(self) -> int | None:
        """The health service's answer, or None while the port does not answer."""
        try:
            return self.health.Check(health_pb2.HealthCheckRequest(service=""), timeout=1).status
        except grpc.RpcError:
            return None

    def wait_serving(self, timeout: float = 180) -> "CoreProcess":
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"core exited with {self.process.returncode}: {self.log_tail()}")
            if self.health_status() == health_pb2.HealthCheckResponse.SERVING:
                return self
            time.sleep(0.2)
        raise TimeoutError(f"core did not become SERVING in {timeout} s: {self.log_tail()}")

    def process_image(self, image: bytes, **options: object) -> core_pb2.ProcessImageResponse:
        return self.stub.ProcessImage(core_pb2.ProcessImageRequest(image=image, **options), timeout=120)

    def stop(self) -> None:
        self.channel.close()
        super().stop()
