// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg -xf-parallelize-contractions -canonicalize | FileCheck %s
// RUN: xfc-opt %s -split-input-file -convert-xf-to-linalg -xf-parallelize-contractions="chunks=4 min-tile=32" -canonicalize | FileCheck %s --check-prefix=FOUR

// The output features of a linear are split into 64 / 4 = 16 chunks of 16
// (chunks=64 by default); rows and the reduction stay whole. The zero fill
// moves into the loop: each tile initializes its own part of the result.
// CHECK-LABEL: func.func @linear(
// CHECK-SAME: %[[X:.*]]: tensor<?x512xf32>, %[[W:.*]]: tensor<256x512xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[E:.*]] = tensor.empty(%{{.*}}) : tensor<?x256xf32>
// CHECK-NOT: linalg.fill
// CHECK: %[[R:.*]] = scf.forall (%[[J:.*]]) = (0) to (256) step (16) shared_outs(%[[O:.*]] = %[[E]]) -> (tensor<?x256xf32>) {
// CHECK: %[[XS:.*]] = tensor.extract_slice %[[X]][0, 0] [%{{.*}}, 512] [1, 1]
// CHECK: %[[WS:.*]] = tensor.extract_slice %[[W]][%[[J]], 0] [16, 512] [1, 1] : tensor<256x512xf32> to tensor<16x512xf32>
// CHECK: %[[OS:.*]] = tensor.extract_slice %[[O]][0, %[[J]]] [%{{.*}}, 16] [1, 1] : tensor<?x256xf32> to tensor<?x16xf32>
// CHECK: %[[F:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[OS]] : tensor<?x16xf32>)
// CHECK: %[[T:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[XS]], %[[WS]] : tensor<?x512xf32>, tensor<16x512xf32>) outs(%[[F]] : tensor<?x16xf32>)
// CHECK: scf.forall.in_parallel {
// CHECK: tensor.parallel_insert_slice %[[T]] into %[[O]][0, %[[J]]] [%{{.*}}, 16] [1, 1]
// CHECK: return %[[R]]

// With chunks=4 and min-tile=32: 256 / 4 = 64 features per tile.
// FOUR-LABEL: func.func @linear(
// FOUR: scf.forall (%{{.*}}) = (0) to (256) step (64)
func.func @linear(%x: tensor<?x512xf32>, %w: tensor<256x512xf32>) -> tensor<?x256xf32> {
  %0 = xf.linear %x, %w : (tensor<?x512xf32>, tensor<256x512xf32>) -> tensor<?x256xf32>
  return %0 : tensor<?x256xf32>
}

// -----

// The bias broadcast is fused like the fill; f16 weights keep their
// widening in the tiled body. 200 features: the last tile is partial.
// CHECK-LABEL: func.func @linear_bias(
// CHECK-SAME: %[[X:.*]]: tensor<?x512xf32>, %[[W:.*]]: tensor<200x512xf16>, %[[B:.*]]: tensor<200xf32>)
// CHECK: scf.forall (%[[J:.*]]) = (0) to (200) step (16) shared_outs(%[[O:.*]] = %{{.*}})
// CHECK: %[[N:.*]] = affine.min #{{.*}}(%[[J]])
// CHECK: %[[WS:.*]] = tensor.extract_slice %[[W]][%[[J]], 0] [%[[N]], 512] [1, 1]
// CHECK: %[[BS:.*]] = tensor.extract_slice %[[B]][%[[J]]] [%[[N]]] [1]
// CHECK: %[[OS:.*]] = tensor.extract_slice %[[O]][0, %[[J]]] [%{{.*}}, %[[N]]] [1, 1]
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[BS]] : tensor<?xf32>) outs(%[[OS]] : tensor<?x?xf32>)
// CHECK: %[[T:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %[[WS]] : tensor<?x512xf32>, tensor<?x512xf16>) outs(%[[INIT]] : tensor<?x?xf32>)
// CHECK: arith.extf
// CHECK: tensor.parallel_insert_slice %[[T]] into %[[O]][0, %[[J]]] [%{{.*}}, %[[N]]] [1, 1]
func.func @linear_bias(%x: tensor<?x512xf32>, %w: tensor<200x512xf16>, %b: tensor<200xf32>) -> tensor<?x200xf32> {
  %0 = xf.linear %x, %w, %b : (tensor<?x512xf32>, tensor<200x512xf16>, tensor<200xf32>) -> tensor<?x200xf32>
  return %0 : tensor<?x200xf32>
}

