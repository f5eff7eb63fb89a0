"""Switching model packs with one setting, and refusing a pack whose files do not match."""

from __future__ import annotations

import subprocess
import sys

import numpy as np

from core.model_pack import PACKS_DIR
from proto import core_pb2
from tests.support.core_process import CoreProcess, free_port
from tests.support.paths import DATA_DIR, MODELS_DIR, PROJECT_ROOT


def test_open_pack_runs_permissive_models(tmp_path) -> None:
    server = CoreProcess(tmp_path / "open.log", model_pack="open").wait_serving()
    try:
        status = server.stub.GetStatus(core_pb2.StatusRequest(), timeout=10)
        assert status.pack == "open" and status.embedding_size == 128
        assert "landmarks2d106" not in status.available_plugins
        assert {"age", "gender", "mask", "pose"} <= set(status.available_plugins)
        response = server.process_image((DATA_DIR / "group-photos" / "insightface_t1.jpg").read_bytes(),
                                        face_plugins=["calculator", "gender"])
        assert len(response.faces) == 6
        embeddings = np.array([face.embedding for face in response.faces])
        assert embeddings.shape == (6, 128)
        assert np.allclose(np.linalg.norm(embeddings, axis=1), 1, atol=1e-3)
        assert response.plugins_versions["detector"] == "opencv_zoo.yunet"
    finally:
        server.stop()


def test_pack_with_a_wrong_checksum_stops_the_start(tmp_path) -> None:
    pack = (PACKS_DIR / "default.toml").read_text().replace(
        "9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f", "0" * 64)
    custom = tmp_path / "custom.toml"
    custom.write_text(pack)
    result = subprocess.run([sys.executable, "-m", "core"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            timeout=120, env={"PATH": "/usr/bin:/bin", "MODEL_PACK": str(custom),
                                              "MODELS_DIR": str(MODELS_DIR), "PORT": str(free_port())})
    assert result.returncode != 0
    assert "w600k_mbf.onnx" in result.stderr and "expected 0000" in result.stderr
