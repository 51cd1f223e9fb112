#!/usr/bin/env python3
"""Writes a GGUF model as a Hugging Face checkpoint, with NumPy only.

The HF frontend's tests compile the same weights twice, from the GGUF file
and from this checkpoint, and compare the logits. The checkpoint is written
the way `save_pretrained` writes one, independently of the compiler:

  - config.json with the architecture's own keys;
  - model.safetensors, or --shards N files and model.safetensors.index.json;
  - tokenizer.json, derived from the GGUF vocabulary the way the tokenizers
    library's converters derive it (GPT-2 merges as given; a SentencePiece
    vocabulary's merges from every pair whose concatenation is a token,
    ordered by the merged piece's score);
  - tokenizer_config.json.

GGUF llama's Q/K rows are permuted for adjacent-pair RoPE; HF stores them
unpermuted (rotate_half), so the permutation is undone here. GPT-2's
Conv1D weights are stored [in, out].

  gguf_to_hf.py MODEL.gguf OUT_DIR [--arch MistralForCausalLM] [--shards 3]
                [--merges-as-pairs] [--tokenizer-only] [--set key=json]
"""

import argparse
import json
import os
import sys

import numpy as np

from gguf_reference import parse_gguf

ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM",
                 "gpt2": "GPT2LMHeadModel"}

LLAMA3_SPLIT = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|"
                r"\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|"
                r"\s+")
QWEN2_SPLIT = LLAMA3_SPLIT.replace(r"\p{N}{1,3}", r"\p{N}")

def bf16_bytes(w):
    """BF16 values (as make-model writes them, exact in f32) as bytes."""
    bits = np.ascontiguousarray(w, dtype="<f4").view("<u4") >> 16
    return bits.astype("<u2").tobytes()


# GGUF type -> (safetensors dtype, bytes of an array).
DTYPES = {0: ("F32", lambda w: w.astype("<f4").tobytes()),
          1: ("F16", lambda w: w.astype("<f2").tobytes()),
          30: ("BF16", bf16_bytes)}


def write_safetensors(path, tensors):
    """tensors: name -> (safetensors dtype, little-endian bytes, shape)."""
    header, offset = {}, 0
    for name, (dtype, data, shape) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little"))
        f.write(text)
        for dtype, data, shape in tensors.values():
            f.write(data)


