// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg | FileCheck %s

// The mean along the last dimension of f16 rows: accumulated in f32,
// divided by the static count, rounded once, and the axis put back.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROWS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[VEC:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @mean_of_rows(
// CHECK-SAME: %[[W:.*]]: tensor<16x8xf16>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<16xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[EMPTY]] : tensor<16xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROWS]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[W]] : tensor<16x8xf16>) outs(%[[ACC]] : tensor<16xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f16, %[[OUT:.*]]: f32):
// CHECK: %[[WIDE:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[ADD:.*]] = arith.addf %[[OUT]], %[[WIDE]] : f32
// CHECK: linalg.yield %[[ADD]]
// CHECK: %[[N:.*]] = arith.constant 8.000000e+00 : f32
// CHECK: %[[MEAN:.*]] = linalg.generic {indexing_maps = [#[[VEC]], #[[VEC]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[SUM]] : tensor<16xf32>) outs(%{{.*}} : tensor<16xf16>)
// CHECK: %[[Q:.*]] = arith.divf %{{.*}}, %[[N]] : f32
// CHECK: %[[R:.*]] = arith.truncf %[[Q]] : f32 to f16
// CHECK: linalg.yield %[[R]]
// CHECK: %[[KEPT:.*]] = tensor.expand_shape %[[MEAN]] {{\[}}[0, 1]] output_shape [16, 1] : tensor<16xf16> into tensor<16x1xf16>
// CHECK: return %[[KEPT]]
func.func @mean_of_rows(%w: tensor<16x8xf16>) -> tensor<16x1xf16> {
  %m = xf.reduce_mean %w [1] : tensor<16x8xf16> -> tensor<16x1xf16>
  return %m : tensor<16x1xf16>
}

// -----

// Along a dynamic first axis the count is read at run time; the unit
// dimension joins the group of the next one.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COLS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @mean_of_columns(
// CHECK-SAME: %[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x8xf32>
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COLS]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x8xf32>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: %[[I:.*]] = arith.index_cast %[[DIM]] : index to i64
// CHECK: %[[N:.*]] = arith.sitofp %[[I]] : i64 to f32
// CHECK: %[[MEAN:.*]] = linalg.generic
// CHECK: arith.divf %{{.*}}, %[[N]] : f32
// CHECK: tensor.expand_shape %[[MEAN]] {{\[}}[0, 1]] output_shape [1, 8] : tensor<8xf32> into tensor<1x8xf32>
func.func @mean_of_columns(%x: tensor<?x8xf32>) -> tensor<1x8xf32> {
  %m = xf.reduce_mean %x [0] : tensor<?x8xf32> -> tensor<1x8xf32>
  return %m : tensor<1x8xf32>
}

// -----

// A vector's mean is a rank-0 sum expanded without groups.
// CHECK-LABEL: func.func @mean_of_vector(
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%{{.*}} : tensor<8xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[MEAN:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<f32>) outs(%{{.*}} : tensor<f32>)
// CHECK: tensor.expand_shape %[[MEAN]] [] output_shape [1] : tensor<f32> into tensor<1xf32>
func.func @mean_of_vector(%x: tensor<8xf32>) -> tensor<1xf32> {
  %m = xf.reduce_mean %x [0] : tensor<8xf32> -> tensor<1xf32>
  return %m : tensor<1xf32>
}

// -----

// A result type less static than the input's is reached with a cast.
// CHECK-LABEL: func.func @dynamic_result(
// CHECK: %[[KEPT:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
// CHECK: %[[C:.*]] = tensor.cast %[[KEPT]] : tensor<4x1xf32> to tensor<?x1xf32>
// CHECK: return %[[C]]
func.func @dynamic_result(%x: tensor<4x8xf32>) -> tensor<?x1xf32> {
  %m = xf.reduce_mean %x [1] : tensor<4x8xf32> -> tensor<?x1xf32>
  return %m : tensor<?x1xf32>
}
