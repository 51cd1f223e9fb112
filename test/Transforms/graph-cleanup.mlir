// RUN: xfc-opt %s -split-input-file -xf-graph-cleanup | FileCheck %s

// The pipeline folds, CSEs, and drops private weights nothing loads any more.
// CHECK-NOT: @dead
// CHECK: xf.global_weight private @live
// CHECK: xf.global_weight @exported
// CHECK-NOT: @dead
xf.global_weight private @dead : tensor<8x8xf32>
xf.global_weight private @live : tensor<8x8xf32>
xf.global_weight @exported : tensor<8x8xf32>

// CHECK-LABEL: func.func @f
func.func @f(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  // CHECK-COUNT-1: xf.weight @live
  // CHECK: %[[Y:.*]] = xf.linear
  // CHECK-NOT: xf.linear
  // CHECK: xf.add %[[Y]], %[[Y]]
  %w0 = xf.weight @live : tensor<8x8xf32>
  %w1 = xf.weight @live : tensor<8x8xf32>
  %a = xf.linear %x, %w0 : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %b = xf.linear %x, %w1 : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %s = xf.add %a, %b : (tensor<?x8xf32>, tensor<?x8xf32>) -> tensor<?x8xf32>
  return %s : tensor<?x8xf32>
}
