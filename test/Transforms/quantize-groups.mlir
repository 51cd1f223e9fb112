// Groups larger than ggml's 32 values, and one scale per output row.
// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=int8 group-size=64 compute=int8" -verify-diagnostics | FileCheck %s --check-prefix=G64
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int4 group-size=-1 compute=int8" 2>/dev/null | FileCheck %s --check-prefix=CHANNEL
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int4 group-size=-1 compute=int8" 2>&1 >/dev/null | FileCheck %s --check-prefix=CHANNEL-ERR
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int4 group-size=0" 2>&1 | FileCheck %s --check-prefix=ZERO
// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=int4 asym scale-type=f32 group-size=64 compute=int8" -verify-diagnostics 2>&1 | FileCheck %s --check-prefix=F32
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int4 scale-type=bf16" 2>&1 | FileCheck %s --check-prefix=BADSCALE
// RUN: xfc-opt %s -split-input-file -xf-quantize="weights=int8 group-size=64 method=mse compute=int8" -verify-diagnostics 2>&1 | FileCheck %s --check-prefix=MSE
// RUN: not xfc-opt %s -split-input-file -xf-quantize="weights=int8 method=gptq" 2>&1 | FileCheck %s --check-prefix=BADMETHOD

// BADMETHOD: xf-quantize: unknown quantization method 'gptq' (registered: mse, rtn)

// BADSCALE: xf-quantize: unknown scale type 'bf16' (expected f16 or f32)

// ZERO: xf-quantize: group size 0 is not a multiple of 32 (or -1, per channel)

// G64-LABEL: func.func @linear
// G64: %[[Q:.*]] = xf.quantize %{{.*}} : tensor<16x128xf32> -> !xf.qtensor<16x128xi8, #xf.quant<bits = 8, group = 64, symmetric, scale = f16>, #xf.layout<ggml>>
// G64: xf.linear %{{.*}}, %[[Q]] compute int8
// CHANNEL-LABEL: func.func @linear
// CHANNEL: %[[Q:.*]] = xf.quantize %{{.*}} : tensor<16x128xf32> -> !xf.qtensor<16x128xi4, #xf.quant<bits = 4, group = per_channel, symmetric, scale = f16>, #xf.layout<ggml>>
// CHANNEL: xf.linear %{{.*}}, %[[Q]] compute int8
// F32-LABEL: func.func @linear
// F32: %[[Q:.*]] = xf.quantize %{{.*}} : tensor<16x128xf32> -> !xf.qtensor<16x128xi4, #xf.quant<bits = 4, group = 64, min_offset, scale = f32>, #xf.layout<ggml>>
// F32: xf.linear %{{.*}}, %[[Q]] compute int8
// MSE-LABEL: func.func @linear
// MSE: %[[Q:.*]] = xf.quantize %{{.*}} method "mse" : tensor<16x128xf32> -> !xf.qtensor<16x128xi8, #xf.quant<bits = 8, group = 64, symmetric, scale = f16>, #xf.layout<ggml>>
func.func @linear(%x: tensor<?x128xf32>, %w: tensor<16x128xf32>) -> tensor<?x16xf32> {
  %0 = xf.linear %x, %w : (tensor<?x128xf32>, tensor<16x128xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}

// -----

// Rows of 96 values are not whole groups of 64: an error that names the
// weight. Per channel, the row is the group.

// CHANNEL-LABEL: func.func @rows
// CHANNEL: xf.quantize %{{.*}} : tensor<16x96xf32> -> !xf.qtensor<16x96xi4, #xf.quant<bits = 4, group = per_channel
func.func @rows(%x: tensor<?x96xf32>) -> tensor<?x16xf32> {
  %w = xf.weight @blk.0.attn_k.weight : tensor<16x96xf32>
  // expected-error @+1 {{xf-quantize: weight 'blk.0.attn_k.weight' has rows of 96 values, not whole groups of 64 (keep it with keep-weights, or choose another group size)}}
  %0 = xf.linear %x, %w : (tensor<?x96xf32>, tensor<16x96xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
xf.global_weight @blk.0.attn_k.weight : tensor<16x96xf32>

// -----

// Per channel, rows must still be whole runs of 32 values for the kernels.

// CHANNEL-ERR: error: xf-quantize: a weight has rows of 48 values, not whole groups of 32
func.func @odd_rows(%x: tensor<?x48xf32>, %w: tensor<16x48xf32>) -> tensor<?x16xf32> {
  // expected-error @+1 {{xf-quantize: a weight has rows of 48 values, not whole groups of 64}}
  %0 = xf.linear %x, %w : (tensor<?x48xf32>, tensor<16x48xf32>) -> tensor<?x16xf32>
  return %0 : tensor<?x16xf32>
}
