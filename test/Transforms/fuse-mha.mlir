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

// -----

// Attention as PyTorch's ONNX exporter spells it, with a batch of one:
// heads split by reshape + transpose, keys transposed for q k^T, scores
// divided by sqrt(head_dim). The batch is reshaped away around the op.

// CHECK-LABEL: func.func @exported
// CHECK-SAME: (%[[Q:.*]]: tensor<1x8x4x16xf32>, %[[K:.*]]: tensor<1x8x4x16xf32>, %[[V:.*]]: tensor<1x8x4x16xf32>)
// CHECK-DAG: %[[Q3:.*]] = xf.reshape %[[Q]] : tensor<1x8x4x16xf32> -> tensor<8x4x16xf32>
// CHECK-DAG: %[[K3:.*]] = xf.reshape %[[K]] : tensor<1x8x4x16xf32> -> tensor<8x4x16xf32>
// CHECK-DAG: %[[V3:.*]] = xf.reshape %[[V]] : tensor<1x8x4x16xf32> -> tensor<8x4x16xf32>
// CHECK: %[[O:.*]] = xf.attention %[[Q3]], %[[K3]], %[[V3]] scale = 2.500000e-01 : tensor<8x4x16xf32>, tensor<8x4x16xf32>, tensor<8x4x16xf32> -> tensor<8x4x16xf32>
// CHECK: %[[R:.*]] = xf.reshape %[[O]] : tensor<8x4x16xf32> -> tensor<1x8x4x16xf32>
// CHECK: return %[[R]]
func.func @exported(%q: tensor<1x8x4x16xf32>, %k: tensor<1x8x4x16xf32>, %v: tensor<1x8x4x16xf32>) -> tensor<1x8x4x16xf32> {
  %d = arith.constant dense<4.0> : tensor<f32>
  %qh = xf.transpose %q [0, 2, 1, 3] : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %kt = xf.transpose %k [0, 2, 3, 1] : tensor<1x8x4x16xf32> -> tensor<1x4x16x8xf32>
  %vh = xf.transpose %v [0, 2, 1, 3] : tensor<1x8x4x16xf32> -> tensor<1x4x8x16xf32>
  %s = xf.matmul %qh, %kt : (tensor<1x4x8x16xf32>, tensor<1x4x16x8xf32>) -> tensor<1x4x8x8xf32>
  %sc = xf.div %s, %d : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p = xf.softmax %sc : tensor<1x4x8x8xf32>
  %o = xf.matmul %p, %vh : (tensor<1x4x8x8xf32>, tensor<1x4x8x16xf32>) -> tensor<1x4x8x16xf32>
  %r = xf.transpose %o [0, 2, 1, 3] : tensor<1x4x8x16xf32> -> tensor<1x8x4x16xf32>
  return %r : tensor<1x8x4x16xf32>
}

// -----

// A causal mask as exporters write it: where(tril, s, -1e9) (GPT-2), or
// an added mask of 0 and -inf; HF's key.transpose(-1, -2) of heads-major
// keys; the scale as a product.

