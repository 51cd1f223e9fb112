// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg | FileCheck %s

// Division and powers broadcast as the other binary ops do.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ONE:.*]] = affine_map<(d0, d1) -> (0)>
// CHECK-LABEL: func.func @div_pow(
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]]
// CHECK: arith.divf
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ONE]], #[[ID]]]
// CHECK: math.powf
func.func @div_pow(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %p: tensor<1xf32>) -> tensor<2x3xf32> {
  %0 = xf.div %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %1 = xf.pow %0, %p : (tensor<2x3xf32>, tensor<1xf32>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// CHECK-LABEL: func.func @unary(
// CHECK: math.sqrt
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: arith.divf %[[ONE]]
// CHECK: math.erf
// CHECK: math.tanh
// CHECK: math.exp
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: arith.maximumf %{{.*}}, %[[ZERO]] : f32
func.func @unary(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = xf.sqrt %x : tensor<4xf32>
  %1 = xf.reciprocal %0 : tensor<4xf32>
  %2 = xf.erf %1 : tensor<4xf32>
  %3 = xf.tanh %2 : tensor<4xf32>
  %4 = xf.sigmoid %3 : tensor<4xf32>
  %5 = xf.relu %4 : tensor<4xf32>
  return %5 : tensor<4xf32>
}

// -----

// Three operands broadcast; the condition selects.
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @where(
// CHECK: linalg.generic {indexing_maps = [#[[COL]], #[[ID]], #[[ROW]], #[[ID]]]
// CHECK: ^bb0(%[[C:.*]]: i1, %[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK: arith.select %[[C]], %[[A]], %[[B]] : f32
func.func @where(%c: tensor<2x1xi1>, %a: tensor<2x3xf32>, %b: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = xf.where %c, %a, %b : (tensor<2x1xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d1, 0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @broadcast(
// CHECK: tensor.empty() : tensor<2x3x4xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[ID]]]
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[V]] : f32
func.func @broadcast(%x: tensor<3x1xf32>) -> tensor<2x3x4xf32> {
  %0 = xf.broadcast %x : tensor<3x1xf32> -> tensor<2x3x4xf32>
  return %0 : tensor<2x3x4xf32>
}

// -----

// The result iterates the input's outer dims, the indices' and the input's
// inner ones; a negative index counts from the end of the axis.
// CHECK-DAG: #[[IDX:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @gather(
// CHECK-SAME: %[[X:.*]]: tensor<3x5x4xf32>, %[[I:.*]]: tensor<2x2xi64>)
// CHECK-DAG: %[[SIZE:.*]] = arith.constant 5 : index
// CHECK: linalg.generic {indexing_maps = [#[[IDX]], #[[ID]]]
// CHECK-SAME: ins(%[[I]] : tensor<2x2xi64>)
// CHECK: ^bb0(%[[V:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[AT:.*]] = arith.index_cast %[[V]] : i64 to index
// CHECK: %[[NEG:.*]] = arith.cmpi slt, %[[AT]], %{{.*}} : index
// CHECK: %[[UP:.*]] = arith.addi %[[AT]], %[[SIZE]] : index
// CHECK: %[[W:.*]] = arith.select %[[NEG]], %[[UP]], %[[AT]] : index
// An index still outside [0, 5) reads nothing and reports the error.
// CHECK-DAG: %[[LOW:.*]] = arith.cmpi slt, %[[W]], %{{.*}} : index
// CHECK-DAG: %[[HIGH:.*]] = arith.cmpi sge, %[[W]], %[[SIZE]] : index
// CHECK: %[[OUT:.*]] = arith.ori %[[LOW]], %[[HIGH]] : i1
// CHECK: %[[D0:.*]] = linalg.index 0 : index
// CHECK: %[[D3:.*]] = linalg.index 3 : index
// CHECK: %[[R:.*]] = scf.if %[[OUT]] -> (f32) {
// CHECK-NEXT: func.call @xfm_index_out_of_range() : () -> ()
// CHECK-NEXT: %[[Z:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT: scf.yield %[[Z]] : f32
// CHECK-NEXT: } else {
// CHECK-NEXT: %[[E:.*]] = tensor.extract %[[X]][%[[D0]], %[[W]], %[[D3]]] : tensor<3x5x4xf32>
// CHECK-NEXT: scf.yield %[[E]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @gather(%x: tensor<3x5x4xf32>, %i: tensor<2x2xi64>) -> tensor<3x2x2x4xf32> {
  %0 = xf.gather %x[%i] {axis = 1 : i64} : (tensor<3x5x4xf32>, tensor<2x2xi64>) -> tensor<3x2x2x4xf32>
  return %0 : tensor<3x2x2x4xf32>
}
