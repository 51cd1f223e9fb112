// RUN: xfc-opt %s -split-input-file -xf-fuse-ffn=concat-gate-up=false | FileCheck %s
// RUN: xfc-opt %s -split-input-file -xf-fuse-ffn | FileCheck %s --check-prefix=CONCAT

// CHECK-LABEL: func.func @swiglu
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[U:.*]]: tensor<32x16xf32>, %[[G:.*]]: tensor<32x16xf32>, %[[D:.*]]: tensor<16x32xf32>)
func.func @swiglu(%x: tensor<?x16xf32>, %u: tensor<32x16xf32>, %g: tensor<32x16xf32>, %d: tensor<16x32xf32>) -> tensor<?x16xf32> {
  // CHECK-NEXT: %[[Y:.*]] = xf.ffn swiglu %[[X]] up %[[U]] gate %[[G]] down %[[D]]
  // CHECK-NEXT: return %[[Y]]
  // CONCAT-LABEL: func.func @swiglu
  // CONCAT-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[U:.*]]: tensor<32x16xf32>, %[[G:.*]]: tensor<32x16xf32>, %[[D:.*]]: tensor<16x32xf32>)
  // CONCAT-NEXT: %[[GU:.*]] = xf.concat %[[G]], %[[U]][0] : (tensor<32x16xf32>, tensor<32x16xf32>) -> tensor<64x16xf32>
  // CONCAT-NEXT: %[[Y:.*]] = xf.ffn swiglu %[[X]] gate_up %[[GU]] down %[[D]]
  // CONCAT-NEXT: return %[[Y]]
  %up = xf.linear %x, %u : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %gate = xf.linear %x, %g : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %act = xf.silu %gate : tensor<?x32xf32>
  %h = xf.mul %up, %act : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = xf.linear %h, %d : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// CHECK-LABEL: func.func @geglu_quantized
func.func @geglu_quantized(%x: tensor<?x32xf32>,
    %u: !xf.qtensor<64x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>,
    %g: !xf.qtensor<64x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>,
    %d: tensor<32x64xf16>) -> tensor<?x32xf32> {
  // CHECK-NEXT: xf.ffn geglu
  // CHECK-NEXT: return
  // Quantized gate/up weights of one type join along their packed rows.
  // CONCAT-LABEL: func.func @geglu_quantized
  // CONCAT: xf.concat %{{.*}}, %{{.*}}[0] : ({{.*}}) -> !xf.qtensor<128x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  // CONCAT: xf.ffn geglu %{{.*}} gate_up %{{.*}} down
  %gate = xf.linear %x, %g : (tensor<?x32xf32>, !xf.qtensor<64x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x64xf32>
  %up = xf.linear %x, %u : (tensor<?x32xf32>, !xf.qtensor<64x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>) -> tensor<?x64xf32>
  %act = xf.gelu tanh %gate : tensor<?x64xf32>
  %h = xf.mul %act, %up : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  %y = xf.linear %h, %d : (tensor<?x64xf32>, tensor<32x64xf16>) -> tensor<?x32xf32>
  return %y : tensor<?x32xf32>
}

// -----

// CHECK-LABEL: func.func @gelu_mlp
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[U:.*]]: tensor<64x16xf32>, %[[BU:.*]]: tensor<64xf32>, %[[D:.*]]: tensor<16x64xf32>, %[[BD:.*]]: tensor<16xf32>)
func.func @gelu_mlp(%x: tensor<?x16xf32>, %u: tensor<64x16xf32>, %bu: tensor<64xf32>, %d: tensor<16x64xf32>, %bd: tensor<16xf32>) -> tensor<?x16xf32> {
  // CHECK-NEXT: xf.ffn gelu %[[X]] up %[[U]] down %[[D]] up_bias %[[BU]] down_bias %[[BD]]
  %up = xf.linear %x, %u, %bu : (tensor<?x16xf32>, tensor<64x16xf32>, tensor<64xf32>) -> tensor<?x64xf32>
  %act = xf.gelu tanh %up : tensor<?x64xf32>
  %y = xf.linear %act, %d, %bd : (tensor<?x64xf32>, tensor<16x64xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// Near misses: each keeps its fine-grained form.

// The gate and up projections read different inputs.
// CHECK-LABEL: func.func @different_inputs
// CHECK-NOT: xf.ffn
func.func @different_inputs(%x: tensor<?x16xf32>, %z: tensor<?x16xf32>, %u: tensor<32x16xf32>, %g: tensor<32x16xf32>, %d: tensor<16x32xf32>) -> tensor<?x16xf32> {
  %up = xf.linear %x, %u : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %gate = xf.linear %z, %g : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %act = xf.silu %gate : tensor<?x32xf32>
  %h = xf.mul %up, %act : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = xf.linear %h, %d : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The hidden activation is also returned, so it must stay materialized.
// CHECK-LABEL: func.func @hidden_used_twice
// CHECK-NOT: xf.ffn
func.func @hidden_used_twice(%x: tensor<?x16xf32>, %u: tensor<32x16xf32>, %g: tensor<32x16xf32>, %d: tensor<16x32xf32>) -> (tensor<?x16xf32>, tensor<?x32xf32>) {
  %up = xf.linear %x, %u : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %gate = xf.linear %x, %g : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %act = xf.silu %gate : tensor<?x32xf32>
  %h = xf.mul %up, %act : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = xf.linear %h, %d : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y, %h : tensor<?x16xf32>, tensor<?x32xf32>
}

// -----

// A gate bias has no place in xf.ffn.
// CHECK-LABEL: func.func @gate_bias
// CHECK-NOT: xf.ffn
func.func @gate_bias(%x: tensor<?x16xf32>, %u: tensor<32x16xf32>, %g: tensor<32x16xf32>, %bg: tensor<32xf32>, %d: tensor<16x32xf32>) -> tensor<?x16xf32> {
  %up = xf.linear %x, %u : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %gate = xf.linear %x, %g, %bg : (tensor<?x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<?x32xf32>
  %act = xf.silu %gate : tensor<?x32xf32>
  %h = xf.mul %up, %act : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32>
  %y = xf.linear %h, %d : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

// -----

// The exact (erf) GELU MLP, as BERT has it, is the gelu_erf kind.
// CHECK-LABEL: func.func @erf_mlp
// CHECK-SAME: (%[[X:.*]]: tensor<?x16xf32>, %[[U:.*]]: tensor<32x16xf32>, %[[D:.*]]: tensor<16x32xf32>)
// CHECK-NEXT: %[[Y:.*]] = xf.ffn gelu_erf %[[X]] up %[[U]] down %[[D]] :
// CHECK-NEXT: return %[[Y]]
func.func @erf_mlp(%x: tensor<?x16xf32>, %u: tensor<32x16xf32>, %d: tensor<16x32xf32>) -> tensor<?x16xf32> {
  %up = xf.linear %x, %u : (tensor<?x16xf32>, tensor<32x16xf32>) -> tensor<?x32xf32>
  %erf = xf.gelu erf %up : tensor<?x32xf32>
  %y = xf.linear %erf, %d : (tensor<?x32xf32>, tensor<16x32xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
