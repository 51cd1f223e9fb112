#!/usr/bin/env python3
"""Adapters for XFC's tests, written and folded independently of XFC.

  adapters.py peft MODEL.gguf OUT_DIR --kind lora|lokr [--rank R]
              [--modules q_proj,v_proj] [--alpha A] [--rslora]
              [--factored] [--seed S]
      writes a PEFT adapter (adapter_config.json, adapter_model.safetensors)
      with random factors for every layer of MODEL's shapes. LoKr factors
      are whole (lokr_w1, lokr_w2), or with --factored lokr_w2 is the
      product lokr_w2_a @ lokr_w2_b.
  adapters.py gguf-lora MODEL.gguf OUT.gguf [--rank R] [--targets attn_q,ffn_down]
              [--alpha A] [--seed S]
      writes a llama.cpp GGUF LoRA adapter (factors in GGUF's row order).
  adapters.py krona MODEL.gguf OUT.safetensors --a M1xN1 --b M2xN2
              [--scale S] [--residual] [--seed S]
      writes KronA^B branches for every FFN block (XFC's --krona-ffn file:
      blk.<i>.ffn_krona.a/.b, with --residual a learned s_res per block).
  adapters.py reference MODEL.gguf --ids 1,2,3 [--drop-last]
              [--lora PATH[:SCALE]]... [--lokr DIR[:SCALE]]...
              [--krona-ffn FILE[:SCALE]]... --compare xfc.f32 [--rtol 1e-4]
      folds the adapters into MODEL's weights with NumPy (B @ A, np.kron,
      and llama.cpp's reshape/swapaxes permutation of Q/K rows for llama),
      adds the KronA^B branches (x @ np.kron(A, B)) to the FFN outputs, and
      compares XFC's logits with gguf_reference's forward pass.
"""

import argparse
import json
import os
import struct
import sys

import numpy as np

import gguf_reference as ref

HF_MODULES = {  # llama-family module -> GGUF tensor
    "self_attn.q_proj": "attn_q", "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v", "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate", "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down"}
GPT2_MODULES = {"attn.c_attn": "attn_qkv", "attn.c_proj": "attn_output",
                "mlp.c_fc": "ffn_up", "mlp.c_proj": "ffn_down"}


def modules_of(meta):
    arch = meta["general.architecture"]
    return GPT2_MODULES if arch == "gpt2" else HF_MODULES


def module_path(meta, layer, module):
    if meta["general.architecture"] == "gpt2":
        return f"base_model.model.transformer.h.{layer}.{module}"
    return f"base_model.model.model.layers.{layer}.{module}"


