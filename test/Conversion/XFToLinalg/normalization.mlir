// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg | FileCheck %s

// y = x * rsqrt(sum(x^2) / n + eps) * weight
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @rms_norm(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<64xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?xf32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<?xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x64xf32>) outs(%[[ACC]] : tensor<?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[X2:.*]] = arith.mulf %[[IN]], %[[IN]] : f32
// CHECK: %[[SUM:.*]] = arith.addf %[[OUT]], %[[X2]] : f32
// CHECK: linalg.yield %[[SUM]] : f32
// CHECK: %[[INIT:.*]] = tensor.empty(%{{.*}}) : tensor<?x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[SQ]], %[[W]] : tensor<?x64xf32>, tensor<?xf32>, tensor<64xf32>) outs(%[[INIT]] : tensor<?x64xf32>)
// CHECK: ^bb0(%[[XI:.*]]: f32, %[[SS:.*]]: f32, %[[WI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[N:.*]] = arith.constant 6.400000e+01 : f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[SS]], %[[N]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK: %[[VE:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[INV:.*]] = math.rsqrt %[[VE]] : f32
// CHECK: %[[NX:.*]] = arith.mulf %[[XI]], %[[INV]] : f32
// CHECK: %[[Y:.*]] = arith.mulf %[[NX]], %[[WI]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]]
func.func @rms_norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = xf.rms_norm %x, %w eps = 1.0e-6 : tensor<?x64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// y = (x - mean) * rsqrt(var + eps) * weight + bias, biased variance:
// one reduction for the sum, one for the centered second moment.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @layer_norm(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xf32>, %[[W:.*]]: tensor<64xf32>, %[[B:.*]]: tensor<64xf32>)
// CHECK: %[[Z0:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC0:.*]] = linalg.fill ins(%[[Z0]] : f32)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x64xf32>) outs(%[[ACC0]] : tensor<?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[S:.*]] = arith.addf %[[OUT]], %[[IN]] : f32
// CHECK: linalg.yield %[[S]] : f32
// CHECK: %[[Z1:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC1:.*]] = linalg.fill ins(%[[Z1]] : f32)
// CHECK: %[[M2:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[SUM]] : tensor<?x64xf32>, tensor<?xf32>) outs(%[[ACC1]] : tensor<?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[RS:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[N:.*]] = arith.constant 6.400000e+01 : f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[RS]], %[[N]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[IN]], %[[MEAN]] : f32
// CHECK: %[[D2:.*]] = arith.mulf %[[D]], %[[D]] : f32
// CHECK: %[[A:.*]] = arith.addf %[[OUT]], %[[D2]] : f32
// CHECK: linalg.yield %[[A]] : f32
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[COL]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[SUM]], %[[M2]], %[[W]], %[[B]] : tensor<?x64xf32>, tensor<?xf32>, tensor<?xf32>, tensor<64xf32>, tensor<64xf32>)
// CHECK: ^bb0(%[[XI:.*]]: f32, %[[RS:.*]]: f32, %[[RM2:.*]]: f32, %[[WI:.*]]: f32, %[[BI:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[N:.*]] = arith.constant 6.400000e+01 : f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[RS]], %[[N]] : f32
// CHECK: %[[VAR:.*]] = arith.divf %[[RM2]], %[[N]] : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK: %[[VE:.*]] = arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK: %[[INV:.*]] = math.rsqrt %[[VE]] : f32
// CHECK: %[[C:.*]] = arith.subf %[[XI]], %[[MEAN]] : f32
// CHECK: %[[NX:.*]] = arith.mulf %[[C]], %[[INV]] : f32
// CHECK: %[[SC:.*]] = arith.mulf %[[NX]], %[[WI]] : f32
// CHECK: %[[Y:.*]] = arith.addf %[[SC]], %[[BI]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]]
func.func @layer_norm(%x: tensor<?x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<?x64xf32> {
  %0 = xf.layer_norm %x, %w, %b eps = 1.0e-5 : tensor<?x64xf32>, tensor<64xf32>, tensor<64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// max (from -inf), sum of exp(x - max) (from 0), then exp(x - max) / sum.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @softmax(
// CHECK-SAME: %[[X:.*]]: tensor<8x?x?xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<8x?x?xf32>
// CHECK: %[[E0:.*]] = tensor.empty(%[[D1]]) : tensor<8x?xf32>
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[ACC0:.*]] = linalg.fill ins(%[[NINF]] : f32) outs(%[[E0]] : tensor<8x?xf32>)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<8x?x?xf32>) outs(%[[ACC0]] : tensor<8x?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[M:.*]] = arith.maximumf %[[OUT]], %[[IN]] : f32
// CHECK: linalg.yield %[[M]] : f32
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC1:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<8x?xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]] : tensor<8x?x?xf32>, tensor<8x?xf32>) outs(%[[ACC1]] : tensor<8x?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[RM:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: %[[SH:.*]] = arith.subf %[[IN]], %[[RM]] : f32
// CHECK: %[[EX:.*]] = math.exp %[[SH]] : f32
// CHECK: %[[A:.*]] = arith.addf %[[OUT]], %[[EX]] : f32
// CHECK: linalg.yield %[[A]] : f32
// CHECK: %[[D1:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<8x?x?xf32>
// CHECK: %[[D2:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<8x?x?xf32>
// CHECK: %[[INIT:.*]] = tensor.empty(%[[D1]], %[[D2]]) : tensor<8x?x?xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ROW]], #[[ROW]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<8x?x?xf32>, tensor<8x?xf32>, tensor<8x?xf32>) outs(%[[INIT]] : tensor<8x?x?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[RM:.*]]: f32, %[[RS:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[SH:.*]] = arith.subf %[[IN]], %[[RM]] : f32
// CHECK: %[[EX:.*]] = math.exp %[[SH]] : f32
// CHECK: %[[Y:.*]] = arith.divf %[[EX]], %[[RS]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]]
func.func @softmax(%x: tensor<8x?x?xf32>) -> tensor<8x?x?xf32> {
  %0 = xf.softmax %x : tensor<8x?x?xf32>
  return %0 : tensor<8x?x?xf32>
}

// -----

// A 1-D input reduces into a rank-0 tensor. The maximum stays in f16 (it
// rounds nothing; -inf in f16); the sum of exponentials accumulates in f32
// and the result rounds to f16 once.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-DAG: #[[ALL:.*]] = affine_map<(d0) -> ()>
// CHECK-LABEL: func.func @softmax_1d_f16(
// CHECK-SAME: %[[X:.*]]: tensor<16xf16>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<f16>
// CHECK: %[[NINF:.*]] = arith.constant 0xFC00 : f16
// CHECK: %[[ACC:.*]] = linalg.fill ins(%[[NINF]] : f16) outs(%[[E]] : tensor<f16>)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]]], iterator_types = ["reduction"]}
// CHECK-SAME: outs(%[[ACC]] : tensor<f16>)
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : f16
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<f32>
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC1:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E1]] : tensor<f32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]], #[[ALL]]], iterator_types = ["reduction"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]] : tensor<16xf16>, tensor<f16>) outs(%[[ACC1]] : tensor<f32>)
// CHECK: ^bb0(%[[IN:.*]]: f16, %[[RM:.*]]: f16, %[[OUT:.*]]: f32):
// CHECK: %[[XW:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[MW:.*]] = arith.extf %[[RM]] : f16 to f32
// CHECK: %[[SH:.*]] = arith.subf %[[XW]], %[[MW]] : f32
// CHECK: %[[EX:.*]] = math.exp %[[SH]] : f32
// CHECK: %[[A:.*]] = arith.addf %[[OUT]], %[[EX]] : f32
// CHECK: linalg.yield %[[A]] : f32
// CHECK: %[[INIT:.*]] = tensor.empty() : tensor<16xf16>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ALL]], #[[ALL]], #[[ID]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]], %[[SUM]] : tensor<16xf16>, tensor<f16>, tensor<f32>) outs(%[[INIT]] : tensor<16xf16>)
// CHECK: ^bb0(%[[IN:.*]]: f16, %[[RM:.*]]: f16, %[[RS:.*]]: f32, %{{.*}}: f16):
// CHECK: %[[XW:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[MW:.*]] = arith.extf %[[RM]] : f16 to f32
// CHECK: %[[SH:.*]] = arith.subf %[[XW]], %[[MW]] : f32
// CHECK: %[[EX:.*]] = math.exp %[[SH]] : f32
// CHECK: %[[Q:.*]] = arith.divf %[[EX]], %[[RS]] : f32
// CHECK: %[[Y:.*]] = arith.truncf %[[Q]] : f32 to f16
// CHECK: linalg.yield %[[Y]] : f16
// CHECK: return %[[R]]
func.func @softmax_1d_f16(%x: tensor<16xf16>) -> tensor<16xf16> {
  %0 = xf.softmax %x : tensor<16xf16>
  return %0 : tensor<16xf16>
}

