// RUN: xfc-opt %s -split-input-file -xf-decompose-fused -xf-fuse-mha | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-decompose-fused | FileCheck %s --check-prefix=EXPANDED

// Expanding each fused op and fusing it again gives the op back: GQA with a
// cache, plain MHA, and MQA with an explicit scale.

// CHECK-LABEL: func.func @gqa_cached
// CHECK-SAME: (%[[Q:.*]]: tensor<?x8x16xf32>, %[[K:.*]]: tensor<?x2x16xf32>, %[[V:.*]]: tensor<?x2x16xf32>, %[[C:.*]]: !xf.kv_cache<64x2x16xf32>, %[[P:.*]]: index)
// CHECK: %[[O:.*]] = xf.attention %[[Q]], %[[K]], %[[V]] cache %[[C]] at %[[P]] causal scale = 2.500000e-01
// CHECK-NOT: xf.kv_append
// CHECK-NOT: xf.softmax
// CHECK: return %[[O]]
// EXPANDED-LABEL: func.func @gqa_cached
// EXPANDED: xf.softmax
func.func @gqa_cached(%q: tensor<?x8x16xf32>, %k: tensor<?x2x16xf32>, %v: tensor<?x2x16xf32>, %c: !xf.kv_cache<64x2x16xf32>, %pos: index) -> tensor<?x8x16xf32> {
  %o = xf.attention %q, %k, %v cache %c at %pos causal : tensor<?x8x16xf32>, tensor<?x2x16xf32>, tensor<?x2x16xf32>, !xf.kv_cache<64x2x16xf32> -> tensor<?x8x16xf32>
  return %o : tensor<?x8x16xf32>
}

// -----

// CHECK-LABEL: func.func @mha_no_cache
// CHECK: xf.attention %{{.*}}, %{{.*}}, %{{.*}} scale = 0.353553385 : tensor<5x4x8xf32>, tensor<7x4x8xf32>, tensor<7x4x8xf32> -> tensor<5x4x8xf32>
func.func @mha_no_cache(%q: tensor<5x4x8xf32>, %k: tensor<7x4x8xf32>, %v: tensor<7x4x8xf32>) -> tensor<5x4x8xf32> {
  %o = xf.attention %q, %k, %v : tensor<5x4x8xf32>, tensor<7x4x8xf32>, tensor<7x4x8xf32> -> tensor<5x4x8xf32>
  return %o : tensor<5x4x8xf32>
}

// -----

// CHECK-LABEL: func.func @mqa_causal_scaled
// CHECK: xf.attention %{{.*}}, %{{.*}}, %{{.*}} causal scale = 5.000000e-01
func.func @mqa_causal_scaled(%q: tensor<?x4x8xf32>, %kv: tensor<?x1x8xf32>) -> tensor<?x4x8xf32> {
  %o = xf.attention %q, %kv, %kv causal scale = 0.5 : tensor<?x4x8xf32>, tensor<?x1x8xf32>, tensor<?x1x8xf32> -> tensor<?x4x8xf32>
  return %o : tensor<?x4x8xf32>
}

// -----

// Near misses stay as they are: a mask that is not the causal one (an
// added bias), and scores used outside the attention.

// CHECK-LABEL: func.func @additive_mask
// CHECK-NOT: xf.attention
// CHECK: xf.softmax
func.func @additive_mask(%q: tensor<4x2x8xf32>, %k: tensor<4x2x8xf32>, %v: tensor<4x2x8xf32>, %bias: tensor<2x4x4xf32>) -> tensor<4x2x8xf32> {
  %qt = xf.transpose %q [1, 0, 2] : tensor<4x2x8xf32> -> tensor<2x4x8xf32>
  %kt = xf.transpose %k [1, 0, 2] : tensor<4x2x8xf32> -> tensor<2x4x8xf32>
  %vt = xf.transpose %v [1, 0, 2] : tensor<4x2x8xf32> -> tensor<2x4x8xf32>
  %s = xf.matmul %qt, %kt transpose_rhs : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x4xf32>
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %ss = xf.mul %s, %c : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %m = xf.add %ss, %bias : (tensor<2x4x4xf32>, tensor<2x4x4xf32>) -> tensor<2x4x4xf32>
  %p = xf.softmax %m : tensor<2x4x4xf32>
  %o = xf.matmul %p, %vt : (tensor<2x4x4xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %r = xf.transpose %o [1, 0, 2] : tensor<2x4x8xf32> -> tensor<4x2x8xf32>
  return %r : tensor<4x2x8xf32>
}

// -----

// CHECK-LABEL: func.func @probabilities_escape
// CHECK-NOT: xf.attention
func.func @probabilities_escape(%q: tensor<4x2x8xf32>, %k: tensor<4x2x8xf32>, %v: tensor<4x2x8xf32>) -> (tensor<4x2x8xf32>, tensor<2x4x4xf32>) {
  %qt = xf.transpose %q [1, 0, 2] : tensor<4x2x8xf32> -> tensor<2x4x8xf32>
  %kt = xf.transpose %k [1, 0, 2] : tensor<4x2x8xf32> -> tensor<2x4x8xf32>
  %vt = xf.transpose %v [1, 0, 2] : tensor<4x2x8xf32> -> tensor<2x4x8xf32>
  %s = xf.matmul %qt, %kt transpose_rhs : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x4x4xf32>
  %c = arith.constant dense<0.353553385> : tensor<f32>
  %ss = xf.mul %s, %c : (tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
  %p = xf.softmax %ss : tensor<2x4x4xf32>
  %o = xf.matmul %p, %vt : (tensor<2x4x4xf32>, tensor<2x4x8xf32>) -> tensor<2x4x8xf32>
  %r = xf.transpose %o [1, 0, 2] : tensor<2x4x8xf32> -> tensor<4x2x8xf32>
  return %r, %p : tensor<4x2x8xf32>, tensor<2x4x4xf32>
}
