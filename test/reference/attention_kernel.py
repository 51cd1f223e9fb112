#!/usr/bin/env python3
"""Checks the compiled xf.attention kernel against NumPy on random inputs.

Each case is one function holding a single xf.attention. The module goes
through xfc-opt (--pass-pipeline, by default xf-lower-to-llvm),
mlir-translate and llc into a shared object together with a small C
runtime: the generic allocation functions and an xfm_parallel_for that
splits [0, n) over POSIX threads, so the parallel loops really run
concurrently. The functions are called through their C interface with
ctypes. The reference is the op's definition evaluated in float64 on the
same (rounded) inputs: softmax(q k^T * scale, causal) v per head, query
head h reading KV head h / (heads / kv_heads), and with a cache the new
rows appended at [pos, pos + tokens) and attended together with the old
ones. The cache is checked too: the old rows untouched, the new ones
rounded to the cache's type.

  attention_kernel.py --xfc-opt BIN --mlir-translate BIN --llc BIN
                      --work DIR [--pipeline P] [--cases A,B]
                      [--bench TOKENS [--shape H,KVH,D] [--repeat N]]
"""

import argparse
import ctypes
import os
import resource
import subprocess
import sys
import time

import numpy as np

# name, tokens, heads, kv_heads, head_dim, causal, dtype (activations), and
# either kv_tokens (no cache) or cache = (context, position, cache dtype).
CASES = [
    # Tokens not a multiple of any block, several key blocks.
    dict(name="mha_causal", tokens=37, heads=4, kv_heads=4, head_dim=64,
         causal=True, kv_tokens=37),
    # Non-causal, more keys than queries, head_dim below one vector.
    dict(name="hd8_noncausal", tokens=19, heads=2, kv_heads=1, head_dim=8,
         causal=False, kv_tokens=33),
    # Causal without a cache and more keys than queries: query i sees
    # keys [0, i] (the position is 0).
    dict(name="causal_more_keys", tokens=10, heads=2, kv_heads=2,
         head_dim=16, causal=True, kv_tokens=20),
    # Grouped-query 4:1 with a cache at position > 0.
    dict(name="gqa4_cache", tokens=50, heads=8, kv_heads=2, head_dim=64,
         causal=True, cache=(128, 13, "f32")),
    # Multi-query, head_dim 80 (five full vectors).
    dict(name="mqa_hd80", tokens=21, heads=6, kv_heads=1, head_dim=80,
         causal=True, cache=(64, 5, "f32")),
    # head_dim 72: four full vectors and a masked half one.
    dict(name="hd72", tokens=23, heads=3, kv_heads=3, head_dim=72,
         causal=True, cache=(96, 31, "f32"), scale=0.07),
    # A long prefill after earlier tokens.
    dict(name="long_prefill", tokens=300, heads=4, kv_heads=2, head_dim=64,
         causal=True, cache=(512, 100, "f32")),
    # Decode: one token against a long cache, several KV blocks.
    dict(name="decode_gqa", tokens=1, heads=8, kv_heads=2, head_dim=64,
         causal=True, cache=(1024, 700, "f32")),
    dict(name="decode_mha_hd80", tokens=1, heads=4, kv_heads=4, head_dim=80,
         causal=True, cache=(512, 300, "f32")),
    dict(name="decode_mqa_hd8", tokens=1, heads=4, kv_heads=1, head_dim=8,
         causal=False, cache=(256, 77, "f32")),
    # Decode at position 0 and without a cache.
    dict(name="decode_first", tokens=1, heads=2, kv_heads=1, head_dim=64,
         causal=True, cache=(64, 0, "f32")),
    dict(name="one_query_no_cache", tokens=1, heads=2, kv_heads=2,
         head_dim=32, causal=True, kv_tokens=9),
    dict(name="one_query_no_cache_all", tokens=1, heads=2, kv_heads=2,
         head_dim=32, causal=False, kv_tokens=40),
    # Narrow caches with f32 activations: converted on append and on load.
    dict(name="f16_cache", tokens=17, heads=4, kv_heads=2, head_dim=64,
         causal=True, cache=(128, 40, "f16")),
    dict(name="bf16_cache_decode", tokens=1, heads=4, kv_heads=2,
         head_dim=64, causal=True, cache=(600, 520, "bf16")),
    # f16 activations and cache.
    dict(name="f16_all", tokens=29, heads=4, kv_heads=1, head_dim=64,
         causal=True, cache=(128, 9, "f16"), dtype="f16"),
]

