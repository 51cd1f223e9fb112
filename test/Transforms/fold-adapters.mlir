// RUN: xfc-opt %s -split-input-file -xf-fold-adapters | FileCheck %s

// A LoRA side branch folds into the base weight: one GEMM by W + s B A.

// CHECK-LABEL: func.func @lora
// CHECK-DAG: %[[W:.*]] = xf.weight @w : tensor<32x64xf32>
// CHECK-DAG: %[[D:.*]] = xf.lora_delta
// CHECK: %[[S:.*]] = xf.add %[[W]], %[[D]] : (tensor<32x64xf32>, tensor<32x64xf32>) -> tensor<32x64xf32>
// CHECK-NEXT: %[[Y:.*]] = xf.linear %arg0, %[[S]] : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
// CHECK-NEXT: return %[[Y]]
xf.global_weight @w : tensor<32x64xf32>
xf.global_weight @a : tensor<4x64xf32>
xf.global_weight @b : tensor<32x4xf32>
func.func @lora(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = xf.weight @w : tensor<32x64xf32>
  %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %a = xf.weight @a : tensor<4x64xf32>
  %b = xf.weight @b : tensor<32x4xf32>
  %d = xf.lora_delta %b, %a scale 2.0 : (tensor<32x4xf32>, tensor<4x64xf32>) -> tensor<32x64xf32>
  %e = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %r = xf.add %y, %e : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// The branch first, a bias on the base, a Kronecker delta, and two adapters
// on one weight: each branch folds, and the bias stays.

// CHECK-LABEL: func.func @kron_two_adapters_bias
// CHECK: %[[K:.*]] = xf.kron_delta
// CHECK: %[[S1:.*]] = xf.add %{{.*}}, %[[K]]
// CHECK: %[[S2:.*]] = xf.add %[[S1]], %{{.*}}
// CHECK-NEXT: %[[Y:.*]] = xf.linear %arg0, %[[S2]], %{{.*}} :
// CHECK-NEXT: return %[[Y]]
xf.global_weight @w : tensor<32x64xf32>
xf.global_weight @bias : tensor<32xf32>
xf.global_weight @w1 : tensor<4x8xf32>
xf.global_weight @w2 : tensor<8x8xf32>
xf.global_weight @d2 : tensor<32x64xf32>
func.func @kron_two_adapters_bias(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %w = xf.weight @w : tensor<32x64xf32>
  %bias = xf.weight @bias : tensor<32xf32>
  %w1 = xf.weight @w1 : tensor<4x8xf32>
  %w2 = xf.weight @w2 : tensor<8x8xf32>
  %k = xf.kron_delta %w1, %w2 scale 0.5 : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<32x64xf32>
  %e = xf.linear %x, %k : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %y = xf.linear %x, %w, %bias : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %r = xf.add %e, %y : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %d2 = xf.weight @d2 : tensor<32x64xf32>
  %e2 = xf.linear %x, %d2 : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %r2 = xf.add %r, %e2 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r2 : tensor<?x32xf32>
}

// -----

// The sum is kept in the base's type: an f16 base is widened, summed and
// narrowed; a Q4_0 base is dequantized, summed and requantized in its scheme.

// CHECK-LABEL: func.func @narrow_bases
// CHECK: %[[WF:.*]] = xf.convert %{{.*}} : tensor<32x64xf16> to tensor<32x64xf32>
// CHECK: %[[SF:.*]] = xf.add %[[WF]], %{{.*}}
// CHECK: %[[NF:.*]] = xf.convert %[[SF]] : tensor<32x64xf32> to tensor<32x64xf16>
// CHECK: xf.linear %arg0, %[[NF]]
// CHECK: %[[DQ:.*]] = xf.dequantize %{{.*}} : !xf.qtensor<32x64xi4, {{.*}}> -> tensor<32x64xf32>
// CHECK: %[[SQ:.*]] = xf.add %[[DQ]], %{{.*}}
// CHECK: %[[RQ:.*]] = xf.quantize %[[SQ]] : tensor<32x64xf32> -> !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
// CHECK: xf.linear %arg0, %[[RQ]]
!q4 = !xf.qtensor<32x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
xf.global_weight @f : tensor<32x64xf16>
xf.global_weight @q : !q4
xf.global_weight @d : tensor<32x64xf32>
func.func @narrow_bases(%x: tensor<?x64xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %d = xf.weight @d : tensor<32x64xf32>
  %e = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %f = xf.weight @f : tensor<32x64xf16>
  %y = xf.linear %x, %f : (tensor<?x64xf32>, tensor<32x64xf16>) -> tensor<?x32xf32>
  %r = xf.add %y, %e : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %e2 = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %q = xf.weight @q : !q4
  %yq = xf.linear %x, %q : (tensor<?x64xf32>, !q4) -> tensor<?x32xf32>
  %rq = xf.add %yq, %e2 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r, %rq : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// Either operand may be the base; the narrower one is: with an f16 weight
// and an f32 delta, the folded weight stays f16 whichever comes first.

// CHECK-LABEL: func.func @delta_first
// CHECK: %[[W:.*]] = xf.convert %{{.*}} : tensor<32x64xf16> to tensor<32x64xf32>
// CHECK: %[[S:.*]] = xf.add %[[W]], %{{.*}}
// CHECK: %[[N:.*]] = xf.convert %[[S]] : tensor<32x64xf32> to tensor<32x64xf16>
// CHECK: xf.linear %arg0, %[[N]] : (tensor<?x64xf32>, tensor<32x64xf16>)
xf.global_weight @f : tensor<32x64xf16>
xf.global_weight @d : tensor<32x64xf32>
func.func @delta_first(%x: tensor<?x64xf32>) -> tensor<?x32xf32> {
  %d = xf.weight @d : tensor<32x64xf32>
  %e = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %f = xf.weight @f : tensor<32x64xf16>
  %y = xf.linear %x, %f : (tensor<?x64xf32>, tensor<32x64xf16>) -> tensor<?x32xf32>
  %r = xf.add %e, %y : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// In a layer function the weights are arguments that the importer marks:
// the delta argument is a weight, so the branch folds.

// CHECK-LABEL: func.func private @layer
// CHECK-NEXT: %[[S:.*]] = xf.add %arg1, %arg2
// CHECK-NEXT: xf.linear %arg0, %[[S]]
func.func private @layer(%x: tensor<?x64xf32>,
                         %w: tensor<32x64xf32> {xf.weight = "attn_q.weight"},
                         %d: tensor<32x64xf32> {xf.weight = "attn_q.weight.adapter"}) -> tensor<?x32xf32> {
  %y = xf.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %e = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %r = xf.add %y, %e : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r : tensor<?x32xf32>
}

// -----

// Near misses stay as they are: the GEMMs read other inputs; the "delta" is
// an activation (an unmarked argument); both GEMMs have a bias; the base's
// result has another user; the GEMMs compute differently.

// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: xf.add %{{.*}} : (tensor<32x64xf32>, tensor<32x64xf32>)
// CHECK-COUNT-2: xf.linear
// CHECK-NEXT: xf.add
// CHECK-COUNT-2: xf.linear
// CHECK-NEXT: xf.add
// CHECK-COUNT-2: xf.linear
// CHECK-NEXT: xf.add
// CHECK-COUNT-2: xf.linear
// CHECK-NEXT: xf.add
// CHECK-COUNT-2: xf.linear
// CHECK-NEXT: xf.add
// CHECK-NEXT: return
xf.global_weight @w : tensor<32x64xf32>
xf.global_weight @d : tensor<32x64xf32>
xf.global_weight @bias : tensor<32xf32>
func.func @near_misses(%x: tensor<?x64xf32>, %x2: tensor<?x64xf32>, %act: tensor<32x64xf32>)
    -> (tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>) {
  %w = xf.weight @w : tensor<32x64xf32>
  %d = xf.weight @d : tensor<32x64xf32>
  %bias = xf.weight @bias : tensor<32xf32>
  %y1 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %e1 = xf.linear %x2, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %r1 = xf.add %y1, %e1 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y2 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %e2 = xf.linear %x, %act : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %r2 = xf.add %y2, %e2 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y3 = xf.linear %x, %w, %bias : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %e3 = xf.linear %x, %d, %bias : (tensor<?x64xf32>, tensor<32x64xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %r3 = xf.add %y3, %e3 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y4 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %e4 = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %r4 = xf.add %y4, %e4 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y5 = xf.linear %x, %w backend onednn : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %e5 = xf.linear %x, %d : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  %r5 = xf.add %y5, %e5 : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  return %r1, %r2, %r3, %r4, %y4, %r5 : tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>, tensor<?x32xf32>
}