def write_safetensors(path, tensors, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name, array in tensors.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def kron_split(n):
    """A factor pair (a, b) with a * b = n, a as close to sqrt(n) as
    divides it."""
    a = int(np.sqrt(n))
    while n % a:
        a -= 1
    return a, n // a


def write_peft(args):
    meta, tensors, _ = ref.parse_gguf(args.model)
    rng = np.random.default_rng(args.seed)
    modules = modules_of(meta)
    wanted = args.modules.split(",") if args.modules else None
    out = {}
    layers = meta[meta["general.architecture"] + ".block_count"]
    for layer in range(layers):
        for module, tensor in modules.items():
            short = module.split(".")[1]
            if wanted and short not in wanted:
                continue
            rows, cols = tensors[f"blk.{layer}.{tensor}.weight"].shape
            name = module_path(meta, layer, module)
            if args.kind == "lora":
                out[name + ".lora_A.weight"] = rng.standard_normal((args.rank, cols)) * 0.1
                out[name + ".lora_B.weight"] = rng.standard_normal((rows, args.rank)) * 0.1
            else:
                (r1, r2), (c1, c2) = kron_split(rows), kron_split(cols)
                out[name + ".lokr_w1"] = rng.standard_normal((r1, c1)) * 0.3
                w2 = rng.standard_normal((r2, c2)) * 0.3
                if args.factored:
                    out[name + ".lokr_w2_a"] = rng.standard_normal((r2, args.rank)) * 0.3
                    out[name + ".lokr_w2_b"] = rng.standard_normal((args.rank, c2)) * 0.3
                else:
                    out[name + ".lokr_w2"] = w2
    os.makedirs(args.out, exist_ok=True)
    config = {"peft_type": args.kind.upper(), "r": args.rank,
              "target_modules": sorted({m.split(".")[1] for m in modules
                                        if not wanted or m.split(".")[1] in wanted}),
              "use_rslora": args.rslora,
              "fan_in_fan_out": meta["general.architecture"] == "gpt2"}
    config["lora_alpha" if args.kind == "lora" else "alpha"] = args.alpha
    with open(os.path.join(args.out, "adapter_config.json"), "w") as f:
        json.dump(config, f, indent=1)
    write_safetensors(os.path.join(args.out, "adapter_model.safetensors"), out)


def gguf_string(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def write_gguf_lora(args):
    meta, tensors, _ = ref.parse_gguf(args.model)
    rng = np.random.default_rng(args.seed)
    arch = meta["general.architecture"]
    layers = meta[arch + ".block_count"]
    out = {}
    for layer in range(layers):
        for target in args.targets.split(","):
            rows, cols = tensors[f"blk.{layer}.{target}.weight"].shape
            name = f"blk.{layer}.{target}.weight"
            out[name + ".lora_a"] = rng.standard_normal((args.rank, cols)) * 0.1
            out[name + ".lora_b"] = rng.standard_normal((rows, args.rank)) * 0.1
    kvs = [("general.architecture", 8, gguf_string(arch)),
           ("general.type", 8, gguf_string("adapter")),
           ("adapter.type", 8, gguf_string("lora")),
           ("adapter.lora.alpha", 6, struct.pack("<f", args.alpha))]
    head = struct.pack("<IIQQ", 0x46554747, 3, len(out), len(kvs))
    for key, vtype, value in kvs:
        head += gguf_string(key) + struct.pack("<I", vtype) + value
    offset, blobs = 0, []
    for name, array in out.items():
        data = np.ascontiguousarray(array, dtype="<f4").tobytes()
        dims = list(reversed(array.shape))  # ne0 first
        head += gguf_string(name) + struct.pack("<I", len(dims))
        head += b"".join(struct.pack("<Q", d) for d in dims)
        head += struct.pack("<IQ", 0, offset)
        blobs.append(data + b"\0" * (-len(data) % 32))
        offset += len(blobs[-1])
    head += b"\0" * (-len(head) % 32)
    with open(args.out, "wb") as f:
        f.write(head + b"".join(blobs))


def write_krona(args):
    meta, tensors, _ = ref.parse_gguf(args.model)
    rng = np.random.default_rng(args.seed)
    layers = meta[meta["general.architecture"] + ".block_count"]
    a_shape = [int(v) for v in args.a.split("x")]
    b_shape = [int(v) for v in args.b.split("x")]
    out = {}
    for layer in range(layers):
        out[f"blk.{layer}.ffn_krona.a"] = rng.standard_normal(a_shape) * 0.3
        out[f"blk.{layer}.ffn_krona.b"] = rng.standard_normal(b_shape) * 0.3
        if args.residual:
            out[f"blk.{layer}.ffn_krona.residual"] = rng.standard_normal(1) * 0.2
    write_safetensors(args.out, out, {"scale": str(args.scale)})


def krona_branch(path, scale):
    """ffn_branch for gguf_reference.forward: s x (A ⊗ B) [+ s_res x]."""
    raw = open(path, "rb").read()
    n = struct.unpack_from("<Q", raw)[0]
    s = float(json.loads(raw[8:8 + n]).get("__metadata__", {}).get("scale", 1))
    t = read_safetensors(path)

    def branch(layer, h):
        p = f"blk.{layer}.ffn_krona."
        y = s * h @ np.kron(t[p + "a"], t[p + "b"])
        if p + "residual" in t:
            y = y + t[p + "residual"][0] * h
        return scale * y
    return branch


def split_spec(text):
    path, _, scale = text.rpartition(":")
    try:
        return path, float(scale)
    except ValueError:
        return text, 1.0


def read_safetensors(path):
    raw = open(path, "rb").read()
    n = struct.unpack_from("<Q", raw)[0]
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + begin:8 + n + end], "<f4") \
            .reshape(info["shape"]).astype(np.float64)
    return out


