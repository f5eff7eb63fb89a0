"""The recognizer's int8 graph (core.int8): built at start from the pack's file and shipped calibration, and
the calibration written from real faces."""

from __future__ import annotations

import logging

import numpy as np
import onnx
import pytest

from core.images import decode_image
from core.int8 import int8_model, write_calibration
from core.model_pack import PACKS_DIR, load_pack
from core.recognizer import Recognizer, runnable_graph
from core.runtime import RuntimeOptions, SessionFactory
from tests.support.paths import DATA_DIR, MODELS_DIR

PACK = load_pack("default")
RECOGNIZER = MODELS_DIR / PACK.recognizer.file


def _aligned_inputs() -> list[np.ndarray]:
    sessions = SessionFactory(RuntimeOptions(threads=1, use_gpu=False, backend="onnxruntime"))
    recognizer = Recognizer(PACK.recognizer, RECOGNIZER, sessions)
    return [recognizer.input_tensor(decode_image(path.read_bytes(), 50_000_000).pixels[np.newaxis])
            for path in sorted((DATA_DIR / "lfw-dev" / "aligned112").glob("*.jpg"))]


def _quantized_ops(model: bytes) -> set[str]:
    return {node.op_type for node in onnx.load_from_string(model).graph.node} & {"QuantizeLinear", "DequantizeLinear"}


def test_the_default_pack_ships_its_calibration_and_the_graph_is_the_same_at_every_start() -> None:
    """The calibration holds the ranges of the graph OpenVINO runs, which runnable_graph gives."""
    assert PACK.recognizer.int8_calibration == PACKS_DIR / "default-int8-calibration.json"
    graph = runnable_graph(RECOGNIZER, openvino=True)
    first, again = int8_model(graph, PACK.recognizer.int8_calibration), \
        int8_model(graph, PACK.recognizer.int8_calibration)
    assert first == again  # so OpenVINO's compiled-model cache holds across restarts
    assert _quantized_ops(first) == {"QuantizeLinear", "DequantizeLinear"}


def test_a_calibration_written_from_faces_builds_an_int8_graph(tmp_path) -> None:
    cache = tmp_path / "calibration.json"
    write_calibration(RECOGNIZER, _aligned_inputs(), cache)
    assert cache.stat().st_mode & 0o044 == 0o044  # readable by the container's server user
    assert _quantized_ops(int8_model(RECOGNIZER, cache)) == {"QuantizeLinear", "DequantizeLinear"}


def test_a_missing_calibration_is_named(tmp_path) -> None:
    with pytest.raises(FileNotFoundError, match="calibration .*missing.json is missing"):
        int8_model(RECOGNIZER, tmp_path / "missing.json")


def test_a_pack_copied_without_its_calibration_runs_the_recognizer_without_int8(tmp_path, caplog) -> None:
    copied = tmp_path / "custom.toml"
    copied.write_text((PACKS_DIR / "default.toml").read_text())
    with caplog.at_level(logging.WARNING):
        pack = load_pack(str(copied))
    assert pack.recognizer.int8_calibration is None
    assert "int8 calibration" in caplog.text and "will not run in int8" in caplog.text
