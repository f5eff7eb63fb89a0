"""A detector's last landmark convolutions, cut off its graph and computed in float32 at the kept anchors only.

In bfloat16 the detector's five landmarks move enough to shift the aligned crop and cost verification accuracy,
while its scores and boxes do not (bench/results/quantized.json). So where the detector runs in bfloat16, the
final convolution of each landmark output is taken out of the graph: the graph returns the feature map that
convolution reads, and :class:`LandmarkConv` computes it here, in float32, at the cells of the anchors that passed
the threshold (a few dozen of several thousand), which costs next to nothing. The feature maps are returned
channels last, the layout OpenVINO's CPU plugin computes them in: returned as NCHW, each went through a generic
copy that took a fifth of the detector's time on a 256x256 input. And they are returned in bfloat16: copying the
largest out (64 channels at a stride of 8) still took a sixth of the detector's time in float32; in bfloat16 the
detector takes 6 % less time at 640x640 and 14 % less at 256x256. Rounded to bfloat16, the features move the
landmarks of real faces by a few thousandths of a stride (at most 0.05 px of the detector's input in the tests'
photos), where the whole convolution in bfloat16 moved them enough to cost accuracy.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnx.utils import Extractor

KERNEL = 3
# The 3x3 window's offsets from its centre cell, in the order of the weights' last two axes.
_DY, _DX = (offsets.reshape(-1) for offsets in np.mgrid[-1:2, -1:2])


@dataclass(frozen=True)
class LandmarkConv:
    """One stride level's last landmark convolution (3x3, stride 1, padding 1) whose output the graph turns into
    one row per anchor (NCHW -> channels last -> [cells * anchors, points * 2])."""

    feature: str        # the feature map it reads (an NCHW tensor of the graph)
    weight: np.ndarray  # float32 [C_out, 9 * C_in]: the kernel's cells in row-major order, channels within each
    bias: np.ndarray    # float32 [C_out]

    def at(self, features: np.ndarray, cells: np.ndarray) -> np.ndarray:
        """The convolution's output [len(cells), C_out] at ``cells`` (row-major indices) of ``features`` [1, H, W, C]
        (float32 or bfloat16), in float32."""
        _, height, width, channels = features.shape
        rows, cols = np.divmod(cells, width)
        ys, xs = rows[:, np.newaxis] + _DY, cols[:, np.newaxis] + _DX  # [N, 9]
        inside = (ys >= 0) & (ys < height) & (xs >= 0) & (xs < width)
        patches = features[0][ys.clip(0, height - 1), xs.clip(0, width - 1)].astype(np.float32)  # [N, 9, C]
        patches *= inside[..., np.newaxis]
        return patches.reshape(len(cells), KERNEL * KERNEL * channels) @ self.weight.T + self.bias


def split_landmark_heads(model_path: Path, landmark_outputs: Sequence[int]
                         ) -> tuple[bytes, list[LandmarkConv]] | None:
    """The detector's graph without the last convolutions of the outputs at ``landmark_outputs`` (positions among
    its outputs; the graph returns their input feature maps there instead, channels last, in bfloat16), and those
    convolutions.
    None when an output is not a 3x3 convolution followed by a channels-last Transpose and Reshape."""
    model = onnx.load(str(model_path))
    graph = model.graph
    producer = {name: node for node in graph.node for name in node.output}
    weights = {tensor.name: tensor for tensor in graph.initializer}
    outputs = [output.name for output in graph.output]
    convs = []
    for position in landmark_outputs:
        conv = _last_convolution(outputs[position], producer, weights)
        if conv is None:
            return None
        convs.append(conv)
    kept = list(outputs)
    for position, conv in zip(landmark_outputs, convs):
        kept[position] = conv.feature
    body = Extractor(model).extract_model([graph.input[0].name], kept)
    for position, conv in zip(landmark_outputs, convs):
        channels_last = f"{conv.feature}.channels_last"
        returned = f"{channels_last}.bf16"
        body.graph.node.append(helper.make_node("Transpose", [conv.feature], [channels_last], perm=[0, 2, 3, 1]))
        body.graph.node.append(helper.make_node("Cast", [channels_last], [returned], to=TensorProto.BFLOAT16))
        body.graph.output[position].CopyFrom(helper.make_tensor_value_info(returned, TensorProto.BFLOAT16, None))
    return body.SerializeToString(), convs


def _last_convolution(output: str, producer: dict[str, onnx.NodeProto], weights: dict[str, onnx.TensorProto]
                      ) -> LandmarkConv | None:
    reshape = producer.get(output)
    transpose = producer.get(reshape.input[0]) if reshape is not None and reshape.op_type == "Reshape" else None
    if transpose is None or transpose.op_type != "Transpose" or not _channels_last(_attributes(transpose).get("perm")):
        return None
    conv = producer.get(transpose.input[0])
    if conv is None or conv.op_type != "Conv" or len(conv.input) != 3 or conv.input[1] not in weights \
            or conv.input[2] not in weights:
        return None
    weight = numpy_helper.to_array(weights[conv.input[1]]).astype(np.float32)
    attributes = _attributes(conv)
    plain = (attributes.get("strides", [1, 1]) == [1, 1] and attributes.get("dilations", [1, 1]) == [1, 1]
             and attributes.get("group", 1) == 1 and attributes.get("pads") == [1, 1, 1, 1])
    if weight.shape[2:] != (KERNEL, KERNEL) or not plain:
        return None
    bias = numpy_helper.to_array(weights[conv.input[2]]).astype(np.float32)
    return LandmarkConv(conv.input[0], weight.transpose(0, 2, 3, 1).reshape(len(weight), -1), bias)


def _channels_last(perm: list[int] | None) -> bool:
    """Whether a batch-of-one NCHW tensor transposed by ``perm`` lists its values cell by cell (as NHWC does)."""
    return perm is not None and [axis for axis in perm if axis != 0] == [2, 3, 1]


def _attributes(node: onnx.NodeProto) -> dict[str, object]:
    return {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}