RUNTIME_C = r"""
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

void *_mlir_memref_to_llvm_alloc(uint64_t size) {
  return aligned_alloc(64, (size + 63) & ~(uint64_t)63);
}
void *_mlir_memref_to_llvm_aligned_alloc(uint64_t alignment, uint64_t size) {
  (void)alignment;
  return _mlir_memref_to_llvm_alloc(size);
}
void _mlir_memref_to_llvm_free(void *p) { free(p); }

/* memref.copy between strided memrefs (the KV-cache appends). */
struct Descriptor { char *allocated, *aligned; int64_t offset, dims[]; };
struct Unranked { int64_t rank; struct Descriptor *d; };
void memrefCopy(int64_t size, struct Unranked *src, struct Unranked *dst) {
  int64_t rank = src->rank, total = 1, index[8] = {0};
  const int64_t *sizes = src->d->dims, *ss = sizes + rank,
                *ds = dst->d->dims + rank;
  for (int64_t i = 0; i < rank; ++i)
    total *= sizes[i];
  for (int64_t e = 0; e < total; ++e) {
    int64_t so = src->d->offset, dof = dst->d->offset;
    for (int64_t i = 0; i < rank; ++i)
      so += index[i] * ss[i], dof += index[i] * ds[i];
    for (int64_t b = 0; b < size; ++b)
      dst->d->aligned[dof * size + b] = src->d->aligned[so * size + b];
    for (int64_t i = rank - 1; i >= 0 && ++index[i] == sizes[i]; --i)
      index[i] = 0;
  }
}

typedef void (*Body)(void *, int64_t, int64_t);
struct Task { Body body; void *ctx; int64_t begin, end; };
static void *run(void *p) {
  struct Task *t = p;
  t->body(t->ctx, t->begin, t->end);
  return 0;
}
/* XFC_TEST_THREADS threads (default 3) take contiguous chunks. */
void xfm_parallel_for(int64_t n, Body body, void *ctx) {
  const char *env = getenv("XFC_TEST_THREADS");
  int count = env ? atoi(env) : 3;
  if (count < 1 || count > 64)
    count = 1;
  struct Task tasks[64];
  pthread_t threads[64];
  for (int i = 0; i < count; ++i)
    tasks[i] = (struct Task){body, ctx, n * i / count, n * (i + 1) / count};
  for (int i = 1; i < count; ++i)
    pthread_create(&threads[i], 0, run, &tasks[i]);
  run(&tasks[0]);
  for (int i = 1; i < count; ++i)
    pthread_join(threads[i], 0);
}
"""

MLIR_TYPES = {"f32": np.float32, "f16": np.float16, "bf16": np.uint16}


def to_bf16_bits(x):
    """Round-to-nearest-even float32 -> bfloat16 bits."""
    bits = np.asarray(x, np.float32).view(np.uint32).astype(np.uint64)
    bits = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return bits.astype(np.uint16)


def from_bf16_bits(b):
    return (b.astype(np.uint32) << 16).view(np.float32)


def store(x, dtype):
    """float values -> the array passed to the kernel."""
    if dtype == "bf16":
        return to_bf16_bits(x)
    return np.asarray(x).astype(MLIR_TYPES[dtype])


def load(a, dtype):
    """The kernel's array -> float64 values."""
    if dtype == "bf16":
        return from_bf16_bits(a).astype(np.float64)
    return a.astype(np.float64)


def tensor(dims, dtype):
    return "tensor<" + "x".join(str(d) for d in dims) + "x" + dtype + ">"


def function(c):
    t = c.get("dtype", "f32")
    q = tensor(["?", c["heads"], c["head_dim"]], t)
    kv = tensor(["?", c["kv_heads"], c["head_dim"]], t)
    attrs = (" causal" if c["causal"] else "") + (
        " scale = %r" % c["scale"] if "scale" in c else "")
    if "cache" in c:
        ctx, _, ct = c["cache"]
        cache = "!xf.kv_cache<%dx%dx%dx%s>" % (ctx, c["kv_heads"],
                                                c["head_dim"], ct)
        return (f"func.func @{c['name']}(%q: {q}, %k: {kv}, %v: {kv}, "
                f"%c: {cache}, %pos: index) -> {q} {{\n"
                f"  %o = xf.attention %q, %k, %v cache %c at %pos{attrs} : "
                f"{q}, {kv}, {kv}, {cache} -> {q}\n"
                f"  return %o : {q}\n}}\n")
    return (f"func.func @{c['name']}(%q: {q}, %k: {kv}, %v: {kv}) -> {q} {{\n"
            f"  %o = xf.attention %q, %k, %v{attrs} : {q}, {kv}, {kv} -> {q}\n"
            f"  return %o : {q}\n}}\n")


