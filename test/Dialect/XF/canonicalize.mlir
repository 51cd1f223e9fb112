// RUN: xfc-opt %s -split-input-file -canonicalize | FileCheck %s

// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<?x2048xf32>)
func.func @reshape_of_reshape(%x: tensor<?x2048xf32>) -> tensor<?x64x32xf32> {
  // CHECK-NEXT: %[[R:.*]] = xf.reshape %[[X]] : tensor<?x2048xf32> -> tensor<?x64x32xf32>
  // CHECK-NEXT: return %[[R]]
  %0 = xf.reshape %x : tensor<?x2048xf32> -> tensor<?x32x64xf32>
  %1 = xf.reshape %0 : tensor<?x32x64xf32> -> tensor<?x64x32xf32>
  return %1 : tensor<?x64x32xf32>
}

// -----

// CHECK-LABEL: func.func @identity_reshape
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
func.func @identity_reshape(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // CHECK-NEXT: return %[[X]]
  %0 = xf.reshape %x : tensor<4x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// Dynamic-to-static reshapes are not identities even when the shapes agree.
// CHECK-LABEL: func.func @refining_reshape_kept
func.func @refining_reshape_kept(%x: tensor<?x8xf32>) -> tensor<4x8xf32> {
  // CHECK: xf.reshape
  %0 = xf.reshape %x : tensor<?x8xf32> -> tensor<4x8xf32>
  return %0 : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_of_transpose
// CHECK-SAME: (%[[X:.*]]: tensor<2x3x4xf32>)
func.func @transpose_of_transpose(%x: tensor<2x3x4xf32>) -> tensor<4x2x3xf32> {
  // [2,3,4] -[1,0,2]-> [3,2,4] -[2,1,0]-> [4,2,3]; composed: [2,0,1].
  // CHECK-NEXT: %[[T:.*]] = xf.transpose %[[X]] [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
  // CHECK-NEXT: return %[[T]]
  %0 = xf.transpose %x [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %1 = xf.transpose %0 [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  return %1 : tensor<4x2x3xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_round_trip
// CHECK-SAME: (%[[X:.*]]: tensor<?x8x64xf32>)
func.func @transpose_round_trip(%x: tensor<?x8x64xf32>) -> tensor<?x8x64xf32> {
  // CHECK-NEXT: return %[[X]]
  %0 = xf.transpose %x [1, 0, 2] : tensor<?x8x64xf32> -> tensor<8x?x64xf32>
  %1 = xf.transpose %0 [1, 0, 2] : tensor<8x?x64xf32> -> tensor<?x8x64xf32>
  return %1 : tensor<?x8x64xf32>
}

// -----

// CHECK-LABEL: func.func @identity_convert
// CHECK-SAME: (%[[X:.*]]: tensor<4xf16>)
func.func @identity_convert(%x: tensor<4xf16>) -> (tensor<4xf16>, tensor<4xf32>) {
  // CHECK-NEXT: %[[C:.*]] = xf.convert %[[X]] : tensor<4xf16> to tensor<4xf32>
  // CHECK-NEXT: return %[[X]], %[[C]]
  %0 = xf.convert %x : tensor<4xf16> to tensor<4xf16>
  %1 = xf.convert %x : tensor<4xf16> to tensor<4xf32>
  return %0, %1 : tensor<4xf16>, tensor<4xf32>
}

// -----

// KV-cache ops have effects: an append is never dropped, and a read after an
// append is not merged with one before it.
// CHECK-LABEL: func.func @cache_effects_kept
func.func @cache_effects_kept(%c: !xf.kv_cache<16x2x8xf32>, %p: index, %k: tensor<?x2x8xf32>, %n: index) -> (tensor<?x2x8xf32>, tensor<?x2x8xf32>) {
  // CHECK: xf.kv_read
  // CHECK: xf.kv_append
  // CHECK: xf.kv_read
  %k0, %v0 = xf.kv_read %c[%n] : !xf.kv_cache<16x2x8xf32> -> tensor<?x2x8xf32>, tensor<?x2x8xf32>
  xf.kv_append %c[%p], %k, %k : !xf.kv_cache<16x2x8xf32>, tensor<?x2x8xf32>, tensor<?x2x8xf32>
  %k1, %v1 = xf.kv_read %c[%n] : !xf.kv_cache<16x2x8xf32> -> tensor<?x2x8xf32>, tensor<?x2x8xf32>
  return %k0, %k1 : tensor<?x2x8xf32>, tensor<?x2x8xf32>
}

// -----

// The direct reshape ?x5 -> 4 would be invalid, so the chain stays.
// CHECK-LABEL: func.func @reshape_chain_kept
func.func @reshape_chain_kept(%x: tensor<?x5xf32>) -> tensor<4xf32> {
  // CHECK: xf.reshape %{{.*}} : tensor<?x5xf32> -> tensor<?x1xf32>
  // CHECK: xf.reshape %{{.*}} : tensor<?x1xf32> -> tensor<4xf32>
  %0 = xf.reshape %x : tensor<?x5xf32> -> tensor<?x1xf32>
  %1 = xf.reshape %0 : tensor<?x1xf32> -> tensor<4xf32>
  return %1 : tensor<4xf32>
}

// -----

// Constants concatenate at compile time (an ONNX graph's Q, K and V weights
// once xf-fuse-qkv joins them), splats included; along an inner axis the
// rows interleave. A value known only at run time stays.

// CHECK-LABEL: func.func @concat_constants
// CHECK-DAG: %[[C:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 7.000000e+00, 7.000000e+00], [2.000000e+00, 7.000000e+00, 7.000000e+00]]> : tensor<2x3xf32>
// CHECK-DAG: %[[H:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf16>
// CHECK: %[[Y:.*]] = xf.concat
// CHECK: return %[[C]], %[[H]], %[[Y]]
func.func @concat_constants(%x: tensor<2xf32>) -> (tensor<2x3xf32>, tensor<3xf16>, tensor<4xf32>) {
  %a = arith.constant dense<[[1.0], [2.0]]> : tensor<2x1xf32>
  %b = arith.constant dense<7.0> : tensor<2x2xf32>
  %c = xf.concat %a, %b[1] : (tensor<2x1xf32>, tensor<2x2xf32>) -> tensor<2x3xf32>
  %i = arith.constant dense<[1.0, 2.0]> : tensor<2xf16>
  %j = arith.constant dense<3.0> : tensor<1xf16>
  %k = xf.concat %i, %j[0] : (tensor<2xf16>, tensor<1xf16>) -> tensor<3xf16>
  %one = arith.constant dense<1.0> : tensor<2xf32>
  %y = xf.concat %x, %one[0] : (tensor<2xf32>, tensor<2xf32>) -> tensor<4xf32>
  return %c, %k, %y : tensor<2x3xf32>, tensor<3xf16>, tensor<4xf32>
}
