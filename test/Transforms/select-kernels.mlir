// RUN: xfc-opt %s -split-input-file -xf-select-kernels=kernels=onednn -verify-diagnostics | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-select-kernels="kernels=auto auto-min-weights=8192" | FileCheck %s --check-prefix=AUTO
// RUN: xfc-opt %s -split-input-file -xf-select-kernels | FileCheck %s --check-prefix=GEN
// RUN: not xfc-opt %s -split-input-file -xf-select-kernels=kernels=mkl 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: xf-select-kernels: unknown kernels 'mkl' (expected generated, onednn or auto)

// Float weights go to oneDNN (f16 and bf16 too: the glue widens them once);
// quantized weights and INT8 activations stay generated, with a remark.
// `auto` takes f32 weights of at least auto-min-weights elements only.

!q4 = !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>

xf.global_weight @w32 : tensor<128x64xf32>
xf.global_weight @small : tensor<64x64xf32>
xf.global_weight @w16 : tensor<128x64xf16>
xf.global_weight @q : !q4

// CHECK-LABEL: func.func @weights
// CHECK: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>)
// CHECK: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<64x64xf32>)
// CHECK: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<128x64xf16>)
// CHECK: xf.linear %{{.*}}, %{{.*}} compute int8 : (tensor<?x64xf32>, !xf.qtensor
// CHECK: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, !xf.qtensor
// AUTO-LABEL: func.func @weights
// AUTO: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>)
// AUTO-NOT: backend
// GEN-LABEL: func.func @weights
// GEN-NOT: backend onednn
func.func @weights(%x: tensor<?x64xf32>) -> (tensor<?x128xf32>, tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>) {
  %w32 = xf.weight @w32 : tensor<128x64xf32>
  %small = xf.weight @small : tensor<64x64xf32>
  %w16 = xf.weight @w16 : tensor<128x64xf16>
  %q = xf.weight @q : !q4
  %0 = xf.linear %x, %w32 : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  %1 = xf.linear %x, %small : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %2 = xf.linear %x, %w16 : (tensor<?x64xf32>, tensor<128x64xf16>) -> tensor<?x128xf32>
  // expected-remark @+1 {{xf-select-kernels: keeps the generated kernels: it computes with int8 activations}}
  %3 = xf.linear %x, %q compute int8 : (tensor<?x64xf32>, !q4) -> tensor<?x128xf32>
  // expected-remark @+1 {{xf-select-kernels: keeps the generated kernels: its weights are quantized (oneDNN 2.6 reads no ggml blocks)}}
  %4 = xf.linear %x, %q : (tensor<?x64xf32>, !q4) -> tensor<?x128xf32>
  return %0, %1, %2, %3, %4 : tensor<?x128xf32>, tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x128xf32>, tensor<?x128xf32>
}

// -----

// A weight the code computes from activations could change between calls,
// which the glue's cache (by address) cannot follow. Computations on
// weights (a concatenation) are weights. A backend already chosen stays.

xf.global_weight @a : tensor<64x64xf32>
xf.global_weight @b : tensor<64x64xf32>

// CHECK-LABEL: func.func @computed
// CHECK: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<64x64xf32>)
// CHECK: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>)
// CHECK: xf.linear %{{.*}}, %{{.*}} backend generated : (tensor<?x64xf32>, tensor<64x64xf32>)
// AUTO-LABEL: func.func @computed
// AUTO: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<64x64xf32>)
// AUTO: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<128x64xf32>)
func.func @computed(%x: tensor<?x64xf32>, %act: tensor<64x64xf32>) -> (tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x64xf32>) {
  %a = xf.weight @a : tensor<64x64xf32>
  %b = xf.weight @b : tensor<64x64xf32>
  %sum = xf.add %a, %act : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<64x64xf32>
  // expected-remark @+1 {{xf-select-kernels: keeps the generated kernels: a weight is computed from activations}}
  %0 = xf.linear %x, %sum : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  %ab = xf.concat %a, %b [0] : (tensor<64x64xf32>, tensor<64x64xf32>) -> tensor<128x64xf32>
  %1 = xf.linear %x, %ab : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  %2 = xf.linear %x, %a backend generated : (tensor<?x64xf32>, tensor<64x64xf32>) -> tensor<?x64xf32>
  return %0, %1, %2 : tensor<?x64xf32>, tensor<?x128xf32>, tensor<?x64xf32>
}

// -----

// The importer's shared layer function: an argument is a weight when every
// call passes one. The FFN is marked as a whole.

xf.global_weight @gu0 : tensor<256x64xf32>
xf.global_weight @gu1 : tensor<256x64xf32>
xf.global_weight @d0 : tensor<64x128xf32>

// CHECK-LABEL: func.func private @layer
// CHECK: xf.ffn swiglu %{{.*}} gate_up %{{.*}} down %{{.*}} backend onednn :
// AUTO-LABEL: func.func private @layer
// AUTO: xf.ffn swiglu %{{.*}} gate_up %{{.*}} down %{{.*}} backend onednn :
func.func private @layer(%x: tensor<?x64xf32>, %gu: tensor<256x64xf32>, %d: tensor<64x128xf32>) -> tensor<?x64xf32> {
  %y = xf.ffn swiglu %x gate_up %gu down %d : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// An argument one call passes an activation for is not a weight.
// CHECK-LABEL: func.func private @mixed
// CHECK: xf.linear %{{.*}}, %{{.*}} : (tensor<?x128xf32>, tensor<64x128xf32>)
func.func private @mixed(%x: tensor<?x128xf32>, %w: tensor<64x128xf32>) -> tensor<?x64xf32> {
  // expected-remark @+1 {{a weight is computed from activations}}
  %y = xf.linear %x, %w : (tensor<?x128xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

func.func @forward(%x: tensor<?x64xf32>, %h: tensor<?x128xf32>, %act: tensor<64x128xf32>) -> (tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>) {
  %gu0 = xf.weight @gu0 : tensor<256x64xf32>
  %gu1 = xf.weight @gu1 : tensor<256x64xf32>
  %d0 = xf.weight @d0 : tensor<64x128xf32>
  %0 = call @layer(%x, %gu0, %d0) : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  %1 = call @layer(%0, %gu1, %d0) : (tensor<?x64xf32>, tensor<256x64xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  %2 = call @mixed(%h, %d0) : (tensor<?x128xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  %3 = call @mixed(%h, %act) : (tensor<?x128xf32>, tensor<64x128xf32>) -> tensor<?x64xf32>
  return %1, %2, %3 : tensor<?x64xf32>, tensor<?x64xf32>, tensor<?x64xf32>
}

// -----

// A weight that is a constant of the code (an ONNX initializer) is not
// packed for the generated kernels: `auto` gives it to oneDNN at any size;
// a small xf.weight stays generated.

xf.global_weight @tiny : tensor<16x64xf32>

// AUTO-LABEL: func.func @constant_weights
// AUTO: xf.linear %{{.*}}, %{{.*}} backend onednn : (tensor<?x64xf32>, tensor<16x64xf32>)
// AUTO: xf.linear %{{.*}}, %{{.*}} : (tensor<?x64xf32>, tensor<16x64xf32>)
// GEN-LABEL: func.func @constant_weights
// GEN-NOT: backend onednn
func.func @constant_weights(%x: tensor<?x64xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %c = arith.constant dense<0.5> : tensor<16x64xf32>
  %0 = xf.linear %x, %c : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  %w = xf.weight @tiny : tensor<16x64xf32>
  %1 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<16x64xf32>) -> tensor<?x16xf32>
  return %0, %1 : tensor<?x16xf32>, tensor<?x16xf32>
}