// -----

// Batched matmul: one tile per batch (head), and n in chunks too until
// there are enough tiles: a two-dimensional forall.
// CHECK-LABEL: func.func @batched(
// CHECK-SAME: %[[A:.*]]: tensor<8x16x64xf32>, %[[B:.*]]: tensor<8x64x32xf32>)
// CHECK: scf.forall (%[[H:.*]], %[[J:.*]]) = (0, 0) to (8, 32) step (1, 16)
// CHECK: tensor.extract_slice %[[A]][%[[H]], 0, 0] [1, 16, 64] [1, 1, 1]
// CHECK: tensor.extract_slice %[[B]][%[[H]], 0, %[[J]]] [1, 64, 16] [1, 1, 1]
// CHECK: linalg.fill
// CHECK: linalg.generic
// CHECK: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[H]], 0, %[[J]]] [1, 16, 16] [1, 1, 1]

// Fewer than 4 tiles wanted: the batch alone gives 8.
// FOUR-LABEL: func.func @batched(
// FOUR: scf.forall (%{{.*}}) in (8)
func.func @batched(%a: tensor<8x16x64xf32>, %b: tensor<8x64x32xf32>) -> tensor<8x16x32xf32> {
  %0 = xf.matmul %a, %b : (tensor<8x16x64xf32>, tensor<8x64x32xf32>) -> tensor<8x16x32xf32>
  return %0 : tensor<8x16x32xf32>
}

// -----

// Left serial: too little work (32 x 64 multiply-adds per row), a dynamic
// n without batch dimensions, and an element-wise op.
// CHECK-LABEL: func.func @small(
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK-LABEL: func.func @dynamic_n(
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK-LABEL: func.func @not_a_contraction(
// CHECK-NOT: scf.forall
// CHECK: linalg.generic
// CHECK: return
func.func @small(%x: tensor<?x64xf32>, %w: tensor<32x64xf32>) -> tensor<?x32xf32> {
  %0 = xf.linear %x, %w : (tensor<?x64xf32>, tensor<32x64xf32>) -> tensor<?x32xf32>
  return %0 : tensor<?x32xf32>
}
func.func @dynamic_n(%a: tensor<128x256xf32>, %b: tensor<256x?xf32>) -> tensor<128x?xf32> {
  %0 = xf.matmul %a, %b : (tensor<128x256xf32>, tensor<256x?xf32>) -> tensor<128x?xf32>
  return %0 : tensor<128x?xf32>
}
func.func @not_a_contraction(%x: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %0 = xf.silu %x : tensor<1024x1024xf32>
  return %0 : tensor<1024x1024xf32>
}

// -----

// A contraction already inside a forall (a kernel's own parallel loop)
// keeps its structure.
// CHECK-LABEL: func.func @inside_forall(
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK-NOT: scf.forall (
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<64x256xf32>, tensor<256x256xf32>)
// CHECK-NOT: scf.forall (
// CHECK: return
func.func @inside_forall(%a: tensor<4x64x256xf32>, %b: tensor<256x256xf32>, %init: tensor<4x64x256xf32>) -> tensor<4x64x256xf32> {
  %r = scf.forall (%i) in (4) shared_outs(%o = %init) -> (tensor<4x64x256xf32>) {
    %as = tensor.extract_slice %a[%i, 0, 0] [1, 64, 256] [1, 1, 1] : tensor<4x64x256xf32> to tensor<64x256xf32>
    %os = tensor.extract_slice %o[%i, 0, 0] [1, 64, 256] [1, 1, 1] : tensor<4x64x256xf32> to tensor<64x256xf32>
    %m = linalg.matmul ins(%as, %b : tensor<64x256xf32>, tensor<256x256xf32>) outs(%os : tensor<64x256xf32>) -> tensor<64x256xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %m into %o[%i, 0, 0] [1, 64, 256] [1, 1, 1] : tensor<64x256xf32> into tensor<4x64x256xf32>
    }
  }
  return %r : tensor<4x64x256xf32>
}
