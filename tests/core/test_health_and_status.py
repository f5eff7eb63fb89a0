"""The health service, the status call and start-up behaviour of a real core process."""

from __future__ import annotations

import subprocess
import sys

import grpc
import pytest
from grpc_health.v1 import health_pb2

from core.cpu_features import inference_features
from core.runtime import RuntimeOptions, choose_configuration
from proto import core_pb2
from tests.support.core_process import CoreProcess
from tests.support.paths import PROJECT_ROOT


def test_not_serving_until_models_are_warm(tmp_path) -> None:
    server = CoreProcess(tmp_path / "core.log", warmup_rounds=40)
    try:
        seen, refusal = [], None
        while not seen or seen[-1] != health_pb2.HealthCheckResponse.SERVING:
            assert server.process.poll() is None, server.log_tail()
            status = server.health_status()
            if status == health_pb2.HealthCheckResponse.NOT_SERVING and refusal is None:
                with pytest.raises(grpc.RpcError) as raised:
                    server.process_image(b"any")
                refusal = raised.value
            if status is not None:
                seen.append(status)
        assert seen[0] == health_pb2.HealthCheckResponse.NOT_SERVING
        assert refusal.code() == grpc.StatusCode.UNAVAILABLE
        assert "loading" in refusal.details()
    finally:
        server.stop()


def test_status_names_pack_models_plugins_and_coefficients(core: CoreProcess) -> None:
    status = core.stub.GetStatus(core_pb2.StatusRequest(), timeout=10)
    assert status.pack == "default"
    assert "non-commercial" in status.pack_license
    assert status.embedding_size == 512
    assert {"calculator", "landmarks", "landmarks2d106", "age", "gender", "pose", "mask", "quality",
            "liveness"} <= set(status.available_plugins)
    assert status.unavailable_plugins == {}
    roles = {model.role: model for model in status.models}
    assert roles["quality"].license.startswith("MIT")
    assert roles["liveness"].license.startswith("Apache-2.0")
    assert roles["liveness.v1se"].sha256 == "7edefc57160708b3d33fd44430333ced594107889c13e9b844f44103407e80ff"
    assert status.quality_acceptable_at == 0.5
    tail = [(point.similarity, point.far) for point in status.impostor_tail]
    assert len(tail) >= 5 and tail == sorted(tail) and [far for _, far in tail] == sorted(
        (far for _, far in tail), reverse=True)
    assert roles["calculator"].sha256 == "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f"
    assert roles["detector"].version == "buffalo_sc/det_500m"
    assert 0.5 < status.similarity_c0 < 2 and status.similarity_c1 > 0
    expected = choose_configuration(RuntimeOptions(threads=1, use_gpu=True, int8_calibrated=True))
    assert (status.inference_backend, status.inference_precision) == (expected.backend, expected.precision)
    assert status.inference_choice.startswith("chosen automatically")
    assert status.execution_provider == ("OpenVINO CPU" if expected.backend == "openvino" else "CPUExecutionProvider")
    assert set(status.cpu_features) == set(inference_features())


def test_start_prints_every_setting_and_the_licence(core: CoreProcess) -> None:
    log = core.log_path.read_text()  # from the start: every call adds a line since
    for name in ("PORT=", "LOG_LEVEL=", "MODEL_PACK=default", "IMG_LENGTH_LIMIT=640", "MEMORY_IN_MEGABYTES="):
        assert name in log
    assert "NOT FOR COMMERCIAL USE" in log


def _start(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "core"], cwd=PROJECT_ROOT, env=env, capture_output=True,
                          text=True, timeout=60)


def test_malformed_setting_stops_the_start_with_a_clear_message() -> None:
    result = _start({"PATH": "/usr/bin:/bin", "LOG_LEVEL": "LOUD"})
    assert result.returncode != 0
    assert "LOG_LEVEL='LOUD'" in result.stderr


def test_unknown_pack_stops_the_start() -> None:
    result = _start({"PATH": "/usr/bin:/bin", "MODEL_PACK": "nonexistent"})
    assert result.returncode != 0
    assert "Model pack 'nonexistent' not found" in result.stderr
