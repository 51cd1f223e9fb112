// RUN: xfc-opt %s -split-input-file -xf-approximate-math | FileCheck %s

// An f32 exponential in a linalg body (SiLU's) becomes arithmetic: a range
// reduction, a polynomial and an exponent built with integer ops.

// CHECK-LABEL: func.func @silu
// CHECK-NOT: math.exp
// CHECK: linalg.generic
// CHECK: math.fma
// CHECK: arith.bitcast
// CHECK-NOT: math.exp
func.func @silu(%x: tensor<?xf32>, %out: tensor<?xf32>) -> tensor<?xf32> {
  %0 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%out : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %n = arith.negf %a : f32
    %e = math.exp %n : f32
    %one = arith.constant 1.0 : f32
    %d = arith.addf %one, %e : f32
    %s = arith.divf %a, %d : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Other functions, and exponentials of other types, are left to libm.

// CHECK-LABEL: func.func @others
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.tanh
func.func @others(%a: f64, %b: f32) -> (f64, f32) {
  %0 = math.exp %a : f64
  %1 = math.tanh %b : f32
  return %0, %1 : f64, f32
}