def unpermute(w, heads):
    """GGUF llama's Q/K row order back to HF's: the inverse of the
    converter's permute, which pairs rows i and i + head_dim/2 of a head."""
    rows = w.shape[0]
    return (w.reshape(heads, rows // heads // 2, 2, *w.shape[1:])
            .swapaxes(1, 2).reshape(w.shape))


def hf_tensors(meta, tensors, gpt2_prefix="transformer."):
    """HF name -> (array, GGUF name), for the GGUF model's tensors."""
    arch = meta["general.architecture"]
    g = lambda key, default=None: meta.get(f"{arch}.{key}", default)
    heads = g("attention.head_count")
    kv_heads = g("attention.head_count_kv", heads)
    out = {}
    for name, w in tensors.items():
        parts = name.split(".")
        if parts[0] == "blk":
            layer, rest = parts[1], ".".join(parts[2:])
            if arch == "gpt2":
                table = {
                    "attn_norm": "ln_1", "ffn_norm": "ln_2",
                    "attn_qkv": "attn.c_attn", "attn_output": "attn.c_proj",
                    "ffn_up": "mlp.c_fc", "ffn_down": "mlp.c_proj"}
                base, kind = rest.rsplit(".", 1)
                if kind == "weight" and w.ndim == 2:
                    w = w.T  # Conv1D: [in, out]
                out[f"{gpt2_prefix}h.{layer}.{table[base]}.{kind}"] = (w, name)
                continue
            table = {
                "attn_norm": "input_layernorm",
                "ffn_norm": "post_attention_layernorm",
                "attn_q": "self_attn.q_proj", "attn_k": "self_attn.k_proj",
                "attn_v": "self_attn.v_proj", "attn_output": "self_attn.o_proj",
                "ffn_gate": "mlp.gate_proj", "ffn_up": "mlp.up_proj",
                "ffn_down": "mlp.down_proj"}
            base, kind = rest.rsplit(".", 1)
            if arch == "llama" and base in ("attn_q", "attn_k"):
                w = unpermute(w, heads if base == "attn_q" else kv_heads)
            out[f"model.layers.{layer}.{table[base]}.{kind}"] = (w, name)
            continue
        if arch == "gpt2":
            table = {"token_embd.weight": gpt2_prefix + "wte.weight",
                     "position_embd.weight": gpt2_prefix + "wpe.weight",
                     "output_norm.weight": gpt2_prefix + "ln_f.weight",
                     "output_norm.bias": gpt2_prefix + "ln_f.bias",
                     "output.weight": "lm_head.weight"}
        else:
            table = {"token_embd.weight": "model.embed_tokens.weight",
                     "output_norm.weight": "model.norm.weight",
                     "output.weight": "lm_head.weight"}
        out[table[name]] = (w, name)
    return out


def config_json(meta, hf_arch):
    arch = meta["general.architecture"]
    g = lambda key, default=None: meta.get(f"{arch}.{key}", default)
    vocab = len(meta["tokenizer.ggml.tokens"])
    common = {"architectures": [hf_arch], "vocab_size": vocab,
              "bos_token_id": meta.get("tokenizer.ggml.bos_token_id"),
              "eos_token_id": meta.get("tokenizer.ggml.eos_token_id"),
              "torch_dtype": "float32"}
    if arch == "gpt2":
        return dict(common, model_type="gpt2", n_embd=g("embedding_length"),
                    n_layer=g("block_count"), n_head=g("attention.head_count"),
                    n_inner=g("feed_forward_length"),
                    n_positions=g("context_length"), n_ctx=g("context_length"),
                    layer_norm_epsilon=g("attention.layer_norm_epsilon"),
                    activation_function="gelu_new")
    heads = g("attention.head_count")
    return dict(common,
                model_type={"MistralForCausalLM": "mistral",
                            "Qwen2ForCausalLM": "qwen2"}.get(hf_arch, "llama"),
                hidden_size=g("embedding_length"),
                intermediate_size=g("feed_forward_length"),
                num_hidden_layers=g("block_count"),
                num_attention_heads=heads,
                num_key_value_heads=g("attention.head_count_kv", heads),
                max_position_embeddings=g("context_length"),
                rms_norm_eps=g("attention.layer_norm_rms_epsilon"),
                rope_theta=g("rope.freq_base", 10000.0),
                hidden_act="silu", rope_scaling=None)


def spm_merges(tokens, scores):
    """The tokenizers library's SentencePiece extraction: every split of a
    piece into two pieces, ordered by the piece's score (stable), then by
    the parts' ids."""
    ids = {t: i for i, t in enumerate(tokens)}
    merges = []
    for piece, score in zip(tokens, scores):
        local = [(piece[:k], piece[k:], score) for k in range(1, len(piece))
                 if piece[:k] in ids and piece[k:] in ids]
        local.sort(key=lambda m: (ids[m[0]], ids[m[1]]))
        merges.extend(local)
    merges.sort(key=lambda m: m[2], reverse=True)
    return [(a, b) for a, b, _ in merges]


def tokenizer_json(meta, merges_as_pairs):
    tokens = meta["tokenizer.ggml.tokens"]
    types = meta.get("tokenizer.ggml.token_type", [1] * len(tokens))
    model_kind = meta["tokenizer.ggml.model"]
    bos = meta.get("tokenizer.ggml.bos_token_id")
    add_bos = meta.get("tokenizer.ggml.add_bos_token", model_kind == "llama")
    added = [{"id": i, "content": t, "single_word": False, "lstrip": False,
              "rstrip": False, "normalized": False, "special": types[i] == 3}
             for i, t in enumerate(tokens) if types[i] in (3, 4)]
    if model_kind == "gpt2":
        merges = [tuple(m.split(" ")) for m in meta["tokenizer.ggml.merges"]]
        pre_name = meta.get("tokenizer.ggml.pre", "gpt-2")
        byte_level = {"type": "ByteLevel", "add_prefix_space": False,
                      "trim_offsets": True, "use_regex": pre_name == "gpt-2"}
        if pre_name == "gpt-2":
            pre = byte_level
        else:
            regex = {"llama-bpe": LLAMA3_SPLIT, "qwen2": QWEN2_SPLIT}[pre_name]
            pre = {"type": "Sequence", "pretokenizers": [
                {"type": "Split", "pattern": {"Regex": regex},
                 "behavior": "Isolated", "invert": False}, byte_level]}
        model = {"type": "BPE", "dropout": None, "unk_token": None,
                 "continuing_subword_prefix": None, "end_of_word_suffix": None,
                 "fuse_unk": False, "byte_fallback": False,
                 "ignore_merges": pre_name == "llama-bpe"}
        normalizer, decoder = None, {"type": "ByteLevel"}
    else:
        scores = meta.get("tokenizer.ggml.scores", [0.0] * len(tokens))
        merges = spm_merges(tokens, scores)
        unk = meta.get("tokenizer.ggml.unknown_token_id", 0)
        pre = None
        normalizer = {"type": "Sequence", "normalizers": [
            {"type": "Prepend", "prepend": "\u2581"},
            {"type": "Replace", "pattern": {"String": " "},
             "content": "\u2581"}]}
        model = {"type": "BPE", "dropout": None, "unk_token": tokens[unk],
                 "continuing_subword_prefix": None, "end_of_word_suffix": None,
                 "fuse_unk": True, "byte_fallback": True}
        decoder = {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"},
             "content": " "},
            {"type": "ByteFallback"}, {"type": "Fuse"},
            {"type": "Strip", "content": " ", "start": 1, "stop": 0}]}
    model["vocab"] = {t: i for i, t in enumerate(tokens)}
    model["merges"] = ([list(m) for m in merges] if merges_as_pairs
                       else [" ".join(m) for m in merges])
    if add_bos and bos is not None:
        post = {"type": "TemplateProcessing",
                "single": [{"SpecialToken": {"id": tokens[bos], "type_id": 0}},
                           {"Sequence": {"id": "A", "type_id": 0}}],
                "pair": [], "special_tokens": {
                    tokens[bos]: {"id": tokens[bos], "ids": [bos],
                                  "tokens": [tokens[bos]]}}}
    else:
        post = {"type": "ByteLevel", "add_prefix_space": True,
                "trim_offsets": False, "use_regex": True} \
            if model_kind == "gpt2" else None
    return {"version": "1.0", "truncation": None, "padding": None,
            "added_tokens": added, "normalizer": normalizer,
            "pre_tokenizer": pre, "post_processor": post, "decoder": decoder,
            "model": model}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--arch", help="HF architecture (default: the GGUF's)")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--merges-as-pairs", action="store_true",
                   help='write merges as ["a", "b"], as newer files do')
    p.add_argument("--tokenizer-only", action="store_true")
    p.add_argument("--set", action="append", default=[],
                   help="override a config.json key: key=JSON")
    p.add_argument("--drop", action="append", default=[],
                   help="leave a config.json key out (its default applies)")
    p.add_argument("--no-prefix", action="store_true",
                   help='GPT-2 tensor names without "transformer."')
    args = p.parse_args()

    meta, tensors, types = parse_gguf(args.model)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "tokenizer.json"), "w") as f:
        json.dump(tokenizer_json(meta, args.merges_as_pairs), f,
                  ensure_ascii=False)
    if args.tokenizer_only:
        return

    arch = meta["general.architecture"]
    hf_arch = args.arch or ARCHITECTURES[arch]
    config = config_json(meta, hf_arch)
    config["tie_word_embeddings"] = "output.weight" not in tensors
    config["vocab_size"] = tensors["token_embd.weight"].shape[0]
    for item in args.set:
        key, value = item.split("=", 1)
        config[key] = json.loads(value)
    for key in args.drop:
        config.pop(key)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(args.out, "tokenizer_config.json"), "w") as f:
        json.dump({"add_bos_token": bool(meta.get(
            "tokenizer.ggml.add_bos_token",
            meta["tokenizer.ggml.model"] == "llama"))}, f)

    named = {}
    prefix = "" if args.no_prefix else "transformer."
    for name, (w, gguf_name) in hf_tensors(meta, tensors, prefix).items():
        # F16 and BF16 stay as they are; everything else is written as F32.
        dtype, encode = DTYPES.get(types[gguf_name], DTYPES[0])
        data = encode(np.ascontiguousarray(w))
        named[name] = (dtype, data, w.shape)
    if args.shards <= 1:
        write_safetensors(os.path.join(args.out, "model.safetensors"), named)
        return
    names = list(named)
    weight_map = {}
    for s in range(args.shards):
        file = f"model-{s + 1:05d}-of-{args.shards:05d}.safetensors"
        part = {n: named[n] for n in names[s::args.shards]}
        write_safetensors(os.path.join(args.out, file), part)
        weight_map.update({n: file for n in part})
    with open(os.path.join(args.out, "model.safetensors.index.json"),
              "w") as f:
        json.dump({"metadata": {"total_size": sum(
            len(v[1]) for v in named.values())}, "weight_map": weight_map},
            f, indent=2)


if __name__ == "__main__":
    main()
