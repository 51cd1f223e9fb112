// RUN: xfc-opt %s -split-input-file -xf-decompose-fused | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-decompose-fused=attention=false | FileCheck %s --check-prefix=NOATTN

// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[U:.*]]: tensor<32x16xf32>, %[[G:.*]]: tensor<32x16xf32>, %[[D:.*]]: tensor<16x32xf32>)
func.func @swiglu(%x: tensor<?x16xf32>, %u: tensor<32x16xf32>, %g: tensor<32x16xf32>, %d: tensor<16x32xf32>) -> tensor<?x16xf32> {
  // CHECK-DAG: %[[UP:.*]] = xf.linear %[[X]], %[[U]] : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  // CHECK-DAG: %[[GATE:.*]] = xf.linear %[[X]], %[[G]] : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  // CHECK: %[[ACT:.*]] = xf.silu %[[GATE]] : tensor<?x32xf32>
  // CHECK: %[[H:.*]] = xf.mul %[[ACT]], %[[UP]]
  // CHECK: %[[Y:.*]] = xf.linear %[[H]], %[[D]] : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  // CHECK: return %[[Y]]
  // NOATTN-LABEL: func.func @swiglu
  // NOATTN-NOT: xf.ffn
  %y = xf.ffn swiglu %x up %u gate %g down %d : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func.func @geglu
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[U:.*]]: tensor<32x16xf32>, %[[G:.*]]: tensor<32x16xf32>,
func.func @geglu(%x: tensor<?x16xf32>, %u: tensor<32x16xf32>, %g: tensor<32x16xf32>, %d: tensor<16x32xf32>) -> tensor<?x16xf32> {
  // CHECK-DAG: %[[UP:.*]] = xf.linear %[[X]], %[[U]] :
  // CHECK-DAG: %[[GATE:.*]] = xf.linear %[[X]], %[[G]] :
  // CHECK: %[[ACT:.*]] = xf.gelu tanh %[[GATE]]
  // CHECK: xf.mul %[[ACT]], %[[UP]]
  %y = xf.ffn geglu %x up %u gate %g down %d : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32x16xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func.func @gelu_mlp_with_biases
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[U:.*]]: tensor<64x16xf32>, %[[D:.*]]: tensor<16x64xf32>, %[[BU:.*]]: tensor<64xf32>, %[[BD:.*]]: tensor<16xf32>)
func.func @gelu_mlp_with_biases(%x: tensor<?x16xf32>, %u: tensor<64x16xf32>, %d: tensor<16x64xf32>, %bu: tensor<64xf32>, %bd: tensor<16xf32>) -> tensor<?x16xf32> {
  // CHECK: %[[UP:.*]] = xf.linear %[[X]], %[[U]], %[[BU]]
  // CHECK: %[[ACT:.*]] = xf.gelu tanh %[[UP]]
  // CHECK-NOT: xf.mul
  // CHECK: xf.linear %[[ACT]], %[[D]], %[[BD]]
  %y = xf.ffn gelu %x up %u down %d up_bias %bu down_bias %bd : (tensor<?x16xf32>, tensor<64x16xf32>, tensor<16x64xf32>, tensor<64xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Multi-head attention without a cache or mask: no repeat, no mask.
// CHECK-LABEL: func.func @mha_no_cache
// CHECK-SAME: (%[[Q:.*]]: tensor<5x4x8xf32>, %[[K:.*]]: tensor<7x4x8xf32>, %[[V:.*]]: tensor<7x4x8xf32>)
func.func @mha_no_cache(%q: tensor<5x4x8xf32>, %k: tensor<7x4x8xf32>, %v: tensor<7x4x8xf32>) -> tensor<5x4x8xf32> {
  // CHECK-NOT: xf.repeat_interleave
  // CHECK-DAG: %[[QT:.*]] = xf.transpose %[[Q]] [1, 0, 2] : tensor<5x4x8xf32> -> tensor<4x5x8xf32>
  // CHECK-DAG: %[[KT:.*]] = xf.transpose %[[K]] [1, 0, 2] : tensor<7x4x8xf32> -> tensor<4x7x8xf32>
  // CHECK-DAG: %[[VT:.*]] = xf.transpose %[[V]] [1, 0, 2] : tensor<7x4x8xf32> -> tensor<4x7x8xf32>
  // 1/sqrt(head_dim = 8):
  // CHECK-DAG: %[[SCALE:.*]] = arith.constant dense<0.353553385> : tensor<f32>
  // CHECK: %[[S:.*]] = xf.matmul %[[QT]], %[[KT]] transpose_rhs : (tensor<4x5x8xf32>, tensor<4x7x8xf32>) -> tensor<4x5x7xf32>
  // CHECK: %[[SS:.*]] = xf.mul %[[S]], %[[SCALE]]
  // CHECK-NOT: xf.causal_mask
  // CHECK: %[[P:.*]] = xf.softmax %[[SS]] : tensor<4x5x7xf32>
  // CHECK: %[[O:.*]] = xf.matmul %[[P]], %[[VT]] : (tensor<4x5x7xf32>, tensor<4x7x8xf32>) -> tensor<4x5x8xf32>
  // CHECK: %[[R:.*]] = xf.transpose %[[O]] [1, 0, 2] : tensor<4x5x8xf32> -> tensor<5x4x8xf32>
  // CHECK: return %[[R]]
  %o = xf.attention %q, %k, %v : tensor<5x4x8xf32>, tensor<7x4x8xf32>, tensor<7x4x8xf32> -> tensor<5x4x8xf32>
  return %o : tensor<5x4x8xf32>
}

// -----

// GQA with a KV cache: append the new rows, read back pos + tokens rows,
// share each KV head among 4 query heads, mask relative to the position.
// CHECK-LABEL: func.func @gqa_cached
// CHECK-SAME: (%[[Q:.*]]: tensor<?x8x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[C:.*]]: !xf.kv_cache<64x2x16xf16>, %[[POS:.*]]: index)
func.func @gqa_cached(%q: tensor<?x8x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %c: !xf.kv_cache<64x2x16xf16>, %pos: index) -> tensor<?x8x16xf32> {
  // CHECK: xf.kv_append %[[C]][%[[POS]]], %[[K]], %[[V]]
  // CHECK: %[[N:.*]] = tensor.dim %[[Q]], %{{.*}} : tensor<?x8x16xf32>
  // CHECK: %[[LEN:.*]] = arith.addi %[[POS]], %[[N]] : index
  // CHECK: %[[KC:.*]], %[[VC:.*]] = xf.kv_read %[[C]][%[[LEN]]] : !xf.kv_cache<64x2x16xf16> -> tensor<?x2x16xf32>, tensor<?x2x16xf32>
  // CHECK-DAG: xf.repeat_interleave %[[KC]][1 x 4] : tensor<?x2x16xf32> -> tensor<?x8x16xf32>
  // CHECK-DAG: xf.repeat_interleave %[[VC]][1 x 4] : tensor<?x2x16xf32> -> tensor<?x8x16xf32>
  // CHECK: %[[S:.*]] = xf.matmul {{.*}} transpose_rhs : (tensor<8x?x16xf32>, tensor<8x?x16xf32>) -> tensor<8x?x?xf32>
  // CHECK: %[[SS:.*]] = xf.mul %[[S]]
  // CHECK: %[[M:.*]] = xf.causal_mask %[[SS]], %[[POS]] : tensor<8x?x?xf32>
  // CHECK: xf.softmax %[[M]]
  // NOATTN-LABEL: func.func @gqa_cached
  // NOATTN: xf.attention
  %o = xf.attention %q, %k, %v cache %c at %pos causal : tensor<?x8x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf16> -> tensor<?x8x16xf32>
  return %o : tensor<?x8x16xf32>
}

// -----

// Causal attention without a cache masks from position 0; an explicit scale
// replaces 1/sqrt(head_dim).
// CHECK-LABEL: func.func @causal_no_cache
func.func @causal_no_cache(%q: tensor<?x2x8xf32>) -> tensor<?x2x8xf32> {
  // CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : index
  // CHECK-DAG: arith.constant dense<5.000000e-01> : tensor<f32>
  // CHECK: xf.causal_mask %{{.*}}, %[[ZERO]]
  %o = xf.attention %q, %q, %q causal scale = 0.5 : tensor<?x2x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32> -> tensor<?x2x8xf32>
  return %o : tensor<?x2x8xf32>
}

// -----

// Ops other than the fused ones are left alone.
// CHECK-LABEL: func.func @nothing_to_do
func.func @nothing_to_do(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: xf.silu
  // CHECK-NEXT: return
  %0 = xf.silu %x : tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}