def llama_permute(w, heads):
    """llama.cpp's convert_hf_to_gguf permutation of Q/K rows."""
    return (w.reshape(heads, 2, w.shape[0] // heads // 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def peft_deltas(meta, directory):
    """(GGUF tensor, delta) pairs of a PEFT adapter, in GGUF's row order."""
    config = json.load(open(os.path.join(directory, "adapter_config.json")))
    factors = read_safetensors(os.path.join(directory, "adapter_model.safetensors"))
    arch = meta["general.architecture"]
    heads = meta[arch + ".attention.head_count"]
    kv_heads = meta.get(arch + ".attention.head_count_kv", heads)
    r = config["r"]
    by_module = {}
    for name, value in factors.items():
        for factor in ("lora_A", "lora_B", "lokr_w1", "lokr_w2_a", "lokr_w2_b", "lokr_w2"):
            for suffix in (f".{factor}.weight", f".{factor}"):
                if name.endswith(suffix):
                    by_module.setdefault(name[:-len(suffix)], {})[factor] = value
                    break
            else:
                continue
            break
    deltas = []
    for module, f in by_module.items():
        layer = int(module.split(".")[-3])
        short = ".".join(module.split(".")[-2:])
        target = f"blk.{layer}.{modules_of(meta)[short]}.weight"
        if config["peft_type"] == "LORA":
            alpha = config.get("lora_alpha", r)
            scale = alpha / np.sqrt(r) if config.get("use_rslora") else alpha / r
            delta = scale * (f["lora_B"] @ f["lora_A"])
        else:
            w2 = f["lokr_w2"] if "lokr_w2" in f else f["lokr_w2_a"] @ f["lokr_w2_b"]
            delta = config.get("alpha", r) / r * np.kron(f["lokr_w1"], w2)
        if arch == "llama" and short in ("self_attn.q_proj", "self_attn.k_proj"):
            delta = llama_permute(delta, heads if "q_proj" in short else kv_heads)
        deltas.append((target, delta))
    return deltas


def gguf_lora_deltas(path):
    meta, tensors, _ = ref.parse_gguf(path)
    deltas = []
    for name in tensors:
        if name.endswith(".lora_a"):
            base = name[:-len(".lora_a")]
            a, b = tensors[name], tensors[base + ".lora_b"]
            deltas.append((base, meta["adapter.lora.alpha"] / a.shape[0] * (b @ a)))
    return deltas


def reference(args):
    meta, tensors, _ = ref.parse_gguf(args.model)
    tensors = dict(tensors)
    for text in args.lora + args.lokr:
        path, scale = split_spec(text)
        deltas = gguf_lora_deltas(path) if os.path.isfile(path) \
            else peft_deltas(meta, path)
        for target, delta in deltas:
            tensors[target] = tensors[target] + scale * delta
    ids = [int(i) for i in args.ids.split(",")]
    if args.drop_last:
        ids = ids[:-1]
    branches = [krona_branch(*split_spec(text)) for text in args.krona_ffn]
    ffn_branch = (lambda layer, h: sum(b(layer, h) for b in branches)) \
        if branches else None
    expected = ref.forward(meta, tensors, ids, ffn_branch=ffn_branch)
    got = np.fromfile(args.compare, dtype="<f4").astype(np.float64)
    if got.size != expected.size:
        print(f"size mismatch: {got.size} logits, expected {expected.size}")
        return 1
    return ref.compare(got.reshape(expected.shape), expected, args.rtol)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("peft")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--kind", choices=("lora", "lokr"), required=True)
    p.add_argument("--rank", type=int, default=4)
    p.add_argument("--modules")
    p.add_argument("--alpha", type=float, default=8.0)
    p.add_argument("--rslora", action="store_true")
    p.add_argument("--factored", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("gguf-lora")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--rank", type=int, default=4)
    p.add_argument("--targets", default="attn_q,attn_k,ffn_down")
    p.add_argument("--alpha", type=float, default=8.0)
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("krona")
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--a", required=True)
    p.add_argument("--b", required=True)
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--residual", action="store_true")
    p.add_argument("--seed", type=int, default=1)
    p = sub.add_parser("reference")
    p.add_argument("model")
    p.add_argument("--ids", required=True)
    p.add_argument("--drop-last", action="store_true")
    p.add_argument("--lora", action="append", default=[])
    p.add_argument("--lokr", action="append", default=[])
    p.add_argument("--krona-ffn", action="append", default=[])
    p.add_argument("--compare", required=True)
    p.add_argument("--rtol", type=float, default=1e-4)
    args = ap.parse_args()
    if args.command == "peft":
        write_peft(args)
    elif args.command == "gguf-lora":
        write_gguf_lora(args)
    elif args.command == "krona":
        write_krona(args)
    else:
        return reference(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
