// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg | FileCheck %s

// Interleaved pairs (2i, 2i + 1), angle = pos * theta^(-2i / 64):
//   out[2i]     = x[2i] cos - x[2i + 1] sin
//   out[2i + 1] = x[2i + 1] cos + x[2i] sin
// -2 ln(10000) / 64 = -0.287823141.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[TOK:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @rope_interleaved(
// CHECK-SAME: %[[X:.*]]: tensor<?x8x64xf32>, %[[POS:.*]]: tensor<?xi32>)
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x8x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[TOK]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[POS]] : tensor<?x8x64xf32>, tensor<?xi32>) outs(%[[E]] : tensor<?x8x64xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[P:.*]]: i32, %{{.*}}: f32):
// CHECK: %[[T:.*]] = linalg.index 0 : index
// CHECK: %[[H:.*]] = linalg.index 1 : index
// CHECK: %[[D:.*]] = linalg.index 2 : index
// CHECK: %[[I:.*]] = arith.divui %[[D]], %{{.*}} : index
// CHECK: %[[REM:.*]] = arith.remui %[[D]], %{{.*}} : index
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[REM]], %{{.*}} : index
// CHECK-DAG: %[[C1A:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[PREV:.*]] = arith.subi %[[D]], %[[C1A]] : index
// CHECK-DAG: %[[C1B:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[NEXT:.*]] = arith.addi %[[D]], %[[C1B]] : index
// CHECK: %[[PARTNER:.*]] = arith.select %[[FIRST]], %[[NEXT]], %[[PREV]] : index
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[ROT:.*]] = arith.cmpi ult, %[[D]], %[[C64]] : index
// CHECK: %[[SAFE:.*]] = arith.select %[[ROT]], %[[PARTNER]], %[[D]] : index
// CHECK: %[[II:.*]] = arith.index_castui %[[I]] : index to i64
// CHECK: %[[FI:.*]] = arith.uitofp %[[II]] : i64 to f32
// CHECK: %[[K:.*]] = arith.constant -0.287823141 : f32
// CHECK: %[[EXPO:.*]] = arith.mulf %[[FI]], %[[K]] : f32
// CHECK: %[[FP:.*]] = arith.sitofp %[[P]] : i32 to f32
// CHECK: %[[FREQ:.*]] = math.exp %[[EXPO]] : f32
// CHECK: %[[ANGLE:.*]] = arith.mulf %[[FP]], %[[FREQ]] : f32
// CHECK: %[[OTHER:.*]] = tensor.extract %[[X]][%[[T]], %[[H]], %[[SAFE]]] : tensor<?x8x64xf32>
// CHECK: %[[SIN:.*]] = math.sin %[[ANGLE]] : f32
// CHECK: %[[NSIN:.*]] = arith.negf %[[SIN]] : f32
// CHECK: %[[SSIN:.*]] = arith.select %[[FIRST]], %[[NSIN]], %[[SIN]] : f32
// CHECK: %[[B:.*]] = arith.mulf %[[OTHER]], %[[SSIN]] : f32
// CHECK: %[[COS:.*]] = math.cos %[[ANGLE]] : f32
// CHECK: %[[A:.*]] = arith.mulf %[[IN]], %[[COS]] : f32
// CHECK: %[[OUT:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK: %[[Y:.*]] = arith.select %[[ROT]], %[[OUT]], %[[IN]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]]
func.func @rope_interleaved(%x: tensor<?x8x64xf32>, %pos: tensor<?xi32>) -> tensor<?x8x64xf32> {
  %0 = xf.rope interleaved %x, %pos theta = 10000.0 : tensor<?x8x64xf32>, tensor<?xi32>
  return %0 : tensor<?x8x64xf32>
}

// -----

