// RUN: xfc-opt %s -split-input-file -xf-quantize=compute=int8 -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-quantize=compute=f32 | FileCheck %s --check-prefix=F32
// RUN: xfc-opt %s -split-input-file -xf-quantize | FileCheck %s --check-prefix=F32
// RUN: not xfc-opt %s -split-input-file -xf-quantize=compute=int4 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: xf-quantize: unknown compute 'int4' (expected f32, int8 or bf16)

!q4 = !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
!q8 = !xf.qtensor<128x64xi8, #xf.quant<bits = 8, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>

// Quantized weights: the GEMMs take INT8 activations. Float weights keep
// f32 activations, silently (the usual case, e.g. an f16 model).

// CHECK-LABEL: func.func @linears
// CHECK: xf.linear %{{.*}}, %{{.*}} compute int8 : (tensor<?x64xf32>, !xf.qtensor<128x64xi4
// CHECK: xf.linear %{{.*}}, %{{.*}}, %{{.*}} compute int8 : (tensor<?x64xf32>, !xf.qtensor<128x64xi8
// CHECK: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<128x64xf32>)
// F32-LABEL: func.func @linears
// F32-NOT: compute
func.func @linears(%x: tensor<?x64xf32>, %w4: !q4, %w8: !q8, %b: tensor<128xf32>, %wf: tensor<128x64xf32>) -> (tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) {
  %0 = xf.linear %x, %w4 : (tensor<?x64xf32>, !q4) -> tensor<?x128xf32>
  %1 = xf.linear %x, %w8, %b : (tensor<?x64xf32>, !q8, tensor<128xf32>) -> tensor<?x128xf32>
  %2 = xf.linear %x, %wf : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return %0, %1, %2 : tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

!gu = !xf.qtensor<256x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
!dn = !xf.qtensor<64x128xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>

// A fused FFN whose weights are all quantized: both GEMMs.

// CHECK-LABEL: func.func @ffn
// CHECK: xf.ffn swiglu %{{.*}} gate_up %{{.*}} down %{{.*}} compute int8
func.func @ffn(%x: tensor<?x64xf32>, %gu: !gu, %d: !dn) -> tensor<?x64xf32> {
  %0 = xf.ffn swiglu %x gate_up %gu down %d : (tensor<?x64xf32>, !gu, !dn) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

!gu = !xf.qtensor<256x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>

// Near misses, with a remark: a float down weight (one compute kind covers
// both GEMMs), and a per-channel weight whose row is not a multiple of 32.

// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: compute
func.func @near_misses(%x: tensor<?x64xf32>, %gu: !gu, %d: tensor<64x128xf32>, %y: tensor<?x48xf32>, %w: !xf.qtensor<16x48xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>) -> (tensor<?x64xf32>, tensor<?x16xf32>) {
  // expected-remark @+1 {{xf-quantize: keeps f32 activations: float weights: INT8 activations need quantized weights}}
  %0 = xf.ffn swiglu %x gate_up %gu down %d : (tensor<?x64xf32>, !gu, tensor<64x128xf32>) -> tensor<?x64xf32>
  // expected-remark @+1 {{xf-quantize: keeps f32 activations: a reduction size is not a multiple of 32}}
  %1 = xf.linear %y, %w : (tensor<?x48xf32>, !xf.qtensor<16x48xi8, #xf.quant<bits = 8, group = per_channel, symmetric, scale = f32>>) -> tensor<?x16xf32>
  return %0, %1 : tensor<?x64xf32>, tensor<?x16xf32>
}
