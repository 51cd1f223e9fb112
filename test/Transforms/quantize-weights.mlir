// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=int4 compute=int8" -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=int4 asym" | FileCheck %s --check-prefix=ASYM
// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=int8 keep-weights=output,ffn_down" | FileCheck %s --check-prefix=KEEP
// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=f16" | FileCheck %s --check-prefix=F16
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int4 group-size=48" 2>&1 | FileCheck %s --check-prefix=GROUP
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int3" 2>&1 | FileCheck %s --check-prefix=BITS
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int8 asym" 2>&1 | FileCheck %s --check-prefix=ASYM8

// GROUP: xf-quantize: group size 48 is not a multiple of 32 (or -1, per channel)
// BITS: xf-quantize: unknown weights 'int3' (expected keep, f16, bf16, int8 or int4)
// ASYM8: xf-quantize: asym applies to int4 only (Q4_1)

xf.global_weight @output.weight : tensor<128x64xf32>
xf.global_weight @blk.0.attn_q.weight : tensor<64x64xf32>

// Weights are quantized where GEMMs read them, in the layer function too
// (the argument's xf.weight name is what keep-weights matches there); the
// GEMMs then compute with INT8 activations.

// CHECK-LABEL: func.func private @layer
// CHECK-SAME: (%[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<64x64xf32> {xf.weight = "attn_q.weight"}, %[[D:.*]]: tensor<64x64xf32> {xf.weight = "ffn_down.weight"})
// CHECK: %[[Q:.*]] = xf.quantize %[[W]] : tensor<64x64xf32> -> !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK: xf.linear %[[X]], %[[Q]] compute int8
// CHECK: %[[QD:.*]] = xf.quantize %[[D]]
// CHECK: xf.linear %{{.*}}, %[[QD]] compute int8
// ASYM-LABEL: func.func private @layer
// ASYM: xf.quantize %{{.*}} : tensor<64x64xf32> -> !xf.qtensor<64x64xi4, #xf.quant<bits = 4, group = 32, min_offset, scale = f16>, #xf.layout<ggml>>
// ASYM-NOT: compute
// KEEP-LABEL: func.func private @layer
// KEEP: xf.quantize %{{.*}} : tensor<64x64xf32> -> !xf.qtensor<64x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// KEEP-NOT: xf.quantize
// F16-LABEL: func.func private @layer
// F16: xf.convert %{{.*}} : tensor<64x64xf32> to tensor<64x64xf16>
// F16: xf.convert %{{.*}} : tensor<64x64xf32> to tensor<64x64xf16>
// F16-NOT: xf.quantize
func.func private @layer(%x: tensor<?x64xf32>, %w: tensor<64x64xf32> {xf.weight = "attn_q.weight"}, %d: tensor<64x64xf32> {xf.weight = "ffn_down.weight"}) -> tensor<?x64xf32> {
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %1 = xf.linear %0, %d : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return %1 : tensor<?x64xf32>
}

// The head is loaded by name; keep-weights=output keeps it.

// CHECK-LABEL: func.func @forward
// CHECK: xf.quantize
// CHECK: xf.linear %{{.*}}, %{{.*}} compute int8
// KEEP-LABEL: func.func @forward
// KEEP-NOT: xf.quantize
// KEEP: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<128x64xf32>)
func.func @forward(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %w = xf.weight @blk.0.attn_q.weight : tensor<64x64xf32>
  %h = call @layer(%x, %w, %w) : (tensor<?x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %o = xf.weight @output.weight : tensor<128x64xf32>
  %y = xf.linear %h, %o : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}

// -----

// The embedding table is not a GEMM weight.

// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: xf.quantize
func.func @near_misses(%ids: tensor<?xi32>, %table: tensor<100x64xf32>) -> tensor<?x64xf32> {
  %1 = xf.embedding %table[%ids] : (tensor<100x64xf32>, tensor<?xi32>) -> tensor<?x64xf32>
  return %1 : tensor<?x64xf32>
}
