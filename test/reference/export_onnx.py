#!/usr/bin/env python3
"""Writes small transformer graphs as ONNX, spelled the way PyTorch's
exporter spells them, with a NumPy reference of their outputs.

  export_onnx.py bert OUT_DIR [--seed 1 --layers 2 --dim 64 --heads 4
                               --ffn 128 --seq 8 --vocab 100]
  export_onnx.py gpt2 OUT_DIR [...]

OUT_DIR gets model.onnx and test_data_set_0/{input_0.pb, output_0.pb}: the
layout of ONNX's backend tests, so `xfc onnx-test OUT_DIR` checks the
import against the reference.

- bert: an encoder (no KV cache, no mask): token and position embeddings,
  post-LayerNorm blocks (LayerNormalization, opset 17) of self-attention
  (Q/K/V projections as MatMul + Add, Reshape to heads, Transpose, K
  transposed for QK^T, Div by sqrt(head_dim), Softmax, MatMul, Transpose
  and Reshape back) and an erf-GELU MLP; returns the last hidden state.
- gpt2: a decoder over the whole sequence: pre-LayerNorm blocks spelled as
  ReduceMean/Sub/Pow/Sqrt/Div (older exporters), causal masking by Where
  against a constant lower-triangular mask, the tanh-GELU MLP, and logits
  by the tied embedding; returns the logits.

Uses Debian's python3-onnx (helper and numpy_helper only) and NumPy; the
reference computes in float64.
"""

import argparse
import math
import os

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


class Builder:
    """Collects nodes and initializers; names values uniquely."""

    def __init__(self):
        self.nodes, self.inits, self.count = [], [], 0

    def name(self, hint):
        self.count += 1
        return f"{hint}_{self.count}"

    def const(self, array, hint="c"):
        n = self.name(hint)
        self.inits.append(numpy_helper.from_array(np.asarray(array), n))
        return n

    def op(self, op, inputs, hint=None, **attrs):
        out = self.name(hint or op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], **attrs))
        return out


def linear(b, x, w, bias):
    """PyTorch's nn.Linear: MatMul by the transposed weight, then Add."""
    y = b.op("MatMul", [x, b.const(w.T.astype(np.float32), "weight")])
    return b.op("Add", [y, b.const(bias.astype(np.float32), "bias")])


def heads(b, x, args, perm):
    """[1, seq, dim] -> [1, heads, seq, hd] (or K^T with perm 0,2,3,1)."""
    hd = args.dim // args.heads
    r = b.op("Reshape", [x, b.const(np.array([1, args.seq, args.heads, hd],
                                              np.int64), "shape")])
    return b.op("Transpose", [r], perm=perm)


def attention(b, x, p, args, mask=None):
    hd = args.dim // args.heads
    q = heads(b, linear(b, x, p["wq"], p["bq"]), args, [0, 2, 1, 3])
    k = heads(b, linear(b, x, p["wk"], p["bk"]), args, [0, 2, 3, 1])
    v = heads(b, linear(b, x, p["wv"], p["bv"]), args, [0, 2, 1, 3])
    s = b.op("MatMul", [q, k])
    s = b.op("Div", [s, b.const(np.array(math.sqrt(hd), np.float32))])
    if mask is not None:
        s = b.op("Where", [mask, s, b.const(np.array(-1e9, np.float32))])
    a = b.op("MatMul", [b.op("Softmax", [s], axis=-1), v])
    a = b.op("Transpose", [a], perm=[0, 2, 1, 3])
    a = b.op("Reshape", [a, b.const(np.array([1, args.seq, args.dim],
                                              np.int64), "shape")])
    return linear(b, a, p["wo"], p["bo"])


def layer_norm_op(b, x, g, beta):
    return b.op("LayerNormalization",
                [x, b.const(g.astype(np.float32), "gamma"),
                 b.const(beta.astype(np.float32), "beta")],
                axis=-1, epsilon=1e-5)


def layer_norm_decomposed(b, x, g, beta):
    mean = b.op("ReduceMean", [x], axes=[-1])
    d = b.op("Sub", [x, mean])
    var = b.op("ReduceMean", [b.op("Pow", [d, b.const(np.array(2.0,
                                                              np.float32))])],
               axes=[-1])
    std = b.op("Sqrt", [b.op("Add", [var, b.const(np.array(1e-5,
                                                           np.float32))])])
    y = b.op("Mul", [b.op("Div", [d, std]), b.const(g.astype(np.float32))])
    return b.op("Add", [y, b.const(beta.astype(np.float32))])


def gelu_erf(b, x):
    e = b.op("Erf", [b.op("Div", [x, b.const(np.array(math.sqrt(2.0),
                                                      np.float32))])])
    half = b.op("Mul", [x, b.const(np.array(0.5, np.float32))])
    return b.op("Mul", [half, b.op("Add", [e, b.const(np.array(1.0,
                                                               np.float32))])])


def gelu_tanh(b, x):
    cube = b.op("Pow", [x, b.const(np.array(3.0, np.float32))])
    inner = b.op("Add", [x, b.op("Mul", [cube, b.const(np.array(
        0.044715, np.float32))])])
    t = b.op("Tanh", [b.op("Mul", [inner, b.const(np.array(
        math.sqrt(2 / math.pi), np.float32))])])
    half = b.op("Mul", [x, b.const(np.array(0.5, np.float32))])
    return b.op("Mul", [half, b.op("Add", [t, b.const(np.array(1.0,
                                                               np.float32))])])


# --------------------------------------------------------------------------
# The NumPy reference (float64)
# --------------------------------------------------------------------------

def ref_ln(x, g, beta):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + 1e-5) * g + beta