// NeoX pairs (i, i + 32) over the full head: first half gets -sin.
// -2 ln(10000) / 64 = -0.287823141.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[TOK:.*]] = affine_map<(d0, d1, d2) -> (d0)>
// CHECK-LABEL: func.func @rope_neox(
// CHECK-SAME: %[[X:.*]]: tensor<?x8x64xf32>, %[[POS:.*]]: tensor<?xi64>)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[TOK]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[POS]] : tensor<?x8x64xf32>, tensor<?xi64>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[P:.*]]: i64, %{{.*}}: f32):
// CHECK: %[[T:.*]] = linalg.index 0 : index
// CHECK: %[[H:.*]] = linalg.index 1 : index
// CHECK: %[[D:.*]] = linalg.index 2 : index
// CHECK: %[[HALF:.*]] = arith.constant 32 : index
// CHECK: %[[FIRST:.*]] = arith.cmpi ult, %[[D]], %[[HALF]] : index
// CHECK: %[[DM:.*]] = arith.subi %[[D]], %{{.*}} : index
// CHECK: %[[I:.*]] = arith.select %[[FIRST]], %[[D]], %[[DM]] : index
// CHECK-DAG: %[[LO:.*]] = arith.subi %[[D]], %{{.*}} : index
// CHECK-DAG: %[[HI:.*]] = arith.addi %[[D]], %{{.*}} : index
// CHECK: %[[PARTNER:.*]] = arith.select %[[FIRST]], %[[HI]], %[[LO]] : index
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[ROT:.*]] = arith.cmpi ult, %[[D]], %[[C64]] : index
// CHECK: %[[SAFE:.*]] = arith.select %[[ROT]], %[[PARTNER]], %[[D]] : index
// CHECK: %[[II:.*]] = arith.index_castui %[[I]] : index to i64
// CHECK: %[[FI:.*]] = arith.uitofp %[[II]] : i64 to f32
// CHECK: arith.constant -0.287823141 : f32
// CHECK: %[[FP:.*]] = arith.sitofp %[[P]] : i64 to f32
// CHECK: %[[OTHER:.*]] = tensor.extract %[[X]][%[[T]], %[[H]], %[[SAFE]]] : tensor<?x8x64xf32>
// CHECK: %[[SIN:.*]] = math.sin
// CHECK: %[[NSIN:.*]] = arith.negf %[[SIN]] : f32
// CHECK: %[[SSIN:.*]] = arith.select %[[FIRST]], %[[NSIN]], %[[SIN]] : f32
// CHECK: arith.mulf %[[OTHER]], %[[SSIN]] : f32
// CHECK: math.cos
// CHECK: %[[Y:.*]] = arith.select %[[ROT]], %{{.*}}, %[[IN]] : f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @rope_neox(%x: tensor<?x8x64xf32>, %pos: tensor<?xi64>) -> tensor<?x8x64xf32> {
  %0 = xf.rope neox %x, %pos theta = 10000.0 : tensor<?x8x64xf32>, tensor<?xi64>
  return %0 : tensor<?x8x64xf32>
}

// -----

// Partial rotary: pairs (i, i + 16) for d < 32, the rest passes through;
// the frequency uses rotary_dim: -2 ln(1e6) / 32 = -0.863469421.
// CHECK-LABEL: func.func @rope_neox_partial(
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: i32, %{{.*}}: f32):
// CHECK: %[[D:.*]] = linalg.index 2 : index
// CHECK: %[[HALF:.*]] = arith.constant 16 : index
// CHECK: %[[FIRST:.*]] = arith.cmpi ult, %[[D]], %[[HALF]] : index
// CHECK: %[[ROTDIM:.*]] = arith.constant 32 : index
// CHECK: %[[ROT:.*]] = arith.cmpi ult, %[[D]], %[[ROTDIM]] : index
// CHECK: %[[SAFE:.*]] = arith.select %[[ROT]], %{{.*}}, %[[D]] : index
// CHECK: arith.constant -0.863469421 : f32
// CHECK: tensor.extract %{{.*}}[%{{.*}}, %{{.*}}, %[[SAFE]]]
// CHECK: %[[Y:.*]] = arith.select %[[ROT]], %{{.*}}, %[[IN]] : f32
// CHECK: linalg.yield %[[Y]] : f32
func.func @rope_neox_partial(%x: tensor<?x8x64xf32>, %pos: tensor<?xi32>) -> tensor<?x8x64xf32> {
  %0 = xf.rope neox %x, %pos theta = 1000000.0 dims = 32 : tensor<?x8x64xf32>, tensor<?xi32>
  return %0 : tensor<?x8x64xf32>
}

// -----

// CHECK-LABEL: func.func @rope_interleaved_partial(
// CHECK: %[[D:.*]] = linalg.index 2 : index
// CHECK: arith.divui %[[D]]
// CHECK: %[[ROTDIM:.*]] = arith.constant 16 : index
// CHECK: %[[ROT:.*]] = arith.cmpi ult, %[[D]], %[[ROTDIM]] : index
// CHECK: arith.constant -1.15129256 : f32
// CHECK: arith.select %[[ROT]]
func.func @rope_interleaved_partial(%x: tensor<4x2x64xf32>, %pos: tensor<4xi32>) -> tensor<4x2x64xf32> {
  %0 = xf.rope interleaved %x, %pos theta = 10000.0 dims = 16 : tensor<4x2x64xf32>, tensor<4xi32>
  return %0 : tensor<4x2x64xf32>
}

// -----