// -----

// bf16 sums its squares in f32 and normalizes in f32 (eps as an f32
// constant), rounding once.
// CHECK-LABEL: func.func @rms_norm_bf16(
// CHECK-SAME: %[[X:.*]]: tensor<?x64xbf16>, %[[W:.*]]: tensor<64xbf16>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?xf32>
// CHECK: %[[ACC:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[E]] : tensor<?xf32>)
// CHECK: %[[SQ:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<?x64xbf16>) outs(%[[ACC]] : tensor<?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: bf16, %[[OUT:.*]]: f32):
// CHECK: %[[XW:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK: %[[X2:.*]] = arith.mulf %[[XW]], %[[XW]] : f32
// CHECK: arith.addf %[[OUT]], %[[X2]] : f32
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]], %[[SQ]], %[[W]] : tensor<?x64xbf16>, tensor<?xf32>, tensor<64xbf16>) outs(%{{.*}} : tensor<?x64xbf16>)
// CHECK: ^bb0(%[[XI:.*]]: bf16, %[[SS:.*]]: f32, %[[WI:.*]]: bf16, %{{.*}}: bf16):
// CHECK: %[[XW:.*]] = arith.extf %[[XI]] : bf16 to f32
// CHECK: %[[WW:.*]] = arith.extf %[[WI]] : bf16 to f32
// CHECK: %[[MEAN:.*]] = arith.divf %[[SS]], %{{.*}} : f32
// CHECK: %[[EPS:.*]] = arith.constant 9.99999997E-7 : f32
// CHECK: %[[VE:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK: %[[INV:.*]] = math.rsqrt %[[VE]] : f32
// CHECK: %[[NX:.*]] = arith.mulf %[[XW]], %[[INV]] : f32
// CHECK: %[[P:.*]] = arith.mulf %[[NX]], %[[WW]] : f32
// CHECK: %[[Y:.*]] = arith.truncf %[[P]] : f32 to bf16
// CHECK: linalg.yield %[[Y]] : bf16
// CHECK: return %[[R]]
func.func @rms_norm_bf16(%x: tensor<?x64xbf16>, %w: tensor<64xbf16>) -> tensor<?x64xbf16> {
  %0 = xf.rms_norm %x, %w eps = 1.0e-6 : tensor<?x64xbf16>, tensor<64xbf16>
  return %0 : tensor<?x64xbf16>
}

