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

// -----

// Integer division never reaches a divide that traps: a zero divisor
// gives 0, and a signed -1 divisor negates (INT_MIN wraps).
// CHECK-LABEL: func.func @integer_div(
// CHECK: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: %[[BYZERO:.*]] = arith.cmpi eq, %[[Y]], %[[ZERO]] : i32
// CHECK: %[[MINUS:.*]] = arith.constant -1 : i32
// CHECK: %[[BYMINUS:.*]] = arith.cmpi eq, %[[Y]], %[[MINUS]] : i32
// CHECK: %[[SPECIAL:.*]] = arith.ori %[[BYZERO]], %[[BYMINUS]] : i1
// CHECK: %[[SAFE:.*]] = arith.select %[[SPECIAL]], %[[ONE]], %[[Y]] : i32
// CHECK: %[[Q:.*]] = arith.divsi %[[X]], %[[SAFE]] : i32
// CHECK: %[[NEG:.*]] = arith.subi %[[ZERO]], %[[X]] : i32
// CHECK: %[[Q2:.*]] = arith.select %[[BYMINUS]], %[[NEG]], %[[Q]] : i32
// CHECK: arith.select %[[BYZERO]], %[[ZERO]], %[[Q2]] : i32
// CHECK: ^bb0(%[[UX:.*]]: i8, %[[UY:.*]]: i8, %{{.*}}: i8):
// CHECK: arith.cmpi eq, %[[UY]]
// CHECK: %[[USAFE:.*]] = arith.select
// CHECK: arith.divui %[[UX]], %[[USAFE]] : i8
// CHECK-NOT: arith.divsi
func.func @integer_div(%a: tensor<4xi32>, %b: tensor<4xi32>, %u: tensor<4xi8>, %v: tensor<4xi8>)
    -> (tensor<4xi32>, tensor<4xi8>) {
  %0 = xf.div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %1 = xf.div unsigned %u, %v : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %0, %1 : tensor<4xi32>, tensor<4xi8>
}

// -----

// Wrapping integer arithmetic, and an i8 power by squaring over its 8
// exponent bits.
// CHECK-LABEL: func.func @integer_arith(
// CHECK: arith.addi %{{.*}}, %{{.*}} : i8
// CHECK: arith.muli %{{.*}}, %{{.*}} : i8
// CHECK-COUNT-15: arith.muli
// CHECK-NOT: arith.muli
// CHECK: arith.cmpi slt
// CHECK: return
func.func @integer_arith(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %0 = xf.add %a, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %1 = xf.mul %0, %b : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  %2 = xf.pow %1, %a : (tensor<4xi8>, tensor<4xi8>) -> tensor<4xi8>
  return %2 : tensor<4xi8>
}

// -----

// Float to integer saturates and maps NaN to 0 before fptosi could be
// poison; an unsigned integer converts with uitofp; to i1 is x != 0.
// CHECK-LABEL: func.func @conversions(
// CHECK: %[[F:.*]] = arith.fptosi %[[X:.*]] : f32 to i8
// CHECK: %[[LO:.*]] = arith.cmpf ole, %[[X]], %{{.*}} : f32
// CHECK: %[[R1:.*]] = arith.select %[[LO]], %{{.*}}, %[[F]] : i8
// CHECK: %[[HI:.*]] = arith.cmpf oge, %[[X]], %{{.*}} : f32
// CHECK: %[[R2:.*]] = arith.select %[[HI]], %{{.*}}, %[[R1]] : i8
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[X]], %[[X]] : f32
// CHECK: arith.select %[[NAN]], %{{.*}}, %[[R2]] : i8
// CHECK: arith.uitofp %{{.*}} : i8 to f32
// CHECK: arith.cmpf une, %{{.*}}, %{{.*}} : f32
// CHECK: arith.shrui
// CHECK: arith.trunci %{{.*}} : i32 to i16
// CHECK: arith.bitcast %{{.*}} : i16 to bf16
func.func @conversions(%x: tensor<4xf32>, %u: tensor<4xi8>)
    -> (tensor<4xi8>, tensor<4xf32>, tensor<4xi1>, tensor<4xbf16>) {
  %0 = xf.convert %x : tensor<4xf32> to tensor<4xi8>
  %1 = xf.convert unsigned %u : tensor<4xi8> to tensor<4xf32>
  %2 = xf.convert %x : tensor<4xf32> to tensor<4xi1>
  %3 = xf.convert toward_zero %x : tensor<4xf32> to tensor<4xbf16>
  return %0, %1, %2, %3 : tensor<4xi8>, tensor<4xf32>, tensor<4xi1>, tensor<4xbf16>
}