// Element (i, j) of the last two dims becomes -inf when j > i + offset.
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @causal_mask(
// CHECK-SAME: %[[S:.*]]: tensor<8x?x?xf32>, %[[OFF:.*]]: index)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[D1:.*]] = tensor.dim %[[S]], %[[C1]] : tensor<8x?x?xf32>
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[D2:.*]] = tensor.dim %[[S]], %[[C2]] : tensor<8x?x?xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D1]], %[[D2]]) : tensor<8x?x?xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[S]] : tensor<8x?x?xf32>) outs(%[[E]] : tensor<8x?x?xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[I:.*]] = linalg.index 1 : index
// CHECK: %[[J:.*]] = linalg.index 2 : index
// CHECK: %[[LIM:.*]] = arith.addi %[[I]], %[[OFF]] : index
// CHECK: %[[FUT:.*]] = arith.cmpi ugt, %[[J]], %[[LIM]] : index
// CHECK: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK: %[[Y:.*]] = arith.select %[[FUT]], %[[NINF]], %[[IN]] : f32
// CHECK: linalg.yield %[[Y]] : f32
// CHECK: return %[[R]]
func.func @causal_mask(%s: tensor<8x?x?xf32>, %off: index) -> tensor<8x?x?xf32> {
  %0 = xf.causal_mask %s, %off : tensor<8x?x?xf32>
  return %0 : tensor<8x?x?xf32>
}

// -----

// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @causal_mask_2d_f16(
// CHECK-SAME: %{{.*}}: tensor<4x6xf16>, %[[OFF:.*]]: index)
// CHECK: linalg.generic {indexing_maps = [#[[ID]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK: ^bb0(%[[IN:.*]]: f16, %{{.*}}: f16):
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[LIM:.*]] = arith.addi %[[I]], %[[OFF]] : index
// CHECK: %[[FUT:.*]] = arith.cmpi ugt, %[[J]], %[[LIM]] : index
// CHECK: %[[NINF:.*]] = arith.constant 0xFC00 : f16
// CHECK: arith.select %[[FUT]], %[[NINF]], %[[IN]] : f16
func.func @causal_mask_2d_f16(%s: tensor<4x6xf16>, %off: index) -> tensor<4x6xf16> {
  %0 = xf.causal_mask %s, %off : tensor<4x6xf16>
  return %0 : tensor<4x6xf16>
}

// -----

// Narrow types compute positions, frequencies, angles and sin/cos in f32
// (bf16 rounds position 257 to 256): the elements widen, the rotated value
// rounds once, and elements past the rotary dims pass through as they are.
// CHECK-LABEL: func.func @rope_bf16_angles_in_f32(
// CHECK-SAME: %[[X:.*]]: tensor<?x8x64xbf16>, %{{.*}}: tensor<?xi32>)
// CHECK: ^bb0(%[[IN:.*]]: bf16, %[[P:.*]]: i32, %{{.*}}: bf16):
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[ROT:.*]] = arith.cmpi ult, %{{.*}}, %[[C64]] : index
// CHECK: arith.uitofp %{{.*}} : i64 to f32
// CHECK: arith.constant -0.287823141 : f32
// CHECK-NOT: bf16
// CHECK: %[[FP:.*]] = arith.sitofp %[[P]] : i32 to f32
// CHECK: %[[FREQ:.*]] = math.exp %{{.*}} : f32
// CHECK: %[[ANGLE:.*]] = arith.mulf %[[FP]], %[[FREQ]] : f32
// CHECK: %[[XW:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK: %[[OTHER:.*]] = tensor.extract %[[X]][{{.*}}] : tensor<?x8x64xbf16>
// CHECK: %[[OW:.*]] = arith.extf %[[OTHER]] : bf16 to f32
// CHECK: math.sin %[[ANGLE]] : f32
// CHECK: %[[PT:.*]] = arith.mulf %[[OW]], %{{.*}} : f32
// CHECK: %[[COS:.*]] = math.cos %[[ANGLE]] : f32
// CHECK: %[[XT:.*]] = arith.mulf %[[XW]], %[[COS]] : f32
// CHECK: %[[OUT:.*]] = arith.addf %[[XT]], %[[PT]] : f32
// CHECK: %[[N:.*]] = arith.truncf %[[OUT]] : f32 to bf16
// CHECK: %[[Y:.*]] = arith.select %[[ROT]], %[[N]], %[[IN]] : bf16
// CHECK: linalg.yield %[[Y]] : bf16
func.func @rope_bf16_angles_in_f32(%x: tensor<?x8x64xbf16>, %pos: tensor<?xi32>) -> tensor<?x8x64xbf16> {
  %0 = xf.rope neox %x, %pos theta = 10000.0 : tensor<?x8x64xbf16>, tensor<?xi32>
  return %0 : tensor<?x8x64xbf16>
}