// -----

// Both statistics of an f16 layer norm accumulate in f32.
// CHECK-LABEL: func.func @layer_norm_f16(
// CHECK-SAME: %[[X:.*]]: tensor<4x64xf16>, %[[W:.*]]: tensor<64xf16>, %[[B:.*]]: tensor<64xf16>)
// CHECK: %[[SUM:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<4x64xf16>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f16, %[[OUT:.*]]: f32):
// CHECK: %[[XW:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: arith.addf %[[OUT]], %[[XW]] : f32
// CHECK: %[[M2:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]], %[[SUM]] : tensor<4x64xf16>, tensor<4xf32>) outs(%{{.*}} : tensor<4xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f16, %[[RS:.*]]: f32, %[[OUT:.*]]: f32):
// CHECK: arith.extf %[[IN]] : f16 to f32
// CHECK: arith.divf %[[RS]], %{{.*}} : f32
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]], %[[SUM]], %[[M2]], %[[W]], %[[B]] : tensor<4x64xf16>, tensor<4xf32>, tensor<4xf32>, tensor<64xf16>, tensor<64xf16>) outs(%{{.*}} : tensor<4x64xf16>)
// CHECK: ^bb0(%[[XI:.*]]: f16, %{{.*}}: f32, %{{.*}}: f32, %[[WI:.*]]: f16, %[[BI:.*]]: f16, %{{.*}}: f16):
// CHECK-DAG: arith.extf %[[XI]] : f16 to f32
// CHECK-DAG: arith.extf %[[WI]] : f16 to f32
// CHECK-DAG: arith.extf %[[BI]] : f16 to f32
// CHECK: math.rsqrt %{{.*}} : f32
// CHECK: %[[Y:.*]] = arith.truncf %{{.*}} : f32 to f16
// CHECK: linalg.yield %[[Y]] : f16
// CHECK: return %[[R]]
func.func @layer_norm_f16(%x: tensor<4x64xf16>, %w: tensor<64xf16>, %b: tensor<64xf16>) -> tensor<4x64xf16> {
  %0 = xf.layer_norm %x, %w, %b eps = 1.0e-5 : tensor<4x64xf16>, tensor<64xf16>, tensor<64xf16>
  return %0 : tensor<4x64xf16>
}
