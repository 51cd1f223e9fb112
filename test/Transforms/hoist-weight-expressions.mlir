// RUN: xfc-opt %s -split-input-file -xf-hoist-weight-expressions | FileCheck %s

// A computation on weights becomes a derived weight; the code loads it.

// CHECK-LABEL: func.func @in_function
// CHECK-NEXT: %[[W:.*]] = xf.weight @a.concat : tensor<8x8xf32>
// CHECK-NEXT: %[[Y:.*]] = xf.linear %{{.*}}, %[[W]]
// CHECK-NEXT: return %[[Y]]
// CHECK: xf.global_weight private @a.concat : tensor<8x8xf32> = {
// CHECK-NEXT:   %[[A:.*]] = xf.weight @a : tensor<4x8xf32>
// CHECK-NEXT:   %[[B:.*]] = xf.weight @b : tensor<4x8xf32>
// CHECK-NEXT:   %[[C:.*]] = xf.concat %[[A]], %[[B]][0]
// CHECK-NEXT:   xf.yield %[[C]] : tensor<8x8xf32>
// CHECK-NEXT: }
xf.global_weight @a : tensor<4x8xf32>
xf.global_weight @b : tensor<4x8xf32>
func.func @in_function(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %a = xf.weight @a : tensor<4x8xf32>
  %b = xf.weight @b : tensor<4x8xf32>
  %w = xf.concat %a, %b [0] : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<8x8xf32>
  %y = xf.linear %x, %w : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// Identical computations share one derived weight; a different one gets
// its own, uniquely named. Constants are part of the computation.

// CHECK-LABEL: func.func @shared
// CHECK: xf.weight @g.mul :
// CHECK: xf.weight @g.mul :
// CHECK: xf.weight @g.mul_0 :
// CHECK-NOT: arith.constant
// CHECK: return
// CHECK: xf.global_weight private @g.mul : tensor<8xf32> = {
// CHECK: arith.constant dense<2.000000e+00>
// CHECK: xf.global_weight private @g.mul_0 : tensor<8xf32> = {
// CHECK: arith.constant dense<3.000000e+00>
xf.global_weight @g : tensor<8xf32>
func.func @shared(%x: tensor<?x8xf32>) -> (tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>) {
  %g = xf.weight @g : tensor<8xf32>
  %two = arith.constant dense<2.0> : tensor<f32>
  %three = arith.constant dense<3.0> : tensor<f32>
  %s1 = xf.mul %g, %two : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s2 = xf.mul %g, %two : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %s3 = xf.mul %g, %three : (tensor<8xf32>, tensor<f32>) -> tensor<8xf32>
  %y1 = xf.mul %x, %s1 : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %y2 = xf.mul %x, %s2 : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  %y3 = xf.mul %x, %s3 : (tensor<?x8xf32>, tensor<8xf32>) -> tensor<?x8xf32>
  return %y1, %y2, %y3 : tensor<?x8xf32>, tensor<?x8xf32>, tensor<?x8xf32>
}

// -----

// Weights that reach a shared layer function as arguments: the computation
// moves into the caller, once per call, and becomes one derived weight per
// layer. The arguments only it read are removed; others stay.

// CHECK-LABEL: func.func private @layer
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[D:.*]]: tensor<8x8xf32> {xf.weight = "down"}, %[[W:.*]]: tensor<16x8xf32>)
// CHECK-NEXT: %[[H:.*]] = xf.linear %[[X]], %[[W]]
// CHECK-NEXT: %[[S:.*]] = xf.slice %[[H]][1 : 0, 8]
// CHECK-NEXT: %[[Y:.*]] = xf.linear %[[S]], %[[D]]
// CHECK-LABEL: func.func @forward
// CHECK-DAG: %[[D0:.*]] = xf.weight @l0.down
// CHECK-DAG: %[[W0:.*]] = xf.weight @l0.gate.concat
// CHECK: call @layer(%{{.*}}, %[[D0]], %[[W0]])
// CHECK-DAG: %[[D1:.*]] = xf.weight @l1.down
// CHECK-DAG: %[[W1:.*]] = xf.weight @l1.gate.concat
// CHECK: call @layer(%{{.*}}, %[[D1]], %[[W1]])
// CHECK-NOT: xf.concat
// CHECK: xf.global_weight private @l0.gate.concat : tensor<16x8xf32> = {
// CHECK: xf.global_weight private @l1.gate.concat : tensor<16x8xf32> = {
xf.global_weight @l0.gate : tensor<8x8xf32>
xf.global_weight @l0.up : tensor<8x8xf32>
xf.global_weight @l0.down : tensor<8x8xf32>
xf.global_weight @l1.gate : tensor<8x8xf32>
xf.global_weight @l1.up : tensor<8x8xf32>
xf.global_weight @l1.down : tensor<8x8xf32>
func.func private @layer(%x: tensor<?x8xf32>, %g: tensor<8x8xf32> {xf.weight = "gate"}, %u: tensor<8x8xf32> {xf.weight = "up"}, %d: tensor<8x8xf32> {xf.weight = "down"}) -> tensor<?x8xf32> {
  %w = xf.concat %g, %u [0] : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<16x8xf32>
  %h = xf.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  %s = xf.slice %h [1 : 0, 8] : tensor<?x16xf32> -> tensor<?x8xf32>
  %y = xf.linear %s, %d : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
func.func @forward(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %g0 = xf.weight @l0.gate : tensor<8x8xf32>
  %u0 = xf.weight @l0.up : tensor<8x8xf32>
  %d0 = xf.weight @l0.down : tensor<8x8xf32>
  %x1 = func.call @layer(%x, %g0, %u0, %d0) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  %g1 = xf.weight @l1.gate : tensor<8x8xf32>
  %u1 = xf.weight @l1.up : tensor<8x8xf32>
  %d1 = xf.weight @l1.down : tensor<8x8xf32>
  %x2 = func.call @layer(%x1, %g1, %u1, %d1) : (tensor<?x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<?x8xf32>
  return %x2 : tensor<?x8xf32>
}

// -----

// An argument that is not a weight at every call keeps its computation in
// the callee: here the second call passes an activation.

// CHECK-LABEL: func.func private @mixed
// CHECK: xf.concat
// CHECK-LABEL: func.func @mixed_caller
// CHECK-NOT: xf.concat
xf.global_weight @m : tensor<8x8xf32>
func.func private @mixed(%x: tensor<?x8xf32>, %a: tensor<8x8xf32>) -> tensor<?x16xf32> {
  %w = xf.concat %a, %a [0] : (tensor<8x8xf32>, tensor<8x8xf32>) -> tensor<16x8xf32>
  %y = xf.linear %x, %w : (tensor<?x8xf32>, tensor<16x8xf32>) -> tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}
func.func @mixed_caller(%x: tensor<?x8xf32>, %act: tensor<8x8xf32>) -> (tensor<?x16xf32>, tensor<?x16xf32>) {
  %m = xf.weight @m : tensor<8x8xf32>
  %y0 = func.call @mixed(%x, %m) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x16xf32>
  %y1 = func.call @mixed(%x, %act) : (tensor<?x8xf32>, tensor<8x8xf32>) -> tensor<?x16xf32>
  return %y0, %y1 : tensor<?x16xf32>, tensor<?x16xf32>
}

// -----

// Dequantization and widening conversions stay in the code: hoisting them
// would store the weights expanded. Narrowing is hoisted.

// CHECK-LABEL: func.func @kept
// CHECK: xf.dequantize
// CHECK: xf.convert %{{.*}} : tensor<8x8xf16> to tensor<8x8xf32>
// CHECK: xf.weight @h.convert : tensor<8x8xf16>
// CHECK: xf.global_weight private @h.convert : tensor<8x8xf16> = {
xf.global_weight @q : !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
xf.global_weight @f : tensor<8x8xf16>
xf.global_weight @h : tensor<8x8xf32>
func.func @kept(%x: tensor<?x32xf32>) -> (tensor<8x32xf32>, tensor<8x8xf32>, tensor<8x8xf16>) {
  %q = xf.weight @q : !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %d = xf.dequantize %q : !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>> -> tensor<8x32xf32>
  %f = xf.weight @f : tensor<8x8xf16>
  %w = xf.convert %f : tensor<8x8xf16> to tensor<8x8xf32>
  %h = xf.weight @h : tensor<8x8xf32>
  %n = xf.convert %h : tensor<8x8xf32> to tensor<8x8xf16>
  return %d, %w, %n : tensor<8x32xf32>, tensor<8x8xf32>, tensor<8x8xf16>
}

// -----

// A computation that narrows again is hoisted whole: dequantize, add a
// delta, requantize (an adapter folded into a Q4_0 weight), or widen, add
// and convert back to f16. Wider than what it expands, it stays in the code
// and only its narrow operands are hoisted.

// CHECK-LABEL: func.func @renarrowed
// CHECK-NEXT: %[[Q:.*]] = xf.weight @q.quantize : !xf.qtensor
// CHECK-NEXT: %[[F:.*]] = xf.weight @delta.convert : tensor<8x32xf16>
// CHECK-NEXT: %[[C:.*]] = xf.weight @q.concat : !xf.qtensor<16x32xi4
// CHECK-NEXT: %[[D:.*]] = xf.dequantize %[[C]]
// CHECK-NEXT: return %[[Q]], %[[F]], %[[D]]
// CHECK: xf.global_weight private @q.quantize : !xf.qtensor<8x32xi4, {{.*}}> = {
// CHECK:   xf.dequantize
// CHECK:   xf.add
// CHECK:   xf.quantize
// CHECK: xf.global_weight private @delta.convert : tensor<8x32xf16> = {
// CHECK:   xf.convert %{{.*}} : tensor<8x32xf16> to tensor<8x32xf32>
// CHECK:   xf.add
// CHECK:   xf.convert %{{.*}} : tensor<8x32xf32> to tensor<8x32xf16>
// CHECK: xf.global_weight private @q.concat : !xf.qtensor<16x32xi4
// CHECK-NOT: xf.dequantize
// CHECK: xf.yield
!q4 = !xf.qtensor<8x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
!q4x2 = !xf.qtensor<16x32xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>, #xf.layout<ggml>>
xf.global_weight @q : !q4
xf.global_weight @f : tensor<8x32xf16>
xf.global_weight @delta : tensor<8x32xf32>
func.func @renarrowed() -> (!q4, tensor<8x32xf16>, tensor<16x32xf32>) {
  %q = xf.weight @q : !q4
  %delta = xf.weight @delta : tensor<8x32xf32>
  %dq = xf.dequantize %q : !q4 -> tensor<8x32xf32>
  %sum = xf.add %dq, %delta : (tensor<8x32xf32>, tensor<8x32xf32>) -> tensor<8x32xf32>
  %rq = xf.quantize %sum : tensor<8x32xf32> -> !q4
  %f = xf.weight @f : tensor<8x32xf16>
  %wide = xf.convert %f : tensor<8x32xf16> to tensor<8x32xf32>
  %fsum = xf.add %wide, %delta : (tensor<8x32xf32>, tensor<8x32xf32>) -> tensor<8x32xf32>
  %narrow = xf.convert %fsum : tensor<8x32xf32> to tensor<8x32xf16>
  %c = xf.concat %q, %q [0] : (!q4, !q4) -> !q4x2
  %dc = xf.dequantize %c : !q4x2 -> tensor<16x32xf32>
  return %rq, %narrow, %dc : !q4, tensor<8x32xf16>, tensor<16x32xf32>
}
