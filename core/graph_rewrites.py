"""Exact rewrites of a model's graph, at load, where a backend runs the original shape slowly.

OpenVINO's CPU plugin runs a grouped convolution with a few channels per group on a generic kernel: in the
default recognizer (MobileFaceNet) one such convolution, 2 channels per group at 56x56, took 1.7 of its 7.3 ms
in bfloat16 and 2.1 of 6 ms in int8, for under 2 % of its arithmetic. The same convolution written as a sum of
depthwise convolutions, which have a fast kernel, computes the same values.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

# Grouped convolutions with at most this many input (= output) channels per group are rewritten.
MAX_CHANNELS_PER_GROUP = 4


def depthwise_grouped_convolutions(model: onnx.ModelProto) -> onnx.ModelProto:
    """``model`` with every grouped convolution of 2 to MAX_CHANNELS_PER_GROUP channels per group (as many in as
    out) replaced by the sum of that many depthwise convolutions, each over the input with its channels rotated
    within their group. Other nodes are left as they are; a model without such convolutions is returned as is."""
    graph = model.graph
    weights = {tensor.name: tensor for tensor in graph.initializer}
    nodes, rewritten = [], False
    for node in graph.node:
        replacement = _as_depthwise(node, weights)
        if replacement is None:
            nodes.append(node)
            continue
        new_nodes, new_weights = replacement
        nodes.extend(new_nodes)
        graph.initializer.extend(new_weights)
        rewritten = True
    if not rewritten:
        return model
    del graph.node[:]
    graph.node.extend(nodes)
    used = {name for node in graph.node for name in node.input}
    unused = [tensor for tensor in graph.initializer if tensor.name not in used]
    for tensor in unused:  # the grouped kernels
        graph.initializer.remove(tensor)
    return model


def _as_depthwise(node: onnx.NodeProto, weights: dict[str, onnx.TensorProto]
                  ) -> tuple[list[onnx.NodeProto], list[onnx.TensorProto]] | None:
    if node.op_type != "Conv" or node.input[1] not in weights:
        return None
    attributes = {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}
    groups = attributes.get("group", 1)
    kernel = numpy_helper.to_array(weights[node.input[1]])  # [C_out, C_in / groups, kH, kW]
    per_group = kernel.shape[1]
    if groups == 1 or not 2 <= per_group <= MAX_CHANNELS_PER_GROUP or kernel.shape[0] != groups * per_group:
        return None
    channels = kernel.shape[0]
    within = np.arange(channels) % per_group
    base = np.arange(channels) - within
    name = node.name or node.output[0]
    depthwise_attributes = {**attributes, "group": channels}
    nodes, new_weights, partial_sums = [], [], []
    for shift in range(per_group):
        source = (within + shift) % per_group  # output channel o reads input channel base[o] + source[o]
        kernel_name = f"{name}/depthwise{shift}/weight"
        new_weights.append(numpy_helper.from_array(
            np.ascontiguousarray(kernel[np.arange(channels), source][:, np.newaxis]), kernel_name))
        inputs = [node.input[0]]
        if shift:
            order_name = f"{name}/depthwise{shift}/channels"
            new_weights.append(numpy_helper.from_array((base + source).astype(np.int64), order_name))
            nodes.append(helper.make_node("Gather", [node.input[0], order_name], [f"{name}/depthwise{shift}/input"],
                                          name=f"{name}/depthwise{shift}/rotate", axis=1))
            inputs = [f"{name}/depthwise{shift}/input"]
        inputs.append(kernel_name)
        if shift == 0 and len(node.input) > 2:
            inputs.append(node.input[2])  # the bias, added once
        partial_sums.append(f"{name}/depthwise{shift}/output")
        nodes.append(helper.make_node("Conv", inputs, [partial_sums[-1]], name=f"{name}/depthwise{shift}",
                                      **depthwise_attributes))
    total = partial_sums[0]
    for index, partial in enumerate(partial_sums[1:], start=1):
        target = node.output[0] if index == len(partial_sums) - 1 else f"{name}/depthwise/sum{index}"
        nodes.append(helper.make_node("Add", [total, partial], [target], name=f"{name}/depthwise/add{index}"))
        total = target
    return nodes, new_weights
