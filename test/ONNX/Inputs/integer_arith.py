"""Writes an ONNX backend-style test of integer arithmetic and casts at run
time, on the values where signedness, wrapping and undefined behaviour
show: int32 and uint8 Add/Sub/Mul/Div (division by zero, INT_MIN / -1,
uint8 values above 127), Pow of integers to negative powers and of an
integer to a float power, and Cast between float, integer and bool types
(out of range, NaN). Where ONNX leaves a result undefined, the expected
value is XFC's definition (xf.div, xf.pow and xf.convert), computed here
with Python integers. The NumPy reference is test_data_set_0.

    integer_arith.py DIR
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T, helper, numpy_helper

out = sys.argv[1]
os.makedirs(os.path.join(out, "test_data_set_0"), exist_ok=True)

I32_MIN, I32_MAX = -2**31, 2**31 - 1
a = np.array([7, -7, 7, -7, I32_MIN, I32_MIN, 5, 0, I32_MAX, -1, 3, 2],
             np.int32)
b = np.array([2, 2, -2, -2, -1, 0, 0, 0, 2, I32_MIN, -1, 31], np.int32)
u = np.array([200, 255, 7, 128, 0, 250], np.uint8)
v = np.array([3, 0, 200, 2, 9, 10], np.uint8)
f = np.array([300.5, -1000, 127.9, -128.9, np.nan, np.inf, -np.inf, 2.5,
              -2.5, -0.5, 0, 70000], np.float32)
e = np.array([-1, -2, 3, 0, -3, 5, 2, 30, 31, -1, 2, 3], np.int32)
base = np.array([1, -1, -1, 0, 2, 3, -3, 2, 2, -2, 46341, 0], np.int32)


def wrap(values, bits, signed=True):
    out = []
    for x in values:
        x = int(x) % (1 << bits)
        if signed and x >= 1 << (bits - 1):
            x -= 1 << bits
        out.append(x)
    return out


def div_signed(x, y, bits):
    if y == 0:
        return 0
    q = abs(x) // abs(y)
    return wrap([q if (x < 0) == (y < 0) else -q], bits)[0]


def pow_signed(x, n, bits):
    if n < 0:
        return 1 if x == 1 else ((-1 if n % 2 else 1) if x == -1 else 0)
    return wrap([pow(int(x), int(n), 1 << bits)], bits)[0]


def saturate(values, lo, hi):
    return [0 if np.isnan(x) else int(min(max(np.trunc(x), lo), hi))
            for x in values.astype(np.float64)]


expected = {
    "add": (T.INT32, wrap([int(x) + int(y) for x, y in zip(a, b)], 32)),
    "sub": (T.INT32, wrap([int(x) - int(y) for x, y in zip(a, b)], 32)),
    "mul": (T.INT32, wrap([int(x) * int(y) for x, y in zip(a, b)], 32)),
    "div": (T.INT32, [div_signed(int(x), int(y), 32) for x, y in zip(a, b)]),
    "pow": (T.INT32, [pow_signed(int(x), int(n), 32)
                      for x, n in zip(base, e)]),
    "udiv": (T.UINT8, [0 if y == 0 else int(x) // int(y)
                       for x, y in zip(u, v)]),
    "uadd": (T.UINT8, wrap([int(x) + int(y) for x, y in zip(u, v)], 8,
                           signed=False)),
    # An integer to a float power, rounded toward zero back to the base's
    # type: 2^0.5 is 1, 3^2.5 is 15.
    "fpow": (T.UINT8, [int(np.trunc(float(x) ** 0.5 if i % 2 == 0
                                    else float(x) ** 2.5)) % 256
                       for i, x in enumerate([4, 3, 2, 1, 9, 2])]),
    "to_i8": (T.INT8, saturate(f, -128, 127)),
    "to_u16": (T.UINT16, saturate(f, 0, 65535)),
    "to_bool": (T.BOOL, [bool(x != 0) for x in f]),
    "wrap_i8": (T.INT32, wrap(a, 8)),
    "u8_to_f": (T.FLOAT, [float(x) for x in u]),
    "u8_to_i32": (T.INT32, [int(x) for x in u]),
    "i32_to_u8_to_f": (T.FLOAT, [float(x) for x in wrap(a, 8, signed=False)]),
}
# The same arithmetic on constants folds at import, with the same results.
ca = np.array([I32_MIN, 7, -7, 5], np.int32)
cb = np.array([-1, 0, 2, 3], np.int32)
cu = np.array([200, 255, 9], np.uint8)
cv = np.array([3, 0, 128], np.uint8)
cbase = np.array([3, 2, -1, 5], np.int32)
cexp = np.array([40, -1, -3, 13], np.int32)
expected.update({
    "cdiv": (T.INT32, [div_signed(int(x), int(y), 32) for x, y in zip(ca, cb)]),
    "cudiv": (T.UINT8, [0 if y == 0 else int(x) // int(y)
                        for x, y in zip(cu, cv)]),
    "cpow": (T.INT32, [pow_signed(int(x), int(n), 32)
                       for x, n in zip(cbase, cexp)]),
})
# Integer powers are computed in the wider operand's width, then wrapped to
# the base's type: an int64 exponent is not cut to the int8 base's width.
# An integer to a float power is computed in f64, whatever the float's
# width.
b8 = np.array([2, 2, -1, 3], np.int8)
e64 = np.array([256, 7, -3, 5], np.int64)  # 256 is 0 in 8 bits
bu8 = np.array([255, 255, 2, 1], np.uint8)
e32 = np.array([-1, 2, -1, -5], np.int32)
b32 = np.array([300, -7, 2, 46341], np.int32)
h16 = np.array([2.0, 3.0, 0.5, 2.0], np.float16)
expected.update({
    "pow8": (T.INT8, [wrap([pow_signed(int(x), int(n), 64)], 8)[0]
                      for x, n in zip(b8, e64)]),
    "upow": (T.UINT8, [wrap([pow_signed(int(x), int(n), 64)], 8, False)[0]
                       for x, n in zip(bu8, e32)]),
    "hpow": (T.INT32, saturate(np.power(b32.astype(np.float64),
                                        h16.astype(np.float64)),
                               I32_MIN, I32_MAX)),
})
g = np.array([4, 3, 2, 1, 9, 2], np.uint8)
h = np.array([0.5, 2.5, 0.5, 2.5, 0.5, 2.5], np.float32)

nodes = [
    helper.make_node("Add", ["a", "b"], ["add"]),
    helper.make_node("Sub", ["a", "b"], ["sub"]),
    helper.make_node("Mul", ["a", "b"], ["mul"]),
    helper.make_node("Div", ["a", "b"], ["div"]),
    helper.make_node("Pow", ["base", "e"], ["pow"]),
    helper.make_node("Div", ["u", "v"], ["udiv"]),
    helper.make_node("Add", ["u", "v"], ["uadd"]),
    helper.make_node("Pow", ["g", "h"], ["fpow"]),
    helper.make_node("Cast", ["f"], ["to_i8"], to=T.INT8),
    helper.make_node("Cast", ["f"], ["to_u16"], to=T.UINT16),
    helper.make_node("Cast", ["f"], ["to_bool"], to=T.BOOL),
    helper.make_node("Cast", ["a"], ["a_i8"], to=T.INT8),
    helper.make_node("Cast", ["a_i8"], ["wrap_i8"], to=T.INT32),
    helper.make_node("Cast", ["u"], ["u8_to_f"], to=T.FLOAT),
    helper.make_node("Cast", ["u"], ["u8_to_i32"], to=T.INT32),
    helper.make_node("Cast", ["a"], ["a_u8"], to=T.UINT8),
    helper.make_node("Cast", ["a_u8"], ["i32_to_u8_to_f"], to=T.FLOAT),
    helper.make_node("Pow", ["b8", "e64"], ["pow8"]),
    helper.make_node("Pow", ["bu8", "e32"], ["upow"]),
    helper.make_node("Pow", ["b32", "h16"], ["hpow"]),
    helper.make_node("Div", ["ca", "cb"], ["cdiv"]),
    helper.make_node("Div", ["cu", "cv"], ["cudiv"]),
    helper.make_node("Pow", ["cbase", "cexp"], ["cpow"]),
]
initializers = [numpy_helper.from_array(x, n) for n, x in
                [("ca", ca), ("cb", cb), ("cu", cu), ("cv", cv),
                 ("cbase", cbase), ("cexp", cexp)]]
inputs = {"a": a, "b": b, "base": base, "e": e, "u": u, "v": v, "g": g,
          "h": h, "f": f, "b8": b8, "e64": e64, "bu8": bu8, "e32": e32,
          "b32": b32, "h16": h16}
graph = helper.make_graph(
    nodes, "integer_arith",
    [helper.make_tensor_value_info(
        n, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[x.dtype], list(x.shape))
     for n, x in inputs.items()],
    [helper.make_tensor_value_info(n, t, [len(vals)])
     for n, (t, vals) in expected.items()],
    initializer=initializers)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "model.onnx"))

dataset = os.path.join(out, "test_data_set_0")
for k, (name, x) in enumerate(inputs.items()):
    with open(os.path.join(dataset, "input_%d.pb" % k), "wb") as fh:
        fh.write(numpy_helper.from_array(x, name).SerializeToString())
for k, (name, (t, vals)) in enumerate(expected.items()):
    array = np.array(vals, onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[t])
    with open(os.path.join(dataset, "output_%d.pb" % k), "wb") as fh:
        fh.write(numpy_helper.from_array(array, name).SerializeToString())
