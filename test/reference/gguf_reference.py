#!/usr/bin/env python3
"""Independent NumPy reference for XFC's end-to-end tests.

Reads a GGUF model with its own parser (sharing no code with the compiler),
runs the llama / qwen2 / gpt2 forward pass in float64 for a sequence of token
ids, and either prints the logits or compares them with logits that XFC
produced (raw little-endian f32, [tokens, vocab]).

  gguf_reference.py MODEL.gguf --ids 1,2,3 [--compare xfc.f32 --rtol 1e-4]
                    [--int8-activations]

With --int8-activations, the projections whose weights are ggml blocks
(a tied head included) read their input rows quantized to INT8 the way
XFC's kernels do (xfk_quantize_rows), as `compute int8` defines.
"""

import argparse
import struct
import sys

import numpy as np

from compare_logits import compare

# --------------------------------------------------------------------------
# GGUF parsing
# --------------------------------------------------------------------------

SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f",
           7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


class Reader:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.take("<Q")
        s = bytes(self.data[self.pos:self.pos + n]).decode("utf-8", "replace")
        self.pos += n
        return s

    def value(self, vtype):
        if vtype == 8:
            return self.string()
        if vtype == 9:
            etype, count = self.take("<I"), self.take("<Q")
            return [self.value(etype) for _ in range(count)]
        return self.take(SCALARS[vtype])


def parse_gguf(path):
    data = np.memmap(path, dtype=np.uint8, mode="r")
    r = Reader(data)
    if r.take("<I") != 0x46554747:
        sys.exit(f"{path}: not a GGUF file")
    version = r.take("<I")
    if version not in (2, 3):
        sys.exit(f"{path}: unsupported version {version}")
    n_tensors, n_kv = r.take("<Q"), r.take("<Q")
    meta = {}
    for _ in range(n_kv):
        key = r.string()
        meta[key] = r.value(r.take("<I"))
    infos = []
    for _ in range(n_tensors):
        name = r.string()
        dims = [r.take("<Q") for _ in range(r.take("<I"))]
        infos.append((name, dims, r.take("<I"), r.take("<Q")))
    align = meta.get("general.alignment", 32)
    start = (r.pos + align - 1) // align * align
    tensors, types = {}, {}
    for name, dims, ttype, offset in infos:
        count = int(np.prod(dims))
        tensors[name] = dequantize(data, start + offset, ttype, count) \
            .reshape(list(reversed(dims)))
        types[name] = ttype
    return meta, tensors, types


BLOCK_TYPES = (2, 3, 8)  # Q4_0, Q4_1, Q8_0


def quantize_rows(x):
    """xfk_quantize_rows: each row in blocks of 32, symmetric INT8 with the
    scale max|x| / 127, computed in f32 and rounded half to even; returns
    the values the codes stand for."""
    blocks = x.astype(np.float32).reshape(x.shape[0], -1, 32)
    d = np.abs(blocks).max(axis=-1, keepdims=True) / np.float32(127)
    inv = np.divide(np.float32(1), d, out=np.zeros_like(d), where=d != 0)
    codes = np.rint(blocks * inv)
    return (codes.astype(np.float64) * d.astype(np.float64)).reshape(x.shape)


def dequantize(data, at, ttype, count):
    """Blocks to float64, for the types make-model writes."""
    def raw(nbytes):
        return np.asarray(data[at:at + nbytes])
    if ttype == 0:
        return raw(4 * count).view("<f4").astype(np.float64)
    if ttype == 1:
        return raw(2 * count).view("<f2").astype(np.float64)
    if ttype == 30:  # bf16: the high half of an f32
        bits = raw(2 * count).view("<u2").astype(np.uint32) << 16
        return bits.view("<f4").astype(np.float64)
    blocks = count // 32
    if ttype == 8:  # Q8_0: f16 scale, 32 x int8
        b = raw(34 * blocks).reshape(blocks, 34)
        d = b[:, :2].copy().view("<f2").astype(np.float64)
        q = b[:, 2:].copy().view(np.int8).astype(np.float64)
        return (d * q).reshape(-1)
    if ttype in (2, 3):  # Q4_0 / Q4_1: scale [, min], 16 bytes of nibbles
        size = 18 if ttype == 2 else 20
        b = raw(size * blocks).reshape(blocks, size)
        d = b[:, :2].copy().view("<f2").astype(np.float64)
        qs = b[:, size - 16:]
        q = np.concatenate([qs & 0xF, qs >> 4], axis=1).astype(np.float64)
        if ttype == 2:
            return (d * (q - 8)).reshape(-1)
        m = b[:, 2:4].copy().view("<f2").astype(np.float64)
        return (d * q + m).reshape(-1)
    sys.exit(f"reference: tensor type {ttype} is not supported here")


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------