def ref_attention(x, p, args, causal):
    hd = args.dim // args.heads
    def split(t):
        return t.reshape(args.seq, args.heads, hd).transpose(1, 0, 2)
    q = split(x @ p["wq"].T + p["bq"])
    k = split(x @ p["wk"].T + p["bk"])
    v = split(x @ p["wv"].T + p["bv"])
    s = q @ k.transpose(0, 2, 1) / math.sqrt(hd)
    if causal:
        s = np.where(np.tril(np.ones((args.seq, args.seq), bool)), s, -1e9)
    s = np.exp(s - s.max(-1, keepdims=True))
    a = (s / s.sum(-1, keepdims=True)) @ v
    a = a.transpose(1, 0, 2).reshape(args.seq, args.dim)
    return a @ p["wo"].T + p["bo"]


def ref_gelu_erf(x):
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def ref_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) *
                                  (x + 0.044715 * x ** 3)))


# --------------------------------------------------------------------------

def parameters(args, rng):
    d, f = args.dim, args.ffn
    w = lambda *s: rng.normal(0, 0.08, s)
    layers = []
    for _ in range(args.layers):
        layers.append({
            "wq": w(d, d), "bq": w(d), "wk": w(d, d), "bk": w(d),
            "wv": w(d, d), "bv": w(d), "wo": w(d, d), "bo": w(d),
            "w1": w(f, d), "b1": w(f), "w2": w(d, f), "b2": w(d),
            "g1": 1 + w(d), "n1": w(d), "g2": 1 + w(d), "n2": w(d)})
    # Weights as float32 values, so ONNX and the reference see the same.
    f32 = lambda a: a.astype(np.float32).astype(np.float64)
    layers = [{k: f32(v) for k, v in p.items()} for p in layers]
    return {"wte": f32(w(args.vocab, d) * 4), "wpe": f32(w(args.seq, d) * 4),
            "gf": f32(1 + w(d)), "nf": f32(w(d)), "layers": layers}


def build(kind, args, P):
    b = Builder()
    ids = "input_ids"
    x = b.op("Gather", [b.const(P["wte"].astype(np.float32), "wte"), ids])
    pos = b.op("Gather", [b.const(P["wpe"].astype(np.float32), "wpe"),
                          b.const(np.arange(args.seq, dtype=np.int64)[None],
                                  "positions")])
    x = b.op("Add", [x, pos])
    if kind == "bert":
        x = layer_norm_op(b, x, P["gf"], P["nf"])
        for p in P["layers"]:
            x = layer_norm_op(b, b.op("Add", [x, attention(b, x, p, args)]),
                              p["g1"], p["n1"])
            h = gelu_erf(b, linear(b, x, p["w1"], p["b1"]))
            x = layer_norm_op(b, b.op("Add", [x, linear(b, h, p["w2"],
                                                        p["b2"])]),
                              p["g2"], p["n2"])
        out, shape = x, [1, args.seq, args.dim]
    else:
        mask = b.const(np.tril(np.ones((args.seq, args.seq), bool))
                       [None, None], "causal_mask")
        for p in P["layers"]:
            h = layer_norm_decomposed(b, x, p["g1"], p["n1"])
            x = b.op("Add", [x, attention(b, h, p, args, mask)])
            h = layer_norm_decomposed(b, x, p["g2"], p["n2"])
            h = gelu_tanh(b, linear(b, h, p["w1"], p["b1"]))
            x = b.op("Add", [x, linear(b, h, p["w2"], p["b2"])])
        x = layer_norm_decomposed(b, x, P["gf"], P["nf"])
        out = b.op("MatMul", [x, b.const(P["wte"].T.astype(np.float32),
                                         "lm_head")])
        shape = [1, args.seq, args.vocab]
    graph = helper.make_graph(
        b.nodes, kind,
        [helper.make_tensor_value_info(ids, TensorProto.INT64,
                                       [1, args.seq])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, shape)],
        b.inits)
    model = helper.make_model(graph, producer_name="xfc-export-onnx",
                              opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    return model


def reference(kind, args, P, ids):
    x = P["wte"][ids] + P["wpe"][np.arange(args.seq)]
    if kind == "bert":
        x = ref_ln(x, P["gf"], P["nf"])
        for p in P["layers"]:
            x = ref_ln(x + ref_attention(x, p, args, False), p["g1"], p["n1"])
            h = ref_gelu_erf(x @ p["w1"].T + p["b1"])
            x = ref_ln(x + h @ p["w2"].T + p["b2"], p["g2"], p["n2"])
        return x[None]
    for p in P["layers"]:
        x = x + ref_attention(ref_ln(x, p["g1"], p["n1"]), p, args, True)
        h = ref_gelu_tanh(ref_ln(x, p["g2"], p["n2"]) @ p["w1"].T + p["b1"])
        x = x + h @ p["w2"].T + p["b2"]
    return (ref_ln(x, P["gf"], P["nf"]) @ P["wte"].T)[None]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("kind", choices=["bert", "gpt2"])
    p.add_argument("out")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=128)
    p.add_argument("--seq", type=int, default=8)
    p.add_argument("--vocab", type=int, default=100)
    args = p.parse_args()
    rng = np.random.default_rng(args.seed)
    P = parameters(args, rng)
    ids = rng.integers(0, args.vocab, args.seq)
    os.makedirs(os.path.join(args.out, "test_data_set_0"), exist_ok=True)
    save(build(args.kind, args, P), os.path.join(args.out, "model.onnx"))
    data = os.path.join(args.out, "test_data_set_0")
    with open(os.path.join(data, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(ids[None].astype(np.int64),
                                        "input_ids").SerializeToString())
    want = reference(args.kind, args, P, ids).astype(np.float32)
    with open(os.path.join(data, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(want).SerializeToString())


if __name__ == "__main__":
    main()