def descriptor(rank):
    class MemRef(ctypes.Structure):
        _fields_ = [("allocated", ctypes.c_void_p),
                    ("aligned", ctypes.c_void_p),
                    ("offset", ctypes.c_int64),
                    ("sizes", ctypes.c_int64 * rank),
                    ("strides", ctypes.c_int64 * rank)]
    return MemRef


def to_memref(a):
    m = descriptor(a.ndim)()
    m.allocated = m.aligned = a.ctypes.data
    m.offset = 0
    for i in range(a.ndim):
        m.sizes[i] = a.shape[i]
        m.strides[i] = a.strides[i] // a.itemsize
    return m


def from_memref(m, dtype, shape):
    count = int(np.prod(shape))
    ctype = {np.float32: ctypes.c_float, np.float16: ctypes.c_uint16,
             np.uint16: ctypes.c_uint16}[dtype]
    base = ctypes.cast(m.aligned, ctypes.POINTER(ctype * (m.offset + count)))
    flat = np.frombuffer(base.contents, dtype=dtype if dtype != np.float16
                         else np.uint16)[m.offset:]
    if dtype == np.float16:
        flat = flat.view(np.float16)
    strides = [s * np.dtype(dtype).itemsize for s in m.strides]
    return np.lib.stride_tricks.as_strided(flat, shape, strides).copy()


