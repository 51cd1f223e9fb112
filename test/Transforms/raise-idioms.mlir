// RUN: xfc-opt %s -split-input-file -xf-raise-idioms | FileCheck %s

// A bias (a constant, or a weight) added after a projection, in either
// operand order, becomes the projection's bias.

// CHECK-LABEL: func.func @linear_bias
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x16xf32>, %[[W:.*]]: tensor<32x16xf32>, %[[B:.*]]: tensor<32xf32> {xf.weight = "b"})
// CHECK: %[[C:.*]] = arith.constant dense<5.000000e-01> : tensor<32xf32>
// CHECK: %[[Y:.*]] = xf.linear %[[X]], %[[W]], %[[C]] : (tensor<1x8x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<1x8x32xf32>
// CHECK: %[[Z:.*]] = xf.linear %[[X]], %[[W]], %[[B]] :
// CHECK-NOT: xf.add
// CHECK: return %[[Y]], %[[Z]]
func.func @linear_bias(%x: tensor<1x8x16xf32>, %w: tensor<32x16xf32>, %b: tensor<32xf32> {xf.weight = "b"}) -> (tensor<1x8x32xf32>, tensor<1x8x32xf32>) {
  %c = arith.constant dense<0.5> : tensor<32xf32>
  %p = xf.linear %x, %w : (tensor<1x8x16xf32>, tensor<32x16xf32>) -> tensor<1x8x32xf32>
  %y = xf.add %p, %c : (tensor<1x8x32xf32>, tensor<32xf32>) -> tensor<1x8x32xf32>
  %q = xf.linear %x, %w : (tensor<1x8x16xf32>, tensor<32x16xf32>) -> tensor<1x8x32xf32>
  %z = xf.add %b, %q : (tensor<32xf32>, tensor<1x8x32xf32>) -> tensor<1x8x32xf32>
  return %y, %z : tensor<1x8x32xf32>, tensor<1x8x32xf32>
}

// -----

// Not a bias: another shape, a projection that has one, a product used
// elsewhere.

// CHECK-LABEL: func.func @not_a_bias
// CHECK-COUNT-3: xf.add
func.func @not_a_bias(%x: tensor<8x16xf32>, %w: tensor<32x16xf32>, %b: tensor<32xf32> {xf.weight = "b"}, %row: tensor<8x1xf32> {xf.weight = "row"}) -> (tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>) {
  %p = xf.linear %x, %w : (tensor<8x16xf32>, tensor<32x16xf32>) -> tensor<8x32xf32>
  %y = xf.add %p, %row : (tensor<8x32xf32>, tensor<8x1xf32>) -> tensor<8x32xf32>
  %q = xf.linear %x, %w, %b : (tensor<8x16xf32>, tensor<32x16xf32>, tensor<32xf32>) -> tensor<8x32xf32>
  %z = xf.add %q, %b : (tensor<8x32xf32>, tensor<32xf32>) -> tensor<8x32xf32>
  %r = xf.linear %x, %w : (tensor<8x16xf32>, tensor<32x16xf32>) -> tensor<8x32xf32>
  %s = xf.add %r, %b : (tensor<8x32xf32>, tensor<32xf32>) -> tensor<8x32xf32>
  return %y, %z, %s, %r : tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>, tensor<8x32xf32>
}

// -----

// Exact GELU as BERT's export spells it, (x * 0.5) * (erf(x / sqrt(2)) + 1),
// and as PyTorch's does, (x * (1 + erf(x * (1 / sqrt(2))))) * 0.5.

