// RUN: xfc-opt %s -split-input-file -xf-sparsify="level=0.7" | FileCheck %s --check-prefix=UNSTR
// RUN: xfc-opt %s -split-input-file -xf-sparsify="pattern=2:4" | FileCheck %s --check-prefix=NM
// RUN: xfc-opt %s -split-input-file -xf-sparsify="pattern=block:4x16 level=0.9 exclude=output layer-levels=attn_v=0.5" | FileCheck %s --check-prefix=BLOCK
// RUN: xfc-opt %s -split-input-file -xf-sparsify | FileCheck %s --check-prefix=NONE
// RUN: xfc-opt %s -split-input-file -xf-sparsify="pattern=2:4 layer-levels=attn_v=0" | FileCheck %s --check-prefix=ZERO

// Every GEMM weight is wrapped in xf.prune; a quantized one is dequantized,
// pruned and requantized in its scheme.

// UNSTR-LABEL: func.func @gemms
// UNSTR: %[[P:.*]] = xf.prune %arg1 unstructured level 0.69999999999999996 : tensor<32x64xf32>
// UNSTR: xf.linear %arg0, %[[P]]
// UNSTR: %[[D:.*]] = xf.dequantize %arg2
// UNSTR: %[[Q:.*]] = xf.prune %[[D]] unstructured level 0.69999999999999996 : tensor<32x64xf32>
// UNSTR: %[[R:.*]] = xf.quantize %[[Q]] : tensor<32x64xf32> -> !xf.qtensor<32x64xi4
// UNSTR: xf.linear %arg0, %[[R]]
// UNSTR: xf.prune %arg3 unstructured
// UNSTR: xf.prune %arg4 unstructured
// UNSTR: xf.prune %arg5 unstructured
// UNSTR: xf.ffn swiglu
// UNSTR: xf.prune %arg6 unstructured
// NM-LABEL: func.func @gemms
// NM: xf.prune %arg1 nm size [2, 4] : tensor<32x64xf32>
// BLOCK-LABEL: func.func @gemms
// BLOCK: xf.prune %arg1 block size [4, 16] level 5.000000e-01 : tensor<32x64xf32>
// BLOCK: xf.prune %{{.*}} block size [4, 16] level 9.000000e-01 : tensor<32x64xf32>
// BLOCK-NOT: xf.prune %arg6
// NONE-NOT: xf.prune
// An explicit level of 0 leaves a weight dense, even under N:M.
// ZERO-LABEL: func.func @gemms
// ZERO-NOT: xf.prune %arg1
// ZERO: xf.prune %{{.*}} nm size [2, 4]
!q4 = !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
func.func @gemms(%x: tensor<?x64xf32>,
                 %v: tensor<32x64xf32> {xf.weight = "blk.0.attn_v.weight"},
                 %q: !q4 {xf.weight = "blk.0.attn_q.weight"},
                 %up: tensor<128x64xf32> {xf.weight = "blk.0.ffn_up.weight"},
                 %gate: tensor<128x64xf32> {xf.weight = "blk.0.ffn_gate.weight"},
                 %down: tensor<64x128xf32> {xf.weight = "blk.0.ffn_down.weight"},
                 %head: tensor<512x64xf32> {xf.weight = "output.weight"})
    -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x64xf32>, tensor<?x512xf32>) {
  %a = xf.linear %x, %v : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %b = xf.linear %x, %q : (tensor<?x64xf32>, !q4) -> tensor<?x32xf32>
  %f = xf.ffn swiglu %x up %up gate %gate down %down
         : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  %h = xf.linear %x, %head : (tensor<?x64xf32>, tensor<512x64xf32>) -> tensor<?x512xf32>
  return %a, %b, %f, %h : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x64xf32>, tensor<?x512xf32>
}