def rms_norm(x, w, eps):
    return x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps) * w


def layer_norm(x, w, b, eps):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def rope(x, positions, theta, dims, neox):
    """x: [tokens, heads, head_dim]. llama GGUF rotates adjacent pairs,
    qwen2 (NeoX) rotates element i with i + dims/2."""
    half = dims // 2
    freqs = theta ** (-2.0 * np.arange(half) / dims)
    angle = positions[:, None] * freqs[None, :]          # [tokens, half]
    cos, sin = np.cos(angle)[:, None, :], np.sin(angle)[:, None, :]
    y = x.copy()
    if neox:
        a, b = x[..., :half], x[..., half:dims]
        y[..., :half] = a * cos - b * sin
        y[..., half:dims] = a * sin + b * cos
    else:
        a, b = x[..., 0:dims:2], x[..., 1:dims:2]
        y[..., 0:dims:2] = a * cos - b * sin
        y[..., 1:dims:2] = a * sin + b * cos
    return y


def attention(q, k, v):
    """Causal attention over the whole sequence, with GQA."""
    tokens, heads, hd = q.shape
    group = heads // k.shape[1]
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, group, axis=1)
    scores = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(hd)
    mask = np.triu(np.ones((tokens, tokens), dtype=bool), 1)
    scores[:, mask] = -np.inf
    scores -= scores.max(axis=-1, keepdims=True)
    p = np.exp(scores)
    p /= p.sum(axis=-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", p, v)


def forward(meta, t, ids, int8_inputs=(), ffn_branch=None):
    """The logits of `ids`. Projections by the weights named in
    `int8_inputs` read their input quantized (quantize_rows).
    `ffn_branch(layer, h)`, if given, is added to each FFN block's output
    (h its input): a side branch such as KronA^B."""
    arch = meta["general.architecture"]
    if arch not in ("llama", "qwen2", "gpt2"):
        sys.exit(f"reference: unsupported architecture {arch}")
    g = lambda key, default=None: meta.get(f"{arch}.{key}", default)
    dim, layers = g("embedding_length"), g("block_count")
    heads = g("attention.head_count")
    kv_heads = g("attention.head_count_kv", heads)
    hd = dim // heads
    positions = np.arange(len(ids), dtype=np.float64)
    x = t["token_embd.weight"][ids]
    if arch == "gpt2":
        x = x + t["position_embd.weight"][np.arange(len(ids))]
        eps = g("attention.layer_norm_epsilon")
        norm = lambda x, p: layer_norm(x, t[p + ".weight"], t[p + ".bias"], eps)
    else:
        eps = g("attention.layer_norm_rms_epsilon")
        norm = lambda x, p: rms_norm(x, t[p + ".weight"], eps)
    def lin(x, name):
        if name + ".weight" in int8_inputs:
            x = quantize_rows(x)
        return x @ t[name + ".weight"].T + t.get(name + ".bias", 0)

    for l in range(layers):
        p = f"blk.{l}."
        h = norm(x, p + "attn_norm")
        if arch == "gpt2":
            qkv = lin(h, p + "attn_qkv")
            q, k, v = qkv[:, :dim], qkv[:, dim:2 * dim], qkv[:, 2 * dim:]
        else:
            q, k, v = lin(h, p + "attn_q"), lin(h, p + "attn_k"), lin(h, p + "attn_v")
        q = q.reshape(len(ids), heads, hd)
        k = k.reshape(len(ids), kv_heads, hd)
        v = v.reshape(len(ids), kv_heads, hd)
        if arch != "gpt2":
            theta = g("rope.freq_base", 10000.0)
            dims = g("rope.dimension_count", hd)
            q = rope(q, positions, theta, dims, neox=arch == "qwen2")
            k = rope(k, positions, theta, dims, neox=arch == "qwen2")
        o = attention(q, k, v).reshape(len(ids), dim)
        x = x + lin(o, p + "attn_output")
        h = norm(x, p + "ffn_norm")
        if arch == "gpt2":
            f = lin(gelu_tanh(lin(h, p + "ffn_up")), p + "ffn_down")
        else:
            gate = lin(h, p + "ffn_gate")
            f = lin(gate / (1 + np.exp(-gate)) * lin(h, p + "ffn_up"), p + "ffn_down")
        if ffn_branch:
            f = f + ffn_branch(l, h)
        x = x + f
    x = norm(x, "output_norm")
    if "output.weight" in t:
        return lin(x, "output")
    if "token_embd.weight" in int8_inputs:  # the tied head
        x = quantize_rows(x)
    return x @ t["token_embd.weight"].T


def perplexity(meta, tensors, ids, ctx, int8_inputs=()):
    """llama-perplexity: consecutive chunks, BOS first in each, score the
    predictions of positions ctx/2 .. ctx-2."""
    bos = meta.get("tokenizer.ggml.bos_token_id")
    add_bos = meta.get("tokenizer.ggml.add_bos_token",
                       meta["tokenizer.ggml.model"] == "llama")
    nll, count = 0.0, 0
    for c in range(len(ids) // ctx):
        chunk = list(ids[c * ctx:(c + 1) * ctx])
        if add_bos and bos is not None:
            chunk[0] = bos
        logits = forward(meta, tensors, chunk, int8_inputs)
        for j in range(ctx // 2, ctx - 1):
            row = logits[j] - logits[j].max()
            nll -= row[chunk[j + 1]] - np.log(np.exp(row).sum())
            count += 1
    return float(np.exp(nll / count))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("model")
    ids_arg = ap.add_mutually_exclusive_group(required=True)
    ids_arg.add_argument("--ids", help="comma-separated token ids")
    ids_arg.add_argument("--ids-file", help="a file holding --ids")
    ap.add_argument("--drop-last", action="store_true",
                    help="evaluate all ids but the last (the last generated "
                         "token has no logits)")
    ap.add_argument("--compare", help="XFC logits, raw f32 [tokens, vocab]")
    ap.add_argument("--perplexity-ctx", type=int,
                    help="print llama-perplexity's PPL over the ids, in "
                         "chunks of this many tokens")
    ap.add_argument("--rtol", type=float, default=1e-4)
    ap.add_argument("--int8-activations", action="store_true",
                    help="quantize the inputs of projections by ggml-block "
                         "weights as XFC's packed kernels do (the embedding "
                         "table, tied or not, keeps its rows)")
    args = ap.parse_args()
    text = open(args.ids_file).read() if args.ids_file else args.ids
    ids = [int(i) for i in text.strip().split(",")]
    if args.drop_last:
        ids = ids[:-1]
    meta, tensors, types = parse_gguf(args.model)
    int8_inputs = ()
    if args.int8_activations:
        int8_inputs = {name for name, ttype in types.items()
                       if ttype in BLOCK_TYPES}
    if args.perplexity_ctx:
        ppl = perplexity(meta, tensors, ids, args.perplexity_ctx,
                         int8_inputs)
        if not args.compare:
            print(f"PPL = {ppl:.6f}")
            return 0
        # --compare holds xfc's output: "Final estimate: PPL = X +/- Y".
        text = open(args.compare).read()
        got = float(text.split("PPL = ")[1].split()[0])
        err = abs(got - ppl) / ppl
        if err > args.rtol:
            print(f"PPL {got} differs from {ppl:.6f} by {err:.3g}")
            return 1
        print(f"OK: PPL {got} vs {ppl:.6f}, relative error {err:.3g}")
        return 0
    ref = forward(meta, tensors, ids, int8_inputs)
    if not args.compare:
        np.savetxt(sys.stdout, ref, fmt="%.6g")
        return 0
    got = np.fromfile(args.compare, dtype="<f4").astype(np.float64)
    if got.size != ref.size:
        print(f"size mismatch: {got.size} logits, expected {ref.size}")
        return 1
    return compare(got.reshape(ref.shape), ref, args.rtol)


if __name__ == "__main__":
    sys.exit(main())
