// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg | FileCheck %s

// y[m, n] = sum_k x[m, k] * w[n, k], from a zero-filled init.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[IN:.*]]: tensor<?x64xf32>, %[[WT:.*]]: tensor<128x64xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[IN]], %[[C0]] : tensor<?x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x128xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x128xf32>)
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[IN]], %[[WT]] : tensor<?x64xf32>, tensor<128x64xf32>) outs(%[[ACC]] : tensor<?x128xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[P:.*]] = arith.mulf %[[A]], %[[B]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[R]]
func.func @linear(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>) -> tensor<?x128xf32> {
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// The bias, broadcast over rows, is the accumulator's initial value.
// CHECK-DAG: #[[BIAS:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear_bias(
// CHECK-SAME: %[[IN:.*]]: tensor<?x64xf32>, %[[WT:.*]]: tensor<128x64xf32>, %[[B:.*]]: tensor<128xf32>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x128xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[ACC:.*]] = linalg.generic {indexing_maps = [#[[BIAS]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[B]] : tensor<128xf32>) outs(%[[E]] : tensor<?x128xf32>)
// CHECK: ^bb0(%[[BI:.*]]: f32, %{{.*}}: f32):
// CHECK: linalg.yield %[[BI]] : f32
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[IN]], %[[WT]] : tensor<?x64xf32>, tensor<128x64xf32>) outs(%[[ACC]] : tensor<?x128xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: return %[[R]]
func.func @linear_bias(%x: tensor<?x64xf32>, %w: tensor<128x64xf32>, %b: tensor<128xf32>) -> tensor<?x128xf32> {
  %0 = xf.linear %x, %w, %b : (tensor<?x64xf32>, tensor<128x64xf32>, tensor<128xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// Leading input dimensions are all rows: loops (b, t, n, k).
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @linear_rank3(
// CHECK-SAME: %[[IN:.*]]: tensor<2x?x64xf32>, %[[WT:.*]]: tensor<128x64xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[IN]], %[[C1]] : tensor<2x?x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<2x?x128xf32>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<2x?x128xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[IN]], %[[WT]] : tensor<2x?x64xf32>, tensor<128x64xf32>) outs(%[[ACC]] : tensor<2x?x128xf32>)
func.func @linear_rank3(%x: tensor<2x?x64xf32>, %w: tensor<128x64xf32>) -> tensor<2x?x128xf32> {
  %0 = xf.linear %x, %w : (tensor<2x?x64xf32>, tensor<128x64xf32>) -> tensor<2x?x128xf32>
  return %0 : tensor<2x?x128xf32>
}

// -----

// A narrower weight widens in the body.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @linear_f16_weight(
// CHECK: linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<?x64xf32>, tensor<128x64xf16>) outs(%{{.*}} : tensor<?x128xf32>)
// CHECK: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f16, %[[OUT:.*]]: f32):
// CHECK: %[[BW:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[A]], %[[BW]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
func.func @linear_f16_weight(%x: tensor<?x64xf32>, %w: tensor<128x64xf16>) -> tensor<?x128xf32> {
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf16>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// A dequantized weight is a plain tensor: the linear lowers, the
// dequantize stays.
xf.global_weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
// CHECK-LABEL: func.func @linear_dequantized_weight(
// CHECK: %[[Q:.*]] = xf.weight @q
// CHECK: %[[W:.*]] = xf.dequantize %[[Q]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[W]] : tensor<?x64xf32>, tensor<128x64xf32>)
// CHECK-NOT: xf.linear
func.func @linear_dequantized_weight(%x: tensor<?x64xf32>) -> tensor<?x128xf32> {
  %q = xf.weight @q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>>
  %w = xf.dequantize %q : !xf.qtensor<128x64xi4, #xf.quant<bits = 4, group = 32, symmetric, scale = f16>> -> tensor<128x64xf32>
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<128x64xf32>) -> tensor<?x128xf32>
  return %0 : tensor<?x128xf32>
}

// -----

// out[b, m, n] = sum_k lhs[b, m, k] * rhs[b, k, n]
// CHECK-DAG: #[[L:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[R:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d3, d2)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul(
// CHECK-SAME: %[[A:.*]]: tensor<8x?x64xf32>, %[[B:.*]]: tensor<8x64x?xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[M:.*]] = tensor.dim %[[A]], %[[C1]] : tensor<8x?x64xf32>
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[N:.*]] = tensor.dim %[[B]], %[[C2]] : tensor<8x64x?xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<8x?x?xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<8x?x?xf32>)
// CHECK: %[[RES:.*]] = linalg.generic {indexing_maps = [#[[L]], #[[R]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<8x?x64xf32>, tensor<8x64x?xf32>) outs(%[[ACC]] : tensor<8x?x?xf32>)
// CHECK: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[P:.*]] = arith.mulf %[[X]], %[[Y]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: return %[[RES]]
func.func @matmul(%a: tensor<8x?x64xf32>, %b: tensor<8x64x?xf32>) -> tensor<8x?x?xf32> {
  %0 = xf.matmul %a, %b : (tensor<8x?x64xf32>, tensor<8x64x?xf32>) -> tensor<8x?x?xf32>
  return %0 : tensor<8x?x?xf32>
}

// -----

// With transpose_rhs, rhs is [b, n, k] and N is its dimension 1.
// CHECK-DAG: #[[L:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
// CHECK-DAG: #[[R:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3)>
// CHECK-DAG: #[[O:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_transpose_rhs(
// CHECK-SAME: %[[A:.*]]: tensor<8x?x64xf32>, %[[B:.*]]: tensor<8x?x64xf32>)
// CHECK: %[[M:.*]] = tensor.dim %[[A]], %{{.*}} : tensor<8x?x64xf32>
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[N:.*]] = tensor.dim %[[B]], %[[C1]] : tensor<8x?x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[M]], %[[N]]) : tensor<8x?x?xf32>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<8x?x?xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[L]], #[[R]], #[[O]]], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<8x?x64xf32>, tensor<8x?x64xf32>) outs(%[[ACC]] : tensor<8x?x?xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
func.func @matmul_transpose_rhs(%a: tensor<8x?x64xf32>, %b: tensor<8x?x64xf32>) -> tensor<8x?x?xf32> {
  %0 = xf.matmul %a, %b transpose_rhs : (tensor<8x?x64xf32>, tensor<8x?x64xf32>) -> tensor<8x?x?xf32>
  return %0 : tensor<8x?x?xf32>
}

