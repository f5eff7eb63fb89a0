"""Narrow grouped convolutions written as depthwise ones (core.graph_rewrites) compute the same values."""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import helper, numpy_helper

from core.graph_rewrites import depthwise_grouped_convolutions
from core.model_pack import load_pack
from tests.support.paths import MODELS_DIR

PACK = load_pack("default")


def _run(model: onnx.ModelProto, tensor: np.ndarray) -> np.ndarray:
    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {model.graph.input[0].name: tensor})[0]


def _grouped_convolution(channels: int, per_group: int, stride: int) -> onnx.ModelProto:
    rng = np.random.default_rng(per_group)
    kernel = rng.standard_normal((channels, per_group, 3, 3)).astype(np.float32)
    bias = rng.standard_normal(channels).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="grouped", group=channels // per_group,
                            kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[stride, stride])
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(kernel, "w"), numpy_helper.from_array(bias, "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=8)


@pytest.mark.parametrize("per_group, stride", [(2, 1), (3, 2), (4, 1)])
def test_a_grouped_convolution_becomes_depthwise_ones_with_the_same_output(per_group, stride) -> None:
    model = _grouped_convolution(12, per_group, stride)
    tensor = np.random.default_rng(0).standard_normal((2, 12, 9, 9)).astype(np.float32)
    expected = _run(model, tensor)
    rewritten = depthwise_grouped_convolutions(_grouped_convolution(12, per_group, stride))
    convolutions = [node for node in rewritten.graph.node if node.op_type == "Conv"]
    assert len(convolutions) == per_group
    assert all(helper.get_attribute_value(next(a for a in node.attribute if a.name == "group")) == 12
               for node in convolutions)
    assert [tensor.name for tensor in rewritten.graph.initializer if tensor.name == "w"] == []
    np.testing.assert_allclose(_run(rewritten, tensor), expected, atol=1e-4)


def test_wide_groups_and_plain_convolutions_are_left_alone() -> None:
    wide = _grouped_convolution(16, 8, 1)
    assert depthwise_grouped_convolutions(wide) is wide
    assert [node.name for node in wide.graph.node] == ["grouped"]


def test_the_recognizer_gives_the_same_embeddings_after_the_rewrite() -> None:
    model = onnx.load(str(MODELS_DIR / PACK.recognizer.file))
    crops = np.random.default_rng(1).uniform(-1, 1, (1, 3, 112, 112)).astype(np.float32)
    expected = _run(model, crops)
    rewritten = depthwise_grouped_convolutions(onnx.load(str(MODELS_DIR / PACK.recognizer.file)))
    assert len(rewritten.graph.node) > len(model.graph.node)
    np.testing.assert_allclose(_run(rewritten, crops), expected, atol=1e-4)
