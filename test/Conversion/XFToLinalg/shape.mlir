// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg | FileCheck %s

// Result dimension i is input dimension permutation[i].
// CHECK-LABEL: func.func @transpose(
// CHECK-SAME: %[[X:.*]]: tensor<?x32x64xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x32x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<32x?x64xf32>
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[X]] : tensor<?x32x64xf32>) outs(%[[E]] : tensor<32x?x64xf32>) permutation = [1, 0, 2]
// CHECK: return %[[T]]
func.func @transpose(%x: tensor<?x32x64xf32>) -> tensor<32x?x64xf32> {
  %0 = xf.transpose %x [1, 0, 2] : tensor<?x32x64xf32> -> tensor<32x?x64xf32>
  return %0 : tensor<32x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @transpose_rotate(
// CHECK-SAME: %[[X:.*]]: tensor<2x3x4xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<3x4x2xf32>
// CHECK: linalg.transpose ins(%[[X]] : tensor<2x3x4xf32>) outs(%[[E]] : tensor<3x4x2xf32>) permutation = [1, 2, 0]
func.func @transpose_rotate(%x: tensor<2x3x4xf32>) -> tensor<3x4x2xf32> {
  %0 = xf.transpose %x [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  return %0 : tensor<3x4x2xf32>
}

// -----

// CHECK-LABEL: func.func @slice(
// CHECK-SAME: %[[X:.*]]: tensor<?x2304xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x2304xf32>
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][0, 768] [%[[DIM]], 768] [1, 1] : tensor<?x2304xf32> to tensor<?x768xf32>
// CHECK: return %[[S]]
func.func @slice(%x: tensor<?x2304xf32>) -> tensor<?x768xf32> {
  %0 = xf.slice %x [1 : 768, 768] : tensor<?x2304xf32> -> tensor<?x768xf32>
  return %0 : tensor<?x768xf32>
}

// -----

// CHECK-LABEL: func.func @slice_leading_axis(
// CHECK-SAME: %[[X:.*]]: tensor<3x?x64xf32>)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<3x?x64xf32>
// CHECK: tensor.extract_slice %[[X]][2, 0, 0] [1, %[[DIM]], 64] [1, 1, 1] : tensor<3x?x64xf32> to tensor<1x?x64xf32>
func.func @slice_leading_axis(%x: tensor<3x?x64xf32>) -> tensor<1x?x64xf32> {
  %0 = xf.slice %x [0 : 2, 1] : tensor<3x?x64xf32> -> tensor<1x?x64xf32>
  return %0 : tensor<1x?x64xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_collapse(
// CHECK-SAME: %[[X:.*]]: tensor<?x32x64xf32>)
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0], [1, 2]] : tensor<?x32x64xf32> into tensor<?x2048xf32>
// CHECK: return %[[R]]
func.func @reshape_collapse(%x: tensor<?x32x64xf32>) -> tensor<?x2048xf32> {
  %0 = xf.reshape %x : tensor<?x32x64xf32> -> tensor<?x2048xf32>
  return %0 : tensor<?x2048xf32>
}

// -----

// The dynamic size is the element count over the static sizes.
// CHECK-LABEL: func.func @reshape_expand_dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<?xf32>)
// CHECK-NOT: tensor.collapse_shape
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?xf32>
// CHECK: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[ROWS:.*]] = arith.divui %[[N]], %[[C64]] : index
// CHECK: %[[R:.*]] = tensor.expand_shape %[[X]] {{\[}}[0, 1]] output_shape [%[[ROWS]], 64] : tensor<?xf32> into tensor<?x64xf32>
// CHECK: return %[[R]]
func.func @reshape_expand_dynamic(%x: tensor<?xf32>) -> tensor<?x64xf32> {
  %0 = xf.reshape %x : tensor<?xf32> -> tensor<?x64xf32>
  return %0 : tensor<?x64xf32>
}

// -----

// Splitting a dimension goes through the flat tensor.
// CHECK-LABEL: func.func @reshape_split_heads(
// CHECK-SAME: %[[X:.*]]: tensor<?x2048xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<?x2048xf32> into tensor<?xf32>
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[N:.*]] = tensor.dim %[[F]], %[[C0]] : tensor<?xf32>
// CHECK: %[[C2048:.*]] = arith.constant 2048 : index
// CHECK: %[[T:.*]] = arith.divui %[[N]], %[[C2048]] : index
// CHECK: %[[R:.*]] = tensor.expand_shape %[[F]] {{\[}}[0, 1, 2]] output_shape [%[[T]], 32, 64] : tensor<?xf32> into tensor<?x32x64xf32>
// CHECK: return %[[R]]
func.func @reshape_split_heads(%x: tensor<?x2048xf32>) -> tensor<?x32x64xf32> {
  %0 = xf.reshape %x : tensor<?x2048xf32> -> tensor<?x32x64xf32>
  return %0 : tensor<?x32x64xf32>
}

// -----

// 4x6 -> 3x8 has no collapse or expand grouping.
// CHECK-LABEL: func.func @reshape_flatten_expand(
// CHECK-SAME: %[[X:.*]]: tensor<4x6xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<4x6xf32> into tensor<24xf32>
// CHECK-NOT: arith.divui
// CHECK: %[[R:.*]] = tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [3, 8] : tensor<24xf32> into tensor<3x8xf32>
// CHECK: return %[[R]]
func.func @reshape_flatten_expand(%x: tensor<4x6xf32>) -> tensor<3x8xf32> {
  %0 = xf.reshape %x : tensor<4x6xf32> -> tensor<3x8xf32>
  return %0 : tensor<3x8xf32>
}

// -----

// The dynamic size may sit after static ones.
// CHECK-LABEL: func.func @reshape_flatten_expand_dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<4x?xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<4x?xf32> into tensor<?xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[F]], %{{.*}} : tensor<?xf32>
// CHECK: %[[C2:.*]] = arith.constant 2 : index
// CHECK: %[[D:.*]] = arith.divui %[[N]], %[[C2]] : index
// CHECK: tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [2, %[[D]]] : tensor<?xf32> into tensor<2x?xf32>
func.func @reshape_flatten_expand_dynamic(%x: tensor<4x?xf32>) -> tensor<2x?xf32> {
  %0 = xf.reshape %x : tensor<4x?xf32> -> tensor<2x?xf32>
  return %0 : tensor<2x?xf32>
}

// -----

// A 1-D result of a reshape that does not group is the flat tensor, cast.
// CHECK-LABEL: func.func @reshape_zero_elements(
// CHECK-SAME: %[[X:.*]]: tensor<?x0xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<?x0xf32> into tensor<?xf32>
// CHECK: %[[R:.*]] = tensor.cast %[[F]] : tensor<?xf32> to tensor<0xf32>
// CHECK: return %[[R]]
func.func @reshape_zero_elements(%x: tensor<?x0xf32>) -> tensor<0xf32> {
  %0 = xf.reshape %x : tensor<?x0xf32> -> tensor<0xf32>
  return %0 : tensor<0xf32>
}

// -----

// Output index i along the axis reads input index i floordiv repeats.
// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1, d2) -> (d0, d1 floordiv 8, d2)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-LABEL: func.func @repeat_interleave(
// CHECK-SAME: %[[X:.*]]: tensor<?x4x64xf32>)
// CHECK: %[[C0:.*]] = arith.constant 0 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %[[C0]] : tensor<?x4x64xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<?x32x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {indexing_maps = [#[[IN]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x4x64xf32>) outs(%[[E]] : tensor<?x32x64xf32>)
// CHECK: ^bb0(%[[V:.*]]: f32, %{{.*}}: f32):
// CHECK: linalg.yield %[[V]] : f32
// CHECK: return %[[R]]
func.func @repeat_interleave(%x: tensor<?x4x64xf32>) -> tensor<?x32x64xf32> {
  %0 = xf.repeat_interleave %x [1 x 8] : tensor<?x4x64xf32> -> tensor<?x32x64xf32>
  return %0 : tensor<?x32x64xf32>
}

// -----

// CHECK-DAG: #[[IN:.*]] = affine_map<(d0, d1) -> (d0 floordiv 3, d1)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @repeat_interleave_axis0(
// CHECK-SAME: %[[X:.*]]: tensor<2x?xf32>)
// CHECK: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]], %[[C1]] : tensor<2x?xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[DIM]]) : tensor<6x?xf32>
// CHECK: linalg.generic {indexing_maps = [#[[IN]], #[[ID]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: outs(%[[E]] : tensor<6x?xf32>)
func.func @repeat_interleave_axis0(%x: tensor<2x?xf32>) -> tensor<6x?xf32> {
  %0 = xf.repeat_interleave %x [0 x 3] : tensor<2x?xf32> -> tensor<6x?xf32>
  return %0 : tensor<6x?xf32>
}

// -----

// A static input fixes the dynamic result size (24 / 8 = 3): expand into
// the static shape, then cast to the declared one.
// CHECK-LABEL: func.func @reshape_static_to_dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<4x6xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<4x6xf32> into tensor<24xf32>
// CHECK-NOT: arith.divui
// CHECK: %[[E:.*]] = tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [3, 8] : tensor<24xf32> into tensor<3x8xf32>
// CHECK: %[[R:.*]] = tensor.cast %[[E]] : tensor<3x8xf32> to tensor<?x8xf32>
// CHECK: return %[[R]] : tensor<?x8xf32>
func.func @reshape_static_to_dynamic(%x: tensor<4x6xf32>) -> tensor<?x8xf32> {
  %0 = xf.reshape %x : tensor<4x6xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// A static result takes the flat tensor cast to its static size.
// CHECK-LABEL: func.func @reshape_dynamic_to_static(
// CHECK-SAME: %[[X:.*]]: tensor<?x8xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<?x8xf32> into tensor<?xf32>
// CHECK: %[[C:.*]] = tensor.cast %[[F]] : tensor<?xf32> to tensor<24xf32>
// CHECK: %[[R:.*]] = tensor.expand_shape %[[C]] {{\[}}[0, 1]] output_shape [4, 6] : tensor<24xf32> into tensor<4x6xf32>
// CHECK: return %[[R]]
func.func @reshape_dynamic_to_static(%x: tensor<?x8xf32>) -> tensor<4x6xf32> {
  %0 = xf.reshape %x : tensor<?x8xf32> -> tensor<4x6xf32>
  return %0 : tensor<4x6xf32>
}

// -----

// Grouped collapses infer the collapsed type from the input's groups
// (static 4x6 -> 24) and cast to the declared result.
// CHECK-LABEL: func.func @reshape_collapse_static_to_dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<4x6x8xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1], [2]] : tensor<4x6x8xf32> into tensor<24x8xf32>
// CHECK: %[[R:.*]] = tensor.cast %[[F]] : tensor<24x8xf32> to tensor<?x8xf32>
// CHECK: return %[[R]]
func.func @reshape_collapse_static_to_dynamic(%x: tensor<4x6x8xf32>) -> tensor<?x8xf32> {
  %0 = xf.reshape %x : tensor<4x6x8xf32> -> tensor<?x8xf32>
  return %0 : tensor<?x8xf32>
}

// -----

// CHECK-LABEL: func.func @reshape_collapse_dynamic_to_static(
// CHECK-SAME: %[[X:.*]]: tensor<?x6x8xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1, 2]] : tensor<?x6x8xf32> into tensor<?xf32>
// CHECK: %[[C:.*]] = tensor.cast %[[F]] : tensor<?xf32> to tensor<192xf32>
// CHECK: %[[R:.*]] = tensor.expand_shape %[[C]] {{\[}}[0, 1]] output_shape [24, 8] : tensor<192xf32> into tensor<24x8xf32>
// CHECK: return %[[R]]
func.func @reshape_collapse_dynamic_to_static(%x: tensor<?x6x8xf32>) -> tensor<24x8xf32> {
  %0 = xf.reshape %x : tensor<?x6x8xf32> -> tensor<24x8xf32>
  return %0 : tensor<24x8xf32>
}

// -----

// A rank-0 tensor expands directly, with no reassociation groups.
// CHECK-LABEL: func.func @reshape_from_rank0(
// CHECK-SAME: %[[X:.*]]: tensor<f32>)
// CHECK: %[[R:.*]] = tensor.expand_shape %[[X]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: return %[[R]]
func.func @reshape_from_rank0(%x: tensor<f32>) -> tensor<1x1xf32> {
  %0 = xf.reshape %x : tensor<f32> -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// -----

// One element: the dynamic size is 1.
// CHECK-LABEL: func.func @reshape_from_rank0_dynamic(
// CHECK-SAME: %[[X:.*]]: tensor<f32>)
// CHECK: %[[E:.*]] = tensor.expand_shape %[[X]] [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
// CHECK: %[[R:.*]] = tensor.cast %[[E]] : tensor<1x1xf32> to tensor<?x1xf32>
// CHECK: return %[[R]]
func.func @reshape_from_rank0_dynamic(%x: tensor<f32>) -> tensor<?x1xf32> {
  %0 = xf.reshape %x : tensor<f32> -> tensor<?x1xf32>
  return %0 : tensor<?x1xf32>
}

// -----

// Collapsing to rank 0 needs the static all-ones shape.
// CHECK-LABEL: func.func @reshape_to_rank0(
// CHECK-SAME: %[[X:.*]]: tensor<?x1xf32>)
// CHECK: %[[C:.*]] = tensor.cast %[[X]] : tensor<?x1xf32> to tensor<1x1xf32>
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[C]] [] : tensor<1x1xf32> into tensor<f32>
// CHECK: return %[[R]]
func.func @reshape_to_rank0(%x: tensor<?x1xf32>) -> tensor<f32> {
  %0 = xf.reshape %x : tensor<?x1xf32> -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// The static part of the result is 0, so there are no elements and any
// size fits; it must not come from a division by zero.
// CHECK-LABEL: func.func @reshape_zero_static_part(
// CHECK-SAME: %[[X:.*]]: tensor<?x0xf32>)
// CHECK: %[[F:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0, 1]] : tensor<?x0xf32> into tensor<?xf32>
// CHECK-NOT: arith.divui
// CHECK: %[[Z:.*]] = arith.constant 0 : index
// CHECK-NOT: arith.divui
// CHECK: %[[R:.*]] = tensor.expand_shape %[[F]] {{\[}}[0, 1]] output_shape [0, %[[Z]]] : tensor<?xf32> into tensor<0x?xf32>
// CHECK: return %[[R]]
func.func @reshape_zero_static_part(%x: tensor<?x0xf32>) -> tensor<0x?xf32> {
  %0 = xf.reshape %x : tensor<?x0xf32> -> tensor<0x?xf32>
  return %0 : tensor<0x?xf32>
}
