"""The recognizer in int8, built at start from the pack's float ONNX file and the activation ranges the pack ships.

onnxruntime's static quantizer makes the QDQ graph: the convolutions and the last dense layer with per-channel
symmetric int8 weights and symmetric int8 activations (the depthwise convolutions stay in float), the ranges taken from a calibration cache (percentiles
of the activations of real aligned faces; ``bench/int8_calibration.py`` writes it beside the pack). OpenVINO
runs that graph with its int8 kernels (AVX512-VNNI, AVX-VNNI, AMX). No image is needed at start: the cache holds
only numbers, and the same file and cache always give the same graph, so OpenVINO's compiled-model cache holds.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import onnx
from onnx import version_converter
from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType, quantize_static

# Per-channel QuantizeLinear / DequantizeLinear need opset 13.
OPSET = 13
QUANTIZATION = {
    "quant_format": QuantFormat.QDQ,
    "per_channel": True,
    "weight_type": QuantType.QInt8,
    "activation_type": QuantType.QInt8,
    "op_types_to_quantize": ["Conv", "Gemm"],
    "calibrate_method": CalibrationMethod.Percentile,
    "extra_options": {"ActivationSymmetric": True, "WeightSymmetric": True},
}


class _NoPreprocessingAdvice(logging.Filter):
    """onnxruntime's quantizer advises pre-processing the graph at every call, through the root logger; the
    graph is quantized as it runs, on purpose, so the advice would only be noise in the start-up log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing" not in record.getMessage()


@contextmanager
def _quiet_quantizer() -> Iterator[None]:
    advice = _NoPreprocessingAdvice()
    logging.getLogger().addFilter(advice)
    try:
        yield
    finally:
        logging.getLogger().removeFilter(advice)


class _Batches(CalibrationDataReader):
    def __init__(self, input_name: str, batches: Iterable[np.ndarray]) -> None:
        self._feeds: Iterator[dict[str, np.ndarray]] = ({input_name: batch} for batch in batches)

    def get_next(self) -> dict[str, np.ndarray] | None:
        return next(self._feeds, None)


def write_calibration(model: Path | bytes, batches: Iterable[np.ndarray], cache_path: Path) -> None:
    """Measures the activation ranges of ``model`` on ``batches`` (its input tensors) into ``cache_path``."""
    cache_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="likeness-int8-") as folder:
        _quantize(model, Path(folder) / "int8.onnx", cache_path, batches)
    cache_path.chmod(0o644)  # onnxruntime writes it readable by its owner only


def int8_model(model: Path | bytes, cache_path: Path) -> bytes:
    """The QDQ int8 graph of ``model`` with the activation ranges of ``cache_path``, serialised."""
    if not cache_path.is_file():
        raise FileNotFoundError(f"The int8 calibration {cache_path} is missing")
    with tempfile.TemporaryDirectory(prefix="likeness-int8-") as folder:
        output = Path(folder) / "int8.onnx"
        _quantize(model, output, cache_path)
        return output.read_bytes()


def _quantize(model: Path | bytes, output: Path, cache_path: Path, batches: Iterable[np.ndarray] | None = None
              ) -> None:
    """Quantizes ``model`` into ``output`` with the ranges of ``cache_path``, measured first from ``batches``
    when they are given (onnxruntime writes its calibration cache then, and reads it otherwise)."""
    graph = _float_graph(model)
    reader = None if batches is None else _Batches(graph.graph.input[0].name, batches)
    with _quiet_quantizer():
        quantize_static(graph, output, reader, calibration_cache_path=cache_path,
                        nodes_to_exclude=_depthwise_convolutions(graph), **QUANTIZATION)


def _depthwise_convolutions(graph: onnx.ModelProto) -> list[str]:
    """Names of the depthwise convolutions, which stay in float: they do little arithmetic per value they read,
    so int8 saves next to no time there, and left in float they keep verification on LFW within its gate."""
    kernels = {tensor.name: tensor.dims for tensor in graph.graph.initializer}
    return [node.name for node in graph.graph.node if node.op_type == "Conv" and node.input[1] in kernels
            and kernels[node.input[1]][1] == 1 and any(attribute.name == "group" and attribute.i > 1
                                                        for attribute in node.attribute)]


def _float_graph(model: Path | bytes) -> onnx.ModelProto:
    graph = onnx.load(str(model)) if isinstance(model, Path) else onnx.load_from_string(model)
    opset = next(entry.version for entry in graph.opset_import if entry.domain in ("", "ai.onnx"))
    return version_converter.convert_version(graph, OPSET) if opset < OPSET else graph
