"""Writes an ONNX backend-style test of Gemm by constant weights, as
PyTorch exports nn.Linear on 2-D inputs: transB = 1 with a bias [N], and
transB = 0 with a bias [1, N], which import as xf.linear; and alpha = 0.5,
which stays a product. The NumPy reference is test_data_set_0.

    gemm_linear.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)
rng = np.random.default_rng(5)
w_rows = rng.standard_normal((6, 4)).astype(np.float32)  # [N, K]
w_cols = rng.standard_normal((4, 6)).astype(np.float32)  # [K, N]
bias = rng.standard_normal(6).astype(np.float32)
bias_row = rng.standard_normal((1, 6)).astype(np.float32)
inits = [numpy_helper.from_array(v, n) for v, n in
         [(w_rows, "w_rows"), (w_cols, "w_cols"), (bias, "bias"),
          (bias_row, "bias_row")]]
nodes = [
    helper.make_node("Gemm", ["x", "w_rows", "bias"], ["y"], transB=1),
    helper.make_node("Gemm", ["x", "w_cols", "bias_row"], ["z"]),
    helper.make_node("Gemm", ["x", "w_cols"], ["h"], alpha=0.5),
]
f32 = TensorProto.FLOAT
graph = helper.make_graph(
    nodes, "gemm_linear", [helper.make_tensor_value_info("x", f32, [3, 4])],
    [helper.make_tensor_value_info(n, f32, [3, 6]) for n in ("y", "z", "h")],
    initializer=inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "model.onnx"))

x = rng.standard_normal((3, 4)).astype(np.float32)
xd = x.astype(np.float64)
expected = [xd @ w_rows.T + bias, xd @ w_cols + bias_row, 0.5 * (xd @ w_cols)]
dataset = os.path.join(out, "test_data_set_0")
with open(os.path.join(dataset, "input_0.pb"), "wb") as f:
    f.write(numpy_helper.from_array(x, "x").SerializeToString())
for k, value in enumerate(expected):
    with open(os.path.join(dataset, "output_%d.pb" % k), "wb") as f:
        f.write(numpy_helper.from_array(value.astype(np.float32))
                .SerializeToString())
