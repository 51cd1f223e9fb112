"""Writes an ONNX backend-style test of the plain-graph ABI's corner cases:
several outputs, one returned twice (Identity of it), an input returned as
an output, a rank-0 output and one with a size-0 dimension, with the NumPy
reference as test_data_set_0.

    outputs_graph.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)

axes = numpy_helper.from_array(np.array([0], np.int64), "axes")
zero = numpy_helper.from_array(np.array([0], np.int64), "zero")
nodes = [
    helper.make_node("Relu", ["x"], ["y"]),
    helper.make_node("Identity", ["y"], ["y_again"]),
    helper.make_node("Identity", ["x"], ["x_out"]),
    helper.make_node("ReduceMean", ["x"], ["mean"], keepdims=0),
    helper.make_node("Slice", ["x", "zero", "zero", "axes"], ["empty"]),
]
f32 = TensorProto.FLOAT
graph = helper.make_graph(
    nodes, "outputs", [helper.make_tensor_value_info("x", f32, [2, 3])],
    [helper.make_tensor_value_info("y", f32, [2, 3]),
     helper.make_tensor_value_info("y_again", f32, [2, 3]),
     helper.make_tensor_value_info("x_out", f32, [2, 3]),
     helper.make_tensor_value_info("mean", f32, []),
     helper.make_tensor_value_info("empty", f32, [0, 3])],
    initializer=[axes, zero])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "model.onnx"))

x = np.random.default_rng(7).standard_normal((2, 3)).astype(np.float32)
y = np.maximum(x, 0)
expected = [y, y, x, np.array(x.mean(), np.float32), x[0:0]]
dataset = os.path.join(out, "test_data_set_0")
with open(os.path.join(dataset, "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "x").SerializeToString())
for k, value in enumerate(expected):
    with open(os.path.join(dataset, "output_%d.pb" % k), "wb") as f:
        f.write(numpy_helper.from_array(value).SerializeToString())