// CHECK-LABEL: func.func @exported_causal
// CHECK: xf.attention {{.*}} causal scale = 5.000000e-01 : tensor<3x2x4xf32>
// CHECK: xf.attention {{.*}} causal scale = 5.000000e-01 : tensor<3x2x4xf32>
// CHECK-NOT: xf.softmax
func.func @exported_causal(%q: tensor<1x3x2x4xf32>, %k: tensor<1x3x2x4xf32>, %v: tensor<1x3x2x4xf32>) -> (tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>) {
  %d = arith.constant dense<2.0> : tensor<f32>
  %half = arith.constant dense<0.5> : tensor<f32>
  %tril = arith.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %fill = arith.constant dense<-1.0e9> : tensor<f32>
  %ninf = arith.constant dense<0xFF800000> : tensor<f32>
  %zero = arith.constant dense<0.0> : tensor<f32>
  %add = arith.constant dense<[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %qh = xf.transpose %q [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kt = xf.transpose %k [0, 2, 3, 1] : tensor<1x3x2x4xf32> -> tensor<1x2x4x3xf32>
  %vh = xf.transpose %v [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %s = xf.matmul %qh, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %sc = xf.div %s, %d : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %m = xf.where %tril, %sc, %fill : (tensor<1x1x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %p = xf.softmax %m : tensor<1x2x3x3xf32>
  %o = xf.matmul %p, %vh : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r = xf.transpose %o [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
  %qh2 = xf.transpose %q [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kh2 = xf.transpose %k [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kt2 = xf.transpose %kh2 [0, 1, 3, 2] : tensor<1x2x3x4xf32> -> tensor<1x2x4x3xf32>
  %vh2 = xf.transpose %v [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %s2 = xf.matmul %qh2, %kt2 : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %sc2 = xf.mul %half, %s2 : (tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %m2 = xf.add %sc2, %add : (tensor<1x2x3x3xf32>, tensor<3x3xf32>) -> tensor<1x2x3x3xf32>
  %p2 = xf.softmax %m2 : tensor<1x2x3x3xf32>
  %o2 = xf.matmul %p2, %vh2 : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r2 = xf.transpose %o2 [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
  return %r, %r2 : tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>
}

// -----

// Left alone: a batch of two (xf.attention has none), a mask that is not
// causal, and a fill that does not hide a score.

// CHECK-LABEL: func.func @exported_not_fused
// CHECK-NOT: xf.attention
// CHECK-COUNT-3: xf.softmax
func.func @exported_not_fused(%q: tensor<2x3x2x4xf32>, %k: tensor<2x3x2x4xf32>, %v: tensor<2x3x2x4xf32>, %q1: tensor<1x3x2x4xf32>, %k1: tensor<1x3x2x4xf32>, %v1: tensor<1x3x2x4xf32>) -> (tensor<2x3x2x4xf32>, tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>) {
  %d = arith.constant dense<2.0> : tensor<f32>
  %notril = arith.constant dense<[[[[true, true, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %tril = arith.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %fill = arith.constant dense<-1.0e9> : tensor<f32>
  %weak = arith.constant dense<-1.0> : tensor<f32>
  %qh = xf.transpose %q [0, 2, 1, 3] : tensor<2x3x2x4xf32> -> tensor<2x2x3x4xf32>
  %kt = xf.transpose %k [0, 2, 3, 1] : tensor<2x3x2x4xf32> -> tensor<2x2x4x3xf32>
  %vh = xf.transpose %v [0, 2, 1, 3] : tensor<2x3x2x4xf32> -> tensor<2x2x3x4xf32>
  %s = xf.matmul %qh, %kt : (tensor<2x2x3x4xf32>, tensor<2x2x4x3xf32>) -> tensor<2x2x3x3xf32>
  %sc = xf.div %s, %d : (tensor<2x2x3x3xf32>, tensor<f32>) -> tensor<2x2x3x3xf32>
  %p = xf.softmax %sc : tensor<2x2x3x3xf32>
  %o = xf.matmul %p, %vh : (tensor<2x2x3x3xf32>, tensor<2x2x3x4xf32>) -> tensor<2x2x3x4xf32>
  %r = xf.transpose %o [0, 2, 1, 3] : tensor<2x2x3x4xf32> -> tensor<2x3x2x4xf32>
  %qh1 = xf.transpose %q1 [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kt1 = xf.transpose %k1 [0, 2, 3, 1] : tensor<1x3x2x4xf32> -> tensor<1x2x4x3xf32>
  %vh1 = xf.transpose %v1 [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %s1 = xf.matmul %qh1, %kt1 : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %sc1 = xf.div %s1, %d : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %m1 = xf.where %notril, %sc1, %fill : (tensor<1x1x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %p1 = xf.softmax %m1 : tensor<1x2x3x3xf32>
  %o1 = xf.matmul %p1, %vh1 : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r1 = xf.transpose %o1 [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
  %qh2 = xf.transpose %q1 [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kt2 = xf.transpose %k1 [0, 2, 3, 1] : tensor<1x3x2x4xf32> -> tensor<1x2x4x3xf32>
  %vh2 = xf.transpose %v1 [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %s2 = xf.matmul %qh2, %kt2 : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %sc2 = xf.div %s2, %d : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %m2 = xf.where %tril, %sc2, %weak : (tensor<1x1x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %p2 = xf.softmax %m2 : tensor<1x2x3x3xf32>
  %o2 = xf.matmul %p2, %vh2 : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r2 = xf.transpose %o2 [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
  return %r, %r1, %r2 : tensor<2x3x2x4xf32>, tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>
}

// -----

// Also left alone: a per-head mask ([1, 2, 3, 3]), the where operands
// swapped (scores where the mask is false), and a negative scale.

// CHECK-LABEL: func.func @exported_masks_not_fused
// CHECK-NOT: xf.attention
// CHECK-COUNT-3: xf.softmax
// CHECK-NOT: xf.attention
// CHECK: return
func.func @exported_masks_not_fused(%q: tensor<1x3x2x4xf32>, %k: tensor<1x3x2x4xf32>, %v: tensor<1x3x2x4xf32>) -> (tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>) {
  %d = arith.constant dense<2.0> : tensor<f32>
  %neg = arith.constant dense<-0.5> : tensor<f32>
  %perhead = arith.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]], [[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x2x3x3xi1>
  %tril = arith.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<1x1x3x3xi1>
  %fill = arith.constant dense<-1.0e9> : tensor<f32>
  %qh = xf.transpose %q [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kt = xf.transpose %k [0, 2, 3, 1] : tensor<1x3x2x4xf32> -> tensor<1x2x4x3xf32>
  %vh = xf.transpose %v [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %s = xf.matmul %qh, %kt : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %sc = xf.div %s, %d : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %m = xf.where %perhead, %sc, %fill : (tensor<1x2x3x3xi1>, tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %p = xf.softmax %m : tensor<1x2x3x3xf32>
  %o = xf.matmul %p, %vh : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r = xf.transpose %o [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
  %qh1 = xf.transpose %q [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kt1 = xf.transpose %k [0, 2, 3, 1] : tensor<1x3x2x4xf32> -> tensor<1x2x4x3xf32>
  %vh1 = xf.transpose %v [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %s1 = xf.matmul %qh1, %kt1 : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %sc1 = xf.div %s1, %d : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %m1 = xf.where %tril, %fill, %sc1 : (tensor<1x1x3x3xi1>, tensor<f32>, tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
  %p1 = xf.softmax %m1 : tensor<1x2x3x3xf32>
  %o1 = xf.matmul %p1, %vh1 : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r1 = xf.transpose %o1 [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
  %qh2 = xf.transpose %q [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %kt2 = xf.transpose %k [0, 2, 3, 1] : tensor<1x3x2x4xf32> -> tensor<1x2x4x3xf32>
  %vh2 = xf.transpose %v [0, 2, 1, 3] : tensor<1x3x2x4xf32> -> tensor<1x2x3x4xf32>
  %s2 = xf.matmul %qh2, %kt2 : (tensor<1x2x3x4xf32>, tensor<1x2x4x3xf32>) -> tensor<1x2x3x3xf32>
  %sc2 = xf.mul %s2, %neg : (tensor<1x2x3x3xf32>, tensor<f32>) -> tensor<1x2x3x3xf32>
  %p2 = xf.softmax %sc2 : tensor<1x2x3x3xf32>
  %o2 = xf.matmul %p2, %vh2 : (tensor<1x2x3x3xf32>, tensor<1x2x3x4xf32>) -> tensor<1x2x3x4xf32>
  %r2 = xf.transpose %o2 [0, 2, 1, 3] : tensor<1x2x3x4xf32> -> tensor<1x3x2x4xf32>
  return %r, %r1, %r2 : tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>, tensor<1x3x2x4xf32>
}
