// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg | FileCheck %s

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @silu(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x64xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x64xf32>) outs(%[[INIT]] : tensor<?x64xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-DAG: %[[NEG:.*]] = arith.negf %[[IN]] : f32
// CHECK: %[[E:.*]] = math.exp %[[NEG]] : f32
// CHECK: %[[DEN:.*]] = arith.addf %[[ONE]], %[[E]] : f32
// CHECK: %[[Y:.*]] = arith.divf %[[IN]], %[[DEN]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]] : tensor<?x64xf32>
func.func @silu(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = xf.silu %x : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// 0.5 x (1 + erf(x / sqrt(2)))
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @gelu_erf(
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[RSQRT2:.*]] = arith.constant 0.707106769 : f32
// CHECK: %[[S:.*]] = arith.mulf %[[IN]], %[[RSQRT2]] : f32
// CHECK: %[[ERF:.*]] = math.erf %[[S]] : f32
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[HX:.*]] = arith.mulf %[[HALF]], %[[IN]] : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[P:.*]] = arith.addf %[[ONE]], %[[ERF]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[HX]], %[[P]] : f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @gelu_erf(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = xf.gelu erf %x : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @gelu_tanh(
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[X2:.*]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK: %[[X3:.*]] = arith.mulf %[[IN]], %[[X2]] : f32
// CHECK: %[[A:.*]] = arith.constant 4.471500e-02 : f32
// CHECK: %[[AX3:.*]] = arith.mulf %[[A]], %[[X3]] : f32
// CHECK: %[[POLY:.*]] = arith.addf %[[IN]], %[[AX3]] : f32
// CHECK: %[[K:.*]] = arith.constant 0.797884583 : f32
// CHECK: %[[ARG:.*]] = arith.mulf %[[K]], %[[POLY]] : f32
// CHECK: %[[T:.*]] = math.tanh %[[ARG]] : f32
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[HX:.*]] = arith.mulf %[[HALF]], %[[IN]] : f32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: %[[P:.*]] = arith.addf %[[ONE]], %[[T]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[HX]], %[[P]] : f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @gelu_tanh(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = xf.gelu tanh %x : tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @convert_f16_to_f32(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf16>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf16>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x64xf16>) outs(%[[INIT]] : tensor<?x64xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: f32):
// CHECK: %[[Y:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @convert_f16_to_f32(%x: tensor<?x64xf16>) -> tensor<?x64xf32> {
  %0 = xf.convert %x : tensor<?x64xf16> to tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @convert_f32_to_bf16(
// CHECK-SAME: %[[X:.*]]: tensor<4x64xf32>)
// CHECK-NOT: tensor.dim
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<4x64xbf16>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<4x64xf32>) outs(%[[INIT]] : tensor<4x64xbf16>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: bf16):
// CHECK: %[[Y:.*]] = arith.truncf %[[IN]] : f32 to bf16
// CHECK: linalg.yield %[[Y]] : bf16
func.func @convert_f32_to_bf16(%x: tensor<4x64xf32>) -> tensor<4x64xbf16> {
  %0 = xf.convert %x : tensor<4x64xf32> to tensor<4x64xbf16>
  return %0 : tensor<4x64xbf16>
}

// -----

// Equal widths have no direct cast: widen to f32, then narrow.
// CHECK-LABEL: func.func @convert_f16_to_bf16(
// CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: bf16):
// CHECK: %[[W:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[Y:.*]] = arith.truncf %[[W]] : f32 to bf16
// CHECK: linalg.yield %[[Y]] : bf16
func.func @convert_f16_to_bf16(%x: tensor<8xf16>) -> tensor<8xbf16> {
  %0 = xf.convert %x : tensor<8xf16> to tensor<8xbf16>
  return %0 : tensor<8xbf16>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @add_same_shape(
// CHECK-SAME: %[[A:.*]]: tensor<?x64xf32>, %[[B:.*]]: tensor<?x64xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x64xf32>, tensor<?x64xf32>) outs(%[[INIT]] : tensor<?x64xf32>)
// CHECK: ^bb0(%[[L:.*]]: f32, %[[RR:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[S:.*]] = arith.addf %[[L]], %[[RR]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @add_same_shape(%a: tensor<?x64xf32>, %b: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %0 = xf.add %a, %b : (tensor<?x64xf32>, tensor<?x64xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Subtracting a per-row value, as centering a weight does: operands in
// order, the row operand stretched along the columns.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-LABEL: func.func @sub_row(
// CHECK-SAME: %[[A:.*]]: tensor<16x8xf32>, %[[M:.*]]: tensor<16x1xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[M]] : tensor<16x8xf32>, tensor<16x1xf32>)
// CHECK: ^bb0(%[[L:.*]]: f32, %[[RR:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[D:.*]] = arith.subf %[[L]], %[[RR]] : f32
// CHECK: linalg.yield %[[D]] : f32
func.func @sub_row(%a: tensor<16x8xf32>, %m: tensor<16x1xf32>) -> tensor<16x8xf32> {
  %0 = xf.sub %a, %m : (tensor<16x8xf32>, tensor<16x1xf32>) -> tensor<16x8xf32>
  return %0 : tensor<16x8xf32>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[SCALAR:.*]] = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @mul_rank0_scalar(
// CHECK-SAME: %[[A:.*]]: tensor<?x64xf32>, %[[S:.*]]: tensor<f32>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[SCALAR]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[S]] : tensor<?x64xf32>, tensor<f32>)
// CHECK: ^bb0(%[[L:.*]]: f32, %[[RR:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[P:.*]] = arith.mulf %[[L]], %[[RR]] : f32
// CHECK: linalg.yield %[[P]] : f32
func.func @mul_rank0_scalar(%a: tensor<?x64xf32>, %s: tensor<f32>) -> tensor<?x64xf32> {
  %0 = xf.mul %a, %s : (tensor<?x64xf32>, tensor<f32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// CHECK-DAG: #[[ID0:.*]] = affine_map<() -> ()>
// CHECK-LABEL: func.func @add_rank0(
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<f32>
// CHECK: linalg.generic {indexing_maps = [#[[ID0]], #[[ID0]], #[[ID0]]], iterator_types = []}
// CHECK-SAME: outs(%[[INIT]] : tensor<f32>)
// CHECK: arith.addf
func.func @add_rank0(%a: tensor<f32>, %b: tensor<f32>) -> tensor<f32> {
  %0 = xf.add %a, %b : (tensor<f32>, tensor<f32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// The lower-rank operand aligns on the right.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @add_lower_rank(
// CHECK-SAME: %[[A:.*]]: tensor<?x8x64xf32>, %[[B:.*]]: tensor<64xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<?x8x64xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x8x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[LAST]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x8x64xf32>, tensor<64xf32>) outs(%[[INIT]] : tensor<?x8x64xf32>)
// CHECK: arith.addf
func.func @add_lower_rank(%a: tensor<?x8x64xf32>, %b: tensor<64xf32>) -> tensor<?x8x64xf32> {
  %0 = xf.add %a, %b : (tensor<?x8x64xf32>, tensor<64xf32>) -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

// Static size-1 dimensions that stretch read index 0.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @mul_unit_dims(
// CHECK-SAME: %[[A:.*]]: tensor<?x1x64xf32>, %[[B:.*]]: tensor<?x8x1xf32>)
// CHECK: %[[INIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x8x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x1x64xf32>, tensor<?x8x1xf32>) outs(%[[INIT]] : tensor<?x8x64xf32>)
// CHECK: arith.mulf
func.func @mul_unit_dims(%a: tensor<?x1x64xf32>, %b: tensor<?x8x1xf32>) -> tensor<?x8x64xf32> {
  %0 = xf.mul %a, %b : (tensor<?x1x64xf32>, tensor<?x8x1xf32>) -> tensor<?x8x64xf32>
  return %0 : tensor<?x8x64xf32>
}

// -----

// The dynamic result size comes from the operand that does not stretch.
// CHECK-DAG: #[[LHS:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-DAG: #[[RHS:.*]] = affine_map<(d0, d1) -> (d0, 0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @mul_unit_dim_dynamic_result(
// CHECK-SAME: %[[A:.*]]: tensor<1x64xf32>, %[[B:.*]]: tensor<?x1xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[B]], %[[C0]] : tensor<?x1xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[LHS]], #[[RHS]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: outs(%[[INIT]] : tensor<?x64xf32>)
func.func @mul_unit_dim_dynamic_result(%a: tensor<1x64xf32>, %b: tensor<?x1xf32>) -> tensor<?x64xf32> {
  %0 = xf.mul %a, %b : (tensor<1x64xf32>, tensor<?x1xf32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Where every operand has a static 1, the dynamic result size is 1.
// CHECK-DAG: #[[UNIT:.*]] = affine_map<(d0) -> (0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @add_unit_dims_dynamic_result(
// CHECK-SAME: %[[A:.*]]: tensor<1xf32>, %[[B:.*]]: tensor<1xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[INIT:.*]] = tensor.empty(%[[C1]]) : tensor<?xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[UNIT]], #[[UNIT]], #[[ID]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<1xf32>, tensor<1xf32>) outs(%[[INIT]] : tensor<?xf32>)
// CHECK: arith.addf
// CHECK: return %[[R]] : tensor<?xf32>
func.func @add_unit_dims_dynamic_result(%a: tensor<1xf32>, %b: tensor<1xf32>) -> tensor<?xf32> {
  %0 = xf.add %a, %b : (tensor<1xf32>, tensor<1xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// The same with an operand that lacks the dimension.
// CHECK-LABEL: func.func @mul_unit_and_rank0_dynamic_result(
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: tensor.empty(%[[C1]]) : tensor<?xf32>
// CHECK: arith.mulf
func.func @mul_unit_and_rank0_dynamic_result(%a: tensor<1xf32>, %s: tensor<f32>) -> tensor<?xf32> {
  %0 = xf.mul %a, %s : (tensor<1xf32>, tensor<f32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}