// -----

// out[t, d] = table[ids[t], d]; an f16 table widens to the result type.
// CHECK-DAG: #[[IDS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @embedding_i32(
// CHECK-SAME: %[[T:.*]]: tensor<1000x64xf16>, %[[I:.*]]: tensor<?xi32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[I]], %[[C0]] : tensor<?xi32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[IDS]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[I]] : tensor<?xi32>) outs(%[[E]] : tensor<?x64xf32>)
// CHECK: ^bb0(%[[ROWID:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[ROW:.*]] = arith.index_cast %[[ROWID]] : i32 to index
// CHECK: %[[COL:.*]] = linalg.index 1 : index
// CHECK: %[[V:.*]] = tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<1000x64xf16>
// CHECK: %[[W:.*]] = arith.extf %[[V]] : f16 to f32
// CHECK: linalg.yield %[[W]] : f32
// CHECK: return %[[R]]
func.func @embedding_i32(%t: tensor<1000x64xf16>, %ids: tensor<?xi32>) -> tensor<?x64xf32> {
  %0 = xf.embedding %t[%ids] : (tensor<1000x64xf16>, tensor<?xi32>) -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// CHECK-DAG: #[[IDS:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @embedding_i64(
// CHECK-SAME: %[[T:.*]]: tensor<1000x64xf32>, %[[I:.*]]: tensor<7xi64>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<7x64xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IDS]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[I]] : tensor<7xi64>) outs(%[[E]] : tensor<7x64xf32>)
// CHECK: ^bb0(%[[ROWID:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[ROW:.*]] = arith.index_cast %[[ROWID]] : i64 to index
// CHECK: %[[COL:.*]] = linalg.index 1 : index
// CHECK: %[[V:.*]] = tensor.extract %[[T]][%[[ROW]], %[[COL]]] : tensor<1000x64xf32>
// CHECK-NOT: arith.extf
// CHECK: linalg.yield %[[V]] : f32
func.func @embedding_i64(%t: tensor<1000x64xf32>, %ids: tensor<7xi64>) -> tensor<7x64xf32> {
  %0 = xf.embedding %t[%ids] : (tensor<1000x64xf32>, tensor<7xi64>) -> tensor<7x64xf32>
  return %0 : tensor<7x64xf32>
}

// -----

// f16 and bf16 have no direct cast; the element goes through f32.
// CHECK-LABEL: func.func @embedding_f16_table_bf16_result(
// CHECK: %[[V:.*]] = tensor.extract
// CHECK: %[[W:.*]] = arith.extf %[[V]] : f16 to f32
// CHECK: %[[N:.*]] = arith.truncf %[[W]] : f32 to bf16
// CHECK: linalg.yield %[[N]] : bf16
func.func @embedding_f16_table_bf16_result(%t: tensor<1000x64xf16>, %ids: tensor<?xi32>) -> tensor<?x64xbf16> {
  %0 = xf.embedding %t[%ids] : (tensor<1000x64xf16>, tensor<?xi32>) -> tensor<?x64xbf16>
  return %0 : tensor<?x64xbf16>
}

// -----

// Narrow types accumulate in f32 (both operands widen, whatever their
// types) and round to the result type once, in a second generic.
// CHECK-DAG: #[[X:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-DAG: #[[W:.*]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-DAG: #[[Y:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @linear_bf16_input_f16_weight(
// CHECK-SAME: %[[IN:.*]]: tensor<?x64xbf16>, %[[WT:.*]]: tensor<128x64xf16>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x128xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?x128xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[X]], #[[W]], #[[Y]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[IN]], %[[WT]] : tensor<?x64xbf16>, tensor<128x64xf16>) outs(%[[ACC]] : tensor<?x128xf32>)
// CHECK: ^bb0(%[[A:.*]]: bf16, %[[B:.*]]: f16, %[[OUT:.*]]: f32):
// CHECK: %[[AW:.*]] = arith.extf %[[A]] : bf16 to f32
// CHECK: %[[BW:.*]] = arith.extf %[[B]] : f16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[AW]], %[[BW]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[OUT]], %[[P]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: %[[INIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x128xbf16>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[SUM]] : tensor<?x128xf32>) outs(%[[INIT]] : tensor<?x128xbf16>)
// CHECK: ^bb0(%[[V:.*]]: f32, %{{.*}}: bf16):
// CHECK: %[[N:.*]] = arith.truncf %[[V]] : f32 to bf16
// CHECK: linalg.yield %[[N]] : bf16
// CHECK: return %[[R]]
func.func @linear_bf16_input_f16_weight(%x: tensor<?x64xbf16>, %w: tensor<128x64xf16>) -> tensor<?x128xbf16> {
  %0 = xf.linear %x, %w : (tensor<?x64xbf16>, tensor<128x64xf16>) -> tensor<?x128xbf16>
  return %0 : tensor<?x128xbf16>
}

// -----

// A narrow bias widens into the f32 accumulator.
// CHECK-LABEL: func.func @linear_f16_bias(
// CHECK-SAME: %{{.*}}: tensor<?x64xf16>, %{{.*}}: tensor<128x64xf16>, %[[B:.*]]: tensor<128xf16>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x128xf32>
// CHECK: %[[ACC:.*]] = linalg.generic
// CHECK-SAME: ins(%[[B]] : tensor<128xf16>) outs(%[[E]] : tensor<?x128xf32>)
// CHECK: ^bb0(%[[BI:.*]]: f16, %{{.*}}: f32):
// CHECK: %[[BW:.*]] = arith.extf %[[BI]] : f16 to f32
// CHECK: linalg.yield %[[BW]] : f32
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: outs(%[[ACC]] : tensor<?x128xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[SUM]] : tensor<?x128xf32>) outs(%{{.*}} : tensor<?x128xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @linear_f16_bias(%x: tensor<?x64xf16>, %w: tensor<128x64xf16>, %b: tensor<128xf16>) -> tensor<?x128xf16> {
  %0 = xf.linear %x, %w, %b : (tensor<?x64xf16>, tensor<128x64xf16>, tensor<128xf16>) -> tensor<?x128xf16>
  return %0 : tensor<?x128xf16>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @matmul_bf16(
// CHECK-SAME: %[[A:.*]]: tensor<8x?x64xbf16>, %[[B:.*]]: tensor<8x?x64xbf16>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}, %{{.*}}) : tensor<8x?x?xf32>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<8x?x?xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<8x?x64xbf16>, tensor<8x?x64xbf16>) outs(%[[ACC]] : tensor<8x?x?xf32>)
// CHECK: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %[[OUT:.*]]: f32):
// CHECK: %[[XW:.*]] = arith.extf %[[X]] : bf16 to f32
// CHECK: %[[YW:.*]] = arith.extf %[[Y]] : bf16 to f32
// CHECK: %[[P:.*]] = arith.mulf %[[XW]], %[[YW]] : f32
// CHECK: arith.addf %[[OUT]], %[[P]] : f32
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[SUM]] : tensor<8x?x?xf32>) outs(%{{.*}} : tensor<8x?x?xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: return %[[R]]
func.func @matmul_bf16(%a: tensor<8x?x64xbf16>, %b: tensor<8x?x64xbf16>) -> tensor<8x?x?xbf16> {
  %0 = xf.matmul %a, %b transpose_rhs : (tensor<8x?x64xbf16>, tensor<8x?x64xbf16>) -> tensor<8x?x?xbf16>
  return %0 : tensor<8x?x?xbf16>
}
