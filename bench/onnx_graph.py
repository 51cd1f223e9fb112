#!/usr/bin/env python3
"""Times a compiled ONNX encoder, with and without the fusion passes, in
the same run.

    bench/onnx_graph.py [--build build] [--dim 256 --heads 4 --layers 4
                         --ffn 1024 --seq 128] [--iters 50] [--threads 2]

Exports a BERT-style encoder with test/reference/export_onnx.py, compiles
it three times: the default pipeline (GEMMs on oneDNN, as `auto` picks
for a graph's constant weights), the same with xf-raise-idioms,
xf-fuse-mha, xf-fuse-ffn and xf-fuse-qkv left out, and the default with
--kernels=generated (XFC's kernels on unpacked weights). Runs each through
libxfrt's graph API (xfrt_graph_run) on the same input, checks they agree,
and prints the mean time per forward call (after warm-up) and the ratios.
"""

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNFUSED = "xf-raise-idioms,xf-fuse-mha,xf-fuse-ffn,xf-fuse-qkv"


class GraphValue(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("element", ctypes.c_char_p),
                ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)),
                ("bytes", ctypes.c_uint64)]


def load_runtime(build):
    rt = ctypes.CDLL(os.path.join(build, "lib", "libxfrt.so"))
    rt.xfrt_graph_load.argtypes = [ctypes.c_char_p, ctypes.c_int,
                                   ctypes.POINTER(ctypes.c_void_p),
                                   ctypes.c_char_p, ctypes.c_size_t]
    rt.xfrt_graph_output.restype = ctypes.POINTER(GraphValue)
    rt.xfrt_graph_output.argtypes = [ctypes.c_void_p, ctypes.c_int32]
    rt.xfrt_graph_run.argtypes = [ctypes.c_void_p,
                                  ctypes.POINTER(ctypes.c_void_p),
                                  ctypes.POINTER(ctypes.c_void_p)]
    rt.xfrt_graph_free.argtypes = [ctypes.c_void_p]
    return rt


def run(rt, path, ids, iters, threads):
    graph = ctypes.c_void_p()
    error = ctypes.create_string_buffer(512)
    if rt.xfrt_graph_load(path.encode(), threads, ctypes.byref(graph), error,
                          512):
        sys.exit("%s: %s" % (path, error.value.decode()))
    out = rt.xfrt_graph_output(graph, 0).contents
    y = np.empty(out.bytes // 4, np.float32)
    inputs = (ctypes.c_void_p * 1)(ids.ctypes.data)
    outputs = (ctypes.c_void_p * 1)(y.ctypes.data)
    for _ in range(3):  # warm-up: the scratch arena grows to its size
        assert rt.xfrt_graph_run(graph, inputs, outputs) == 0
    start = time.perf_counter()
    for _ in range(iters):
        assert rt.xfrt_graph_run(graph, inputs, outputs) == 0
    seconds = (time.perf_counter() - start) / iters
    rt.xfrt_graph_free(graph)
    return seconds, y


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=os.environ.get("XFC_BUILD_DIR",
                                                     os.path.join(ROOT,
                                                                  "build")))
    p.add_argument("--dim", type=int, default=256)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--ffn", type=int, default=1024)
    p.add_argument("--seq", type=int, default=128)
    p.add_argument("--iters", type=int, default=50)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    xfc = os.path.join(a.build, "bin", "xfc")
    with tempfile.TemporaryDirectory() as tmp:
        model = os.path.join(tmp, "bert")
        subprocess.check_call(
            [sys.executable, os.path.join(ROOT, "test", "reference",
                                          "export_onnx.py"), "bert", model,
             "--dim", str(a.dim), "--heads", str(a.heads), "--layers",
             str(a.layers), "--ffn", str(a.ffn), "--seq", str(a.seq),
             "--vocab", "1000"])
        onnx = os.path.join(model, "model.onnx")
        fused, unfused, generated = (os.path.join(tmp, n)
                                     for n in ("f.so", "u.so", "g.so"))
        subprocess.check_call([xfc, "compile", onnx, "-o", fused])
        subprocess.check_call([xfc, "compile", onnx, "-o", unfused,
                               "--disable-pass", UNFUSED])
        subprocess.check_call([xfc, "compile", onnx, "-o", generated,
                               "--kernels=generated"])
        rt = load_runtime(a.build)
        ids = np.random.default_rng(0).integers(0, 1000, (1, a.seq),
                                                dtype=np.int64)
        t_unfused, y_unfused = run(rt, unfused, ids, a.iters, a.threads)
        t_fused, y_fused = run(rt, fused, ids, a.iters, a.threads)
        t_generated, y_generated = run(rt, generated, ids, a.iters,
                                       a.threads)
        diff = max(np.abs(y_fused - y_unfused).max(),
                   np.abs(y_fused - y_generated).max())
        print("BERT-style encoder: dim %d, %d heads, %d layers, FFN %d, "
              "%d tokens; %d threads, mean of %d calls" %
              (a.dim, a.heads, a.layers, a.ffn, a.seq, a.threads, a.iters))
        print("| pipeline | ms per forward |")
        print("|---|---:|")
        print("| unfused (--disable-pass %s) | %.2f |" %
              (UNFUSED, t_unfused * 1e3))
        print("| default (fused) | %.2f |" % (t_fused * 1e3))
        print("| fused, --kernels=generated | %.2f |" % (t_generated * 1e3))
        print("fused / unfused speedup: %.2fx; oneDNN / generated GEMMs: "
              "%.2fx; outputs differ by at most %.2e" %
              (t_unfused / t_fused, t_generated / t_fused, diff))
        if not diff < 1e-3:
            sys.exit("the fused and unfused graphs disagree")


if __name__ == "__main__":
    main()
