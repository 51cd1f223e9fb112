// RUN: xfc-opt %s -split-input-file -xf-lower-all-reduce -verify-diagnostics | FileCheck %s

// The partial sum is read in place (its address and row stride), the total
// goes to a fresh dense buffer, and the runtime's xfm_all_reduce joins the
// shards.
// CHECK-LABEL: func.func private @xfm_all_reduce(i64, i64, i64, i64, i64)
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[P:.*]]: tensor<?x64xf32>)
// CHECK: %[[C:.*]] = arith.constant 64 : i64
// CHECK: %[[ROWS:.*]] = tensor.dim %[[P]], %{{.*}} : tensor<?x64xf32>
// CHECK: bufferization.to_buffer %[[P]] read_only
// CHECK: %[[OUT:.*]] = memref.alloc(%[[ROWS]]) {alignment = 64 : i64} : memref<?x64xf32>
// CHECK: %[[R:.*]] = arith.index_cast %[[ROWS]] : index to i64
// CHECK: call @xfm_all_reduce(%{{.*}}, %{{.*}}, %{{.*}}, %[[R]], %[[C]]) : (i64, i64, i64, i64, i64) -> ()
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: return %[[T]]
// CHECK-NOT: xf.all_reduce
func.func @rows(%p: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %s = xf.all_reduce %p over 2 shards : tensor<?x64xf32>
  return %s : tensor<?x64xf32>
}

// -----

// A vector is one row; a rank-3 tensor is collapsed into rows and expanded
// back. Each all-reduce is one call, even when its result is unused.
// CHECK-LABEL: func.func @shapes
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1]] output_shape [1, 32] : tensor<32xf32> into tensor<1x32xf32>
// CHECK: call @xfm_all_reduce
// CHECK: %[[ONE:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1]] : tensor<?x32xf32> into tensor<?xf32>
// CHECK: tensor.cast %[[ONE]] : tensor<?xf32> to tensor<32xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<2x?x16xf32> into tensor<?x16xf32>
// CHECK: call @xfm_all_reduce
// CHECK: tensor.expand_shape
// CHECK-SAME: into tensor<2x?x16xf32>
// CHECK: call @xfm_all_reduce
func.func @shapes(%v: tensor<32xf32>, %t: tensor<2x?x16xf32>) -> (tensor<32xf32>, tensor<2x?x16xf32>) {
  %a = xf.all_reduce %v over 4 shards : tensor<32xf32>
  %b = xf.all_reduce %t over 4 shards : tensor<2x?x16xf32>
  %unused = xf.all_reduce %v over 4 shards : tensor<32xf32>
  return %a, %b : tensor<32xf32>, tensor<2x?x16xf32>
}

// -----

// The runtime sums f32 only.
func.func @f16(%p: tensor<?x64xf16>) -> tensor<?x64xf16> {
  // expected-error @+1 {{'xf.all_reduce' op cannot be lowered: the runtime sums f32 tensors with a static last dimension, not 'tensor<?x64xf16>'}}
  %s = xf.all_reduce %p over 2 shards : tensor<?x64xf16>
  return %s : tensor<?x64xf16>
}

// -----

// A module without all-reduces is left alone: no declaration.
// CHECK-LABEL: func.func @none
// CHECK-NOT: xfm_all_reduce
func.func @none(%p: tensor<?x64xf32>) -> tensor<?x64xf32> {
  return %p : tensor<?x64xf32>
}