// CHECK-LABEL: func.func @gelu_erf
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[A:.*]] = xf.gelu erf %[[X]] : tensor<4x8xf32>
// CHECK: %[[B:.*]] = xf.gelu erf %[[X]] : tensor<4x8xf32>
// CHECK-NOT: xf.erf
// CHECK: return %[[A]], %[[B]]
func.func @gelu_erf(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = arith.constant dense<0.5> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %rsqrt2 = arith.constant dense<0.707106769> : tensor<f32>
  %d = xf.div %x, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e = xf.erf %d : tensor<4x8xf32>
  %h = xf.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p = xf.add %e, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %a = xf.mul %h, %p : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %m = xf.mul %x, %rsqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e2 = xf.erf %m : tensor<4x8xf32>
  %p2 = xf.add %one, %e2 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %xp = xf.mul %x, %p2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = xf.mul %xp, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// GPT-2's GELU, 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3))), with
// x^3 as a power or as two products.

// CHECK-LABEL: func.func @gelu_tanh
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>)
// CHECK: %[[A:.*]] = xf.gelu tanh %[[X]] : tensor<4x8xf32>
// CHECK: %[[B:.*]] = xf.gelu tanh %[[X]] : tensor<4x8xf32>
// CHECK-NOT: xf.tanh
// CHECK: return %[[A]], %[[B]]
func.func @gelu_tanh(%x: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = arith.constant dense<0.5> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %three = arith.constant dense<3.0> : tensor<f32>
  %k = arith.constant dense<0.0447149985> : tensor<f32>
  %c = arith.constant dense<0.797884583> : tensor<f32>
  %cube = xf.pow %x, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %kc = xf.mul %cube, %k : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %in = xf.add %x, %kc : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = xf.mul %in, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t = xf.tanh %s : tensor<4x8xf32>
  %h = xf.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p = xf.add %t, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %a = xf.mul %h, %p : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %sq = xf.mul %x, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %cube2 = xf.mul %sq, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %kc2 = xf.mul %k, %cube2 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %in2 = xf.add %kc2, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s2 = xf.mul %c, %in2 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %t2 = xf.tanh %s2 : tensor<4x8xf32>
  %p2 = xf.add %one, %t2 : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %xh = xf.mul %half, %x : (tensor<f32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = xf.mul %p2, %xh : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b : tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Not GELU: another constant, an erf of another value, an intermediate
// used elsewhere.

// CHECK-LABEL: func.func @not_gelu
// CHECK-NOT: xf.gelu
// CHECK-COUNT-3: xf.erf
// CHECK-NOT: xf.gelu
// CHECK: return
func.func @not_gelu(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = arith.constant dense<0.5> : tensor<f32>
  %other = arith.constant dense<0.4> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %sqrt2 = arith.constant dense<1.41421354> : tensor<f32>
  %d = xf.div %x, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e = xf.erf %d : tensor<4x8xf32>
  %h = xf.mul %x, %other : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p = xf.add %e, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %a = xf.mul %h, %p : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %d2 = xf.div %y, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e2 = xf.erf %d2 : tensor<4x8xf32>
  %h2 = xf.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p2 = xf.add %e2, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %b = xf.mul %h2, %p2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %d3 = xf.div %x, %sqrt2 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %e3 = xf.erf %d3 : tensor<4x8xf32>
  %h3 = xf.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p3 = xf.add %e3, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %c = xf.mul %h3, %p3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b, %c, %p3 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// Not GPT-2's GELU: another cubic coefficient, a sum with a product of
// other values, an exponent other than 3.

// CHECK-LABEL: func.func @not_gelu_tanh
// CHECK-NOT: xf.gelu
// CHECK-COUNT-3: xf.tanh
// CHECK-NOT: xf.gelu
// CHECK: return
func.func @not_gelu_tanh(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %half = arith.constant dense<0.5> : tensor<f32>
  %one = arith.constant dense<1.0> : tensor<f32>
  %three = arith.constant dense<3.0> : tensor<f32>
  %almost3 = arith.constant dense<3.00000024> : tensor<f32>
  %k = arith.constant dense<0.0447149985> : tensor<f32>
  %other = arith.constant dense<0.04472> : tensor<f32>
  %c = arith.constant dense<0.797884583> : tensor<f32>
  %cube = xf.pow %x, %three : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %kc = xf.mul %cube, %other : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %in = xf.add %x, %kc : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s = xf.mul %in, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t = xf.tanh %s : tensor<4x8xf32>
  %h = xf.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p = xf.add %t, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %a = xf.mul %h, %p : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %xy = xf.mul %x, %y : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %in2 = xf.add %x, %xy : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s2 = xf.mul %in2, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t2 = xf.tanh %s2 : tensor<4x8xf32>
  %h2 = xf.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p2 = xf.add %t2, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %b = xf.mul %h2, %p2 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %cube3 = xf.pow %x, %almost3 : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %kc3 = xf.mul %cube3, %k : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %in3 = xf.add %x, %kc3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  %s3 = xf.mul %in3, %c : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %t3 = xf.tanh %s3 : tensor<4x8xf32>
  %h3 = xf.mul %x, %half : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %p3 = xf.add %t3, %one : (tensor<4x8xf32>, tensor<f32>) -> tensor<4x8xf32>
  %d = xf.mul %h3, %p3 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b, %d : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}

// -----

// A residual computed at run time is not a bias, even when it has the
// bias's shape.

// CHECK-LABEL: func.func @runtime_vector
// CHECK: xf.linear %{{.*}}, %{{.*}} : (tensor<16xf32>, tensor<32x16xf32>) -> tensor<32xf32>
// CHECK: xf.add
func.func @runtime_vector(%x: tensor<16xf32>, %w: tensor<32x16xf32>, %r: tensor<32xf32>) -> tensor<32xf32> {
  %p = xf.linear %x, %w : (tensor<16xf32>, tensor<32x16xf32>) -> tensor<32xf32>
  %y = xf.add %p, %r : (tensor<32xf32>, tensor<32xf32>) -> tensor<32xf32>
  return %y : tensor<32xf32>
}

// -----

// LayerNorm spelled out as older exporters write it (GPT-2's export):
// mean, centered values, mean of their square (pow 2 or a product), the
// root of the variance plus eps, then scale and shift.

// CHECK-LABEL: func.func @layer_norm
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x8xf32>)
// CHECK-DAG: %[[G:.*]] = arith.constant dense<2.000000e+00> : tensor<8xf32>
// CHECK-DAG: %[[B:.*]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
// CHECK: %[[A:.*]] = xf.layer_norm %[[X]], %[[G]], %[[B]] eps = 9.99999974E-6 : tensor<1x4x8xf32>, tensor<8xf32>, tensor<8xf32>
// CHECK: %[[C:.*]] = xf.layer_norm %[[X]], %[[G]], %[[B]] eps = 9.99999974E-6 :
// CHECK-NOT: xf.reduce_mean
// CHECK: return %[[A]], %[[C]]
func.func @layer_norm(%x: tensor<1x4x8xf32>) -> (tensor<1x4x8xf32>, tensor<1x4x8xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %b = arith.constant dense<1.0> : tensor<8xf32>
  %m = xf.reduce_mean %x[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %d = xf.sub %x, %m : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %sq = xf.pow %d, %two : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %v = xf.reduce_mean %sq[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %ve = xf.add %v, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %s = xf.sqrt %ve : tensor<1x4x1xf32>
  %n = xf.div %d, %s : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %y = xf.mul %n, %g : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %a = xf.add %y, %b : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %m2 = xf.reduce_mean %x[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %d2 = xf.sub %x, %m2 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %sq2 = xf.mul %d2, %d2 : (tensor<1x4x8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %v2 = xf.reduce_mean %sq2[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %ve2 = xf.add %eps, %v2 : (tensor<f32>, tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %s2 = xf.sqrt %ve2 : tensor<1x4x1xf32>
  %n2 = xf.div %d2, %s2 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %y2 = xf.mul %g, %n2 : (tensor<8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  %c = xf.add %b, %y2 : (tensor<8xf32>, tensor<1x4x8xf32>) -> tensor<1x4x8xf32>
  return %a, %c : tensor<1x4x8xf32>, tensor<1x4x8xf32>
}

// -----

// Not LayerNorm: the mean over another axis, a square of another value,
// the centered values used elsewhere.

// CHECK-LABEL: func.func @not_layer_norm
// CHECK-NOT: xf.layer_norm
// CHECK-COUNT-3: xf.sqrt
// CHECK-NOT: xf.layer_norm
// CHECK: return
func.func @not_layer_norm(%x: tensor<1x4x8xf32>, %z: tensor<1x4x8xf32>) -> (tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>) {
  %two = arith.constant dense<2.0> : tensor<f32>
  %eps = arith.constant dense<1.0e-5> : tensor<f32>
  %g = arith.constant dense<2.0> : tensor<8xf32>
  %b = arith.constant dense<1.0> : tensor<8xf32>
  %m = xf.reduce_mean %x[1] : tensor<1x4x8xf32> -> tensor<1x1x8xf32>
  %d = xf.sub %x, %m : (tensor<1x4x8xf32>, tensor<1x1x8xf32>) -> tensor<1x4x8xf32>
  %sq = xf.pow %d, %two : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %v = xf.reduce_mean %sq[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %ve = xf.add %v, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %s = xf.sqrt %ve : tensor<1x4x1xf32>
  %n = xf.div %d, %s : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %y = xf.mul %n, %g : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %a = xf.add %y, %b : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %m2 = xf.reduce_mean %x[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %d2 = xf.sub %x, %m2 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %sq2 = xf.pow %z, %two : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %v2 = xf.reduce_mean %sq2[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %ve2 = xf.add %v2, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %s2 = xf.sqrt %ve2 : tensor<1x4x1xf32>
  %n2 = xf.div %d2, %s2 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %y2 = xf.mul %n2, %g : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %c = xf.add %y2, %b : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %m3 = xf.reduce_mean %x[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %d3 = xf.sub %x, %m3 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %sq3 = xf.pow %d3, %two : (tensor<1x4x8xf32>, tensor<f32>) -> tensor<1x4x8xf32>
  %v3 = xf.reduce_mean %sq3[2] : tensor<1x4x8xf32> -> tensor<1x4x1xf32>
  %ve3 = xf.add %v3, %eps : (tensor<1x4x1xf32>, tensor<f32>) -> tensor<1x4x1xf32>
  %s3 = xf.sqrt %ve3 : tensor<1x4x1xf32>
  %n3 = xf.div %d3, %s3 : (tensor<1x4x8xf32>, tensor<1x4x1xf32>) -> tensor<1x4x8xf32>
  %y3 = xf.mul %n3, %g : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  %e = xf.add %y3, %b : (tensor<1x4x8xf32>, tensor<8xf32>) -> tensor<1x4x8xf32>
  return %a, %c, %e, %d3 : tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>, tensor<1x4x8xf32>
}