def reference(q, k, v, causal, offset, scale):
    tokens, heads, _ = q.shape
    kv_tokens, kv_heads, _ = k.shape
    out = np.zeros(q.shape)
    group = heads // kv_heads
    for h in range(heads):
        s = q[:, h, :] @ k[:, h // group, :].T * scale
        if causal:
            visible = (np.arange(kv_tokens)[None, :]
                       <= offset + np.arange(tokens)[:, None])
            s = np.where(visible, s, -np.inf)
        s = np.exp(s - s.max(axis=1, keepdims=True))
        out[:, h, :] = (s / s.sum(axis=1, keepdims=True)) @ v[:, h // group, :]
    return out


def run_case(lib, c, rng, repeat=1):
    """Runs case `c` `repeat` times; returns the check's errors, the error,
    the fastest (wall, CPU) times and the peak RSS (MiB) during the
    calls."""
    t = c.get("dtype", "f32")
    tokens, heads, kvh, dim = (c["tokens"], c["heads"], c["kv_heads"],
                               c["head_dim"])
    scale = np.float32(c.get("scale", 1.0 / np.sqrt(dim)))
    q = store(rng.standard_normal((tokens, heads, dim)), t)
    new_tokens = tokens if "cache" in c else c["kv_tokens"]
    k = store(rng.standard_normal((new_tokens, kvh, dim)), t)
    v = store(rng.standard_normal((new_tokens, kvh, dim)), t)
    result = descriptor(3)()
    fn = getattr(lib, "_mlir_ciface_" + c["name"])
    fn.restype = None
    args = [ctypes.byref(result)] + [ctypes.byref(to_memref(a))
                                     for a in (q, k, v)]
    if "cache" in c:
        ctx, pos, ct = c["cache"]
        # memref<layers x 2 x ctx x kv_heads x head_dim>, one layer.
        cache = store(rng.standard_normal((1, 2, ctx, kvh, dim)), ct)
        before = cache.copy()
        cache_ref = to_memref(cache)
        args += [ctypes.byref(cache_ref), ctypes.c_int64(pos)]
    seconds = []
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        fn(*args)  # appending the same rows again leaves the same cache
        seconds.append((time.perf_counter() - start,
                        time.process_time() - cpu))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out = load(from_memref(result, MLIR_TYPES[t], (tokens, heads, dim)), t)

    qf, kf, vf = (load(a, t) for a in (q, k, v))
    errors = []
    if "cache" in c:
        # The new rows, as the cache stores them.
        kc = load(store(kf, ct), ct)
        vc = load(store(vf, ct), ct)
        expect = load(before, ct)
        expect[0, 0, pos:pos + tokens] = kc
        expect[0, 1, pos:pos + tokens] = vc
        if not np.array_equal(load(cache, ct), expect):
            errors.append("cache contents differ")
        keys = expect[0, 0, :pos + tokens]
        values = expect[0, 1, :pos + tokens]
        offset = pos
    else:
        keys, values, offset = kf, vf, 0
    ref = reference(qf, keys, values, c["causal"], offset, float(scale))
    tol = 2e-3 if t != "f32" else 2e-5
    err = np.max(np.abs(out - ref)) / max(1e-30, np.max(np.abs(ref)))
    if not np.isfinite(out).all() or err > tol:
        errors.append("max error %.3g relative to max |ref| (tolerance %g)"
                      % (err, tol))
    return errors, err, tuple(map(min, zip(*seconds))), rss


def build(tools, work, pipeline, cases):
    """Compiles `cases` into work/attention.so and loads it."""
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "attention.mlir")
    with open(src, "w") as f:
        f.write("".join(function(c) for c in cases))
    llvm_mlir = os.path.join(work, "attention.llvm.mlir")
    ll = os.path.join(work, "attention.ll")
    rt = os.path.join(work, "runtime.c")
    so = os.path.join(work, "attention.so")
    with open(rt, "w") as f:
        f.write(RUNTIME_C)
    subprocess.run([tools.xfc_opt, src, "--pass-pipeline=builtin.module(%s)"
                    % pipeline, "-o", llvm_mlir], check=True)
    obj = os.path.join(work, "attention.o")
    subprocess.run([tools.mlir_translate, "--mlir-to-llvmir", llvm_mlir, "-o",
                    ll], check=True)
    subprocess.run([tools.llc, "-O3", "-mcpu=native", "-filetype=obj",
                    "-relocation-model=pic", ll, "-o", obj], check=True)
    subprocess.run([tools.cc, "-O2", "-shared", "-fPIC", "-o", so, obj, rt,
                    "-lpthread"], check=True)
    return ctypes.CDLL(so)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--xfc-opt", required=True)
    ap.add_argument("--mlir-translate", default="mlir-translate")
    ap.add_argument("--llc", default="llc", help="LLVM's llc, same version")
    ap.add_argument("--cc", default="cc", help="C compiler and linker")
    ap.add_argument("--work", required=True, help="directory for files")
    ap.add_argument("--pipeline", default="xf-lower-to-llvm",
                    help="xfc-opt pass pipeline (inside builtin.module)")
    ap.add_argument("--cases", help="comma-separated case names")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--bench", type=int, metavar="TOKENS",
                    help="instead, time causal attention of TOKENS new tokens "
                    "at --position of a cache just large enough (--shape "
                    "heads,kv_heads,head_dim)")
    ap.add_argument("--position", type=int, default=0)
    ap.add_argument("--shape", default="32,4,64")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    cases = CASES
    if args.bench:
        heads, kv_heads, head_dim = map(int, args.shape.split(","))
        cases = [dict(name="bench", tokens=args.bench, heads=heads,
                      kv_heads=kv_heads, head_dim=head_dim, causal=True,
                      cache=(args.position + args.bench, args.position,
                             "f32"))]
    elif args.cases:
        names = args.cases.split(",")
        cases = [c for c in CASES if c["name"] in names]
    lib = build(args, args.work, args.pipeline, cases)

    rng = np.random.default_rng(args.seed)
    failed = 0
    for c in cases:
        errors, err, seconds, rss = run_case(
            lib, c, rng, args.repeat if args.bench else 1)
        if args.bench:
            print("tokens %d at %d: %.4f s (CPU %.4f s), peak RSS %.0f MiB, "
                  "max error %.2e" % (c["tokens"], args.position, seconds[0],
                                      seconds[1], rss, err))
        else:
            print("%-24s %s  max error %.2e" % (c["name"],
                  "FAIL" if errors else "ok", err))
        for e in errors:
            print("    " + e)
        failed += bool(errors)
    if not args.bench:
        print("%s: %d of %d cases" % ("FAILED" if failed else "OK",
                                      len(cases) - failed, len(cases)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
