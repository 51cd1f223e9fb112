// RUN: xfc-opt %s -split-input-file -xf-early-exits -verify-diagnostics | FileCheck %s

// Two distinct layers repeated twice: after the second call (the end of
// group 0) the final norm and LM head are cloned, and @forward returns
// their logits after the final ones. The clones read the same weights.
// CHECK-LABEL: func.func @forward
// CHECK-SAME: -> (tensor<?x8xf32>, tensor<?x8xf32>) attributes {xf.early_exits = 1 : i64}
// CHECK: %[[G:.*]] = xf.weight @norm
// CHECK: %[[H:.*]] = xf.weight @head
// CHECK: %[[X1:.*]] = call @layer(%{{.*}}, %{{.*}})
// CHECK: %[[X2:.*]] = call @layer(%[[X1]], %{{.*}})
// CHECK: %[[X3:.*]] = call @layer(%[[X2]], %{{.*}})
// CHECK: %[[X4:.*]] = call @layer(%[[X3]], %{{.*}})
// CHECK: %[[N:.*]] = xf.rms_norm %[[X4]], %[[G]]
// CHECK: %[[L:.*]] = xf.linear %[[N]], %[[H]]
// CHECK: %[[EN:.*]] = xf.rms_norm %[[X2]], %[[G]]
// CHECK: %[[EL:.*]] = xf.linear %[[EN]], %[[H]]
// CHECK: return %[[L]], %[[EL]] : tensor<?x8xf32>, tensor<?x8xf32>
module attributes {xf.layer_cycle = array<i64: 2, 2>} {
  xf.global_weight @w0 : tensor<4x4xf32>
  xf.global_weight @w1 : tensor<4x4xf32>
  xf.global_weight @norm : tensor<4xf32>
  xf.global_weight @head : tensor<8x4xf32>
  func.func private @layer(%x: tensor<?x4xf32>, %w: tensor<4x4xf32>) -> tensor<?x4xf32> {
    %y = xf.linear %x, %w : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    return %y : tensor<?x4xf32>
  }
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x8xf32> {
    %g = xf.weight @norm : tensor<4xf32>
    %h = xf.weight @head : tensor<8x4xf32>
    %w0 = xf.weight @w0 : tensor<4x4xf32>
    %w1 = xf.weight @w1 : tensor<4x4xf32>
    %x1 = call @layer(%x, %w0) : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %x2 = call @layer(%x1, %w1) : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %x3 = call @layer(%x2, %w0) : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %x4 = call @layer(%x3, %w1) : (tensor<?x4xf32>, tensor<4x4xf32>) -> tensor<?x4xf32>
    %n = xf.rms_norm %x4, %g eps = 1.0e-05 : tensor<?x4xf32>, tensor<4xf32>
    %l = xf.linear %n, %h : (tensor<?x4xf32>, tensor<8x4xf32>) -> tensor<?x8xf32>
    return %l : tensor<?x8xf32>
  }
}

// -----

// expected-error @+1 {{xf-early-exits: the module has no xf.layer_cycle (no repeated layers)}}
module {
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    return %x : tensor<?x4xf32>
  }
}

// -----

module attributes {xf.layer_cycle = array<i64: 2, 2>} {
  func.func private @layer(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    return %x : tensor<?x4xf32>
  }
  // expected-error @+1 {{xf-early-exits: expected 4 layer calls (xf.layer_cycle), found 2}}
  func.func @forward(%x: tensor<?x4xf32>) -> tensor<?x4xf32> {
    %x1 = call @layer(%x) : (tensor<?x4xf32>) -> tensor<?x4xf32>
    %x2 = call @layer(%x1) : (tensor<?x4xf32>) -> tensor<?x4xf32>
    return %x2 : tensor<?x4xf32>
  }
}
